import type { ParseArgsConfig } from 'node:util';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

export interface GlobalOptions {
  dataDir: string;
  rigPath: string | undefined;
}

export interface CommandContext {
  io: CliIo;
  global: GlobalOptions;
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/**
 * A `studio` subcommand. Later features register theirs (`sim`, `record`, `db`, `export`, ...) in
 * `main/cli/commands.ts`; each returns its exit code and prints results on stdout, logs on stderr.
 */
export interface Command {
  name: string;
  summary: string;
  /** Usage lines after `studio <name>`, e.g. `[--port N] [--host ADDR]`. */
  usage: string;
  options: OptionSpec;
  /** Help text for each option, by option name. */
  optionHelp: Record<string, string>;
  allowPositionals?: boolean;
  run(context: CommandContext): Promise<number>;
}

/** A usage mistake: printed with a pointer to --help, exit code 2. */
export class UsageError extends Error {}
