import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runCli } from '../../../main/cli/program';
import { commands } from '../../../main/cli/commands';
import packageJson from '../../../package.json';
import { useTempDirs } from '../../support/tempDir';

async function run(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (text) => (out += text), err: (text) => (err += text) });
  return { code, out, err };
}

describe('studio CLI', () => {
  const tempDir = useTempDirs();

  test('--help lists every command and the global options', async () => {
    for (const argv of [['--help'], ['-h'], []]) {
      const { code, out } = await run(...argv);
      expect(code).toBe(0);
      for (const command of commands) expect(out).toContain(command.name);
      expect(out).toMatch(/--data-dir DIR/);
      expect(out).toMatch(/--version/);
    }
  });

  test('--version prints the package version', async () => {
    expect(await run('--version')).toEqual({ code: 0, out: `${packageJson.version}\n`, err: '' });
    expect((await run('-V')).out).toBe(`${packageJson.version}\n`);
  });

  test('each command has help with its options', async () => {
    for (const command of commands) {
      const { code, out } = await run(command.name, '--help');
      expect(code).toBe(0);
      expect(out).toContain(`Usage: studio ${command.name}`);
      for (const option of Object.keys(command.optionHelp)) expect(out).toContain(`--${option}`);
    }
  });

  test('usage mistakes exit 2 with a pointer to --help', async () => {
    const unknownCommand = await run('fly');
    expect(unknownCommand.code).toBe(2);
    expect(unknownCommand.err).toMatch(/unknown command "fly"/);

    const unknownOption = await run('web', '--colour', 'blue');
    expect(unknownOption.code).toBe(2);
    expect(unknownOption.err).toMatch(/--colour/);
    expect(unknownOption.err).toMatch(/studio web --help/);

    const badPort = await run('web', '--port', 'eighty');
    expect(badPort.code).toBe(2);
    expect(badPort.err).toMatch(/--port must be an integer/);
  });

  test('failures exit 1 with the reason and the fix', async () => {
    const rendererDir = join(tempDir(), 'empty');
    mkdirSync(rendererDir);
    const noRenderer = await run('web', '--renderer-dir', rendererDir, '--data-dir', tempDir());
    expect(noRenderer.code).toBe(1);
    expect(noRenderer.err).toMatch(`no built renderer in ${rendererDir}`);
    expect(noRenderer.err).toMatch(/Fix: Run `npm run build`/);

    const badRig = await run('web', '--renderer-dir', rendererDir, '--rig', join(tempDir(), 'nope.json'));
    expect(badRig.code).toBe(1);
  });
});
