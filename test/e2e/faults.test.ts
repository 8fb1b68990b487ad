import { spawn, spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { chmodSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, test } from 'vitest';
import { useTempDirs } from '../support/tempDir';

const STUDIO = resolve('bin/studio.js');
const RECORD = ['record', '--sim', '--expert', '--image-size', '32x24', '--json'];
/** Root ignores file permissions; run the recorder as `nobody` so a read-only directory really is one. */
const asUnprivileged: SpawnSyncOptions = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};

function studio(args: string[], options: SpawnSyncOptions = {}) {
  const result = spawnSync(process.execPath, [STUDIO, ...args], { encoding: 'utf8', ...options });
  return { status: result.status, stdout: String(result.stdout), stderr: String(result.stderr) };
}

function episodes(dataDir: string): unknown {
  return (JSON.parse(studio(['db', 'info', '--json', '--data-dir', dataDir]).stdout) as { episodes: unknown[] }).episodes;
}

describe('recording faults: a clear error naming the path, recording stops, nothing committed is lost', () => {
  const tempDir = useTempDirs();

  test('a read-only data directory', () => {
    const dataDir = join(tempDir(), 'data');
    chmodSync(join(dataDir, '..'), 0o755);
    expect(studio([...RECORD, '--episodes', '1', '--data-dir', dataDir]).status).toBe(0);
    const before = episodes(dataDir);
    for (const file of readdirSync(dataDir)) chmodSync(join(dataDir, file), 0o444);
    chmodSync(dataDir, 0o555);
    try {
      const refused = studio([...RECORD, '--episodes', '1', '--data-dir', dataDir], asUnprivileged);
      expect(refused.status).toBe(1);
      expect(refused.stderr).toMatch(`cannot write the studio database at ${join(dataDir, 'studio.db')}`);
      expect(refused.stderr).toMatch(/Fix: Choose a writable data directory with --data-dir/);
    } finally {
      chmodSync(dataDir, 0o755);
    }
    expect(episodes(dataDir)).toEqual(before);
  }, 60_000);

  test('a database locked by another process, at start and in the middle of recording', async () => {
    const dataDir = tempDir();
    expect(studio([...RECORD, '--episodes', '1', '--data-dir', dataDir]).status).toBe(0);
    const saved = episodes(dataDir);
    const dbPath = join(dataDir, 'studio.db');

    // Locked before the recorder starts.
    const holder = new Database(dbPath);
    holder.exec('BEGIN EXCLUSIVE');
    const atStart = studio([...RECORD, '--episodes', '1', '--data-dir', dataDir]);
    holder.exec('ROLLBACK');
    expect(atStart.status).toBe(1);
    expect(atStart.stderr).toMatch(`${dbPath} is locked by another process`);
    expect(atStart.stderr).toMatch(/Fix: Close the other/);

    // Locked while recording: the writer gives up after its busy timeout and recording stops.
    const child = spawn(process.execPath, [STUDIO, ...RECORD, '--episodes', '50', '--progress', '--data-dir', dataDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await new Promise<void>((ready) => child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('"progress"') && ready()));
    holder.exec('BEGIN EXCLUSIVE');
    const code = await new Promise<number | null>((done) => child.once('exit', (c) => done(c)));
    holder.exec('ROLLBACK');
    holder.close();
    expect(code).toBe(1);
    expect(stderr).toMatch(`${dbPath} is locked by another process; recording stopped`);

    // Everything committed survives; the stopped episode is left for the user to keep or drop.
    const after = episodes(dataDir) as { id: number; status: string; frames: number }[];
    expect(after.slice(0, (saved as unknown[]).length)).toEqual(saved);
    // Its process has exited, so `db info` calls it interrupted (the row says recording until it is resolved).
    const stopped = after.filter((e) => e.status === 'interrupted');
    expect(stopped.length).toBeGreaterThanOrEqual(1);
    expect(studio(['db', 'check', '--data-dir', dataDir]).status).toBe(1);
    for (const episode of stopped) expect(studio(['db', 'save', String(episode.id), '--data-dir', dataDir]).status).toBe(0);
    expect(studio(['db', 'check', '--data-dir', dataDir]).status).toBe(0);
  }, 90_000);
});
