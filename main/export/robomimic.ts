import type * as H5 from 'h5wasm';
import { STREAMS } from '../recording/streamNames';
import { StudioError } from '../../shared/api/errors';
import type { EpisodeReader } from './episodeSource';
import { cameraGeometry, readLowdim } from './episodeFrames';
import { decodeFrames, throwIfAborted } from './ffmpeg';
import type { EpisodeInput, ExportOptions, FormatWriter, PlannedEpisode, StreamPlan } from './types';

/**
 * robomimic HDF5 (one file): `data/demo_<i>` with `obs/`, `next_obs/`, `actions` (normalised to
 * [-1, 1]), `rewards`, `dones` and `num_samples`; `data` carries `total` and `env_args`; `mask/`
 * holds the filter keys (`train`, `valid`, `success`, `failure`). Written with h5wasm.
 */

type H5Module = typeof H5;
type H5File = InstanceType<H5Module['File']>;
type H5Group = ReturnType<H5File['create_group']>;

/** Depth observations are metres divided by this, clipped to [0, 1] (robomimic expects [0, 1] floats). */
export const ROBOMIMIC_DEPTH_RANGE_M = 3.0;

export interface ActionNormalization {
  /** raw = normalized * scale + offset, per dimension. */
  scale: number[];
  offset: number[];
}

export function actionNormalization(names: readonly string[], min: readonly number[], max: readonly number[]): ActionNormalization {
  const scale: number[] = [];
  const offset: number[] = [];
  names.forEach((name, d) => {
    const lo = min[d]!,
      hi = max[d]!;
    if (name.includes('gripper') && lo >= 0 && hi <= 1) {
      // Gripper command 0..1 → -1..1 (closed … open), fixed so 0.5 stays 0.
      scale.push(0.5);
      offset.push(0.5);
    } else {
      // Deltas: symmetric, so "no motion" stays exactly 0.
      const s = Math.max(Math.abs(lo), Math.abs(hi));
      scale.push(s > 0 ? s : 1);
      offset.push(0);
    }
  });
  return { scale, offset };
}

export class RobomimicWriter implements FormatWriter {
  bytes = 0;
  private h5: H5Module | null = null;
  private file: H5File | null = null;
  private data: H5Group | null = null;
  private norm: ActionNormalization | null = null;
  private total = 0;
  private readonly demoNames: string[] = [];
  private readonly size: [number, number];

  constructor(
    private readonly path: string,
    private readonly reader: EpisodeReader,
    private readonly plan: StreamPlan,
    private readonly options: ExportOptions & { fps: number },
    private readonly planned: readonly PlannedEpisode[],
  ) {
    this.size = options.image_size ?? [84, 84];
  }

  async prepare(inputs: readonly EpisodeInput[], signal: AbortSignal | undefined): Promise<void> {
    // First pass over the actions only: the normalisation must be known before any demo is written.
    let min: number[] | null = null;
    let max: number[] | null = null;
    let names: string[] = [];
    for (const input of inputs) {
      throwIfAborted(signal);
      const lowdim = readLowdim(this.reader, input.summary.id, this.plan, input.grid);
      const dim = lowdim.actionNames.length;
      names = lowdim.actionNames;
      min ??= Array(dim).fill(Infinity);
      max ??= Array(dim).fill(-Infinity);
      for (let i = 0; i < lowdim.action.length; i++) {
        const d = i % dim;
        min[d] = Math.min(min[d]!, lowdim.action[i]!);
        max[d] = Math.max(max[d]!, lowdim.action[i]!);
      }
    }
    this.norm = actionNormalization(names, min ?? [], max ?? []);
    this.h5 = await import('h5wasm/node');
    await this.h5.ready;
    this.file = new this.h5.File(this.path, 'w');
    this.data = this.file.create_group('data');
  }

  async addEpisode(input: EpisodeInput, signal: AbortSignal | undefined, onFrames: (frames: number) => void): Promise<void> {
    const data = this.data!;
    const norm = this.norm!;
    const n = input.grid.length;
    const lowdim = readLowdim(this.reader, input.summary.id, this.plan, input.grid);
    const name = `demo_${input.index}`;
    const demo = data.create_group(name);
    const obs: Record<string, { data: Float32Array | Uint8Array; shape: number[]; dtype: string; image: boolean }> = {};
    const q = new Float32Array(n * 7);
    const gripper = new Float32Array(n * 2);
    const stateDim = lowdim.stateNames.length;
    for (let k = 0; k < n; k++) {
      for (let j = 0; j < 7; j++) q[k * 7 + j] = lowdim.state[k * stateDim + j] ?? 0;
      if (stateDim > 7) {
        // Two finger positions like robosuite's Panda: ±width/2.
        gripper[2 * k] = lowdim.state[k * stateDim + 7]! / 2;
        gripper[2 * k + 1] = -lowdim.state[k * stateDim + 7]! / 2;
      }
    }
    obs.robot0_joint_pos = { data: q, shape: [n, 7], dtype: '<f', image: false };
    if (stateDim > 7) obs.robot0_gripper_qpos = { data: gripper, shape: [n, 2], dtype: '<f', image: false };
    if (lowdim.eePose !== null) {
      const pos = new Float32Array(n * 3);
      const quat = new Float32Array(n * 4);
      for (let k = 0; k < n; k++) {
        const p = lowdim.eePose.subarray(k * 7, k * 7 + 7);
        pos.set(p.subarray(0, 3), k * 3);
        // Recorded wxyz → robosuite's xyzw.
        quat.set([p[4]!, p[5]!, p[6]!, p[3]!], k * 4);
      }
      obs.robot0_eef_pos = { data: pos, shape: [n, 3], dtype: '<f', image: false };
      obs.robot0_eef_quat = { data: quat, shape: [n, 4], dtype: '<f', image: false };
    }
    const streams = this.reader.streamsOf(input.summary.id);
    const [w, h] = this.size;
    for (const camera of this.plan.cameras) {
      throwIfAborted(signal);
      const stream = this.reader.requireStream(input.summary.id, streams, STREAMS.cameraColor(camera));
      const { pick, times } = this.reader.imageIndexOnGrid(stream, input.grid);
      const rgb = await decodeFrames(this.reader.framesOnGrid(stream, pick, times), {
        codec: cameraGeometry(stream).encoding,
        pix_fmt: 'rgb24',
        size: [w, h],
        ...(signal !== undefined ? { signal } : {}),
      });
      if (rgb.length !== n * w * h * 3)
        throw new StudioError({
          code: 'internal',
          message: `decoding camera "${camera}" of episode ${input.summary.id} gave ${rgb.length / (w * h * 3)} frames, expected ${n}`,
        });
      obs[`${camera}_image`] = {
        data: new Uint8Array(rgb.buffer, rgb.byteOffset, rgb.byteLength),
        shape: [n, h, w, 3],
        dtype: '<B',
        image: true,
      };
      if (this.plan.depth) {
        const depthStream = this.reader.requireStream(input.summary.id, streams, STREAMS.cameraDepth(camera));
        const d = this.reader.imageIndexOnGrid(depthStream, input.grid);
        const raw = await decodeFrames(this.reader.framesOnGrid(depthStream, d.pick, d.times), {
          codec: 'png',
          pix_fmt: 'gray16le',
          size: [w, h],
          ...(signal !== undefined ? { signal } : {}),
        });
        const mm = new Uint16Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
        const depth = Float32Array.from(mm, (v) => Math.min(1, v / 1000 / ROBOMIMIC_DEPTH_RANGE_M));
        obs[`${camera}_depth`] = { data: depth, shape: [n, h, w, 1], dtype: '<f', image: true };
      }
    }
    const obsGroup = demo.create_group('obs');
    const nextGroup = demo.create_group('next_obs');
    for (const [key, value] of Object.entries(obs)) {
      const per = value.data.length / n;
      const next = value.data.slice();
      next.copyWithin(0, per);
      next.set(value.data.subarray((n - 1) * per), (n - 1) * per);
      const compression = value.image ? { chunks: [1, ...value.shape.slice(1)], compression: 'gzip' as const, compression_opts: 1 } : {};
      obsGroup.create_dataset({ name: key, data: value.data, shape: value.shape, dtype: value.dtype, ...compression });
      nextGroup.create_dataset({ name: key, data: next, shape: value.shape, dtype: value.dtype, ...compression });
    }
    const dim = lowdim.actionNames.length;
    const actions = new Float32Array(n * dim);
    for (let i = 0; i < actions.length; i++) {
      const d = i % dim;
      actions[i] = Math.max(-1, Math.min(1, (lowdim.action[i]! - norm.offset[d]!) / norm.scale[d]!));
    }
    demo.create_dataset({ name: 'actions', data: actions, shape: [n, dim], dtype: '<f' });
    const success = input.summary.outcome === 'success';
    const rewards = new Float64Array(n);
    const dones = new Uint8Array(n);
    dones[n - 1] = 1;
    if (success) rewards[n - 1] = 1;
    demo.create_dataset({ name: 'rewards', data: rewards, shape: [n], dtype: '<d' });
    demo.create_dataset({ name: 'dones', data: dones, shape: [n], dtype: '<B' });
    demo.create_attribute('num_samples', n, null, '<q');
    demo.create_attribute(
      'ep_meta',
      JSON.stringify({
        task: input.summary.task,
        lang: input.summary.task,
        outcome: input.summary.outcome,
        studio_episode_id: input.summary.id,
        operator: input.summary.operator,
        tags: input.summary.tags,
      }),
    );
    this.demoNames.push(name);
    this.total += n;
    onFrames(n);
  }

  async finish(): Promise<void> {
    const file = this.file!;
    const data = this.data!;
    data.create_attribute('total', this.total, null, '<q');
    data.create_attribute(
      'env_args',
      JSON.stringify({
        env_name: 'ForesightStudio-Franka',
        type: 2,
        env_kwargs: {
          fps: this.options.fps,
          cameras: this.plan.cameras,
          image_size_wh: this.size,
          action_source: this.plan.action,
          source: 'foresight-studio recording (no simulator env to roll out)',
        },
      }),
    );
    data.create_attribute('action_normalization', JSON.stringify({ ...this.norm, formula: 'raw = actions * scale + offset' }));
    const mask = file.create_group('mask');
    const keys: Record<string, string[]> = { train: [], valid: [], test: [], success: [], failure: [] };
    this.planned.forEach((episode, i) => {
      const name = `demo_${i}`;
      keys[episode.split]!.push(name);
      if (episode.outcome === 'success') keys.success!.push(name);
      if (episode.outcome === 'failure') keys.failure!.push(name);
    });
    for (const [key, names] of Object.entries(keys)) {
      if (names.length === 0) continue;
      // Variable-length strings: h5py reads them as bytes, which robomimic decodes.
      mask.create_dataset({ name: key, data: names, shape: [names.length], dtype: 'S' });
    }
    file.flush();
    file.close();
    this.file = null;
  }

  abort(): void {
    try {
      this.file?.close();
    } catch {
      // Already broken; the temporary file is removed by the caller.
    }
    this.file = null;
  }
}
