import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ExportCancelled } from '../../../main/export/ffmpeg';
import { runImport } from '../../../main/import/runImport';
import { DATABASE_FILE, openStore } from '../../../main/store/database';
import { EpisodeStore } from '../../../main/store/episodeStore';
import { checkStore } from '../../../main/store/health';
import { pendingImports } from '../../../main/store/importRows';

/**
 * An import writes its frames and samples into the store's own tables while it runs and makes them
 * visible with one tiny transaction at the end (store/importRows.ts), so a recording beside it never
 * waits for a long move. These tests hold it to what that must not cost: nothing visible before the
 * end, other writers never shut out between batches, nothing left after a cancel, and a killed import's
 * rows invisible, reported by `db check` as leftovers (not as damage) and removed by the next import.
 */

const FIXTURE = resolve('test/fixtures/lerobot/lerobot-v30-h264'); // 4 episodes, 43 frames × 2 cameras
const ALL = { status: ['recording', 'saved', 'discarded', 'interrupted'] as ('recording' | 'saved' | 'discarded' | 'interrupted')[] };

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'studio-import-atomic-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const count = (db: Database.Database, sql: string) => (db.prepare(sql).get() as { n: number | null }).n ?? 0;

/** What another process sees in the store right now (its own connection, like a second studio). */
function look(dataDir: string): { episodes: number; sessions: number; frames: number; samples: number; pending: number } {
  const db = new Database(join(dataDir, DATABASE_FILE), { timeout: 0 });
  try {
    return {
      episodes: new EpisodeStore(db).summaries(ALL).length,
      sessions: count(db, 'SELECT COUNT(*) AS n FROM sessions'),
      frames: count(db, 'SELECT COUNT(*) AS n FROM frames'),
      samples: count(db, 'SELECT COUNT(*) AS n FROM samples'),
      pending: pendingImports(db).length,
    };
  } finally {
    db.close();
  }
}

/** Every row in the store belongs to a stream, and no reservation is left. */
function expectClean(dataDir: string, episodes: number): void {
  const store = openStore({ dataDir, appVersion: 'test' });
  try {
    expect(checkStore(store.db)).toEqual([]);
    expect(new EpisodeStore(store.db).summaries(ALL)).toHaveLength(episodes);
    expect(count(store.db, 'SELECT COUNT(*) AS n FROM frames')).toBe(
      count(store.db, "SELECT SUM(sample_count) AS n FROM streams WHERE kind = 'image'"),
    );
    expect(count(store.db, 'SELECT COUNT(*) AS n FROM samples')).toBe(
      count(store.db, "SELECT SUM(sample_count) AS n FROM streams WHERE kind <> 'image'"),
    );
    expect(pendingImports(store.db)).toEqual([]);
  } finally {
    store.close();
  }
  expect(readdirSync(dataDir).filter((f) => f.startsWith('.import-'))).toEqual([]);
}

describe('an import beside other writers', () => {
  test('rows land in the store as the import runs, unseen, with the store free between batches; the end shows them all at once', async () => {
    const dataDir = join(root, 'running');
    const seen: ReturnType<typeof look>[] = [];
    let otherWriterCommitted = 0;
    const summary = await runImport(
      { format: 'lerobot', dataDir, source: FIXTURE },
      {
        onProgress: (p) => {
          if (p.phase !== 'episodes' || p.done_episodes < 1 || seen.length > 0) return;
          seen.push(look(dataDir));
          // Another writer (a recorder) gets the write lock at once: busy timeout 0, so any lock held
          // across batches would fail this with SQLITE_BUSY.
          const other = new Database(join(dataDir, DATABASE_FILE), { timeout: 0 });
          try {
            other.exec('BEGIN IMMEDIATE');
            other.prepare("INSERT OR REPLACE INTO store_meta (key, value) VALUES ('test.other_writer', '1')").run();
            other.exec('COMMIT');
            otherWriterCommitted += 1;
            // A running import's rows are not damage.
            expect(checkStore(other)).toEqual([]);
          } finally {
            other.close();
          }
        },
      },
    );
    expect(otherWriterCommitted).toBe(1);
    const [during] = seen;
    // Episode 0 (12 frames) of 4 is written: its frames are in the store's table, but nothing names them yet.
    expect(during).toMatchObject({ episodes: 0, sessions: 0, frames: 12 * 2, pending: 1 });
    expect(during!.samples).toBeGreaterThan(0);
    expect(summary.episode_ids).toHaveLength(4);
    expect(summary.longest_lock_ms).toBeGreaterThanOrEqual(summary.commit_ms);
    expect(look(dataDir)).toMatchObject({ episodes: 4, sessions: 1, frames: 43 * 2, pending: 0 });
    expectClean(dataDir, 4);
  }, 120_000);

  test('a cancelled import removes the rows it wrote', async () => {
    const dataDir = join(root, 'cancelled');
    const controller = new AbortController();
    let framesWhenCancelled = 0;
    await expect(
      runImport(
        { format: 'lerobot', dataDir, source: FIXTURE },
        {
          signal: controller.signal,
          onProgress: (p) => {
            if (p.phase !== 'episodes' || p.done_episodes < 2 || controller.signal.aborted) return;
            framesWhenCancelled = look(dataDir).frames;
            controller.abort();
          },
        },
      ),
    ).rejects.toBeInstanceOf(ExportCancelled);
    expect(framesWhenCancelled).toBeGreaterThan(0);
    expect(look(dataDir)).toEqual({ episodes: 0, sessions: 0, frames: 0, samples: 0, pending: 0 });
    expectClean(dataDir, 0);
  }, 120_000);

  test('a killed import leaves nothing visible; db check names the leftovers; the next import removes them', async () => {
    const dataDir = join(root, 'killed');
    const child = spawn(
      process.execPath,
      ['--require', resolve('main/workers/sourceLoader.cjs'), resolve('test/support/importChild.ts'), dataDir, FIXTURE],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<NodeJS.Signals | number | null>((done) => child.once('exit', (code, signal) => done(signal ?? code)));
    await new Promise<void>((staged, failed) => {
      child.stdout.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('staged')) staged();
      });
      void exited.then((how) => failed(new Error(`the import process ended (${String(how)}) before staging: ${stderr}`)));
    });
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const left = look(dataDir);
    expect(left).toMatchObject({ episodes: 0, sessions: 0, pending: 1 });
    expect(left.frames).toBeGreaterThan(0);
    const store = openStore({ dataDir, appVersion: 'test' });
    try {
      // One problem that says what it is, not one orphaned row per frame.
      const problems = checkStore(store.db);
      expect(problems.map((p) => p.kind)).toEqual(['import_leftover']);
      expect(problems[0]!.message).toMatch(new RegExp(`process ${child.pid!}`));
    } finally {
      store.close();
    }

    const summary = await runImport({ format: 'lerobot', dataDir, source: FIXTURE });
    expect(summary.episode_ids).toHaveLength(4);
    expect(look(dataDir)).toMatchObject({ episodes: 4, sessions: 1, frames: 43 * 2, pending: 0 });
    expectClean(dataDir, 4);
  }, 120_000);
});
