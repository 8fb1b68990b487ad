import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { float64Bytes } from '../../../main/recording/streamDef';
import { startWriterThread } from '../../../main/recording/writerClient';
import { openStore } from '../../../main/store/database';
import { EpisodeStore } from '../../../main/store/episodeStore';
import type { CommitInfo, WriterOp } from '../../../main/store/writeOps';
import { useTempDirs } from '../../support/tempDir';

describe('the recording writer thread (shared WorkerThread / RpcClient)', () => {
  const tempDir = useTempDirs();

  test('close right after a large backlog commits every batch before the thread ends: no transaction is cut off', async () => {
    const dataDir = tempDir();
    const writer = startWriterThread({ dataDir, appVersion: 'test' });
    const commits: CommitInfo[] = [];
    writer.onCommit((info) => commits.push(info));
    const session = await writer.call({
      call: 'startSession',
      started_at_unix_ms: 0,
      operator: 'ada',
      rig_name: 'test',
      rig_config_json: '{}',
      app_version: 'test',
      writer_pid: process.pid,
      writer_host: 'here',
    });
    const { episode_id, stream_ids } = await writer.call({
      call: 'startEpisode',
      session_id: session,
      task: 'backlog',
      started_at_unix_ms: 0,
      start_ns: 0n,
      target_fps_hz: 10,
      max_duration_s: null,
      streams: [
        { name: 'arm.q_rad', kind: 'lowdim', dtype: 'float64', shape: [7] },
        { name: 'camera.front.color', kind: 'image', dtype: 'uint8', shape: [120, 160, 3], encoding: 'png' },
      ],
    });
    const frame = new Uint8Array(64 * 1024).fill(7);
    const batches = 60;
    let t = 0n;
    for (let b = 0; b < batches; b++) {
      const ops: WriterOp[] = [];
      for (let i = 0; i < 50; i++)
        ops.push({
          op: 'sample',
          stream_id: stream_ids['arm.q_rad']!,
          t_ns: (t += 1_000_000n),
          value: float64Bytes([b, i, 0, 0, 0, 0, 0]),
        });
      for (let i = 0; i < 4; i++) ops.push({ op: 'frame', stream_id: stream_ids['camera.front.color']!, t_ns: t + BigInt(i), data: frame });
      writer.write(ops);
    }
    // No sync first: close itself waits for every batch sent before it, then closes the store.
    await writer.close();
    expect(commits).toHaveLength(batches);
    writer.write([{ op: 'sample', stream_id: stream_ids['arm.q_rad']!, t_ns: t + 10n, value: float64Bytes([0, 0, 0, 0, 0, 0, 0]) }]);
    await expect(writer.call({ call: 'sync' })).rejects.toThrow(/closed/);
    await writer.close();

    expect(existsSync(join(dataDir, 'studio.db-wal'))).toBe(false);
    const store = openStore({ dataDir, appVersion: 'test' });
    try {
      expect(store.db.pragma('integrity_check', { simple: true })).toBe('ok');
      const episodes = new EpisodeStore(store.db);
      expect(episodes.stream(episode_id, 'arm.q_rad').sample_count).toBe(batches * 50);
      expect(episodes.stream(episode_id, 'camera.front.color').sample_count).toBe(batches * 4);
    } finally {
      store.close();
    }
  }, 60_000);

  test('a store call that fails comes back as a clear error and the writer goes on', async () => {
    const dataDir = tempDir();
    const writer = startWriterThread({ dataDir, appVersion: 'test' });
    try {
      await expect(writer.call({ call: 'setStatus', episode_id: 42, status: 'saved' })).rejects.toMatchObject({
        code: 'failed_precondition',
        message: 'no episode 42',
      });
      expect(await writer.call({ call: 'sync' })).toBeNull();
    } finally {
      await writer.close();
    }
  });
});
