/**
 * Sample insert rate: low-dimensional samples (7 float64, like a joint vector) through the real path,
 * recorder → writer thread → SQLite, and through the store writer alone (no thread hop).
 *   npx tsx bench/recording/insertRate.ts [--samples 1000000]      (after `npm run build`)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { systemClock } from '../../main/devices/types';
import { openStore } from '../../main/store/database';
import { Recorder } from '../../main/recording/recorder';
import { StoreWriter } from '../../main/store/storeWriter';
import { float64Bytes, type StreamDef } from '../../main/recording/streamDef';
import { WorkerWriterClient } from '../../main/recording/writerClient';

const { values } = parseArgs({ options: { samples: { type: 'string', default: '1000000' } } });
const total = Number(values.samples);
const streams: StreamDef[] = Array.from({ length: 10 }, (_, i) => ({
  name: `joint_${i}`,
  kind: 'lowdim',
  dtype: 'float64',
  shape: [7],
  nominal_rate_hz: 1000,
}));
const value = float64Bytes([0.1, -0.7, 0.2, -2.3, 0.05, 1.6, 0.8]);

async function throughRecorder(): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), 'studio-bench-ins-'));
  const writer = new WorkerWriterClient({ path: resolve('out/main/recordingWriter.js'), execArgv: [] }, { dataDir, appVersion: 'bench' });
  // Synthetic times 1 ms apart per stream, so no sample counts as late or dropped.
  let t = systemClock.now_ns();
  const recorder = new Recorder({ writer, clock: { now_ns: () => t }, flush_interval_ms: 50 });
  await recorder.startSession({ operator: '', rig_name: 'bench', rig_config_json: '{}', app_version: 'bench' });
  await recorder.startEpisode({ task: '', target_fps_hz: 1000, streams });
  const started = performance.now();
  for (let i = 0; i < total; i += streams.length) {
    t += 1_000_000n;
    for (const stream of streams) recorder.record(stream.name, t, value);
    if (i % 20_000 === 0) await recorder.tick();
  }
  await recorder.sync();
  const seconds = (performance.now() - started) / 1000;
  await recorder.saveEpisode();
  await writer.close();
  rmSync(dataDir, { recursive: true, force: true });
  return total / seconds;
}

function storeWriterOnly(): number {
  const dataDir = mkdtempSync(join(tmpdir(), 'studio-bench-ins-'));
  const store = openStore({ dataDir, appVersion: 'bench' });
  const writer = new StoreWriter(store.db, store.path);
  const sessionId = writer.call({
    call: 'startSession',
    started_at_unix_ms: 0,
    operator: '',
    rig_name: 'b',
    rig_config_json: '{}',
    app_version: 'b',
    writer_pid: process.pid,
    writer_host: '',
  }) as number;
  const { stream_ids } = writer.call({
    call: 'startEpisode',
    session_id: sessionId,
    task: '',
    started_at_unix_ms: 0,
    start_ns: 0n,
    target_fps_hz: 1000,
    max_duration_s: null,
    streams,
  }) as { stream_ids: Record<string, number> };
  const ids = Object.values(stream_ids);
  const started = performance.now();
  let t = 0n;
  for (let done = 0; done < total;) {
    const ops = [];
    for (let k = 0; k < 5000; k += ids.length) {
      t += 1_000_000n;
      for (const id of ids) ops.push({ op: 'sample' as const, stream_id: id, t_ns: t, value });
    }
    writer.apply(ops);
    done += ops.length;
  }
  const seconds = (performance.now() - started) / 1000;
  store.close();
  rmSync(dataDir, { recursive: true, force: true });
  return total / seconds;
}

async function main(): Promise<void> {
  const recorderRate = await throughRecorder();
  const writerRate = storeWriterOnly();
  process.stdout.write(
    `${JSON.stringify({ bench: 'recording.insert_rate', samples: total, samples_per_s_recorder_to_disk: Math.round(recorderRate), samples_per_s_store_writer: Math.round(writerRate) })}\n`,
  );
}

void main();
