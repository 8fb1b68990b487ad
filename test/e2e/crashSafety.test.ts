import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, test } from 'vitest';
import { mulberry32 } from '../../main/sim/math3d';
import { useTempDirs } from '../support/tempDir';

const STUDIO = resolve('bin/studio.js');
const TRIALS = 10;

interface Progress {
  received_ns: bigint;
  id: number;
  steps: number;
  last_t_ns: bigint;
}

/** Everything that identifies a saved episode's content: if any of it changes, the episode changed. */
function fingerprint(dbPath: string, id: number): string {
  const db = new Database(dbPath, { readonly: true });
  try {
    db.defaultSafeIntegers(true);
    const episode = db.prepare('SELECT status, outcome, task, start_ns, end_ns FROM episodes WHERE id = ?').get(id);
    const streams = db
      .prepare('SELECT id, name, sample_count, first_t_ns, last_t_ns FROM streams WHERE episode_id = ? ORDER BY name')
      .all(id) as { id: bigint; name: string }[];
    // Every sample's and frame's time and bytes, hashed in time order: a changed, dropped or moved value changes the hash.
    const samples = db.prepare('SELECT t_ns, value FROM samples WHERE stream_id = ? ORDER BY t_ns');
    const frames = db.prepare('SELECT t_ns, data FROM frames WHERE stream_id = ? ORDER BY t_ns');
    const content = streams.map(({ id: streamId, ...stream }) => {
      const hash = createHash('sha256');
      for (const row of samples.iterate(streamId) as Iterable<{ t_ns: bigint; value: Buffer }>)
        hash.update(`s${row.t_ns}:${row.value.length}:`).update(row.value);
      for (const row of frames.iterate(streamId) as Iterable<{ t_ns: bigint; data: Buffer }>)
        hash.update(`f${row.t_ns}:${row.data.length}:`).update(row.data);
      return { ...stream, sha256: hash.digest('hex') };
    });
    return JSON.stringify({ episode, streams: content }, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
  } finally {
    db.close();
  }
}

function runStudio(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [STUDIO, ...args], { encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * Crash safety: a child records the simulated rig and is killed with SIGKILL at random moments, ten
 * times, into the same data directory. After each kill the database opens and passes
 * integrity_check, every episode saved before the kill is unchanged, the episode in progress is
 * reported interrupted and holds everything recorded more than a second before the kill, and the
 * user can save or discard it.
 */
describe('recording survives SIGKILL', () => {
  const tempDir = useTempDirs();

  test(`${TRIALS} kills at random moments lose nothing older than a second`, async () => {
    const dataDir = tempDir();
    const dbPath = join(dataDir, 'studio.db');
    const random = mulberry32(20261121);
    const saved = new Map<number, string>();
    let interruptedSeen = 0;
    let secondChecks = 0;
    let savedByChildren = 0;

    for (let trial = 0; trial < TRIALS; trial++) {
      // Even trials record as fast as possible and are killed a few episodes in (saved episodes must
      // survive); odd trials record in real time and are killed 1.5–6 s into the first episode (samples
      // older than a second must survive).
      const realTime = trial % 2 === 1;
      const child = spawn(
        process.execPath,
        [
          STUDIO,
          'record',
          '--sim',
          '--expert',
          '--episodes',
          '100',
          '--seed',
          String(trial),
          '--json',
          '--progress',
          '--image-size',
          '48x36',
          ...(realTime ? ['--real-time'] : []),
          '--data-dir',
          dataDir,
        ],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      const progress: Progress[] = [];
      // Kill after a random amount of recording, counted in control steps (10 per second of sim time;
      // an episode is about 93), so the kill lands where intended whatever the machine's speed.
      const killAtStep = realTime ? Math.floor(15 + random() * 45) : Math.floor(100 + random() * 190);
      let completedSteps = 0;
      const savedThisTrial: number[] = [];
      let stderr = '';
      let buffered = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<NodeJS.Signals | null>((done) => child.once('exit', (_code, signal) => done(signal)));
      const started = new Promise<void>((ready, fail) => {
        // Resolves when the child has recorded `killAtStep` control steps.
        child.stdout.on('data', (chunk: Buffer) => {
          buffered += chunk.toString();
          let newline: number;
          while ((newline = buffered.indexOf('\n')) >= 0) {
            const line = JSON.parse(buffered.slice(0, newline)) as {
              progress?: { id: number; steps: number; last_t_ns: string };
              id?: number;
              steps?: number;
            };
            buffered = buffered.slice(newline + 1);
            if (line.progress !== undefined) {
              progress.push({
                received_ns: process.hrtime.bigint(),
                id: line.progress.id,
                steps: line.progress.steps,
                last_t_ns: BigInt(line.progress.last_t_ns),
              });
              if (completedSteps + line.progress.steps >= killAtStep) ready();
            } else if (line.id !== undefined) {
              // Saved and committed before this line was printed.
              saved.set(line.id, fingerprint(dbPath, line.id));
              savedThisTrial.push(line.id);
              savedByChildren++;
              completedSteps += line.steps ?? 0;
            }
          }
        });
        void exited.then(() => fail(new Error(`recorder exited before recording (trial ${trial}):\n${stderr}`)));
      });
      await started;
      const killedAt = process.hrtime.bigint();
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');

      const db = new Database(dbPath, { readonly: true });
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      db.close();
      for (const [id, print] of saved) expect(fingerprint(dbPath, id), `saved episode ${id} changed (trial ${trial})`).toBe(print);

      // Whatever was mid-recording (usually the episode of the last progress line; sometimes one that
      // had just started) is reported as interrupted.
      const check = runStudio('db', 'check', '--json', '--data-dir', dataDir);
      const problems = (JSON.parse(check.stdout) as { problems: { kind: string; message: string }[] }).problems;
      const interrupted = problems.map((problem) => {
        expect(problem.kind).toBe('interrupted');
        return Number(/episode (\d+) was interrupted/.exec(problem.message)?.[1]);
      });
      expect(check.status).toBe(interrupted.length === 0 ? 0 : 1);
      const inProgress = progress.at(-1)?.id;
      if (inProgress !== undefined && !savedThisTrial.includes(inProgress)) expect(interrupted).toContain(inProgress);

      for (const id of interrupted) {
        const reader = new Database(dbPath, { readonly: true });
        reader.defaultSafeIntegers(true);
        const state = reader
          .prepare("SELECT first_t_ns, last_t_ns, sample_count FROM streams WHERE episode_id = ? AND name = 'arm.q_rad'")
          .get(id) as { first_t_ns: bigint | null; last_t_ns: bigint | null; sample_count: bigint } | undefined;
        reader.close();
        const olderThanASecond = progress.filter((p) => p.id === id && p.received_ns <= killedAt - 1_000_000_000n).at(-1);
        if (olderThanASecond !== undefined) {
          secondChecks++;
          expect(
            state?.last_t_ns,
            `trial ${trial}: samples up to ${olderThanASecond.last_t_ns} were recorded more than 1 s before the kill`,
          ).toBeGreaterThanOrEqual(olderThanASecond.last_t_ns);
        }
        if (state !== undefined && state.first_t_ns !== null && state.last_t_ns !== null) {
          // No holes: one sample per 100 ms control period from the first to the last.
          expect(Number(state.sample_count)).toBe(Math.round(Number(state.last_t_ns - state.first_t_ns) / 1e8) + 1);
        }
        const decision = interruptedSeen++ % 2 === 0 ? 'save' : 'discard';
        const resolved = runStudio('db', decision, String(id), '--data-dir', dataDir);
        expect(resolved.status, resolved.stderr).toBe(0);
        if (decision === 'save') saved.set(id, fingerprint(dbPath, id));
      }
      expect(runStudio('db', 'check', '--data-dir', dataDir).status).toBe(0);
    }
    // The random kill times must have exercised every case, or the test proved less than it says.
    expect(interruptedSeen).toBeGreaterThanOrEqual(5);
    expect(secondChecks).toBeGreaterThanOrEqual(3);
    expect(savedByChildren).toBeGreaterThanOrEqual(2);
    const info = JSON.parse(runStudio('db', 'info', '--json', '--data-dir', dataDir).stdout) as { episodes: { status: string }[] };
    expect(info.episodes.filter((e) => e.status === 'recording' || e.status === 'interrupted')).toEqual([]);
  }, 240_000);
});
