import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { openStore, type Store } from '../../../main/store/database';
import { EpisodeStore } from '../../../main/store/episodeStore';
import { Recorder } from '../../../main/recording/recorder';
import { float64Bytes, float64Values, type StreamDef } from '../../../main/recording/streamDef';
import { InlineWriterClient } from '../../../main/recording/writerClient';
import { ManualClock } from '../../support/manualClock';
import { useTempDirs } from '../../support/tempDir';

const streams: StreamDef[] = [
  { name: 'observation.state', kind: 'lowdim', dtype: 'float64', shape: [7], unit: 'rad', nominal_rate_hz: 100 },
  { name: 'cam.front', kind: 'image', dtype: 'uint8', shape: [4, 4, 3], encoding: 'png', nominal_rate_hz: 10 },
  { name: 'events', kind: 'event', dtype: 'json', shape: [] },
];
const session = { operator: 'ada', rig_name: 'test rig', rig_config_json: '{}', app_version: 'test' };

describe('recorder and episode lifecycle', () => {
  const tempDir = useTempDirs();
  const open: { writer: InlineWriterClient; store: Store }[] = [];
  afterEach(async () => {
    for (const { writer, store } of open.splice(0)) {
      await writer.close();
      store.close();
    }
  });

  function setup(options: { injectFault?: (batch: number) => void } = {}) {
    const dataDir = tempDir();
    const writer = new InlineWriterClient({ dataDir, appVersion: 'test', ...options });
    const store = openStore({ dataDir, appVersion: 'test' });
    open.push({ writer, store });
    const clock = new ManualClock();
    const recorder = new Recorder({ writer, clock, flush_interval_ms: 50 });
    return { recorder, clock, store, episodes: new EpisodeStore(store.db), dataDir };
  }

  /** Records `n` state samples at 100 Hz, ticking the recorder like a control loop would. */
  async function recordStates(recorder: Recorder, clock: ManualClock, n: number, offset = 0) {
    for (let i = 0; i < n; i++) {
      const t = clock.advance_ms(10);
      recorder.record('observation.state', t, float64Bytes([offset + i, 0, 0, 0, 0, 0, 0]));
      await recorder.tick();
    }
  }

  test('a saved episode keeps every sample with its capture time, its task and outcome', async () => {
    const { recorder, clock, episodes } = setup();
    await recorder.startSession(session);
    const id = await recorder.startEpisode({ task: 'stack the cube', target_fps_hz: 10, streams });
    await recordStates(recorder, clock, 50);
    recorder.record('cam.front', clock.now_ns(), new Uint8Array([137, 80, 78, 71]));
    recorder.record('events', clock.now_ns(), new TextEncoder().encode('{"button":"save"}'));
    expect(await recorder.saveEpisode('success')).toBe(id);

    const [summary] = episodes.summaries();
    expect(summary).toMatchObject({ id, task: 'stack the cube', status: 'saved', outcome: 'success', operator: 'ada', frames: 1, dropped: 0, late: 0 });
    expect(summary!.duration_s).toBeCloseTo(0.5, 6);
    const state = episodes.stream(id, 'observation.state');
    expect(state).toMatchObject({ sample_count: 50, unit: 'rad', shape: [7], nominal_rate_hz: 100 });
    const all = episodes.range(state, 0n, clock.now_ns());
    expect(all).toHaveLength(50);
    expect(all.map((s) => float64Values(s.value)[0])).toEqual([...Array(50).keys()]);
    expect(all[1]!.t_ns - all[0]!.t_ns).toBe(10_000_000n);
  });

  test('latest-at returns what was known at an instant', async () => {
    const { recorder, clock, episodes } = setup();
    await recorder.startSession(session);
    const id = await recorder.startEpisode({ task: '', target_fps_hz: 10, streams });
    const t0 = clock.now_ns();
    await recordStates(recorder, clock, 10);
    await recorder.saveEpisode();
    const state = episodes.stream(id, 'observation.state');
    expect(episodes.latestAt(state, t0)).toBeUndefined();
    expect(float64Values(episodes.latestAt(state, t0 + 35_000_000n)!.value)[0]).toBe(2);
    expect(float64Values(episodes.latestAt(state, t0 + 10_000_000_000n)!.value)[0]).toBe(9);
  });

  test('dropped and late samples are counted per stream, never hidden', async () => {
    const { recorder, clock, episodes } = setup();
    await recorder.startSession(session);
    const id = await recorder.startEpisode({ task: '', target_fps_hz: 10, streams });
    await recordStates(recorder, clock, 3);
    clock.advance_ms(40); // with the next sample, a 50 ms gap at 100 Hz: 4 samples never arrived
    await recordStates(recorder, clock, 1);
    // Arrives 400 ms after capture.
    const captured = clock.now_ns() + 10_000_000n;
    clock.advance_ms(410);
    recorder.record('observation.state', captured, float64Bytes([0, 0, 0, 0, 0, 0, 0]));
    // A capture time that does not advance cannot be stored; it is counted, not silently lost.
    expect(recorder.record('observation.state', captured, float64Bytes([0, 0, 0, 0, 0, 0, 0]))).toBe(false);
    recorder.markDropped('cam.front', 2);
    expect(recorder.status().streams['observation.state']).toEqual({ samples: 5, dropped: 4, late: 2 });
    await recorder.saveEpisode();
    const state = episodes.stream(id, 'observation.state');
    expect(state).toMatchObject({ sample_count: 5, dropped_count: 4, late_count: 2 });
    expect(episodes.stream(id, 'cam.front').dropped_count).toBe(2);
  });

  test('discard, re-record, maximum duration and the reset countdown', async () => {
    const { recorder, clock, episodes } = setup();
    await recorder.startSession(session);
    const first = await recorder.startEpisode({ task: 'wipe', target_fps_hz: 10, max_duration_s: 0.2, streams });
    await recordStates(recorder, clock, 5);
    const second = await recorder.rerecordEpisode();
    expect(second).not.toBe(first);
    expect(recorder.status()).toMatchObject({ phase: 'recording', task: 'wipe', episode_id: second });

    let stoppedBy: string | null = null;
    for (let i = 0; i < 30 && stoppedBy === null; i++) {
      clock.advance_ms(10);
      recorder.record('observation.state', clock.now_ns(), float64Bytes([i, 0, 0, 0, 0, 0, 0]));
      stoppedBy = await recorder.tick();
    }
    expect(stoppedBy).toBe('max-duration');
    expect(recorder.status()).toMatchObject({ phase: 'stopped', stop_reason: 'max_duration' });
    // Once stopped, the clock shows the take's length (it showed 0) and stays there.
    const length_s = recorder.status().elapsed_s;
    expect(length_s).toBeCloseTo(0.2, 6);
    expect(recorder.record('observation.state', clock.advance_ms(10), float64Bytes([0, 0, 0, 0, 0, 0, 0]))).toBe(false);
    expect(recorder.status().elapsed_s).toBe(length_s);
    await recorder.saveEpisode('failure');
    // The reason belongs to the stopped take only.
    expect(recorder.status().stop_reason).toBeNull();

    recorder.startReset(2);
    clock.advance_ms(500);
    expect(await recorder.tick()).toBeNull();
    expect(recorder.status().reset_remaining_s).toBeCloseTo(1.5, 6);
    clock.advance_ms(1500);
    expect(await recorder.tick()).toBe('reset-done');
    expect(recorder.status().phase).toBe('idle');

    expect(episodes.summaries({ status: ['discarded'] }).map((e) => e.id)).toEqual([first]);
    const saved = episodes.summaries({ status: ['saved'] });
    expect(saved).toMatchObject([{ id: second, outcome: 'failure' }]);
    expect(saved[0]!.duration_s).toBeGreaterThanOrEqual(0.2);
    expect(saved[0]!.duration_s).toBeLessThan(0.22);
  });

  test('ending the session keeps a take still recording or waiting: saved, outcome unknown, tagged with why it stopped', async () => {
    const { recorder, clock, episodes } = setup();
    await recorder.startSession(session);
    const recording = await recorder.startEpisode({ task: 'cut short', target_fps_hz: 10, streams });
    await recordStates(recorder, clock, 20);
    expect(await recorder.keepEpisode('rig_stopped')).toBe(recording);
    const waiting = await recorder.startEpisode({ task: 'stopped, not saved', target_fps_hz: 10, streams });
    await recordStates(recorder, clock, 10);
    await recorder.stopEpisode('estop');
    await recorder.endSession();
    expect(recorder.status()).toMatchObject({ phase: 'idle', session_id: null });
    expect(await recorder.keepEpisode('rig_stopped')).toBeNull();
    const kept = episodes.summaries({ status: ['recording', 'saved', 'discarded', 'interrupted'] });
    expect(kept.map(({ id, status, outcome, tags }) => ({ id, status, outcome, tags }))).toEqual([
      { id: recording, status: 'saved', outcome: 'unknown', tags: ['stop_reason:rig_stopped'] },
      { id: waiting, status: 'saved', outcome: 'unknown', tags: ['stop_reason:estop'] },
    ]);
    expect(episodes.stream(recording, 'observation.state').sample_count).toBe(20);
  });

  test('the lifecycle refuses out-of-order requests with a clear reason', async () => {
    const { recorder } = setup();
    await expect(recorder.startEpisode({ task: '', target_fps_hz: 10, streams })).rejects.toThrow(/no recording session is open/);
    await recorder.startSession(session);
    await expect(recorder.saveEpisode()).rejects.toThrow(/no episode to save/);
    await recorder.startEpisode({ task: '', target_fps_hz: 10, streams });
    await expect(recorder.startEpisode({ task: '', target_fps_hz: 10, streams })).rejects.toThrow(/still recording/);
    expect(() => recorder.record('nope', 1n, new Uint8Array(1))).toThrow(/stream "nope" was not declared/);
    expect(() => recorder.startReset(1)).toThrow(/save or discard/);
  });

  test('a disk-full fault at the writer stops recording with a clear error; everything committed is kept', async () => {
    let failAt = Number.POSITIVE_INFINITY;
    const { recorder, clock, episodes, dataDir } = setup({
      injectFault: (batch) => {
        if (batch >= failAt) throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
      },
    });
    await recorder.startSession(session);
    const id = await recorder.startEpisode({ task: '', target_fps_hz: 10, streams });
    await recordStates(recorder, clock, 20);
    await recorder.sync();
    failAt = 0;
    await recordStates(recorder, clock, 20);
    await recorder.sync();
    const status = recorder.status();
    expect(status.phase).toBe('failed');
    expect(status.failure?.message).toMatch(`the disk holding ${join(dataDir, 'studio.db')} is full`);
    expect(status.failure?.fix).toMatch(/Free disk space/);
    await expect(recorder.startEpisode({ task: '', target_fps_hz: 10, streams })).rejects.toThrow(/is full/);
    // The episode can still be saved with what was committed before the fault.
    await recorder.saveEpisode();
    expect(episodes.stream(id, 'observation.state').sample_count).toBe(20);
    expect(episodes.episode(id).status).toBe('saved');
  });
});
