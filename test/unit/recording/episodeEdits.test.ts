import { afterEach, describe, expect, test } from 'vitest';
import { openStore, type Store } from '../../../main/store/database';
import { EpisodeStore } from '../../../main/store/episodeStore';
import { Recorder } from '../../../main/recording/recorder';
import { float64Bytes, float64Values, type StreamDef } from '../../../main/recording/streamDef';
import { InlineWriterClient } from '../../../main/recording/writerClient';
import { ManualClock } from '../../support/manualClock';
import { useTempDirs } from '../../support/tempDir';

const streams: StreamDef[] = [
  { name: 'state', kind: 'lowdim', dtype: 'float64', shape: [1], nominal_rate_hz: 100 },
  { name: 'cam', kind: 'image', dtype: 'uint8', shape: [1, 1, 3], encoding: 'png', nominal_rate_hz: 100 },
];
const session = { operator: '', rig_name: 'r', rig_config_json: '{}', app_version: 'test' };

describe('episode edits: trim, split, delete, interrupted', () => {
  const tempDir = useTempDirs();
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  /** One saved episode with 100 samples of each stream at 10 ms spacing; returns its id and times. */
  async function recorded() {
    const dataDir = tempDir();
    const writer = new InlineWriterClient({ dataDir, appVersion: 'test' });
    const store: Store = openStore({ dataDir, appVersion: 'test' });
    cleanups.push(async () => {
      await writer.close();
      store.close();
    });
    const clock = new ManualClock(0n);
    const recorder = new Recorder({ writer, clock });
    await recorder.startSession(session);
    const id = await recorder.startEpisode({ task: 'pour', target_fps_hz: 100, streams });
    const times: bigint[] = [];
    for (let i = 0; i < 100; i++) {
      const t = clock.advance_ms(10);
      times.push(t);
      recorder.record('state', t, float64Bytes([i]));
      recorder.record('cam', t, new Uint8Array([i, i, i]));
    }
    await recorder.saveEpisode('success');
    return { id, times, episodes: new EpisodeStore(store.db), store, writer, recorder, clock };
  }

  test('trim is applied only when confirmed, and keeps the chosen window', async () => {
    const { id, times, episodes } = await recorded();
    episodes.requestTrim(id, times[10]!, times[89]!);
    expect(episodes.stream(id, 'state').sample_count).toBe(100);
    episodes.cancelTrim(id);
    expect(() => episodes.confirmTrim(id)).toThrow(/no trim was requested/);
    episodes.requestTrim(id, times[10]!, times[89]!);
    expect(episodes.confirmTrim(id)).toEqual({ removed: 40 });
    const state = episodes.stream(id, 'state');
    expect(state).toMatchObject({ sample_count: 80, first_t_ns: times[10], last_t_ns: times[89] });
    expect(episodes.stream(id, 'cam').sample_count).toBe(80);
    expect(episodes.episode(id).duration_s).toBeCloseTo(0.79, 6);
  });

  test('split moves everything from the split point into a new episode', async () => {
    const { id, times, episodes } = await recorded();
    const second = episodes.split(id, times[60]!);
    expect(episodes.stream(id, 'state').sample_count).toBe(60);
    const moved = episodes.stream(second, 'state');
    expect(moved.sample_count).toBe(40);
    expect(float64Values(episodes.range(moved, 0n, times[99]!)[0]!.value)[0]).toBe(60);
    expect(episodes.stream(second, 'cam').sample_count).toBe(40);
    expect(episodes.episode(second)).toMatchObject({ task: 'pour', status: 'saved', outcome: 'unknown' });
    expect(() => episodes.split(id, times[99]!)).toThrow(/inside the episode/);
  });

  test('delete is soft until confirmed', async () => {
    const { id, episodes, store } = await recorded();
    expect(() => episodes.confirmDelete(id)).toThrow(/was not requested/);
    episodes.requestDelete(id);
    expect(episodes.episode(id).delete_requested).toBe(true);
    episodes.cancelDelete(id);
    expect(episodes.episode(id).delete_requested).toBe(false);
    episodes.requestDelete(id);
    episodes.confirmDelete(id);
    expect(() => episodes.episode(id)).toThrow(/no episode/);
    const left = store.db
      .prepare('SELECT (SELECT COUNT(*) FROM samples) + (SELECT COUNT(*) FROM frames) + (SELECT COUNT(*) FROM streams) AS n')
      .get() as { n: number };
    expect(left.n).toBe(0);
  });

  test('an episode left recording by a dead process becomes interrupted and can be saved or discarded', async () => {
    const { episodes, writer, recorder, clock } = await recorded();
    const live = await recorder.startEpisode({ task: 'pour', target_fps_hz: 100, streams });
    for (let i = 0; i < 5; i++) recorder.record('state', clock.advance_ms(10), float64Bytes([i]));
    await recorder.sync();
    // Our own process is alive: nothing is interrupted.
    expect(await writer.call({ call: 'recoverInterrupted', alive: [process.pid] })).toEqual([]);
    // As seen from a later process, after this one died.
    expect(await writer.call({ call: 'recoverInterrupted', alive: [] })).toEqual([live]);
    const interrupted = episodes.episode(live);
    expect(interrupted).toMatchObject({ status: 'interrupted', frames: 5 });
    expect(interrupted.duration_s).toBeCloseTo(0.05, 6);
    episodes.resolveInterrupted(live, 'saved');
    expect(episodes.episode(live).status).toBe('saved');
    expect(() => episodes.resolveInterrupted(live, 'discarded')).toThrow(/is not interrupted/);
  });
});
