import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runCli } from '../../../main/cli/program';
import { Recorder } from '../../../main/recording/recorder';
import { float64Bytes } from '../../../main/recording/streamDef';
import { InlineWriterClient } from '../../../main/recording/writerClient';
import { ManualClock } from '../../support/manualClock';
import { useTempDirs } from '../../support/tempDir';

async function run(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (text) => (out += text), err: (text) => (err += text) });
  return { code, out, err };
}

/** A data dir with one saved episode and one left 'recording' by a process that no longer exists. */
async function dataDirWithCrash(dataDir: string) {
  const writer = new InlineWriterClient({ dataDir, appVersion: 'test' });
  const clock = new ManualClock();
  const recorder = new Recorder({ writer, clock });
  await recorder.startSession({ operator: 'grace', rig_name: 'sim', rig_config_json: '{}', app_version: 'test' });
  const streams = [{ name: 'state', kind: 'lowdim' as const, dtype: 'float64' as const, shape: [1], nominal_rate_hz: 10 }];
  const saved = await recorder.startEpisode({ task: 'lift', target_fps_hz: 10, streams });
  for (let i = 0; i < 20; i++) recorder.record('state', clock.advance_ms(100), float64Bytes([i]));
  await recorder.saveEpisode('success');
  const crashed = await recorder.startEpisode({ task: 'lift', target_fps_hz: 10, streams });
  for (let i = 0; i < 7; i++) recorder.record('state', clock.advance_ms(100), float64Bytes([i]));
  await recorder.sync();
  await writer.close();
  // Pretend the recording process died: no live process has this pid.
  const db = new Database(join(dataDir, 'studio.db'));
  db.prepare('UPDATE sessions SET writer_pid = 2147483646').run();
  db.close();
  return { saved, crashed };
}

describe('studio db', () => {
  const tempDir = useTempDirs();

  test('info --json lists episodes with status, outcome, task, frames and duration', async () => {
    const dataDir = tempDir();
    const { saved, crashed } = await dataDirWithCrash(dataDir);
    const { code, out } = await run('db', 'info', '--json', '--data-dir', dataDir);
    expect(code).toBe(0);
    const info = JSON.parse(out) as { episodes: unknown[]; schema_version: number };
    expect(info.episodes).toEqual([
      expect.objectContaining({ id: saved, status: 'saved', outcome: 'success', task: 'lift', frames: 20, duration_s: 2 }),
      // Its recording process is gone: interrupted, as `db check` says (first-use review, issue 15).
      expect.objectContaining({ id: crashed, status: 'interrupted', outcome: 'unknown', frames: 7 }),
    ]);
    expect((await run('db', 'info', '--data-dir', dataDir)).out).toMatch(/2 episodes/);
  });

  test('check finds the interrupted episode (exit 1); save resolves it (exit 0 after)', async () => {
    const dataDir = tempDir();
    const { crashed } = await dataDirWithCrash(dataDir);
    const check = await run('db', 'check', '--data-dir', dataDir);
    expect(check.code).toBe(1);
    expect(check.out).toMatch(`episode ${crashed} was interrupted`);
    expect(check.out).toMatch(`studio db save ${crashed}`);

    expect(await run('db', 'save', String(crashed), '--data-dir', dataDir)).toMatchObject({ code: 0, out: `episode ${crashed} saved\n` });
    const after = await run('db', 'check', '--json', '--data-dir', dataDir);
    expect(after.code).toBe(0);
    expect(JSON.parse(after.out)).toEqual({ ok: true, problems: [] });
    const info = JSON.parse((await run('db', 'info', '--json', '--data-dir', dataDir)).out) as {
      episodes: { id: number; status: string; duration_s: number }[];
    };
    expect(info.episodes.find((e) => e.id === crashed)).toMatchObject({ status: 'saved', duration_s: 0.7 });
  });

  test('discard, vacuum, and usage errors', async () => {
    const dataDir = tempDir();
    const { crashed, saved } = await dataDirWithCrash(dataDir);
    expect((await run('db', 'discard', String(crashed), '--data-dir', dataDir)).code).toBe(0);
    const again = await run('db', 'discard', String(saved), '--data-dir', dataDir);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(`episode ${saved} is not interrupted`);
    expect((await run('db', 'vacuum', '--data-dir', dataDir)).out).toMatch(/vacuumed/);
    expect((await run('db', 'frobnicate', '--data-dir', dataDir)).code).toBe(2);
    expect((await run('db', 'save', '--data-dir', dataDir)).err).toMatch(/needs an episode id/);
  });

  test('check reports a stream whose counter disagrees with its rows', async () => {
    const dataDir = tempDir();
    const { saved } = await dataDirWithCrash(dataDir);
    const db = new Database(join(dataDir, 'studio.db'));
    db.prepare('UPDATE sessions SET writer_pid = NULL').run();
    db.prepare("UPDATE episodes SET status = 'saved'").run();
    db.prepare('UPDATE streams SET sample_count = 99 WHERE episode_id = ?').run(saved);
    db.close();
    const check = await run('db', 'check', '--data-dir', dataDir);
    expect(check.code).toBe(1);
    expect(check.out).toMatch(`episode ${saved} stream "state" says 99 samples but holds 20`);
  });
});
