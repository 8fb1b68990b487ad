import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { useTempDirs } from './tempDir';

export interface PtyPair {
  /** Symlink to one end (give it to the driver under test). */
  a: string;
  /** Symlink to the other end (give it to the simulated device). */
  b: string;
  /** The /dev/pts/N each link points to, as socat reported them. */
  pts: [string, string];
  /** Kills socat: both ends see the line drop and the links disappear. */
  stop(): Promise<void>;
  /** Starts a new socat on the same link paths (after `stop`), as a re-plugged adapter would appear. */
  restart(): Promise<void>;
}

const READY_GUARD_MS = 5000;

/**
 * Starts `socat -d -d pty,raw,echo=0,link=A pty,raw,echo=0,link=B` and resolves once socat has
 * reported both PTYs and entered its transfer loop (read from its stderr, never by sleeping).
 */
function startSocat(a: string, b: string): Promise<{ child: ChildProcess; pts: [string, string] }> {
  const child = spawn('/usr/bin/socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let stderr = '';
    let settled = false;
    const onExit = (code: number | null) => fail(`exited with ${code}`);
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(guard);
      child.kill('SIGKILL');
      reject(new Error(`socat pty pair did not start: ${why}\n${stderr}`));
    };
    const guard = setTimeout(() => fail(`not ready within ${READY_GUARD_MS} ms`), READY_GUARD_MS);
    child.on('error', (error) => fail(error.message));
    child.once('exit', onExit);
    // socat keeps logging (e.g. on exit); only the start-up lines matter here.
    child.stderr?.on('data', (chunk: Buffer) => {
      if (settled) return;
      stderr += chunk.toString();
      const pts = [...stderr.matchAll(/PTY is (\/dev\/pts\/\d+)/g)].map((match) => match[1] ?? '');
      if (pts.length < 2 || !stderr.includes('starting data transfer loop')) return;
      settled = true;
      clearTimeout(guard);
      child.off('exit', onExit);
      if (!existsSync(a) || !existsSync(b)) {
        child.kill('SIGKILL');
        reject(new Error(`socat reported its PTYs but the links ${a}, ${b} do not exist\n${stderr}`));
        return;
      }
      resolve({ child, pts: [pts[0] ?? '', pts[1] ?? ''] });
    });
  });
}

function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** Pty pairs for the current test, each in its own temp dir; socat is killed after the test. */
export function usePtyPairs(): () => Promise<PtyPair> {
  const tempDir = useTempDirs();
  const running = new Set<ChildProcess>();
  afterEach(async () => {
    await Promise.all([...running].map(kill));
    running.clear();
  });
  return async () => {
    const dir = tempDir();
    const a = join(dir, 'A');
    const b = join(dir, 'B');
    let current = await startSocat(a, b);
    running.add(current.child);
    const pair: PtyPair = {
      a,
      b,
      pts: current.pts,
      async stop() {
        await kill(current.child);
        running.delete(current.child);
      },
      async restart() {
        current = await startSocat(a, b);
        running.add(current.child);
        pair.pts = current.pts;
      },
    };
    return pair;
  };
}
