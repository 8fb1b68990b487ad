import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { encodePng } from '../../main/recording/png';
import { Recorder } from '../../main/recording/recorder';
import { armStreams, STREAMS } from '../../main/recording/streamNames';
import { float64Bytes, type StreamDef } from '../../main/recording/streamDef';
import { InlineWriterClient } from '../../main/recording/writerClient';
import { ManualClock } from './manualClock';

/**
 * Records realistic episodes through the real Recorder and store writer: arm streams at `arm_hz`
 * with jittered capture times, cameras at `camera_hz` with real JPEG frames (ffmpeg testsrc2) and
 * 16-bit PNG depth, optional privileged sim streams; outcomes, tasks, operators and tags.
 */

export interface FixtureEpisode {
  task: string;
  outcome?: 'success' | 'failure' | 'unknown';
  duration_s: number;
  operator?: string;
  tags?: string[];
  /** Leave this many camera frames out in the middle (a real drop). */
  drop_camera_frames?: number;
}

export interface FixtureOptions {
  episodes: FixtureEpisode[];
  cameras?: string[];
  width?: number;
  height?: number;
  arm_hz?: number;
  camera_hz?: number;
  target_fps?: number;
  depth?: boolean;
  privileged?: boolean;
  jpegFrames: Uint8Array[];
}

export interface RecordedFixture {
  dataDir: string;
  ids: number[];
}

/** Distinct small JPEGs from ffmpeg's testsrc2 (one ffmpeg run; call once per test file). */
export function makeJpegFrames(count: number, width = 96, height = 72): Uint8Array[] {
  const dir = mkdtempSync(join(tmpdir(), 'studio-jpeg-'));
  try {
    execFileSync('ffmpeg', [
      '-hide_banner',
      '-loglevel',
      'error',
      '-f',
      'lavfi',
      '-i',
      `testsrc2=size=${width}x${height}:rate=10`,
      '-frames:v',
      String(count),
      '-q:v',
      '3',
      join(dir, 'f-%04d.jpg'),
    ]);
    return readdirSync(dir)
      .sort()
      .map((name) => new Uint8Array(readFileSync(join(dir, name))));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The arm's joint angles at time t (s) — what tests compare exports against. */
export function jointsAt(t: number): number[] {
  return Array.from({ length: 7 }, (_, j) => 0.3 * Math.sin(0.8 * t + j) + 0.1 * j);
}
export function gripperAt(t: number): number {
  return 0.04 + 0.035 * Math.sin(0.5 * t);
}
export function actionAt(t: number): number[] {
  return [
    0.01 * Math.sin(t),
    0.01 * Math.cos(t),
    0.005 * Math.sin(2 * t),
    0.02 * Math.sin(0.3 * t),
    0,
    -0.01 * Math.cos(t),
    t % 2 < 1 ? 1 : 0,
  ];
}
export function eePoseAt(t: number): number[] {
  const a = 0.2 * Math.sin(0.4 * t);
  return [0.5 + 0.1 * Math.sin(t), 0.05 * Math.cos(t), 0.3, Math.cos(a / 2), 0, 0, Math.sin(a / 2)];
}

/** Column-major world_from_camera looking at the table from +x. */
function lookAt(x: number, y: number, z: number): number[] {
  return [0, -1, 0, 0, -0.6, 0, -0.8, 0, 0.8, 0, -0.6, 0, x, y, z, 1];
}

export async function recordEpisodes(dataDir: string, options: FixtureOptions): Promise<RecordedFixture> {
  const cameras = options.cameras ?? ['front', 'side'];
  const width = options.width ?? 96;
  const height = options.height ?? 72;
  const armHz = options.arm_hz ?? 20;
  const cameraHz = options.camera_hz ?? 10;
  const writer = new InlineWriterClient({ dataDir, appVersion: 'test' });
  const clock = new ManualClock();
  const recorder = new Recorder({ writer, clock, flush_interval_ms: 50 });
  const depthPngs: Uint8Array[] = [];
  if (options.depth === true) {
    for (let f = 0; f < 4; f++) {
      const data = new Uint16Array(width * height);
      for (let y = 0; y < height; y++)
        for (let x = 0; x < width; x++) data[y * width + x] = x === 0 && y === 0 ? 0 : 700 + 4 * y + x + 10 * f;
      depthPngs.push(await encodePng({ width, height, kind: 'gray16', data }));
    }
  }
  const streams: StreamDef[] = [...armStreams(armHz)];
  cameras.forEach((camera, c) => {
    const meta = {
      intrinsics: { fx_px: width * 0.9, fy_px: width * 0.9, cx_px: width / 2, cy_px: height / 2 },
      world_from_camera: lookAt(1.2, -0.3 + 0.6 * c, 0.6),
      width_px: width,
      height_px: height,
    };
    streams.push({
      name: STREAMS.cameraColor(camera),
      kind: 'image',
      dtype: 'uint8',
      shape: [height, width, 3],
      encoding: 'jpeg',
      nominal_rate_hz: cameraHz,
      meta,
    });
    if (options.depth === true)
      streams.push({
        name: STREAMS.cameraDepth(camera),
        kind: 'image',
        dtype: 'uint16',
        shape: [height, width],
        unit: 'mm',
        encoding: 'png16',
        nominal_rate_hz: cameraHz,
        meta,
      });
  });
  if (options.privileged === true) {
    streams.push(
      {
        name: STREAMS.simObjectPoses,
        kind: 'lowdim',
        dtype: 'float64',
        shape: [1, 7],
        names: ['x_m', 'y_m', 'z_m', 'qw', 'qx', 'qy', 'qz'],
        nominal_rate_hz: armHz,
      },
      { name: STREAMS.simContact, kind: 'lowdim', dtype: 'float64', shape: [1], nominal_rate_hz: armHz },
      { name: STREAMS.simSuccess, kind: 'lowdim', dtype: 'float64', shape: [1], nominal_rate_hz: armHz },
    );
  }
  const ids: number[] = [];
  let operator: string | null = null;
  let jitterSeed = 1;
  const jitter = () => {
    jitterSeed = (jitterSeed * 1103515245 + 12345) & 0x7fffffff;
    return (jitterSeed / 0x7fffffff - 0.5) * 3e6; // ±1.5 ms
  };
  for (const episode of options.episodes) {
    if (episode.operator !== operator || operator === null) {
      if (operator !== null) await recorder.endSession();
      operator = episode.operator ?? 'ada';
      await recorder.startSession({ operator, rig_name: 'sim', rig_config_json: '{}', app_version: 'test' });
    }
    const id = await recorder.startEpisode({ task: episode.task, target_fps_hz: options.target_fps ?? 10, streams });
    ids.push(id);
    const start = clock.now_ns();
    // Every sample of the episode with its capture time, in time order.
    const events: { t: bigint; stream: string; value: Uint8Array }[] = [];
    const armPeriod = 1e9 / armHz;
    for (let i = 0; i * armPeriod <= episode.duration_s * 1e9; i++) {
      const t = start + BigInt(Math.round(i * armPeriod + 2e6 + jitter()));
      const ts = Number(t - start) / 1e9;
      events.push({ t, stream: STREAMS.armQ, value: float64Bytes(jointsAt(ts)) });
      events.push({ t: t + 1n, stream: STREAMS.armEePose, value: float64Bytes(eePoseAt(ts)) });
      events.push({ t: t + 2n, stream: STREAMS.gripperWidth, value: float64Bytes([gripperAt(ts)]) });
      events.push({ t: t + 3n, stream: STREAMS.actionExecuted, value: float64Bytes(actionAt(ts)) });
      events.push({ t: t + 4n, stream: STREAMS.actionRequested, value: float64Bytes(actionAt(ts)) });
      if (options.privileged === true) {
        events.push({ t: t + 5n, stream: STREAMS.simObjectPoses, value: float64Bytes([0.5, 0, 0.02 + 0.01 * ts, 1, 0, 0, 0]) });
        events.push({ t: t + 6n, stream: STREAMS.simContact, value: float64Bytes([ts > 1 ? 1 : 0]) });
        events.push({
          t: t + 7n,
          stream: STREAMS.simSuccess,
          value: float64Bytes([episode.outcome === 'success' && ts > episode.duration_s - 0.5 ? 1 : 0]),
        });
      }
    }
    const camPeriod = 1e9 / cameraHz;
    const frames = Math.floor(episode.duration_s * cameraHz) + 1;
    const dropAt = Math.floor(frames / 2);
    cameras.forEach((camera, c) => {
      for (let f = 0; f < frames; f++) {
        if (episode.drop_camera_frames !== undefined && f >= dropAt && f < dropAt + episode.drop_camera_frames) continue;
        const t = start + BigInt(Math.round(f * camPeriod + 5e6 + c * 1e6 + jitter()));
        events.push({ t, stream: STREAMS.cameraColor(camera), value: options.jpegFrames[(f + 3 * c) % options.jpegFrames.length]! });
        if (options.depth === true)
          events.push({ t: t + 1n, stream: STREAMS.cameraDepth(camera), value: depthPngs[f % depthPngs.length]! });
      }
    });
    events.sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : 0));
    for (const event of events) {
      const now = clock.now_ns();
      if (event.t > now) clock.advance_ms(Number(event.t - now) / 1e6);
      recorder.record(event.stream, event.t, event.value);
      await recorder.tick();
    }
    await recorder.saveEpisode(episode.outcome ?? 'unknown');
    clock.advance_ms(500);
  }
  await recorder.endSession();
  await writer.close();
  recorder.dispose();
  const tagged = options.episodes.some((e) => (e.tags?.length ?? 0) > 0);
  if (tagged) {
    const db = new Database(join(dataDir, 'studio.db'));
    const insert = db.prepare('INSERT INTO episode_tags (episode_id, tag) VALUES (?, ?)');
    options.episodes.forEach((e, i) => e.tags?.forEach((tag) => insert.run(ids[i], tag)));
    db.close();
  }
  return { dataDir, ids };
}

/** Episode start (monotonic ns) as stored, for comparing exported capture times. */
export function episodeStartNs(dataDir: string, id: number): bigint {
  const db = new Database(join(dataDir, 'studio.db'), { readonly: true });
  try {
    return (db.prepare('SELECT start_ns FROM episodes WHERE id = ?').safeIntegers(true).get(id) as { start_ns: bigint }).start_ns;
  } finally {
    db.close();
  }
}

/** The recorded action samples of one episode (`action.executed` unless named), in time order. */
export function recordedActions(
  dataDir: string,
  id: number,
  stream: string = STREAMS.actionExecuted,
): { t_ns: bigint; values: number[] }[] {
  const db = new Database(join(dataDir, 'studio.db'), { readonly: true });
  try {
    const rows = db
      .prepare('SELECT t_ns, value FROM samples WHERE stream_id = (SELECT id FROM streams WHERE episode_id = ? AND name = ?) ORDER BY t_ns')
      .safeIntegers(true)
      .all(id, stream) as { t_ns: bigint; value: Buffer }[];
    return rows.map((row) => ({ t_ns: row.t_ns, values: [...new Float64Array(new Uint8Array(row.value).buffer)] }));
  } finally {
    db.close();
  }
}

/** Where an export grid starts: the latest first sample over the streams it needs (EpisodeGrid.t0_ns). */
export function gridStartNs(dataDir: string, id: number, streams: readonly string[]): bigint {
  const db = new Database(join(dataDir, 'studio.db'), { readonly: true });
  try {
    const firsts = streams.map(
      (name) =>
        (
          db.prepare('SELECT first_t_ns FROM streams WHERE episode_id = ? AND name = ?').safeIntegers(true).get(id, name) as {
            first_t_ns: bigint;
          }
        ).first_t_ns,
    );
    return firsts.reduce((a, b) => (b > a ? b : a));
  } finally {
    db.close();
  }
}

type Quat = [number, number, number, number];
const quatOfAxisAngle = ([x, y, z]: number[]): Quat => {
  const angle = Math.hypot(x!, y!, z!);
  if (angle < 1e-15) return [1, 0, 0, 0];
  const s = Math.sin(angle / 2) / angle;
  return [Math.cos(angle / 2), x! * s, y! * s, z! * s];
};
const quatMul = ([aw, ax, ay, az]: Quat, [bw, bx, by, bz]: Quat): Quat => [
  aw * bw - ax * bx - ay * by - az * bz,
  aw * bx + ax * bw + ay * bz - az * by,
  aw * by - ax * bz + ay * bw + az * bx,
  aw * bz + ax * by - ay * bx + az * bw,
];
const axisAngleOfQuat = (q: Quat): number[] => {
  const [w, x, y, z] = q[0] < 0 ? (q.map((v) => -v) as Quat) : q;
  const s = Math.hypot(x, y, z);
  if (s < 1e-15) return [0, 0, 0];
  const angle = 2 * Math.atan2(s, w);
  return [(x / s) * angle, (y / s) * angle, (z / s) * angle];
};

/**
 * What one export step's action must be, written independently of the exporter (quaternions rather
 * than its rotation matrices): the recorded actions with after_ns ≤ t < before_ns, Δxyz summed,
 * rotations composed in order (each pre-multiplied), the gripper intent of the newest action before
 * `before_ns`.
 */
export function expectedStepAction(actions: readonly { t_ns: bigint; values: number[] }[], after_ns: bigint, before_ns: bigint): number[] {
  const inStep = actions.filter((a) => a.t_ns >= after_ns && a.t_ns < before_ns);
  const newest = actions.filter((a) => a.t_ns < before_ns).at(-1);
  if (newest === undefined) throw new Error(`no action before ${before_ns}`);
  let q: Quat = [1, 0, 0, 0];
  const xyz = [0, 0, 0];
  for (const a of inStep) {
    for (let d = 0; d < 3; d++) xyz[d]! += a.values[d]!;
    q = quatMul(quatOfAxisAngle(a.values.slice(3, 6)), q);
  }
  return [...xyz, ...axisAngleOfQuat(q), newest.values[6]!];
}
