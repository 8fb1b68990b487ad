import type Database from 'better-sqlite3';
import { StudioError } from '../../shared/api/errors';
import { cameraGeometry } from '../export/episodeFrames';
import { EpisodeReader } from '../export/episodeSource';
import { decodeFrames } from '../export/ffmpeg';
import { decodeGray16Png } from '../export/pngDecode';
import { STREAMS } from '../recording/streamNames';
import type { Observation, ObservedFrame } from './observation';

/**
 * Observations read back from a recorded episode, as the rig delivered them live: each camera's colour
 * and depth at or before an instant (with its calibration from the stream's metadata), the arm's pose and
 * the gripper's width; and the actions recorded over a window, summed onto the pack's control steps
 * (the export's rule). For comparing foresight with what really happened.
 */
const GRACE_NS = 250_000_000n;

export class RecordedObservations {
  private readonly reader: EpisodeReader;

  constructor(db: Database.Database) {
    this.reader = new EpisodeReader(db);
  }

  async at(episodeId: number, cameras: readonly string[], t_ns: bigint): Promise<Observation> {
    const streams = this.reader.streamsOf(episodeId);
    // A state captured a moment before the take's first sample (a decision made as the take began) reads
    // the take's first samples; anything earlier is not in this recording.
    const firsts = [
      STREAMS.armEePose,
      STREAMS.actionRequested,
      ...cameras.flatMap((c) => [STREAMS.cameraColor(c), STREAMS.cameraDepth(c)]),
    ].map((name) => streams.get(name)?.first_t_ns ?? null);
    const first = firsts.reduce<bigint>((max, t) => (t !== null && t > max ? t : max), 0n);
    if (t_ns < first) {
      if (first - t_ns > GRACE_NS)
        throw new StudioError({
          code: 'failed_precondition',
          message: `episode ${episodeId} starts ${(Number(first - t_ns) / 1e9).toFixed(2)} s after the instant asked for: it was not recording then`,
        });
      t_ns = first;
    }
    const frames: ObservedFrame[] = [];
    for (const camera of cameras) {
      const color = this.reader.requireStream(episodeId, streams, STREAMS.cameraColor(camera));
      const depth = this.reader.requireStream(episodeId, streams, STREAMS.cameraDepth(camera));
      const geometry = cameraGeometry(color);
      const colorAt = this.reader.imageIndexAt(color, [t_ns]);
      const depthAt = this.reader.imageIndexAt(depth, [t_ns]);
      const rgb = await decodeFrames(this.reader.framesOnGrid(color, colorAt.pick, colorAt.times), {
        codec: geometry.encoding,
        pix_fmt: 'rgb24',
      });
      let depth_mm: Uint16Array | undefined;
      for await (const png of this.reader.framesOnGrid(depth, depthAt.pick, depthAt.times)) depth_mm = decodeGray16Png(png).data;
      if (depth_mm === undefined)
        throw new StudioError({ code: 'not_found', message: `episode ${episodeId} has no depth of camera "${camera}" at ${t_ns} ns` });
      const meta = (color.meta ?? {}) as { intrinsics?: ObservedFrame['intrinsics']; world_from_camera?: unknown };
      const columns = poseColumns(meta.world_from_camera);
      frames.push({
        camera,
        width_px: geometry.width,
        height_px: geometry.height,
        rgb: new Uint8Array(rgb.buffer, rgb.byteOffset, rgb.byteLength),
        depth_mm,
        ...(meta.intrinsics !== undefined ? { intrinsics: meta.intrinsics } : {}),
        ...(columns !== undefined ? { world_from_camera: columns } : {}),
      });
    }
    const pose = this.reader.lowdimAt(this.reader.requireStream(episodeId, streams, STREAMS.armEePose), [t_ns]).values;
    const widthStream = streams.get(STREAMS.gripperWidth);
    const width = widthStream === undefined ? 0 : (this.reader.lowdimAt(widthStream, [t_ns]).values[0] ?? 0);
    return { t_ns, frames, proprio: [...Array.from(pose.subarray(0, 7)), width] };
  }

  /** The actions recorded on `steps` control steps from `t0_ns` (step_ns apart), Δ summed per step: steps·A. */
  actions(episodeId: number, t0_ns: bigint, steps: number, step_ns: bigint): Float32Array {
    const streams = this.reader.streamsOf(episodeId);
    const stream = this.reader.requireStream(episodeId, streams, STREAMS.actionRequested);
    this.reader.requireCartesianActions(episodeId, STREAMS.actionRequested);
    const instants = Array.from({ length: steps }, (_, i) => t0_ns + BigInt(i) * step_ns);
    return Float32Array.from(this.reader.actionsOnSteps(episodeId, stream, instants, step_ns).values);
  }
}

/** A recorded camera pose (the studio's column-major Mat4, or {translation_m, rotation_wxyz}) as 16 column-major numbers. */
function poseColumns(value: unknown): number[] | undefined {
  if (Array.isArray(value) && value.length === 16 && value.every((v) => typeof v === 'number')) return value as number[];
  const pose = value as { translation_m?: number[]; rotation_wxyz?: number[] } | null | undefined;
  if (pose === null || pose === undefined || !Array.isArray(pose.translation_m) || !Array.isArray(pose.rotation_wxyz)) return undefined;
  const [w = 1, x = 0, y = 0, z = 0] = pose.rotation_wxyz;
  const [tx = 0, ty = 0, tz = 0] = pose.translation_m;
  const rows = [
    [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w), tx],
    [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w), ty],
    [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y), tz],
    [0, 0, 0, 1],
  ];
  const out: number[] = [];
  for (let c = 0; c < 4; c++) for (let r = 0; r < 4; r++) out.push(rows[r]![c]!);
  return out;
}
