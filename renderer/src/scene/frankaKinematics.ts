import { FRANKA_DH, FRANKA_DOF, FRANKA_FLANGE_D_M, FRANKA_HAND_TCP_D_M, FRANKA_HAND_TCP_YAW_RAD, FRANKA_Q_HOME_RAD, type DhRow } from '../../../shared/robot/frankaDh';

/**
 * Franka Panda / FR3 forward kinematics for drawing, from the modified (Craig) DH table Franka
 * publishes (`shared/robot/frankaDh.ts`, the numbers the simulator and the deoxys driver use). The
 * renderer may not import the core, so the math here is its own, checked against the same known poses in
 * test/renderer/frankaKinematics.test.ts.
 *
 * Matrices are plain column-major arrays (the layout of THREE.Matrix4.elements), so the module has no
 * dependency on three.js and is cheap to test.
 */
export type Mat4 = number[];

// The published numbers live once, in shared/; these names are the renderer's.
export const PANDA_DH: readonly DhRow[] = FRANKA_DH;
export const PANDA_FLANGE_D_M = FRANKA_FLANGE_D_M;
export const PANDA_HAND_TCP_D_M = FRANKA_HAND_TCP_D_M;
export const PANDA_HAND_YAW_RAD = FRANKA_HAND_TCP_YAW_RAD;
export const PANDA_Q_HOME_RAD: readonly number[] = FRANKA_Q_HOME_RAD;
export const PANDA_DOF = FRANKA_DOF;

export function identity(): Mat4 {
  return [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
}

export function multiply(a: Mat4, b: Mat4): Mat4 {
  const out = new Array<number>(16);
  for (let col = 0; col < 4; col++) {
    for (let row = 0; row < 4; row++) {
      let sum = 0;
      for (let k = 0; k < 4; k++) sum += (a[k * 4 + row] ?? 0) * (b[col * 4 + k] ?? 0);
      out[col * 4 + row] = sum;
    }
  }
  return out;
}

/** frame i−1 → frame i: RotX(α) · TransX(a) · RotZ(θ) · TransZ(d). */
export function dhTransform(row: DhRow, theta_rad: number): Mat4 {
  const ct = Math.cos(theta_rad);
  const st = Math.sin(theta_rad);
  const ca = Math.cos(row.alpha_rad);
  const sa = Math.sin(row.alpha_rad);
  return [ct, st * ca, st * sa, 0, -st, ct * ca, ct * sa, 0, 0, -sa, ca, 0, row.a_m, -row.d_m * sa, row.d_m * ca, 1];
}

function rotZTransZ(yaw_rad: number, d_m: number): Mat4 {
  const c = Math.cos(yaw_rad);
  const s = Math.sin(yaw_rad);
  return [c, s, 0, 0, -s, c, 0, 0, 0, 0, 1, 0, 0, 0, d_m, 1];
}

export interface PandaFrames {
  /** base_from_link_i for links 1..7 (index 0 is link 1). */
  links: Mat4[];
  base_from_flange: Mat4;
  /** The Franka Hand's body frame: the flange turned −45° about z. */
  base_from_hand: Mat4;
  /** The tool centre point between the fingertips (libfranka's O_T_EE with the hand). */
  base_from_tcp: Mat4;
}

/** Every frame the drawing needs. Missing joint values count as 0 so a short message draws, not throws. */
export function pandaFrames(q_rad: readonly number[]): PandaFrames {
  const links: Mat4[] = [];
  let current = identity();
  PANDA_DH.forEach((row, i) => {
    current = multiply(current, dhTransform(row, q_rad[i] ?? 0));
    links.push(current);
  });
  const base_from_flange = multiply(current, rotZTransZ(0, PANDA_FLANGE_D_M));
  const base_from_hand = multiply(base_from_flange, rotZTransZ(PANDA_HAND_YAW_RAD, 0));
  const base_from_tcp = multiply(base_from_hand, rotZTransZ(0, PANDA_HAND_TCP_D_M));
  return { links, base_from_flange, base_from_hand, base_from_tcp };
}

export function translationOf(m: Mat4): [number, number, number] {
  return [m[12] ?? 0, m[13] ?? 0, m[14] ?? 0];
}
