import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { openStore, type Store } from '../../../main/store/database';
import { EpisodeStore } from '../../../main/store/episodeStore';
import { Recorder } from '../../../main/recording/recorder';
import { float64Bytes, float64Values, type StreamDef } from '../../../main/recording/streamDef';
import { InlineWriterClient } from '../../../main/recording/writerClient';
import { mulberry32 } from '../../../main/sim/math3d';
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

  function setup(options: { injectFault?: (batch: number) => void; onStoreOpened?: (db: Store['db']) => void } = {}) {
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
    expect(summary).toMatchObject({
      id,
      task: 'stack the cube',
      status: 'saved',
      outcome: 'success',
      operator: 'ada',
      frames: 1,
      dropped: 0,
      late: 0,
    });
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

  test('resume: a later recorder (a restarted studio) appends to the same session; what was saved before is untouched', async () => {
    const first = setup();
    const sessionId = await first.recorder.startSession(session);
    const e1 = await first.recorder.startEpisode({ task: 'before the restart', target_fps_hz: 10, streams });
    await recordStates(first.recorder, first.clock, 30);
    await first.recorder.saveEpisode('success');
    await first.recorder.endSession();
    const e1Values = first.episodes
      .range(first.episodes.stream(e1, 'observation.state'), 0n, 2n ** 62n)
      .map((s) => [s.t_ns, ...float64Values(s.value)]);
    const sessionRow = (id: number) =>
      first.store.db.prepare('SELECT ended_at_unix_ms, writer_pid, rig_name FROM sessions WHERE id = ?').get(id) as {
        ended_at_unix_ms: number | null;
        writer_pid: number | null;
        rig_name: string;
      };
    expect(sessionRow(sessionId)).toMatchObject({ writer_pid: null });
    expect(sessionRow(sessionId).ended_at_unix_ms).not.toBeNull();
    // The first studio's writer closes (its store connection stays open for reading; closing twice is harmless).
    await open[0]!.writer.close();

    // A new writer and recorder on the same store, as after a restart.
    const writer = new InlineWriterClient({ dataDir: first.dataDir, appVersion: 'test' });
    open.push({ writer, store: openStore({ dataDir: first.dataDir, appVersion: 'test' }) });
    const clock = new ManualClock();
    clock.advance_ms(60_000);
    const recorder = new Recorder({ writer, clock, flush_interval_ms: 50 });
    await expect(recorder.resumeSession(sessionId + 41)).rejects.toThrow(`no session ${sessionId + 41}`);
    await recorder.resumeSession(sessionId);
    // The session is open again and owned by this process.
    expect(sessionRow(sessionId)).toEqual({ ended_at_unix_ms: null, writer_pid: process.pid, rig_name: 'test rig' });
    const e2 = await recorder.startEpisode({ task: 'after the restart', target_fps_hz: 10, streams });
    await recordStates(recorder, clock, 20, 100);
    await recorder.saveEpisode('failure');

    expect(first.episodes.sessionCount()).toBe(1);
    expect(
      first.episodes
        .summaries()
        .map(({ id, session_id, task, status, outcome }) => ({ id, session_id, task, status, outcome }))
        .sort((a, b) => a.id - b.id),
    ).toEqual([
      { id: e1, session_id: sessionId, task: 'before the restart', status: 'saved', outcome: 'success' },
      { id: e2, session_id: sessionId, task: 'after the restart', status: 'saved', outcome: 'failure' },
    ]);
    expect(e2).toBeGreaterThan(e1);
    expect(
      first.episodes.range(first.episodes.stream(e1, 'observation.state'), 0n, 2n ** 62n).map((s) => [s.t_ns, ...float64Values(s.value)]),
    ).toEqual(e1Values);
    expect(
      first.episodes.range(first.episodes.stream(e2, 'observation.state'), 0n, 2n ** 62n).map((s) => float64Values(s.value)[0]),
    ).toEqual(Array.from({ length: 20 }, (_, i) => 100 + i));
    await recorder.endSession();
    expect(sessionRow(sessionId).ended_at_unix_ms).not.toBeNull();
  });

  test('disk full, made by SQLite itself (max_page_count): recording stops with a clear error; nothing saved or committed is lost', async () => {
    let writerDb: Store['db'] | undefined;
    const { recorder, clock, episodes, store, dataDir } = setup({ onStoreOpened: (db) => (writerDb = db) });
    const random = mulberry32(2026);
    const image = () => Uint8Array.from({ length: 6000 }, () => Math.floor(random() * 256));
    /** Every stored sample and frame of an episode, hashed. */
    const fingerprint = (id: number) => {
      const hash = createHash('sha256');
      for (const name of ['observation.state', 'cam.front']) {
        const stream = episodes.stream(id, name);
        for (const sample of episodes.range(stream, 0n, 2n ** 62n)) hash.update(`${name} ${sample.t_ns} `).update(sample.value);
      }
      return hash.digest('hex');
    };
    await recorder.startSession(session);

    // Episode 1 is saved before the disk fills.
    const first = await recorder.startEpisode({ task: 'first', target_fps_hz: 10, streams });
    await recordStates(recorder, clock, 30);
    for (let i = 0; i < 5; i++) recorder.record('cam.front', clock.advance_ms(10), image());
    expect(await recorder.saveEpisode('success')).toBe(first);
    const firstPrint = fingerprint(first);

    // Episode 2 fills it: 20 pages more than the file has now (a few frames), so the first batch that
    // needs page 21 fails inside SQLite with its own SQLITE_FULL (a per-connection limit: the writer's).
    const second = await recorder.startEpisode({ task: 'second', target_fps_hz: 10, streams });
    await recordStates(recorder, clock, 20);
    await recorder.sync();
    const db = writerDb!;
    db.pragma(`max_page_count = ${Number(db.pragma('page_count', { simple: true })) + 20}`);
    let newestCommitted = 0n;
    recorder.onCommit((info) => {
      if (info.newest_capture_ns !== null && info.newest_capture_ns > newestCommitted) newestCommitted = info.newest_capture_ns;
    });
    const sent: { t: bigint; bytes: Uint8Array }[] = [];
    // Three frames per batch, so a batch the disk cannot hold is more than one row.
    for (let i = 0; i < 400 && recorder.status().phase !== 'failed'; i++) {
      for (let k = 0; k < 3; k++) {
        const t = clock.advance_ms(10);
        const bytes = image();
        if (recorder.record('cam.front', t, bytes)) sent.push({ t, bytes });
      }
      await recorder.tick();
      await recorder.sync();
    }
    const status = recorder.status();
    expect(status.phase).toBe('failed');
    expect(status.failure?.message).toMatch(`the disk holding ${join(dataDir, 'studio.db')} is full`);
    expect(status.failure?.message).toMatch(/database or disk is full/); // SQLite's own words
    expect(status.failure?.fix).toMatch(/Free disk space/);
    await expect(recorder.startEpisode({ task: '', target_fps_hz: 10, streams })).rejects.toThrow(/is full/);

    // The saved episode is untouched, byte for byte.
    expect(fingerprint(first)).toBe(firstPrint);
    expect(episodes.episode(first).status).toBe('saved');
    // Episode 2 holds exactly what the writer reported committed: a prefix of what was recorded,
    // every frame intact, up to the newest committed capture time; the failed batch left nothing.
    const frames = episodes.range(episodes.stream(second, 'cam.front'), 0n, 2n ** 62n);
    expect(frames.length).toBeGreaterThan(0);
    expect(frames.length).toBeLessThan(sent.length);
    frames.forEach((frame, i) => {
      expect(frame.t_ns).toBe(sent[i]!.t);
      expect(Buffer.from(frame.value).equals(Buffer.from(sent[i]!.bytes))).toBe(true);
    });
    expect(frames.at(-1)!.t_ns).toBe(newestCommitted);
    expect(episodes.stream(second, 'observation.state').sample_count).toBe(20);
    expect(episodes.stream(second, 'cam.front').sample_count).toBe(frames.length);
    expect(store.db.pragma('integrity_check', { simple: true })).toBe('ok');

    // Episode 2 can still be saved with what was committed (no new page needed), and all of it
    // reads back the same from a fresh connection after the writer has closed.
    await recorder.saveEpisode();
    expect(episodes.episode(second).status).toBe('saved');
    const secondPrint = fingerprint(second);
    for (const { writer, store: opened } of open.splice(0)) {
      await writer.close();
      opened.close();
    }
    const reopened = openStore({ dataDir, appVersion: 'test' });
    try {
      const again = new EpisodeStore(reopened.db);
      for (const [id, print] of [
        [first, firstPrint],
        [second, secondPrint],
      ] as const) {
        const hash = createHash('sha256');
        for (const name of ['observation.state', 'cam.front']) {
          for (const sample of again.range(again.stream(id, name), 0n, 2n ** 62n))
            hash.update(`${name} ${sample.t_ns} `).update(sample.value);
        }
        expect(hash.digest('hex')).toBe(print);
      }
    } finally {
      reopened.close();
    }
  });
});
