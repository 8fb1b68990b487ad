/** Minimal structured logger: the core logs to stderr so stdout stays machine-readable for the CLI. */
export interface Logger {
  info(message: string, detail?: unknown): void;
  warn(message: string, detail?: unknown): void;
  error(message: string, detail?: unknown): void;
}

export function createStderrLogger(scope: string, write: (line: string) => void = (line) => process.stderr.write(line)): Logger {
  const emit = (level: string, message: string, detail?: unknown) => {
    let suffix = '';
    if (detail instanceof Error) suffix = `\n${detail.stack ?? detail.message}`;
    else if (detail !== undefined) suffix = ` ${JSON.stringify(detail)}`;
    write(`${new Date().toISOString()} ${level} [${scope}] ${message}${suffix}\n`);
  };
  return {
    info: (message, detail) => emit('info ', message, detail),
    warn: (message, detail) => emit('warn ', message, detail),
    error: (message, detail) => emit('error', message, detail),
  };
}

/** For tests that assert on what was logged. */
export function createMemoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const logger = createStderrLogger('test', (line) => lines.push(line));
  return Object.assign(logger, { lines });
}
