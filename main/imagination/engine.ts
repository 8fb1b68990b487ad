import * as ort from 'onnxruntime-node';
import { StudioError } from '../../shared/api/errors';
import { normalNoise } from './noise';
import type { GraphName, GwmManifest } from './pack/manifest';
import { rollout, type ChunksAt, type Denoise } from './sampler';
import { GAUSSIAN_WIDTH } from './lifting';

/**
 * One loaded world-model pack, run: encode an observation's Gaussians, propose chunks with the pack's
 * policy, imagine K candidate futures (the EDM rollout with common random numbers), decode them to
 * Gaussians and estimate each one's success. Sessions are created once (pack/openPack) and reused;
 * every graph call is timed, and a cancelled request stops at the next graph call.
 */
export type Sessions = Record<Exclude<GraphName, 'policy'>, ort.InferenceSession> & { policy?: ort.InferenceSession };

export class ImaginationCancelled extends Error {
  constructor() {
    super('superseded by a newer imagination request');
    this.name = 'ImaginationCancelled';
  }
}

export interface Cancellation {
  readonly cancelled: boolean;
}

export interface ImagineRequest {
  /** Context latents, oldest → newest: T·M·D (before there is history, the newest repeated). */
  context: Float32Array;
  /** The observation's Gaussians (N·14), the queries the decoder moves (splat identity kept). */
  gaussians?: Float32Array;
  /** Candidates' raw actions (the manifest's units), K·H·L·A; or `policy` to let the pack propose them. */
  candidates: Float32Array | { policy: PolicyProposal };
  K: number;
  H: number;
  /** Seeds the shared sampler noise (the same seed, the same imagined futures). */
  seed: number;
  /** The sampler noise itself (H·M·D), instead of drawing it from `seed` (parity tests, replays). */
  noise?: Float32Array;
  /** Decode every imagined step to Gaussians (for drawing); off for ranking-only runs. */
  decode: boolean;
}

export interface PolicyProposal {
  /** The arm's proprio at the observation (the manifest's `proprio.names`, raw units). */
  proprio: readonly number[];
  /** Seeds the policy's noise; candidate 0 is the policy's mode (zero noise). */
  seed: number;
  /** Noise scale for the other candidates (1 = the trained prior). */
  temperature?: number;
  /** The policy noise itself (K·Z), instead of drawing it from `seed`. */
  noise?: Float32Array;
}

export interface ImagineResult {
  K: number;
  H: number;
  /** K·H·L·A raw actions each candidate was imagined with (the policy's, when it proposed them). */
  actions: Float32Array;
  /** K·H·M·D. */
  latents: Float32Array;
  success_prob: Float32Array;
  success_logit: Float32Array;
  /** K·(S): progress at the observation and after each imagined step (padded to the head's horizon). */
  progress: Float32Array;
  progress_steps: number;
  /** K·H·N·14 when decoded. */
  gaussians: Float32Array | null;
  timings_ms: Partial<Record<GraphName, number>>;
}

const tensor = (data: Float32Array, dims: readonly number[]) => new ort.Tensor('float32', data, dims);

function output(result: ort.InferenceSession.ReturnType, name: string, graph: GraphName): Float32Array {
  const value = result[name];
  if (value === undefined || !(value.data instanceof Float32Array))
    throw new StudioError({ code: 'internal', message: `the ${graph} graph returned no float32 "${name}"` });
  return value.data;
}

function rotate(axisAngle: readonly number[], q: readonly number[]): number[] {
  // q' = exp(axisAngle) ⊗ q: a base-frame rotation delta applied to a wxyz quaternion.
  const [x = 0, y = 0, z = 0] = axisAngle;
  const angle = Math.hypot(x, y, z);
  const s = angle > 1e-12 ? Math.sin(angle / 2) / angle : 0.5;
  const dw = Math.cos(angle / 2),
    dx = x * s,
    dy = y * s,
    dz = z * s;
  const [w = 1, qx = 0, qy = 0, qz = 0] = q;
  return [
    dw * w - dx * qx - dy * qy - dz * qz,
    dw * qx + dx * w + dy * qz - dz * qy,
    dw * qy - dx * qz + dy * w + dz * qx,
    dw * qz + dx * qy - dy * qx + dz * w,
  ];
}

export class ImaginationEngine {
  readonly M: number;
  readonly D: number;
  readonly L: number;
  readonly A: number;
  readonly T: number;

  constructor(
    readonly manifest: GwmManifest,
    private readonly sessions: Sessions,
  ) {
    this.M = manifest.latent.M;
    this.D = manifest.latent.D;
    this.L = manifest.actions.chunk_length;
    this.A = manifest.actions.names.length;
    this.T = manifest.dynamics.context_frames;
  }

  get hasPolicy(): boolean {
    return this.sessions.policy !== undefined && this.manifest.policy !== null;
  }

  private async run(
    graph: GraphName,
    feeds: Record<string, ort.Tensor>,
    timings: Partial<Record<GraphName, number>>,
    cancel?: Cancellation,
  ): Promise<ort.InferenceSession.ReturnType> {
    if (cancel?.cancelled === true) throw new ImaginationCancelled();
    const session = this.sessions[graph];
    if (session === undefined) throw new StudioError({ code: 'failed_precondition', message: `this pack has no ${graph} graph` });
    const started = performance.now();
    const result = await session.run(feeds);
    timings[graph] = (timings[graph] ?? 0) + performance.now() - started;
    return result;
  }

  /** Gaussians (B·N·14, mask B·N) → latents B·M·D. */
  async encode(
    gaussians: Float32Array,
    mask: Float32Array,
    batch = 1,
    timings: Partial<Record<GraphName, number>> = {},
  ): Promise<Float32Array> {
    const N = mask.length / batch;
    if (!Number.isInteger(N) || gaussians.length !== batch * N * GAUSSIAN_WIDTH)
      throw new StudioError({
        code: 'invalid_params',
        message: `encode: expected ${batch}×N×${GAUSSIAN_WIDTH} Gaussians and ${batch}×N mask values`,
      });
    const result = await this.run(
      'encoder',
      { gaussians: tensor(gaussians, [batch, N, GAUSSIAN_WIDTH]), gaussian_mask: tensor(mask, [batch, N]) },
      timings,
    );
    return output(result, 'latent', 'encoder');
  }

  normaliseActions(raw: Float32Array): Float32Array {
    const { mean, std } = this.manifest.actions.normalization;
    const out = new Float32Array(raw.length);
    for (let i = 0; i < raw.length; i++) out[i] = ((raw[i] ?? 0) - (mean[i % this.A] ?? 0)) / (std[i % this.A] ?? 1);
    return out;
  }

  denormaliseActions(normalised: Float32Array): Float32Array {
    const { mean, std } = this.manifest.actions.normalization;
    const out = new Float32Array(normalised.length);
    for (let i = 0; i < normalised.length; i++) out[i] = (normalised[i] ?? 0) * (std[i % this.A] ?? 1) + (mean[i % this.A] ?? 0);
    return out;
  }

  private normaliseProprio(rows: readonly (readonly number[])[]): Float32Array {
    const { mean, std } = this.manifest.proprio.normalization;
    const P = mean.length;
    const out = new Float32Array(rows.length * P);
    rows.forEach((row, b) => {
      if (row.length !== P || row.some((v) => !Number.isFinite(v)))
        throw new StudioError({
          code: 'invalid_params',
          message: `proprio must be ${P} finite numbers (${this.manifest.proprio.names.join(', ')})`,
        });
      for (let i = 0; i < P; i++) out[b * P + i] = ((row[i] ?? 0) - (mean[i] ?? 0)) / (std[i] ?? 1);
    });
    return out;
  }

  /** The policy's next chunk for B observations (latents B·M·D, raw proprio rows) with the given noise (B·Z) → normalised B·L·A. */
  private async policyChunks(
    latents: Float32Array,
    proprio: readonly (readonly number[])[],
    noise: Float32Array,
    timings: Partial<Record<GraphName, number>>,
    cancel?: Cancellation,
  ): Promise<Float32Array> {
    const B = proprio.length;
    const Z = this.manifest.policy?.noise_dim ?? 0;
    const result = await this.run(
      'policy',
      {
        latent: tensor(latents, [B, this.M, this.D]),
        proprio: tensor(this.normaliseProprio(proprio), [B, proprio[0]?.length ?? 0]),
        policy_noise: tensor(noise, [B, Z]),
      },
      timings,
      cancel,
    );
    return output(result, 'actions', 'policy');
  }

  /** K chunks (raw, K·L·A) the pack's policy proposes from one observation; candidate 0 is its mode. */
  async propose(
    latent: Float32Array,
    proposal: PolicyProposal,
    K: number,
    timings: Partial<Record<GraphName, number>> = {},
  ): Promise<Float32Array> {
    const latents = new Float32Array(K * this.M * this.D);
    for (let k = 0; k < K; k++) latents.set(latent.subarray(0, this.M * this.D), k * this.M * this.D);
    const normalised = await this.policyChunks(
      latents,
      Array.from({ length: K }, () => proposal.proprio),
      this.policyNoise(K, proposal),
      timings,
    );
    return this.denormaliseActions(normalised);
  }

  private policyNoise(K: number, proposal: PolicyProposal): Float32Array {
    const Z = this.manifest.policy?.noise_dim ?? 0;
    if (proposal.noise !== undefined) {
      if (proposal.noise.length !== K * Z)
        throw new StudioError({ code: 'invalid_params', message: `policy noise must be ${K}×${Z} values` });
      return proposal.noise;
    }
    if (!this.hasPolicy)
      throw new StudioError({
        code: 'failed_precondition',
        message: `the pack ${this.manifest.model_name} has no policy graph`,
        fix: 'Give candidates another way (teleop, a remote policy) or use a pack trained with its policy stage.',
      });
    const noise = normalNoise(proposal.seed, K * Z);
    const t = proposal.temperature ?? 1;
    for (let i = 0; i < noise.length; i++) noise[i] = i < Z ? 0 : (noise[i] ?? 0) * t;
    return noise;
  }

  /**
   * Imagined latents (B·M·D) → Gaussians (B·N·14): each decoded from (z_now, z_h) with the observed
   * Gaussians as queries, so splat i is the same splat in every step.
   */
  async decode(
    now: Float32Array,
    latents: Float32Array,
    observed: Float32Array,
    timings: Partial<Record<GraphName, number>> = {},
    cancel?: Cancellation,
  ): Promise<Float32Array> {
    const frame = this.M * this.D;
    const B = latents.length / frame;
    const N = observed.length / GAUSSIAN_WIDTH;
    if (!Number.isInteger(B) || !Number.isInteger(N) || now.length !== frame)
      throw new StudioError({
        code: 'invalid_params',
        message: `decode: expected latents of ${this.M}×${this.D} and Gaussians of ${GAUSSIAN_WIDTH} fields`,
      });
    const src = new Float32Array(B * frame);
    const queries = new Float32Array(B * N * GAUSSIAN_WIDTH);
    for (let b = 0; b < B; b++) {
      src.set(now, b * frame);
      queries.set(observed, b * N * GAUSSIAN_WIDTH);
    }
    const decoded = await this.run(
      'decoder',
      {
        latent_src: tensor(src, [B, this.M, this.D]),
        latent_tgt: tensor(latents, [B, this.M, this.D]),
        query_gaussians: tensor(queries, [B, N, GAUSSIAN_WIDTH]),
      },
      timings,
      cancel,
    );
    return output(decoded, 'gaussians', 'decoder');
  }

  async imagine(request: ImagineRequest, cancel?: Cancellation): Promise<ImagineResult> {
    const { K, H, seed } = request;
    const { M, D, L, A, T } = this;
    const frame = M * D;
    if (!Number.isInteger(K) || K < 1 || !Number.isInteger(H) || H < 1)
      throw new StudioError({ code: 'invalid_params', message: `imagine: K and H must be positive integers, not ${K} and ${H}` });
    if (request.context.length !== T * frame)
      throw new StudioError({ code: 'invalid_params', message: `imagine: the context must be ${T}×${M}×${D} latents` });
    const timings: Partial<Record<GraphName, number>> = {};
    const context = new Float32Array(K * T * frame);
    for (let k = 0; k < K; k++) context.set(request.context, k * T * frame);
    const noise = request.noise ?? normalNoise(seed, H * frame);
    if (noise.length !== H * frame)
      throw new StudioError({ code: 'invalid_params', message: `imagine: the sampler noise must be ${H}×${M}×${D} values` });
    const dims = { B: K, T, M, D, H, L, A };
    const denoise: Denoise = async (x, sigma, ctx, actions, batch) =>
      output(
        await this.run(
          'denoiser',
          {
            noisy_latent: tensor(x, [batch, M, D]),
            sigma: tensor(sigma, [batch]),
            context_latents: tensor(ctx, [batch, T, M, D]),
            actions: tensor(actions, [batch, L, A]),
          },
          timings,
          cancel,
        ),
        'denoised_latent',
        'denoiser',
      );

    let actionsRaw: Float32Array;
    let latents: Float32Array;
    if (request.candidates instanceof Float32Array) {
      actionsRaw = request.candidates;
      if (actionsRaw.length !== K * H * L * A || actionsRaw.some((v) => !Number.isFinite(v))) {
        throw new StudioError({
          code: 'invalid_params',
          message: `imagine: candidates must be ${K}×${H}×${L}×${A} finite actions (${this.manifest.actions.names.join(', ')})`,
        });
      }
      latents = await rollout(denoise, context, this.normaliseActions(actionsRaw), noise, dims, this.manifest.sampler);
    } else {
      // The policy in closed loop: each chunk proposed from the scene imagined so far, its proprio
      // integrated from the chunks before (the gripper width held: the model does not output it).
      const proposal = request.candidates.policy;
      const policyNoise = this.policyNoise(K, proposal);
      const proprio = Array.from({ length: K }, () => [...proposal.proprio]);
      actionsRaw = new Float32Array(K * H * L * A);
      const chunksAt: ChunksAt = async (h, newest) => {
        const normalised = await this.policyChunks(newest, proprio, policyNoise, timings, cancel);
        const raw = this.denormaliseActions(normalised);
        for (let k = 0; k < K; k++) {
          actionsRaw.set(raw.subarray(k * L * A, (k + 1) * L * A), (k * H + h) * L * A);
          const p = proprio[k] ?? [];
          for (let s = 0; s < L; s++) {
            const a = raw.subarray((k * L + s) * A, (k * L + s + 1) * A);
            p[0] = (p[0] ?? 0) + (a[0] ?? 0);
            p[1] = (p[1] ?? 0) + (a[1] ?? 0);
            p[2] = (p[2] ?? 0) + (a[2] ?? 0);
            const q = rotate([a[3] ?? 0, a[4] ?? 0, a[5] ?? 0], [p[3] ?? 1, p[4] ?? 0, p[5] ?? 0, p[6] ?? 0]);
            for (let i = 0; i < 4; i++) p[3 + i] = q[i] ?? 0;
          }
        }
        return normalised;
      };
      latents = await rollout(denoise, context, chunksAt, noise, dims, this.manifest.sampler);
    }

    // Success over the head's horizon: the observation, then the imagined steps (the last one held if
    // fewer were imagined, as in training, where the scene stands still after the episode ends).
    const S = this.manifest.success.horizon + 1;
    const traj = new Float32Array(K * S * frame);
    const newestContext = request.context.subarray((T - 1) * frame, T * frame);
    for (let k = 0; k < K; k++) {
      traj.set(newestContext, k * S * frame);
      for (let s = 1; s < S; s++) {
        const h = Math.min(s, H) - 1;
        traj.set(latents.subarray((k * H + h) * frame, (k * H + h + 1) * frame), (k * S + s) * frame);
      }
    }
    const success = await this.run('success', { latent_traj: tensor(traj, [K, S, M, D]) }, timings, cancel);

    const gaussians =
      request.decode && request.gaussians !== undefined
        ? await this.decode(newestContext, latents, request.gaussians, timings, cancel)
        : null;
    return {
      K,
      H,
      actions: actionsRaw,
      latents,
      success_prob: output(success, 'success_prob', 'success'),
      success_logit: output(success, 'success_logit', 'success'),
      progress: output(success, 'progress', 'success'),
      progress_steps: S,
      gaussians,
      timings_ms: timings,
    };
  }
}
