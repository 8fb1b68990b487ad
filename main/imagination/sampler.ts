/**
 * The EDM Euler sampler and autoregressive rollout the pack's manifest defines (`sampler`), with the
 * denoiser as a function so it runs on any execution provider. Python reference: models/gwmlite/edm.py
 * (pinned by test/fixtures/gwm/sampler/).
 */

export interface SamplerSettings {
  steps: number;
  sigma_min: number;
  sigma_max: number;
  rho: number;
}

export interface RolloutDims {
  /** Candidates in the batch. */
  B: number;
  /** Context frames. */
  T: number;
  M: number;
  D: number;
  /** Chunks to imagine. */
  H: number;
  L: number;
  A: number;
}

/** One denoiser call D(x; σ) for a batch: x (B·M·D), sigma (B), context (B·T·M·D), actions (B·L·A). */
export type Denoise = (
  x: Float32Array,
  sigma: Float32Array,
  context: Float32Array,
  actions: Float32Array,
  batch: number,
) => Promise<Float32Array>;

/**
 * The actions of step h (B·L·A, normalised) from the newest latent of each candidate (B·M·D): a policy
 * imagined in closed loop proposes each chunk from the scene it imagined so far.
 */
export type ChunksAt = (h: number, newest: Float32Array) => Promise<Float32Array> | Float32Array;

/** σ_0 > … > σ_{n−1}, then 0 (Karras et al. with ρ); one step is σ_max then 0. */
export function karrasSigmas(s: SamplerSettings): number[] {
  if (s.steps === 1) return [s.sigma_max, 0];
  const lo = s.sigma_min ** (1 / s.rho);
  const hi = s.sigma_max ** (1 / s.rho);
  return [...Array.from({ length: s.steps }, (_, i) => (hi + (i / (s.steps - 1)) * (lo - hi)) ** s.rho), 0];
}

/**
 * Imagines H chunks for B candidates from the same context. `noise` holds one ε per step (H·M·D),
 * shared by every candidate (common random numbers), so candidates differ only by their actions, given
 * up front (B·H·L·A, candidate-major) or chosen step by step (`ChunksAt`).
 * Returns the imagined latents, B·H·M·D (candidate-major).
 */
export async function rollout(
  denoise: Denoise,
  context: Float32Array,
  chunks: Float32Array | ChunksAt,
  noise: Float32Array,
  dims: RolloutDims,
  settings: SamplerSettings,
): Promise<Float32Array> {
  const { B, T, M, D, H, L, A } = dims;
  const frame = M * D;
  const fixed = chunks instanceof Float32Array;
  if (context.length !== B * T * frame || (fixed && chunks.length !== B * H * L * A) || noise.length !== H * frame) {
    throw new Error(`rollout: expected context ${B}×${T}×${M}×${D}, chunks ${B}×${H}×${L}×${A}, noise ${H}×${M}×${D}`);
  }
  const sigmas = karrasSigmas(settings);
  const out = new Float32Array(B * H * frame);
  const ctx = Float32Array.from(context);
  for (let h = 0; h < H; h++) {
    let actions: Float32Array;
    if (fixed) {
      actions = new Float32Array(B * L * A);
      for (let b = 0; b < B; b++) actions.set(chunks.subarray((b * H + h) * L * A, (b * H + h + 1) * L * A), b * L * A);
    } else {
      const newest = new Float32Array(B * frame);
      for (let b = 0; b < B; b++) newest.set(ctx.subarray((b * T + T - 1) * frame, (b * T + T) * frame), b * frame);
      actions = await chunks(h, newest);
      if (actions.length !== B * L * A) throw new Error(`rollout: chunk ${h} has ${actions.length} values, expected ${B}×${L}×${A}`);
    }
    const x = new Float32Array(B * frame);
    const eps = noise.subarray(h * frame, (h + 1) * frame);
    for (let b = 0; b < B; b++) for (let i = 0; i < frame; i++) x[b * frame + i] = (eps[i] ?? 0) * (sigmas[0] ?? 0);
    for (let i = 0; i + 1 < sigmas.length; i++) {
      const s = sigmas[i] ?? 0,
        next = sigmas[i + 1] ?? 0;
      const denoised = await denoise(x, new Float32Array(B).fill(s), ctx, actions, B);
      for (let j = 0; j < x.length; j++) x[j] = (x[j] ?? 0) + ((next - s) * ((x[j] ?? 0) - (denoised[j] ?? 0))) / s;
    }
    for (let b = 0; b < B; b++) {
      out.set(x.subarray(b * frame, (b + 1) * frame), (b * H + h) * frame);
      // Slide the window: drop the oldest context frame, append the new latent.
      const base = b * T * frame;
      ctx.copyWithin(base, base + frame, base + T * frame);
      ctx.set(x.subarray(b * frame, (b + 1) * frame), base + (T - 1) * frame);
    }
  }
  return out;
}
