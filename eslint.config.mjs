import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const electronOnlyHere = ['main/electron/**', 'preload/**', 'test/electron/**', 'test/stubs/**'];
const electronPath = {
  name: 'electron',
  allowTypeImports: true,
  message: 'Only main/electron/ and preload/ may import electron at run time; put logic in the core.',
};

/**
 * Layering inside main/ (after VS Code's "may import" lists, with plain no-restricted-imports): each
 * folder names the main/ folders it must not reach. Imports are relative, so a pattern is a run of
 * `../` and a folder name; none of these folder names occurs inside the folders they guard.
 * Type-only imports are allowed where marked (a contract's types, e.g. the Logger a service is given).
 */
const folders = (names) => `^(\\.\\./)+(${names.join('|')})(/|$)`;
const TOP = ['cli', 'web', 'electron', 'shell'];
const layers = [
  {
    files: ['main/store/**/*.ts', 'main/workers/**/*.ts'],
    regex: '^\\.\\./[A-Za-z]',
    allowTypeImports: false,
    message: 'main/store and main/workers are the bottom floor of main/: they import only shared/ and themselves.',
  },
  {
    files: ['main/recording/**/*.ts'],
    regex: folders([...TOP, 'core', 'api', 'runtime', 'export', 'imagination', 'config']),
    allowTypeImports: false,
    message:
      'main/recording records what control and devices report into the store; it must not reach up into runtime, export, api or the front doors.',
  },
  {
    files: ['main/export/**/*.ts'],
    regex: folders([...TOP, 'core', 'api', 'runtime', 'control', 'devices', 'sim', 'imagination', 'config', 'import']),
    allowTypeImports: false,
    message: "main/export reads the store (and recording's stream names); it knows nothing of the live rig or the front doors.",
  },
  {
    files: ['main/import/**/*.ts'],
    regex: folders([...TOP, 'core', 'api', 'runtime', 'control', 'sim', 'imagination', 'config', 'recording']),
    allowTypeImports: false,
    message:
      "main/import reads a dataset into the store through export's readers and the store; it knows nothing of the live rig or the front doors.",
  },
  {
    files: ['main/control/**/*.ts'],
    regex: folders([...TOP, 'core', 'api', 'runtime', 'recording', 'export', 'store', 'imagination']),
    allowTypeImports: false,
    message: 'main/control drives devices; recording and the runtime listen to it, never the other way round.',
  },
  {
    files: ['main/devices/**/*.ts'],
    regex: folders([...TOP, 'core', 'api', 'runtime', 'control', 'recording', 'export', 'store', 'imagination']),
    allowTypeImports: false,
    message: 'main/devices are drivers: they import shared/ and the simulation only.',
  },
  {
    files: ['main/sim/**/*.ts'],
    regex: folders([...TOP, 'core', 'api', 'runtime', 'control', 'devices', 'recording', 'export', 'store', 'imagination']),
    allowTypeImports: false,
    message: 'main/sim is the world: it imports shared/ and workers/ only (devices wrap it).',
  },
  {
    files: ['main/runtime/**/*.ts'],
    regex: folders([...TOP, 'core', 'api']),
    allowTypeImports: true,
    message:
      'main/runtime is composed by the core and called by the API: only their types (Logger, EventBus, StreamHub) may come from there.',
  },
  {
    files: ['main/api/**/*.ts'],
    regex: folders([...TOP, 'core']),
    allowTypeImports: true,
    message: 'main/api/handlers are wired by the core: only its types may come from there, and nothing from the front doors.',
  },
];
/** Only main/store talks SQL: better-sqlite3 is a type elsewhere, and no `db.prepare/exec/pragma/transaction` outside it. */
const sqliteOnlyInStore = {
  name: 'better-sqlite3',
  allowTypeImports: true,
  message: 'SQL lives in main/store/: add a method there (EpisodeStore, ExportLog, StoreWriter) and call it.',
};
const sqlCall = 'CallExpression[callee.property.name=/^(prepare|exec|pragma|transaction)$/]';
const sqlOutsideStore = [
  { selector: `${sqlCall}[callee.object.name='db']`, message: 'SQL lives in main/store/: add a method there and call it.' },
  { selector: `${sqlCall}[callee.object.property.name='db']`, message: 'SQL lives in main/store/: add a method there and call it.' },
];

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
      'no-restricted-imports': ['error', { paths: [electronPath] }],
    },
  },
  {
    files: ['main/**/*.ts'],
    ignores: ['main/store/**', ...electronOnlyHere],
    rules: { 'no-restricted-imports': ['error', { paths: [electronPath, sqliteOnlyInStore] }] },
  },
  ...layers.map(({ files, regex, allowTypeImports, message }) => ({
    files,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: files.some((f) => f.startsWith('main/store')) ? [electronPath] : [electronPath, sqliteOnlyInStore],
          patterns: [{ regex, allowTypeImports, message }],
        },
      ],
    },
  })),
  {
    // The folders that may hold no SQL at all (cli and imagination tools are left to their owners for now).
    files: ['main/{recording,export,runtime,api,workers,control,devices,sim,core,web,config}/**/*.ts'],
    rules: { 'no-restricted-syntax': ['error', ...sqlOutsideStore] },
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
          patterns: [
            { group: ['node:*', '**/main/**', '**/preload/**'], message: 'Renderer and shared code run in the browser: use StudioApi.' },
          ],
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
