import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StudioError } from '../../shared/api/errors';
import { STREAMS } from '../recording/streamNames';
import type { StreamRow } from '../store/episodeStore';
import { gridTime, type EpisodeReader } from './episodeSource';
import { cameraGeometry, EE_POSE_FEATURE_NAMES, namesOf } from './episodeFrames';
import { decodeFrames, throwIfAborted } from './ffmpeg';
import { actionsDeclaration, expertLabels, targetOf } from './gwmLabels';
import { decodeGray16Png } from './pngDecode';
import type { DatasetSplit, EpisodeInput, ExportOptions, FormatWriter, PlannedEpisode, StreamPlan } from './types';

/**
 * Gaussian-world-model sequences (docs/formats/gwm-sequences.md): per episode, frames at every
 * action-chunk boundary and at `frame_hz`, RGB-D of the fixed cameras with intrinsics and
 * world_from_camera, actions in chunks of L at `control_hz`, the outcome, and privileged sim streams
 * when recorded. Arrays are raw little-endian `.bin` files described by `index.json`
 * (`numpy.fromfile(path, dtype).reshape(shape)`).
 */

export const GWM_FORMAT = 'foresight-gwm-sequences';
/** 2: one action meaning declared, expert labels (phase, exploration, target pose), camera roles, episode policy and target. */
export const GWM_VERSION = 2;

/** gwm-lite §6.1: the world model steps in chunks of actions at 10 Hz. */
export const GWM_DEFAULT_CONTROL_HZ = 10;

export interface GwmArray {
  file: string;
  dtype: '<f4' | '<f8' | '<i4' | '<i8' | '<u2' | '|u1';
  shape: number[];
}

export interface GwmCamera {
  width: number;
  height: number;
  intrinsics: { fx_px: number; fy_px: number; cx_px: number; cy_px: number };
  /** 4×4, row-major nested lists (numpy: `np.array(m)`), OpenCV camera (+z forward, +y down); null for moving cameras. */
  world_from_camera: number[][] | null;
  depth: boolean;
  /** `seg_<camera>`: the simulator's geom id + 1 per pixel, 0 = background (see `segmentation_legend`). */
  segmentation: boolean;
  /**
   * How `rgb_<camera>` values relate to light: `linear` (the simulator shades linearly, value/255 is
   * linear RGB) or `srgb` (real cameras: decode the sRGB curve before treating colour as linear).
   */
  color_space: 'linear' | 'srgb';
  moving: boolean;
  /** `train`, or `eval`: a view held out for evaluation (e.g. novel-view tests) that trainers must not learn from. */
  role: 'train' | 'eval';
}

export interface GwmEpisode {
  index: number;
  dir: string;
  studio_episode_id: number;
  task: string;
  outcome: 'success' | 'failure' | 'unknown';
  success: boolean | null;
  split: DatasetSplit;
  /** The episode's tags and operator as recorded (e.g. the policy variant that produced it). */
  tags: string[];
  operator: string;
  num_frames: number;
  num_chunks: number;
  duration_s: number;
  /** The scripted policy's settings as recorded (the policy variant), or null (teleoperation, other policies). */
  policy: Record<string, unknown> | null;
  /** The place target region (simulation): centre and orientation in the base frame, half extent in x and y. */
  target: { position_m: number[]; quaternion_wxyz: number[]; half_extent_m: number | null } | null;
  arrays: Record<string, GwmArray>;
}

/** What `actions` hold (index.json `actions`). */
export interface GwmActions {
  source: string;
  frame: 'base';
  layout: string;
  recorded_hz: number | null;
  /**
   * `delta_from_measured`: every step is the motion asked of it from the TCP pose measured at its start
   * (declared by the recording); null when the recording did not declare one meaning.
   */
  semantics: 'delta_from_measured' | null;
  /** Per-step bounds declared with the recording (the rig's speed limits × the control period), or null. */
  max_translation_m: number | null;
  max_rotation_rad: number | null;
}

export interface GwmIndex {
  format: typeof GWM_FORMAT;
  version: number;
  control_hz: number;
  chunk_length: number;
  frame_hz: number;
  depth_unit: 'mm';
  action_names: string[];
  actions: GwmActions;
  /** `phase` legend: value i is `phase_names[i]` (−1: no phase); null when no scripted policy was recorded. */
  phase_names: string[] | null;
  state_names: string[];
  ee_pose_names: string[] | null;
  cameras: Record<string, GwmCamera>;
  privileged: string[];
  /** Body names by body id: the rows of `priv_body_poses` (simulated recordings). */
  bodies: string[] | null;
  /** Segmentation id − 1 = geom id → its body, for ground-truth scene flow (simulated recordings). */
  segmentation_legend: { id: number; geom: string; body_id: number; body: string }[] | null;
  episodes: GwmEpisode[];
}

const DTYPE_BYTES: Record<GwmArray['dtype'], number> = { '<f4': 4, '<f8': 8, '<i4': 4, '<i8': 8, '<u2': 2, '|u1': 1 };
export const dtypeBytes = (dtype: GwmArray['dtype']): number => DTYPE_BYTES[dtype];

/** Column-major 16 numbers, or {translation_m, rotation_wxyz}, → row-major 4×4. */
export function poseRows(value: unknown): number[][] | null {
  if (Array.isArray(value) && value.length === 16 && value.every((v) => typeof v === 'number')) {
    const m = value as number[];
    return [0, 1, 2, 3].map((r) => [0, 1, 2, 3].map((c) => m[c * 4 + r]!));
  }
  const pose = value as { translation_m?: number[]; rotation_wxyz?: number[] } | null;
  if (pose !== null && typeof pose === 'object' && Array.isArray(pose.translation_m) && Array.isArray(pose.rotation_wxyz)) {
    const [w, x, y, z] = pose.rotation_wxyz as [number, number, number, number];
    const [tx, ty, tz] = pose.translation_m as [number, number, number];
    return [
      [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w), tx],
      [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w), ty],
      [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y), tz],
      [0, 0, 0, 1],
    ];
  }
  return null;
}

/** Frame instants (s from the episode start): the `frame_hz` grid and every chunk boundary, merged. */
export function gwmFrameTimes(
  duration_s: number,
  control_hz: number,
  chunk_length: number,
  frame_hz: number,
): { times_ns: bigint[]; boundary: number[]; chunks: number } {
  const chunk_s = chunk_length / control_hz;
  const chunks = Math.floor(duration_s / chunk_s + 1e-9);
  const set = new Map<bigint, number>();
  for (let j = 0; j / frame_hz <= duration_s + 1e-9; j++) set.set(BigInt(Math.round((j / frame_hz) * 1e9)), -1);
  for (let k = 0; k <= chunks; k++) set.set(BigInt(Math.round(k * chunk_s * 1e9)), k);
  const times_ns = [...set.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return { times_ns, boundary: times_ns.map((t) => set.get(t)!), chunks };
}

export class GwmWriter implements FormatWriter {
  bytes = 0;
  private readonly controlHz: number;
  private readonly chunkLength: number;
  private readonly frameHz: number;
  private readonly episodes: GwmEpisode[] = [];
  private cameras: Record<string, GwmCamera> | null = null;
  private cameraNames: string[] = [];
  private privileged: string[] = [];
  private bodies: string[] | null = null;
  private actionHz: number | null = null;
  private actionMeta: Record<string, unknown> | null = null;
  private phaseNames: string[] | null = null;
  private legend: GwmIndex['segmentation_legend'] = null;
  private actionNames: string[] = [];
  private stateNames: string[] = [];

  constructor(
    private readonly root: string,
    private readonly reader: EpisodeReader,
    private readonly plan: StreamPlan,
    private readonly options: ExportOptions & { fps: number },
    private readonly planned: readonly PlannedEpisode[],
  ) {
    this.controlHz = options.gwm?.control_hz ?? GWM_DEFAULT_CONTROL_HZ;
    this.chunkLength = options.gwm?.chunk_length ?? 8;
    this.frameHz = options.gwm?.frame_hz ?? 5;
  }

  private defineCameras(streams: Map<string, StreamRow>): void {
    const includeMoving = this.options.gwm?.include_moving_cameras === true;
    const cameras: Record<string, GwmCamera> = {};
    for (const camera of this.plan.cameras) {
      const color = streams.get(STREAMS.cameraColor(camera))!;
      const g = cameraGeometry(color);
      const meta = color.meta ?? {};
      const intr = meta.intrinsics as GwmCamera['intrinsics'] | undefined;
      if (intr === undefined || typeof intr.fx_px !== 'number') {
        throw new StudioError({
          code: 'failed_precondition',
          message: `camera stream "${color.name}" has no intrinsics in its metadata; the world-model export needs them`,
          fix: 'Record with a camera that declares intrinsics (meta.intrinsics = {fx_px, fy_px, cx_px, cy_px}), or leave the camera out with --cameras.',
        });
      }
      const moving = (streams.get(STREAMS.cameraPose(camera))?.sample_count ?? 0) > 0;
      const pose = poseRows(meta.world_from_camera);
      if (!moving && pose === null) {
        if (this.options.cameras !== undefined)
          throw new StudioError({
            code: 'failed_precondition',
            message: `camera "${camera}" has neither a fixed world_from_camera nor a pose stream`,
            fix: 'Leave it out with --cameras.',
          });
        continue; // e.g. a wrist camera without recorded poses: not usable for lifting.
      }
      if (moving && !includeMoving) continue;
      const depth = (streams.get(STREAMS.cameraDepth(camera))?.sample_count ?? 0) > 0;
      const segmentation = (streams.get(STREAMS.cameraSegmentation(camera))?.sample_count ?? 0) > 0;
      const role = meta.role === 'eval' ? 'eval' : 'train';
      cameras[camera] = {
        width: g.width,
        height: g.height,
        intrinsics: { fx_px: intr.fx_px, fy_px: intr.fy_px, cx_px: intr.cx_px, cy_px: intr.cy_px },
        world_from_camera: moving ? null : pose,
        depth,
        segmentation,
        color_space: meta.type === 'sim-camera' ? 'linear' : 'srgb',
        moving,
        role,
      };
    }
    if (Object.keys(cameras).length === 0)
      throw new StudioError({
        code: 'failed_precondition',
        message: 'no fixed camera with intrinsics and world_from_camera to export',
        fix: 'Record fixed RGB-D cameras (front, side) with calibration metadata.',
      });
    this.cameras = cameras;
    this.cameraNames = Object.keys(cameras);
    this.privileged = [...streams.values()]
      .filter((s) => s.name.startsWith('sim.') && s.kind === 'lowdim' && s.sample_count > 0)
      .map((s) => s.name);
    const bodyMeta = streams.get(STREAMS.simBodyPoses)?.meta;
    if (Array.isArray(bodyMeta?.bodies)) this.bodies = bodyMeta.bodies as string[];
    if (Array.isArray(bodyMeta?.segmentation_legend))
      this.legend = bodyMeta.segmentation_legend as NonNullable<GwmIndex['segmentation_legend']>;
    const phases = streams.get(STREAMS.expertPhase)?.meta?.phases;
    if (Array.isArray(phases) && phases.every((p) => typeof p === 'string')) this.phaseNames = phases as string[];
  }

  async addEpisode(input: EpisodeInput, signal: AbortSignal | undefined, onFrames: (frames: number) => void): Promise<void> {
    const streams = this.reader.streamsOf(input.summary.id);
    if (this.cameras === null) this.defineCameras(streams);
    const dirName = `episodes/${String(input.index).padStart(6, '0')}`;
    const dir = join(this.root, dirName);
    mkdirSync(dir, { recursive: true });
    const arrays: Record<string, GwmArray> = {};
    const put = (name: string, dtype: GwmArray['dtype'], shape: number[], data: ArrayBufferView) => {
      const expected = shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[dtype];
      if (data.byteLength !== expected)
        throw new StudioError({ code: 'internal', message: `GWM array ${name} has ${data.byteLength} bytes, expected ${expected}` });
      const file = `${dirName}/${name}.bin`;
      writeFileSync(join(this.root, file), new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      this.bytes += data.byteLength;
      arrays[name] = { file, dtype, shape };
    };

    const duration_s = (input.grid.length - 1) / input.grid.fps;
    const { times_ns, boundary, chunks } = gwmFrameTimes(duration_s, this.controlHz, this.chunkLength, this.frameHz);
    const t0 = input.grid.t0_ns;
    const instants = times_ns.map((t) => t0 + t);
    const T = instants.length;
    put(
      'frame_t_s',
      '<f8',
      [T],
      Float64Array.from(times_ns, (t) => Number(t) / 1e9),
    );
    put('frame_chunk', '<i4', [T], Int32Array.from(boundary));
    put(
      'chunk_frame',
      '<i4',
      [chunks + 1],
      Int32Array.from({ length: chunks + 1 }, (_, k) => boundary.indexOf(k)),
    );

    // Robot state at the frames.
    const state = this.plan.state.map((name) => this.reader.lowdimAt(this.reader.requireStream(input.summary.id, streams, name), instants));
    const stateDim = state.reduce((n, s) => n + s.dim, 0);
    const stateValues = new Float32Array(T * stateDim);
    for (let k = 0; k < T; k++) {
      let o = k * stateDim;
      for (const s of state) for (let d = 0; d < s.dim; d++) stateValues[o++] = s.values[k * s.dim + d]!;
    }
    if (this.stateNames.length === 0)
      this.stateNames = this.plan.state.flatMap((name) =>
        name === STREAMS.gripperWidth ? ['gripper_width_m'] : namesOf(streams.get(name)!, []),
      );
    put('state', '<f4', [T, stateDim], stateValues);
    if (this.plan.eePose !== null)
      put('ee_pose', '<f4', [T, 7], Float32Array.from(this.reader.lowdimAt(streams.get(this.plan.eePose)!, instants).values));

    // Actions in chunks at control_hz: chunk k holds the commands at (k·L + i) / control_hz.
    const actionStream = this.reader.requireStream(input.summary.id, streams, this.plan.action);
    if (this.actionNames.length === 0) this.actionNames = namesOf(actionStream, []);
    this.actionHz ??= actionStream.nominal_rate_hz;
    this.actionMeta ??= actionStream.meta ?? {};
    const A = this.actionNames.length;
    if (chunks > 0) {
      const actionInstants = Array.from(
        { length: chunks * this.chunkLength },
        (_, i) => t0 + BigInt(Math.round((i / this.controlHz) * 1e9)),
      );
      // Each action is the motion of every recorded cycle in its control step (recorded faster: summed).
      const actions = this.reader.actionsOnSteps(input.summary.id, actionStream, actionInstants, BigInt(Math.round(1e9 / this.controlHz)));
      put('actions', '<f4', [chunks, this.chunkLength, A], Float32Array.from(actions.values));
      put(
        'action_t_s',
        '<f8',
        [chunks, this.chunkLength],
        Float64Array.from(actionInstants, (t) => Number(t - t0) / 1e9),
      );
    } else {
      put('actions', '<f4', [0, this.chunkLength, A], new Float32Array(0));
      put('action_t_s', '<f8', [0, this.chunkLength], new Float64Array(0));
    }
    const labels = expertLabels(this.reader, streams, instants, t0, chunks, this.chunkLength, this.controlHz);
    for (const label of labels) put(label.name, label.dtype, label.shape, label.data);

    // Cameras: RGB and depth at the frames, with the real capture times.
    for (const camera of this.cameraNames) {
      throwIfAborted(signal);
      const spec = this.cameras![camera]!;
      const color = this.reader.requireStream(input.summary.id, streams, STREAMS.cameraColor(camera));
      const pick = this.reader.imageIndexAt(color, instants);
      const rgb = await decodeFrames(this.reader.framesOnGrid(color, pick.pick, pick.times), {
        codec: cameraGeometry(color).encoding,
        pix_fmt: 'rgb24',
        ...(signal !== undefined ? { signal } : {}),
      });
      put(`rgb_${camera}`, '|u1', [T, spec.height, spec.width, 3], rgb);
      put(`capture_ns_${camera}`, '<i8', [T], pick.capture_ns);
      if (spec.depth) {
        const depthStream = this.reader.requireStream(input.summary.id, streams, STREAMS.cameraDepth(camera));
        put(`depth_${camera}`, '<u2', [T, spec.height, spec.width], await this.gray16At(depthStream, instants, camera, spec, 'depth'));
      }
      if (spec.segmentation) {
        const segStream = this.reader.requireStream(input.summary.id, streams, STREAMS.cameraSegmentation(camera));
        put(`seg_${camera}`, '<u2', [T, spec.height, spec.width], await this.gray16At(segStream, instants, camera, spec, 'segmentation'));
      }
      if (spec.moving) {
        const poses = this.reader.lowdimAt(this.reader.requireStream(input.summary.id, streams, STREAMS.cameraPose(camera)), instants);
        const rows = new Float32Array(T * 16);
        for (let f = 0; f < T; f++) {
          const m = poseRows(Array.from(poses.values.subarray(f * 16, f * 16 + 16)))!;
          rows.set(m.flat(), f * 16);
        }
        put(`world_from_camera_${camera}`, '<f4', [T, 4, 4], rows);
      }
    }

    // Privileged simulator streams at the frames.
    for (const name of this.privileged) {
      const stream = streams.get(name);
      if (stream === undefined || stream.sample_count === 0) continue;
      const values = this.reader.lowdimAt(stream, instants);
      put(`priv_${name.slice(4).replace(/[^a-zA-Z0-9_]/g, '_')}`, '<f4', [T, ...stream.shape], Float32Array.from(values.values));
    }

    const planned = this.planned[input.index]!;
    const policy = streams.get(STREAMS.expertPhase)?.meta?.policy;
    const target = streams.get(STREAMS.simTargetPose);
    const last = this.privileged.includes(STREAMS.simSuccess)
      ? this.reader.lowdimAt(streams.get(STREAMS.simSuccess)!, [gridTime(input.grid, input.grid.length - 1)]).values[0]
      : undefined;
    this.episodes.push({
      index: input.index,
      dir: dirName,
      studio_episode_id: input.summary.id,
      task: input.summary.task,
      outcome: input.summary.outcome,
      success: input.summary.outcome === 'unknown' ? (last === undefined ? null : last > 0.5) : input.summary.outcome === 'success',
      split: planned.split,
      tags: planned.tags,
      operator: planned.operator,
      num_frames: T,
      num_chunks: chunks,
      duration_s,
      policy: policy !== null && typeof policy === 'object' ? (policy as Record<string, unknown>) : null,
      target: target === undefined || target.sample_count === 0 ? null : targetOf(this.reader, target, instants[0]!),
      arrays,
    });
    onFrames(input.grid.length);
  }

  /** A 16-bit PNG stream (depth, segmentation) at the frame instants, checked to be registered to colour. */
  private async gray16At(
    stream: StreamRow,
    instants: readonly bigint[],
    camera: string,
    spec: GwmCamera,
    what: string,
  ): Promise<Uint16Array> {
    const at = this.reader.imageIndexAt(stream, instants);
    const out = new Uint16Array(instants.length * spec.width * spec.height);
    let k = 0;
    for await (const png of this.reader.framesOnGrid(stream, at.pick, at.times)) {
      const decoded = decodeGray16Png(png);
      if (decoded.width !== spec.width || decoded.height !== spec.height)
        throw new StudioError({
          code: 'failed_precondition',
          message: `${what} of camera "${camera}" is ${decoded.width}×${decoded.height}, colour is ${spec.width}×${spec.height}`,
          fix: `Export cameras whose ${what} is registered to colour.`,
        });
      out.set(decoded.data, k * decoded.data.length);
      k++;
    }
    return out;
  }

  async finish(): Promise<void> {
    const index: GwmIndex = {
      format: GWM_FORMAT,
      version: GWM_VERSION,
      control_hz: this.controlHz,
      chunk_length: this.chunkLength,
      frame_hz: this.frameHz,
      depth_unit: 'mm',
      action_names: this.actionNames,
      actions: actionsDeclaration(this.plan.action, this.actionHz, this.controlHz, this.actionMeta ?? {}),
      phase_names: this.phaseNames,
      state_names: this.stateNames,
      ee_pose_names: this.plan.eePose === null ? null : EE_POSE_FEATURE_NAMES,
      cameras: this.cameras ?? {},
      privileged: this.privileged,
      bodies: this.bodies,
      segmentation_legend: this.legend,
      episodes: this.episodes,
    };
    const text = `${JSON.stringify(index, null, 1)}\n`;
    writeFileSync(join(this.root, 'index.json'), text);
    this.bytes += text.length;
  }

  abort(): void {}
}
