import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

export interface RunningWebMode {
  url: string;
  child: ChildProcess;
  stderr(): string;
  /** Sends `signal` and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts the built `studio web` in a child process, exactly as a user would, and waits for its URL line. */
export function startWebMode(args: readonly string[]): Promise<RunningWebMode> {
  const child = spawn(process.execPath, [resolve('bin/studio.js'), 'web', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return new Promise((resolvePromise, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /running at (http:\/\/\S+)/.exec(stdout);
      if (match?.[1] !== undefined) {
        resolvePromise({
          url: match[1],
          child,
          stderr: () => stderr,
          stop: (signal = 'SIGTERM') => {
            if (child.exitCode === null) child.kill(signal);
            return exited;
          },
        });
      }
    });
    void exited.then((code) => reject(new Error(`studio web exited (${code}) before printing its URL:\n${stderr}`)));
  });
}
