import type { Mat4, Vec3 } from './types';

export type { Mat4 } from './types';
import {
  FRANKA_DH,
  FRANKA_DOF,
  FRANKA_FLANGE_D_M,
  FRANKA_HAND_TCP_D_M,
  FRANKA_HAND_TCP_YAW_RAD,
  FRANKA_Q_HOME_RAD,
  type DhRow,
} from './frankaDh';
import { FRANKA_DQ_MAX_RAD_S, FRANKA_Q_MAX_RAD, FRANKA_Q_MIN_RAD } from './frankaLimits';
import { mat4Identity, mat4Multiply, mat4Rotation, mat4Translation, rotationErrorAxisAngle } from './rotation';

/**
 * Franka Panda kinematics from the DH table in `shared/robot/frankaDh.ts`: the one copy for the core
 * (the simulated deoxys server, the DLS IK, tests) and the renderer (`pandaFrames`, for drawing).
 * Pure functions with no Node or DOM dependency.
 */
export {
  FRANKA_DH,
  FRANKA_DOF,
  FRANKA_FLANGE_D_M,
  FRANKA_HAND_TCP_D_M,
  FRANKA_HAND_TCP_YAW_RAD,
  FRANKA_Q_HOME_RAD,
  type DhRow,
} from './frankaDh';
export { FRANKA_DQ_MAX_RAD_S, FRANKA_Q_MAX_RAD, FRANKA_Q_MIN_RAD } from './frankaLimits';

export function dhTransform(row: DhRow, theta_rad: number): Mat4 {
  const ct = Math.cos(theta_rad);
  const st = Math.sin(theta_rad);
  const ca = Math.cos(row.alpha_rad);
  const sa = Math.sin(row.alpha_rad);
  // Column-major.
  return [ct, st * ca, st * sa, 0, -st, ct * ca, ct * sa, 0, 0, -sa, ca, 0, row.a_m, -row.d_m * sa, row.d_m * ca, 1];
}

/** Flange → TCP; `tcp_d_m` 0 gives the flange itself. */
export function flangeFromTcp(tcp_d_m: number, tcp_yaw_rad: number): Mat4 {
  const c = Math.cos(tcp_yaw_rad);
  const s = Math.sin(tcp_yaw_rad);
  return [c, s, 0, 0, -s, c, 0, 0, 0, 0, 1, 0, 0, 0, tcp_d_m, 1];
}

export interface TcpOffset {
  d_m: number;
  yaw_rad: number;
}

export const FRANKA_HAND_TCP: TcpOffset = { d_m: FRANKA_HAND_TCP_D_M, yaw_rad: FRANKA_HAND_TCP_YAW_RAD };
export const FRANKA_FLANGE_TCP: TcpOffset = { d_m: 0, yaw_rad: 0 };

/** base_from_joint_i for i = 1..7, then base_from_flange, then base_from_tcp (9 transforms). */
export function frankaFrames(q_rad: readonly number[], tcp: TcpOffset = FRANKA_HAND_TCP): Mat4[] {
  if (q_rad.length !== FRANKA_DOF) throw new Error(`Franka kinematics needs 7 joint angles, got ${q_rad.length}`);
  const frames: Mat4[] = [];
  let current = mat4Identity();
  FRANKA_DH.forEach((row, i) => {
    current = mat4Multiply(current, dhTransform(row, q_rad[i] ?? 0));
    frames.push(current);
  });
  current = mat4Multiply(current, dhTransform({ a_m: 0, d_m: FRANKA_FLANGE_D_M, alpha_rad: 0 }, 0));
  frames.push(current);
  frames.push(mat4Multiply(current, flangeFromTcp(tcp.d_m, tcp.yaw_rad)));
  return frames;
}

/** base_from_tcp (libfranka's `O_T_EE` when `tcp` matches its `F_T_EE`). */
export function frankaForwardKinematics(q_rad: readonly number[], tcp: TcpOffset = FRANKA_HAND_TCP): Mat4 {
  const frames = frankaFrames(q_rad, tcp);
  return frames[frames.length - 1] ?? mat4Identity();
}

/** Geometric Jacobian at the TCP in the base frame: 6×7, row-major, rows (vx, vy, vz, wx, wy, wz). */
export function frankaJacobian(q_rad: readonly number[], tcp: TcpOffset = FRANKA_HAND_TCP): number[] {
  const frames = frankaFrames(q_rad, tcp);
  const tip = mat4Translation(frames[frames.length - 1] ?? mat4Identity());
  const jacobian = new Array<number>(6 * FRANKA_DOF).fill(0);
  for (let j = 0; j < FRANKA_DOF; j++) {
    const frame = frames[j] ?? mat4Identity();
    const z: Vec3 = [frame[8] ?? 0, frame[9] ?? 0, frame[10] ?? 0];
    const p = mat4Translation(frame);
    const r: Vec3 = [tip[0] - p[0], tip[1] - p[1], tip[2] - p[2]];
    const v: Vec3 = [z[1] * r[2] - z[2] * r[1], z[2] * r[0] - z[0] * r[2], z[0] * r[1] - z[1] * r[0]];
    for (let k = 0; k < 3; k++) {
      jacobian[k * FRANKA_DOF + j] = v[k] ?? 0;
      jacobian[(k + 3) * FRANKA_DOF + j] = z[k] ?? 0;
    }
  }
  return jacobian;
}

/** Solves the n×n system A x = b (row-major A) by Gaussian elimination with partial pivoting. */
export function solveLinear(a: readonly number[], b: readonly number[]): number[] {
  const n = b.length;
  const m = a.slice();
  const x = b.slice();
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r * n + col] ?? 0) > Math.abs(m[pivot * n + col] ?? 0)) pivot = r;
    if (pivot !== col) {
      for (let c = 0; c < n; c++) {
        const tmp = m[col * n + c] ?? 0;
        m[col * n + c] = m[pivot * n + c] ?? 0;
        m[pivot * n + c] = tmp;
      }
      const tmp = x[col] ?? 0;
      x[col] = x[pivot] ?? 0;
      x[pivot] = tmp;
    }
    const diag = m[col * n + col] ?? 0;
    if (Math.abs(diag) < 1e-14) throw new Error('solveLinear: singular matrix');
    for (let r = col + 1; r < n; r++) {
      const factor = (m[r * n + col] ?? 0) / diag;
      if (factor === 0) continue;
      for (let c = col; c < n; c++) m[r * n + c] = (m[r * n + c] ?? 0) - factor * (m[col * n + c] ?? 0);
      x[r] = (x[r] ?? 0) - factor * (x[col] ?? 0);
    }
  }
  for (let r = n - 1; r >= 0; r--) {
    let sum = x[r] ?? 0;
    for (let c = r + 1; c < n; c++) sum -= (m[r * n + c] ?? 0) * (x[c] ?? 0);
    x[r] = sum / (m[r * n + r] ?? 1);
  }
  return x;
}

/** Pose error (goal relative to current) in the base frame: (dx, dy, dz, rx, ry, rz). */
export function poseError(base_from_goal: readonly number[], base_from_current: readonly number[]): number[] {
  const p = mat4Translation(base_from_current);
  const g = mat4Translation(base_from_goal);
  const rotation = rotationErrorAxisAngle(mat4Rotation(base_from_goal), mat4Rotation(base_from_current));
  return [g[0] - p[0], g[1] - p[1], g[2] - p[2], ...rotation];
}

export interface DlsOptions {
  /** Damping λ of the damped least squares; larger is steadier near singularities, slower to converge. */
  damping: number;
  /** Per-joint step limit (rad) for one call. */
  max_step_rad: readonly number[];
  tcp: TcpOffset;
}

export const DEFAULT_DLS: DlsOptions = { damping: 0.05, max_step_rad: FRANKA_DQ_MAX_RAD_S.map((v) => v * 0.01), tcp: FRANKA_HAND_TCP };

/**
 * One damped-least-squares step towards `base_from_goal`: dq = Jᵀ (J Jᵀ + λ² I)⁻¹ e, scaled so no
 * joint moves more than its step limit, then clamped to the joint limits.
 */
export function dlsIkStep(q_rad: readonly number[], base_from_goal: readonly number[], options: DlsOptions = DEFAULT_DLS): number[] {
  const error = poseError(base_from_goal, frankaForwardKinematics(q_rad, options.tcp));
  const jacobian = frankaJacobian(q_rad, options.tcp);
  const n = FRANKA_DOF;
  const jjt = new Array<number>(36).fill(0);
  for (let r = 0; r < 6; r++) {
    for (let c = 0; c < 6; c++) {
      let sum = 0;
      for (let k = 0; k < n; k++) sum += (jacobian[r * n + k] ?? 0) * (jacobian[c * n + k] ?? 0);
      jjt[r * 6 + c] = sum + (r === c ? options.damping * options.damping : 0);
    }
  }
  const y = solveLinear(jjt, error);
  const dq = new Array<number>(n).fill(0);
  for (let k = 0; k < n; k++) for (let r = 0; r < 6; r++) dq[k] = (dq[k] ?? 0) + (jacobian[r * n + k] ?? 0) * (y[r] ?? 0);
  let scale = 1;
  dq.forEach((step, k) => {
    const limit = options.max_step_rad[k] ?? Infinity;
    if (Math.abs(step) > limit) scale = Math.min(scale, limit / Math.abs(step));
  });
  return q_rad.map((q, k) => clampToJointLimits(q + (dq[k] ?? 0) * scale, k));
}

export function clampToJointLimits(q: number, joint: number, margin_rad = 0): number {
  const min = (FRANKA_Q_MIN_RAD[joint] ?? -Infinity) + margin_rad;
  const max = (FRANKA_Q_MAX_RAD[joint] ?? Infinity) - margin_rad;
  return Math.min(max, Math.max(min, q));
}

// ---- for drawing (the renderer imports these; one copy of the math for core and UI) ----------------

export const PANDA_Q_HOME_RAD: readonly number[] = FRANKA_Q_HOME_RAD;

export interface PandaFrames {
  /** base_from_link_i for links 1..7 (index 0 is link 1). */
  links: Mat4[];
  base_from_flange: Mat4;
  /** The Franka Hand's body frame: the flange turned −45° about z. */
  base_from_hand: Mat4;
  /** The tool centre point between the fingertips (libfranka's O_T_EE with the hand). */
  base_from_tcp: Mat4;
}

/** Every frame a drawing of the arm needs. Missing joint values count as 0, so a short message draws instead of throwing. */
export function pandaFrames(q_rad: readonly number[]): PandaFrames {
  const q = Array.from({ length: FRANKA_DOF }, (_, i) => q_rad[i] ?? 0);
  const frames = frankaFrames(q, FRANKA_FLANGE_TCP);
  const base_from_flange = frames[FRANKA_DOF] ?? mat4Identity();
  return {
    links: frames.slice(0, FRANKA_DOF),
    base_from_flange,
    base_from_hand: mat4Multiply(base_from_flange, flangeFromTcp(0, FRANKA_HAND_TCP_YAW_RAD)),
    base_from_tcp: mat4Multiply(base_from_flange, flangeFromTcp(FRANKA_HAND_TCP_D_M, FRANKA_HAND_TCP_YAW_RAD)),
  };
}

export function translationOf(m: Mat4): [number, number, number] {
  return mat4Translation(m);
}
