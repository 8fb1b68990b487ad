import { StudioError } from '../../../shared/api/errors';
import type { LiftingCamera, LiftingConfig } from '../lifting';
import type { SamplerSettings } from '../sampler';

/**
 * The part of a world-model pack's `gwm_manifest.json` the studio runs on (the contract is
 * docs/world-model.md#the-pack-contract; the trainer writes it in models/gwmlite/export.py). Parsing
 * checks every field the runtime reads, so a foreign or hand-edited manifest fails here, once, with the
 * key that is wrong — never later as a NaN in a rollout.
 */
export const CONTRACT_VERSION = 'gwm-contract/1';
export const MANIFEST_FILE = 'gwm_manifest.json';
export const GRAPH_NAMES = ['encoder', 'decoder', 'denoiser', 'success', 'policy'] as const;
export type GraphName = (typeof GRAPH_NAMES)[number];
/** Graphs a pack must have; the policy graph is optional (packs without one take candidates from elsewhere). */
export const REQUIRED_GRAPHS: readonly GraphName[] = ['encoder', 'decoder', 'denoiser', 'success'];

export type Dim = number | string;

export interface TensorDecl {
  name: string;
  dtype: string;
  shape: Dim[];
}

export interface GraphDecl {
  file: string;
  inputs: TensorDecl[];
  outputs: TensorDecl[];
}

/** A camera the pack was trained with: what lifting needs, and whether it was lifted in training or kept for evaluation. */
export interface PackCamera extends LiftingCamera {
  role: 'train' | 'eval';
}

export interface Normalization {
  mean: number[];
  std: number[];
}

export interface GwmManifest {
  contract_version: string;
  model_name: string;
  model_version: string;
  files: Record<string, string>;
  cameras: PackCamera[];
  /** The cameras lifting fuses, in order. */
  lifting_cameras: string[];
  lifting: LiftingConfig;
  latent: { M: number; D: number };
  actions: { names: string[]; control_hz: number; chunk_length: number; dt_per_wm_step_s: number; normalization: Normalization };
  proprio: { names: string[]; normalization: Normalization };
  dynamics: { context_frames: number; max_recommended_horizon: number };
  sampler: SamplerSettings;
  success: { horizon: number; threshold: number; temperature: number };
  policy: { noise_dim: number } | null;
  /** The pack's own test figures, shown beside its predictions (null where not measured). */
  evaluation: { auroc: number | null; split: string | null };
  io: Partial<Record<GraphName, GraphDecl>>;
}

type Json = unknown;

class ManifestReader {
  constructor(private readonly where: string) {}

  fail(key: string, problem: string): never {
    throw new StudioError({
      code: 'failed_precondition',
      message: `${this.where}: \`${key}\` ${problem}`,
      fix: 'Use a pack exported by `python -m gwmlite export` (models/), or re-export this one; see docs/world-model.md#the-pack-contract.',
    });
  }

  object(value: Json, key: string): Record<string, Json> {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(key, 'is missing or not an object');
    return value as Record<string, Json>;
  }

  number(value: Json, key: string, check: (n: number) => boolean = Number.isFinite, what = 'a finite number'): number {
    if (typeof value !== 'number' || !check(value)) this.fail(key, `must be ${what}, not ${JSON.stringify(value)}`);
    return value;
  }

  integer(value: Json, key: string): number {
    return this.number(value, key, (n) => Number.isInteger(n) && n > 0, 'a positive integer');
  }

  string(value: Json, key: string): string {
    if (typeof value !== 'string' || value === '') this.fail(key, `must be a non-empty string, not ${JSON.stringify(value)}`);
    return value;
  }

  numbers(value: Json, key: string, length?: number): number[] {
    if (!Array.isArray(value) || value.some((n) => typeof n !== 'number' || !Number.isFinite(n)))
      this.fail(key, 'must be an array of finite numbers');
    if (length !== undefined && value.length !== length) this.fail(key, `must have ${length} numbers, has ${value.length}`);
    return value as number[];
  }

  strings(value: Json, key: string): string[] {
    if (!Array.isArray(value) || value.some((s) => typeof s !== 'string')) this.fail(key, 'must be an array of strings');
    return value as string[];
  }

  normalization(value: Json, key: string, width: number): Normalization {
    const o = this.object(value, key);
    const std = this.numbers(o.std, `${key}.std`, width);
    if (std.some((s) => s <= 0)) this.fail(`${key}.std`, 'must be positive');
    return { mean: this.numbers(o.mean, `${key}.mean`, width), std };
  }

  tensors(value: Json, key: string): TensorDecl[] {
    if (!Array.isArray(value) || value.length === 0) this.fail(key, 'must be a non-empty array of {name, dtype, shape}');
    return value.map((t: Json, i) => {
      const o = this.object(t, `${key}[${i}]`);
      const shape = o.shape;
      if (!Array.isArray(shape) || shape.some((d) => typeof d !== 'string' && !(typeof d === 'number' && Number.isInteger(d) && d > 0))) {
        this.fail(`${key}[${i}].shape`, 'must be an array of positive integers and symbolic dimension names');
      }
      return { name: this.string(o.name, `${key}[${i}].name`), dtype: this.string(o.dtype, `${key}[${i}].dtype`), shape: shape as Dim[] };
    });
  }
}

function vec3(r: ManifestReader, value: Json, key: string): [number, number, number] {
  const [x = 0, y = 0, z = 0] = r.numbers(value, key, 3);
  return [x, y, z];
}

/** Checks and reads a manifest's JSON (already parsed); `where` names the file in errors. */
export function parseManifest(json: Json, where: string): GwmManifest {
  const r: ManifestReader = new ManifestReader(where);
  const m = r.object(json, '(root)');
  const contract = r.string(m.contract_version, 'contract_version');
  if (contract !== CONTRACT_VERSION) r.fail('contract_version', `is "${contract}"; this studio runs packs of "${CONTRACT_VERSION}"`);

  const files = r.object(m.files, 'files');
  for (const [file, hash] of Object.entries(files)) {
    if (typeof hash !== 'string' || !/^[0-9a-f]{64}$/.test(hash)) r.fail(`files.${file}`, 'must be a SHA-256 hex digest');
  }

  const cameraObjects = r.object(m.cameras, 'cameras');
  const cameras: PackCamera[] = Object.entries(cameraObjects).map(([name, value]) => {
    const key = `cameras.${name}`;
    const c = r.object(value, key);
    const k = r.object(c.intrinsics, `${key}.intrinsics`);
    const pose = c.world_from_camera;
    if (!Array.isArray(pose) || pose.length !== 4) r.fail(`${key}.world_from_camera`, 'must be a 4×4 matrix (rows)');
    const rows = pose.map((row: Json, i) => r.numbers(row, `${key}.world_from_camera[${i}]`, 4));
    const role = c.role === 'eval' ? 'eval' : 'train';
    const colorSpace = c.color_space;
    if (colorSpace !== 'linear' && colorSpace !== 'srgb') r.fail(`${key}.color_space`, 'must be "linear" or "srgb"');
    return {
      name,
      role,
      width: r.integer(c.width, `${key}.width`),
      height: r.integer(c.height, `${key}.height`),
      fx_px: r.number(k.fx_px, `${key}.intrinsics.fx_px`),
      fy_px: r.number(k.fy_px, `${key}.intrinsics.fy_px`),
      cx_px: r.number(k.cx_px, `${key}.intrinsics.cx_px`),
      cy_px: r.number(k.cy_px, `${key}.intrinsics.cy_px`),
      world_from_camera: rows,
      color_space: colorSpace,
    };
  });

  const l = r.object(m.lifting, 'lifting');
  const voxel = r.numbers(l.voxel_m, 'lifting.voxel_m', 3);
  const lifting: LiftingConfig = {
    num_gaussians: r.integer(l.num_gaussians, 'lifting.num_gaussians'),
    crop_min_m: vec3(r, l.crop_min_m, 'lifting.crop_min_m'),
    crop_max_m: vec3(r, l.crop_max_m, 'lifting.crop_max_m'),
    table_z_m: r.number(l.table_z_m, 'lifting.table_z_m'),
    table_band_m: r.number(l.table_band_m, 'lifting.table_band_m'),
    object_band_top_m: r.number(l.object_band_top_m, 'lifting.object_band_top_m'),
    focus_radius_m: r.number(l.focus_radius_m, 'lifting.focus_radius_m'),
    voxel_m: [voxel[0] ?? 0, voxel[1] ?? 0, voxel[2] ?? 0],
    scale_factor: r.number(l.scale_factor, 'lifting.scale_factor'),
    opacity: r.number(l.opacity, 'lifting.opacity'),
  };
  const liftingCameras = r.strings(l.cameras, 'lifting.cameras');
  for (const name of liftingCameras) {
    if (!cameras.some((c) => c.name === name)) r.fail('lifting.cameras', `names camera "${name}", which \`cameras\` does not define`);
  }

  const latent = r.object(m.latent, 'latent');
  const actions = r.object(m.actions, 'actions');
  const actionNames = r.strings(actions.names, 'actions.names');
  const proprio = r.object(m.proprio, 'proprio');
  const proprioNames = r.strings(proprio.names, 'proprio.names');
  const dynamics = r.object(m.dynamics, 'dynamics');
  const sampler = r.object(m.sampler, 'sampler');
  if (sampler.method !== 'euler') r.fail('sampler.method', `is ${JSON.stringify(sampler.method)}; this studio runs the "euler" sampler`);
  const success = r.object(m.success, 'success');
  const policy = m.policy === undefined || m.policy === null ? null : r.object(m.policy, 'policy');
  const evaluation = m.evaluation === undefined || m.evaluation === null ? {} : r.object(m.evaluation, 'evaluation');
  const auroc = evaluation.auroc;

  const ioObject = r.object(m.io, 'io');
  const io: Partial<Record<GraphName, GraphDecl>> = {};
  for (const graph of GRAPH_NAMES) {
    const decl = ioObject[graph];
    if (decl === undefined) {
      if (REQUIRED_GRAPHS.includes(graph))
        r.fail(`io.${graph}`, 'is missing: a pack needs the encoder, decoder, denoiser and success graphs');
      continue;
    }
    const g = r.object(decl, `io.${graph}`);
    const file = r.string(g.file, `io.${graph}.file`);
    if (files[file] === undefined) r.fail(`io.${graph}.file`, `names ${file}, which \`files\` does not list with its hash`);
    io[graph] = { file, inputs: r.tensors(g.inputs, `io.${graph}.inputs`), outputs: r.tensors(g.outputs, `io.${graph}.outputs`) };
  }
  if (policy !== null && io.policy === undefined) r.fail('io.policy', 'is missing although `policy` describes one');

  return {
    contract_version: contract,
    model_name: r.string(m.model_name, 'model_name'),
    model_version: r.string(m.model_version, 'model_version'),
    files: files as Record<string, string>,
    cameras,
    lifting_cameras: liftingCameras,
    lifting,
    latent: { M: r.integer(latent.M, 'latent.M'), D: r.integer(latent.D, 'latent.D') },
    actions: {
      names: actionNames,
      control_hz: r.number(actions.control_hz, 'actions.control_hz', (n) => n > 0, 'positive'),
      chunk_length: r.integer(actions.chunk_length, 'actions.chunk_length'),
      dt_per_wm_step_s: r.number(actions.dt_per_wm_step_s, 'actions.dt_per_wm_step_s', (n) => n > 0, 'positive'),
      normalization: r.normalization(actions.normalization, 'actions.normalization', actionNames.length),
    },
    proprio: { names: proprioNames, normalization: r.normalization(proprio.normalization, 'proprio.normalization', proprioNames.length) },
    dynamics: {
      context_frames: r.integer(dynamics.context_frames, 'dynamics.context_frames'),
      max_recommended_horizon: r.integer(dynamics.max_recommended_horizon, 'dynamics.max_recommended_horizon'),
    },
    sampler: {
      steps: r.integer(sampler.steps, 'sampler.steps'),
      sigma_min: r.number(sampler.sigma_min, 'sampler.sigma_min', (n) => n > 0, 'positive'),
      sigma_max: r.number(sampler.sigma_max, 'sampler.sigma_max', (n) => n > 0, 'positive'),
      rho: r.number(sampler.rho, 'sampler.rho', (n) => n > 0, 'positive'),
    },
    success: {
      horizon: r.integer(success.horizon, 'success.horizon'),
      threshold: r.number(success.threshold, 'success.threshold', (n) => n >= 0 && n <= 1, 'in [0, 1]'),
      temperature: r.number(success.temperature, 'success.temperature', (n) => n > 0, 'positive'),
    },
    policy: policy === null ? null : { noise_dim: r.integer(policy.noise_dim, 'policy.noise_dim') },
    evaluation: {
      auroc: typeof auroc === 'number' && Number.isFinite(auroc) ? auroc : null,
      split: typeof evaluation.split === 'string' ? evaluation.split : null,
    },
    io,
  };
}
