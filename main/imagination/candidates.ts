import { normalNoise } from './noise';

/**
 * Candidate action chunks besides the pack's policy: the operator's current teleop motion extended over
 * the horizon, and perturbations of any base (the policy's chunk, the operator's, a remote policy's).
 * All in the pack's raw action layout (Δxyz m, Δrotation axis-angle rad, gripper 0…1 per control
 * step), H chunks of L steps each; candidate 0 is always the base itself.
 */
export interface ChunkShape {
  H: number;
  L: number;
  /** Actions per step (7 for the reference layout). */
  A: number;
}

/** The most a perturbed step may move: the rig's per-step speed limits (a candidate the arm would clip is no candidate). */
export interface StepLimits {
  max_translation_m: number;
  max_rotation_rad: number;
}

/** A rig's speed limits as the most one control step may move. */
export function stepLimits(safety: { max_linear_speed_m_s: number; max_angular_speed_rad_s: number }, control_hz: number): StepLimits {
  return { max_translation_m: safety.max_linear_speed_m_s / control_hz, max_rotation_rad: safety.max_angular_speed_rad_s / control_hz };
}

/** The commanded end-effector path of `steps` Δ actions (A values each) from `start_m`: one point per step. */
export function eePath(
  start_m: readonly number[],
  actions: Float32Array,
  offset: number,
  steps: number,
  A: number,
): [number, number, number][] {
  let [x = 0, y = 0, z = 0] = start_m;
  const path: [number, number, number][] = [];
  for (let s = 0; s < steps; s++) {
    const a = offset + s * A;
    x += actions[a] ?? 0;
    y += actions[a + 1] ?? 0;
    z += actions[a + 2] ?? 0;
    path.push([x, y, z]);
  }
  return path;
}

/**
 * The operator's motion now (from the last teleop cycle's intent: a velocity and the gripper) held for
 * H chunks: what happens if they keep doing what they are doing.
 */
export function teleopExtension(
  motion: { linear_m_s: readonly number[]; angular_rad_s: readonly number[]; gripper: number },
  shape: ChunkShape,
  control_hz: number,
  limits: StepLimits,
): Float32Array {
  const { H, L, A } = shape;
  const dt = 1 / control_hz;
  const step = clampStep([...motion.linear_m_s.map((v) => v * dt), ...motion.angular_rad_s.map((w) => w * dt)], limits);
  const out = new Float32Array(H * L * A);
  for (let i = 0; i < H * L; i++) {
    for (let j = 0; j < 6; j++) out[i * A + j] = step[j] ?? 0;
    out[i * A + 6] = Math.min(1, Math.max(0, motion.gripper));
  }
  return out;
}

/** A base chunk (L·A) repeated over H chunks: the open-loop extension of a single proposal. */
export function repeatChunk(chunk: Float32Array, H: number): Float32Array {
  const out = new Float32Array(H * chunk.length);
  for (let h = 0; h < H; h++) out.set(chunk, h * chunk.length);
  return out;
}

/**
 * K candidates around `base` (H·L·A): candidate 0 is the base; each other adds one seeded offset per
 * chunk to the translation and rotation of every step (a different direction, not jitter that averages
 * out), with the gripper kept; every step stays within the speed limits.
 */
export function perturbations(
  base: Float32Array,
  K: number,
  shape: ChunkShape,
  seed: number,
  scale: { translation_m: number; rotation_rad: number },
  limits: StepLimits,
): Float32Array {
  const { H, L, A } = shape;
  if (base.length !== H * L * A) throw new Error(`perturbations: the base must be ${H}×${L}×${A} actions`);
  const noise = normalNoise(seed, K * H * 6);
  const out = new Float32Array(K * base.length);
  for (let k = 0; k < K; k++) {
    for (let h = 0; h < H; h++) {
      const offset = Array.from({ length: 6 }, (_, j) =>
        k === 0 ? 0 : (noise[(k * H + h) * 6 + j] ?? 0) * (j < 3 ? scale.translation_m : scale.rotation_rad),
      );
      for (let s = 0; s < L; s++) {
        const i = (h * L + s) * A;
        const step = clampStep(
          Array.from({ length: 6 }, (_, j) => (base[i + j] ?? 0) + (offset[j] ?? 0)),
          limits,
        );
        const o = k * base.length + i;
        for (let j = 0; j < 6; j++) out[o + j] = step[j] ?? 0;
        for (let j = 6; j < A; j++) out[o + j] = base[i + j] ?? 0;
      }
    }
  }
  return out;
}

function clampStep(step: number[], limits: StepLimits): number[] {
  const t = Math.hypot(step[0] ?? 0, step[1] ?? 0, step[2] ?? 0);
  const r = Math.hypot(step[3] ?? 0, step[4] ?? 0, step[5] ?? 0);
  const ts = t > limits.max_translation_m ? limits.max_translation_m / t : 1;
  const rs = r > limits.max_rotation_rad ? limits.max_rotation_rad / r : 1;
  return step.map((v, j) => v * (j < 3 ? ts : rs));
}
