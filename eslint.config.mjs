import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const electronOnlyHere = ['main/electron/**', 'preload/**', 'test/electron/**', 'test/stubs/**'];

export default tseslint.config(
  { ignores: ['out/**', 'node_modules/**', 'test/artifacts/**', 'models/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always'],
    },
  },
  {
    // The Electron shell is thin: nothing outside it may import electron (the core runs in plain Node).
    files: ['**/*.ts', '**/*.tsx'],
    ignores: electronOnlyHere,
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'electron', allowTypeImports: true, message: 'Only main/electron/ and preload/ may import electron at run time; put logic in the core.' }] }],
    },
  },
  {
    // The renderer and the shared contract run in a browser: no Node, no Electron.
    files: ['renderer/**/*.{ts,tsx}', 'shared/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'The renderer talks to the core through StudioApi only.' }],
          patterns: [{ group: ['node:*', '**/main/**', '**/preload/**'], message: 'Renderer and shared code run in the browser: use StudioApi.' }],
        },
      ],
    },
  },
  {
    // Tests reshape JSON fixtures freely; production code keeps `any` out.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['bin/**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
