import { ARM_DOF, FRANKA } from './franka';

/** Solves the 6×6 system A x = b by Gaussian elimination with partial pivoting (A, b are copied). */
export function solve6(matrix: Float64Array, rhs: Float64Array): Float64Array {
  const n = 6;
  const a = Float64Array.from(matrix);
  const b = Float64Array.from(rhs);
  const at = (r: number, c: number): number => a[r * n + c] as number;
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(at(r, c)) > Math.abs(at(p, c))) p = r;
    if (p !== c) {
      for (let k = 0; k < n; k++) {
        const t = at(c, k);
        a[c * n + k] = at(p, k);
        a[p * n + k] = t;
      }
      const t = b[c] as number;
      b[c] = b[p] as number;
      b[p] = t;
    }
    const pivot = at(c, c);
    for (let r = c + 1; r < n; r++) {
      const f = at(r, c) / pivot;
      if (f === 0) continue;
      for (let k = c; k < n; k++) a[r * n + k] = at(r, k) - f * at(c, k);
      b[r] = (b[r] as number) - f * (b[c] as number);
    }
  }
  const x = new Float64Array(n);
  for (let r = n - 1; r >= 0; r--) {
    let s = b[r] as number;
    for (let k = r + 1; k < n; k++) s -= at(r, k) * (x[k] as number);
    x[r] = s / at(r, r);
  }
  return x;
}

export interface IkLimits {
  /** Largest Cartesian step per call (m, rad): DLS is only accurate for small steps. */
  maxLinear_m: number;
  maxAngular_rad: number;
  lambda: number;
  /** Null-space pull toward the home posture (1/s), so the redundant joint does not drift. */
  nullGain: number;
  /** Keep joint targets this far inside the limits. */
  limitMargin_rad: number;
}

export const DEFAULT_IK: IkLimits = { maxLinear_m: 0.01, maxAngular_rad: 0.05, lambda: 0.02, nullGain: 0.5, limitMargin_rad: 0.02 };

/**
 * One damped-least-squares step: given the TCP pose (pos, row-major mat) and 6×7 Jacobian at joint
 * configuration `q`, moves `q` in place toward (targetPos, targetMat) within joint velocity limits over
 * `dt_s`. Returns true if a joint hit its position limit (the caller reports it).
 */
export function dlsStep(
  q: Float64Array,
  pos: ArrayLike<number>,
  mat: ArrayLike<number>,
  jacobian: Float64Array,
  targetPos: ArrayLike<number>,
  targetMat: ArrayLike<number>,
  dt_s: number,
  limits: IkLimits = DEFAULT_IK,
): boolean {
  const n = ARM_DOF;
  const J = (r: number, c: number): number => jacobian[r * n + c] as number;
  const e = new Float64Array(6);
  for (let k = 0; k < 3; k++) e[k] = (targetPos[k] as number) - (pos[k] as number);
  // orientation error ½ Σ_j R_j × Rd_j over the columns j (both row-major)
  for (let j = 0; j < 3; j++) {
    const a0 = mat[j] as number,
      a1 = mat[3 + j] as number,
      a2 = mat[6 + j] as number;
    const b0 = targetMat[j] as number,
      b1 = targetMat[3 + j] as number,
      b2 = targetMat[6 + j] as number;
    e[3] = (e[3] as number) + 0.5 * (a1 * b2 - a2 * b1);
    e[4] = (e[4] as number) + 0.5 * (a2 * b0 - a0 * b2);
    e[5] = (e[5] as number) + 0.5 * (a0 * b1 - a1 * b0);
  }
  const lin = Math.hypot(e[0] as number, e[1] as number, e[2] as number);
  const ang = Math.hypot(e[3] as number, e[4] as number, e[5] as number);
  if (lin > limits.maxLinear_m) for (let k = 0; k < 3; k++) e[k] = ((e[k] as number) * limits.maxLinear_m) / lin;
  if (ang > limits.maxAngular_rad) for (let k = 3; k < 6; k++) e[k] = ((e[k] as number) * limits.maxAngular_rad) / ang;
  const A = new Float64Array(36);
  const l2 = limits.lambda * limits.lambda;
  for (let r = 0; r < 6; r++) {
    for (let c = 0; c < 6; c++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += J(r, k) * J(c, k);
      A[r * 6 + c] = s + (r === c ? l2 : 0);
    }
  }
  const y = solve6(A, e);
  const dq = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    let s = 0;
    for (let r = 0; r < 6; r++) s += J(r, k) * (y[r] as number);
    dq[k] = s;
  }
  // null space: dq += z − Jᵀ A⁻¹ J z with z pulling toward home
  const z = new Float64Array(n);
  for (let k = 0; k < n; k++) z[k] = limits.nullGain * dt_s * ((FRANKA.q_home_rad[k] as number) - (q[k] as number));
  const Jz = new Float64Array(6);
  for (let r = 0; r < 6; r++) {
    let s = 0;
    for (let k = 0; k < n; k++) s += J(r, k) * (z[k] as number);
    Jz[r] = s;
  }
  const w = solve6(A, Jz);
  for (let k = 0; k < n; k++) {
    let s = 0;
    for (let r = 0; r < 6; r++) s += J(r, k) * (w[r] as number);
    dq[k] = (dq[k] as number) + (z[k] as number) - s;
  }
  let scale = 1;
  for (let k = 0; k < n; k++) {
    const lim = 0.8 * (FRANKA.dq_max_rad_s[k] as number) * dt_s;
    const step = Math.abs(dq[k] as number);
    if (step > lim) scale = Math.min(scale, lim / step);
  }
  let atLimit = false;
  for (let k = 0; k < n; k++) {
    const lo = (FRANKA.q_min_rad[k] as number) + limits.limitMargin_rad;
    const hi = (FRANKA.q_max_rad[k] as number) - limits.limitMargin_rad;
    const next = (q[k] as number) + scale * (dq[k] as number);
    if (next < lo || next > hi) atLimit = true;
    q[k] = Math.min(Math.max(next, lo), hi);
  }
  return atLimit;
}
