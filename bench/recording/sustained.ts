/**
 * Sustained recording: three 640×480 colour cameras at 30 fps (MJPEG, as UVC cameras deliver it, so
 * it is stored as captured), one 640×480 16-bit depth stream at 30 fps (encoded to PNG on the fly),
 * and robot state + commanded + executed actions at 100 Hz, through the real recorder and the
 * writer thread, for --duration-s seconds (default 300).
 *
 * Prints one JSON object: dropped frames, capture → durable latency p50/p99, CPU cores used,
 * bytes/s written. Run after `npm run build` (it uses the built writer thread):
 *   npx tsx bench/recording/sustained.ts [--duration-s 300]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Recorder } from '../../main/recording/recorder';
import { OrderedEncoder } from '../../main/recording/orderedEncoder';
import { encodePng } from '../../main/recording/png';
import { float64Bytes, type StreamDef } from '../../main/recording/streamDef';
import { WorkerWriterClient } from '../../main/recording/writerClient';
import { systemClock } from '../../main/devices/types';

const { values } = parseArgs({ options: { 'duration-s': { type: 'string', default: '300' }, keep: { type: 'boolean', default: false } } });
const durationS = Number(values['duration-s']);
const WIDTH = 640;
const HEIGHT = 480;

/** Real JPEG frames from ffmpeg's test source: realistic sizes and entropy. */
function jpegPool(count: number): Uint8Array[] {
  const bytes = execFileSync(
    'ffmpeg',
    [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      `testsrc2=size=${WIDTH}x${HEIGHT}:rate=30`,
      '-frames:v',
      String(count),
      '-c:v',
      'mjpeg',
      '-q:v',
      '4',
      '-f',
      'image2pipe',
      '-',
    ],
    { maxBuffer: 256 * 1024 * 1024 },
  );
  const frames: Uint8Array[] = [];
  let start = 0;
  for (let i = 2; i < bytes.length - 1; i++) {
    if (bytes[i] === 0xff && bytes[i + 1] === 0xd8 && bytes[i - 1] === 0xd9 && bytes[i - 2] === 0xff) {
      frames.push(new Uint8Array(bytes.subarray(start, i)));
      start = i;
    }
  }
  frames.push(new Uint8Array(bytes.subarray(start)));
  return frames;
}

/** A depth image of a table with a moving box, with sensor-like noise. */
function depthFrame(frame: number): Uint16Array {
  const out = new Uint16Array(WIDTH * HEIGHT);
  const boxX = 200 + Math.round(120 * Math.sin(frame / 30));
  let seed = frame * 2654435761;
  for (let y = 0; y < HEIGHT; y++) {
    for (let x = 0; x < WIDTH; x++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      const table = 900 + y * 0.8;
      const inBox = x > boxX && x < boxX + 120 && y > 180 && y < 300;
      out[y * WIDTH + x] = Math.round((inBox ? table - 80 : table) + ((seed >>> 16) % 5) - 2);
    }
  }
  return out;
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'studio-bench-rec-'));
  const writer = new WorkerWriterClient({ path: resolve('out/main/recordingWriter.js'), execArgv: [] }, { dataDir, appVersion: 'bench' });
  const recorder = new Recorder({ writer, clock: systemClock });
  const cameras = ['front', 'side', 'wrist'];
  const streams: StreamDef[] = [
    ...cameras.map((name): StreamDef => ({
      name: `observation.images.${name}`,
      kind: 'image',
      dtype: 'uint8',
      shape: [HEIGHT, WIDTH, 3],
      encoding: 'jpeg',
      nominal_rate_hz: 30,
    })),
    {
      name: 'observation.depth.front',
      kind: 'image',
      dtype: 'uint16',
      shape: [HEIGHT, WIDTH],
      encoding: 'png16',
      unit: 'mm',
      nominal_rate_hz: 30,
    },
    { name: 'observation.state', kind: 'lowdim', dtype: 'float64', shape: [30], nominal_rate_hz: 100 },
    { name: 'action.commanded', kind: 'lowdim', dtype: 'float64', shape: [7], nominal_rate_hz: 100 },
    { name: 'action.executed', kind: 'lowdim', dtype: 'float64', shape: [7], nominal_rate_hz: 100 },
  ];
  const jpegs = jpegPool(90);
  const depths = Array.from({ length: 60 }, (_, i) => depthFrame(i));
  const latencies: number[] = [];
  const commitMs: number[] = [];
  recorder.onCommit((info, committedAt) => {
    if (info.oldest_capture_ns !== null) latencies.push(Number(committedAt - info.oldest_capture_ns) / 1e6);
    commitMs.push(info.duration_ms);
  });
  // Separates the two causes of latency: a busy main thread (sources and recorder) or a slow commit.
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();

  await recorder.startSession({ operator: 'bench', rig_name: 'synthetic', rig_config_json: '{}', app_version: 'bench' });
  await recorder.startEpisode({ task: 'bench', target_fps_hz: 30, streams });
  const cpuStart = process.cpuUsage();
  const wallStart = systemClock.now_ns();
  const endAt = wallStart + BigInt(Math.round(durationS * 1e9));
  const depthEncoder = new OrderedEncoder<Uint8Array>(
    (t, png) => recorder.record('observation.depth.front', t, png),
    (_t, error) => {
      throw error;
    },
  );

  /**
   * A device on a fixed grid: every slot's sample is delivered with its slot time as capture time,
   * as a camera or robot driver queue would deliver them when the process is briefly busy. Any gap
   * the recorder sees is therefore the recorder's own loss.
   */
  const every = (hz: number, produce: (index: number, t: bigint) => void) =>
    new Promise<void>((done) => {
      const period = BigInt(Math.round(1e9 / hz));
      let next = systemClock.now_ns();
      let index = 0;
      const fire = () => {
        const now = systemClock.now_ns();
        while (next <= now && next < endAt) {
          produce(index++, next);
          next += period;
        }
        if (next >= endAt) return done();
        setTimeout(fire, Math.max(0, Number(next - systemClock.now_ns()) / 1e6));
      };
      fire();
    });

  const tick = setInterval(() => void recorder.tick(), 10);
  await Promise.all([
    ...cameras.map((name, c) => every(30, (i, t) => recorder.record(`observation.images.${name}`, t, jpegs[(i + c * 30) % jpegs.length]!))),
    every(30, (i, t) =>
      depthEncoder.push(t, () => encodePng({ width: WIDTH, height: HEIGHT, kind: 'gray16', data: depths[i % depths.length]! })),
    ),
    every(100, (i, t) => {
      recorder.record('observation.state', t, float64Bytes(Array.from({ length: 30 }, (_, k) => Math.sin(i / 100 + k))));
      recorder.record('action.commanded', t, float64Bytes(Array.from({ length: 7 }, (_, k) => Math.cos(i / 100 + k))));
      recorder.record('action.executed', t, float64Bytes(Array.from({ length: 7 }, (_, k) => Math.cos(i / 100 + k) * 0.99)));
    }),
  ]);
  await depthEncoder.idle();
  clearInterval(tick);
  await recorder.sync();
  const wallS = Number(systemClock.now_ns() - wallStart) / 1e9;
  const cpu = process.cpuUsage(cpuStart);
  const status = recorder.status();
  await recorder.saveEpisode();
  await writer.close();
  const dbBytes = ['studio.db', 'studio.db-wal'].reduce(
    (n, f) => n + (statSync(join(dataDir, f), { throwIfNoEntry: false })?.size ?? 0),
    0,
  );
  latencies.sort((a, b) => a - b);
  commitMs.sort((a, b) => a - b);
  loopDelay.disable();
  const frames = Object.fromEntries(Object.entries(status.streams).map(([name, s]) => [name, s.samples]));
  const result = {
    bench: 'recording.sustained',
    duration_s: Number(wallS.toFixed(1)),
    dropped_frames: Object.values(status.streams).reduce((n, s) => n + s.dropped, 0),
    dropped_per_stream: Object.fromEntries(Object.entries(status.streams).map(([name, s]) => [name, s.dropped])),
    late_samples: Object.values(status.streams).reduce((n, s) => n + s.late, 0),
    samples_per_stream: frames,
    durable_latency_ms_p50: Number(percentile(latencies, 0.5).toFixed(1)),
    durable_latency_ms_p99: Number(percentile(latencies, 0.99).toFixed(1)),
    durable_latency_ms_max: Number((latencies.at(-1) ?? Number.NaN).toFixed(1)),
    commit_ms_p50: Number(percentile(commitMs, 0.5).toFixed(1)),
    commit_ms_p99: Number(percentile(commitMs, 0.99).toFixed(1)),
    commit_ms_max: Number((commitMs.at(-1) ?? Number.NaN).toFixed(1)),
    main_thread_lag_ms_p99: Number((loopDelay.percentile(99) / 1e6).toFixed(1)),
    main_thread_lag_ms_max: Number((loopDelay.max / 1e6).toFixed(1)),
    load_average_1m: Number(loadavg()[0]!.toFixed(2)),
    cpu_cores_used: Number(((cpu.user + cpu.system) / 1e6 / wallS).toFixed(2)),
    bytes_per_s_written: Math.round(dbBytes / wallS),
    database_bytes: dbBytes,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  if (values.keep !== true) rmSync(dataDir, { recursive: true, force: true });
}

void main();
