import { parseArgs } from 'node:util';
import { StudioError } from '../../shared/api/errors';
import { APP_NAME, APP_VERSION } from '../appInfo';
import { defaultDataDir } from '../config/dataDir';
import { commands } from './commands';
import { UsageError, type CliIo, type Command, type OptionSpec } from './command';

const globalOptions: OptionSpec = {
  'data-dir': { type: 'string' },
  rig: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
};

const globalHelp = `Global options:
  --data-dir DIR   where the studio keeps its database and recordings
                   (default: ${defaultDataDir()})
  --rig FILE       rig config (JSON); default: DIR/rig.json if present, else the simulated rig
  -h, --help       show help
  -V, --version    print the version`;

function optionUsage(command: Command): string {
  const lines = Object.entries(command.optionHelp).map(([name, help]) => {
    const spec = command.options[name];
    const flag = `--${name}${spec?.type === 'string' ? ' VALUE' : ''}`;
    return `  ${flag.padEnd(18)} ${help}`;
  });
  return lines.length > 0 ? `Options:\n${lines.join('\n')}\n\n` : '';
}

export function programHelp(): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  const list = commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`).join('\n');
  return `${APP_NAME} ${APP_VERSION}: teleoperate, record, label and export robot demonstrations.

Usage: studio <command> [options]

Commands:
${list}

${globalHelp}

Run \`studio <command> --help\` for a command's options.
`;
}

export function commandHelp(command: Command): string {
  return `Usage: studio ${command.name} ${command.usage}\n\n${command.summary}\n\n${optionUsage(command)}${globalHelp}\n`;
}

/** Runs `studio ...`; returns the exit code (0 ok, 1 failure, 2 usage error). */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const first = argv.findIndex((arg) => !arg.startsWith('-'));
  const name = first === -1 ? undefined : argv[first];
  const command = commands.find((candidate) => candidate.name === name);

  if (name !== undefined && command === undefined) {
    io.err(`studio: unknown command "${name}". Commands: ${commands.map((c) => c.name).join(', ')}. See \`studio --help\`.\n`);
    return 2;
  }

  const args = command === undefined ? [...argv] : [...argv.slice(0, first), ...argv.slice(first + 1)];
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args,
      options: { ...globalOptions, ...(command?.options ?? {}) },
      allowPositionals: command?.allowPositionals ?? false,
      strict: true,
    });
  } catch (error) {
    const where = command === undefined ? 'studio' : `studio ${command.name}`;
    io.err(`${where}: ${(error as Error).message}. See \`${where} --help\`.\n`);
    return 2;
  }

  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.version === true) {
    io.out(`${APP_VERSION}\n`);
    return 0;
  }
  if (values.help === true || command === undefined) {
    io.out(command === undefined ? programHelp() : commandHelp(command));
    return 0;
  }

  const dataDir = typeof values['data-dir'] === 'string' ? values['data-dir'] : defaultDataDir();
  const rigPath = typeof values.rig === 'string' ? values.rig : undefined;
  try {
    return await command.run({ io, global: { dataDir, rigPath }, values, positionals: parsed.positionals });
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`studio ${command.name}: ${error.message}. See \`studio ${command.name} --help\`.\n`);
      return 2;
    }
    if (error instanceof StudioError) {
      io.err(`studio ${command.name}: ${error.message}\n${error.fix !== undefined ? `Fix: ${error.fix}\n` : ''}`);
      return 1;
    }
    io.err(`studio ${command.name}: unexpected failure: ${(error as Error)?.stack ?? String(error)}\n`);
    return 1;
  }
}
