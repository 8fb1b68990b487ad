/**
 * Scrubbing queries on a 5-minute episode (state and two action streams at 100 Hz, three cameras at
 * 30 fps with ~50 KB frames): latest-at for every stream at random instants (what one scrub step
 * asks), and 1-second range reads (what a plot window asks).
 *   npx tsx bench/recording/queries.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../main/store/database';
import { EpisodeStore } from '../../main/store/episodeStore';
import { StoreWriter } from '../../main/store/storeWriter';
import { float64Bytes, type StreamDef } from '../../main/recording/streamDef';
import type { WriterOp } from '../../main/store/writeOps';
import { mulberry32 } from '../../main/sim/math3d';

const DURATION_S = 300;
const dataDir = mkdtempSync(join(tmpdir(), 'studio-bench-q-'));
const store = openStore({ dataDir, appVersion: 'bench' });
const writer = new StoreWriter(store.db, store.path);
const streams: StreamDef[] = [
  { name: 'observation.state', kind: 'lowdim', dtype: 'float64', shape: [30], nominal_rate_hz: 100 },
  { name: 'action.commanded', kind: 'lowdim', dtype: 'float64', shape: [7], nominal_rate_hz: 100 },
  { name: 'action.executed', kind: 'lowdim', dtype: 'float64', shape: [7], nominal_rate_hz: 100 },
  ...['front', 'side', 'wrist'].map((c): StreamDef => ({
    name: `observation.images.${c}`,
    kind: 'image',
    dtype: 'uint8',
    shape: [480, 640, 3],
    encoding: 'jpeg',
    nominal_rate_hz: 30,
  })),
];
const session = writer.call({
  call: 'startSession',
  started_at_unix_ms: 0,
  operator: '',
  rig_name: 'b',
  rig_config_json: '{}',
  app_version: 'b',
  writer_pid: 0,
  writer_host: '',
}) as number;
const { episode_id, stream_ids } = writer.call({
  call: 'startEpisode',
  session_id: session,
  task: '',
  started_at_unix_ms: 0,
  start_ns: 0n,
  target_fps_hz: 30,
  max_duration_s: null,
  streams,
}) as { episode_id: number; stream_ids: Record<string, number> };
const frame = new Uint8Array(50_000).fill(7);
for (let second = 0; second < DURATION_S; second++) {
  const ops: WriterOp[] = [];
  for (let i = 0; i < 100; i++) {
    const t = BigInt(second * 1e9 + i * 1e7);
    ops.push({ op: 'sample', stream_id: stream_ids['observation.state']!, t_ns: t, value: float64Bytes(new Array(30).fill(i)) });
    ops.push({ op: 'sample', stream_id: stream_ids['action.commanded']!, t_ns: t, value: float64Bytes(new Array(7).fill(i)) });
    ops.push({ op: 'sample', stream_id: stream_ids['action.executed']!, t_ns: t, value: float64Bytes(new Array(7).fill(i)) });
  }
  for (let i = 0; i < 30; i++) {
    for (const c of ['front', 'side', 'wrist'])
      ops.push({
        op: 'frame',
        stream_id: stream_ids[`observation.images.${c}`]!,
        t_ns: BigInt(second * 1e9 + Math.round((i * 1e9) / 30)),
        data: frame,
      });
  }
  writer.apply(ops);
}

const episodes = new EpisodeStore(store.db);
const rows = episodes.streams(episode_id);
const random = mulberry32(7);
const steps = 2000;
let started = performance.now();
for (let i = 0; i < steps; i++) {
  const t = BigInt(Math.floor(random() * DURATION_S * 1e9));
  for (const row of rows) episodes.latestAt(row, t);
}
const scrubMs = (performance.now() - started) / steps;
const state = rows.find((r) => r.name === 'observation.state')!;
started = performance.now();
for (let i = 0; i < 500; i++) {
  const t0 = BigInt(Math.floor(random() * (DURATION_S - 1) * 1e9));
  episodes.range(state, t0, t0 + 1_000_000_000n);
}
const rangeMs = (performance.now() - started) / 500;
started = performance.now();
episodes.range(state, 0n, BigInt(DURATION_S * 1e9));
const wholeMs = performance.now() - started;
process.stdout.write(
  `${JSON.stringify({ bench: 'recording.queries', episode_s: DURATION_S, streams: rows.length, scrub_step_ms_all_streams: Number(scrubMs.toFixed(3)), range_1s_ms: Number(rangeMs.toFixed(3)), whole_state_stream_ms: Number(wholeMs.toFixed(1)) })}\n`,
);
store.close();
rmSync(dataDir, { recursive: true, force: true });
