/**
 * The Franka Panda's published kinematics (modified / Craig DH, Franka's "Robot and interface
 * specifications"), one copy for the core, the simulator's drivers and the renderer:
 * frame i = frame i−1 · RotX(α) · TransX(a) · RotZ(θᵢ) · TransZ(d).
 */
export interface DhRow {
  a_m: number;
  d_m: number;
  alpha_rad: number;
}

export const FRANKA_DH: readonly DhRow[] = [
  { a_m: 0, d_m: 0.333, alpha_rad: 0 },
  { a_m: 0, d_m: 0, alpha_rad: -Math.PI / 2 },
  { a_m: 0, d_m: 0.316, alpha_rad: Math.PI / 2 },
  { a_m: 0.0825, d_m: 0, alpha_rad: Math.PI / 2 },
  { a_m: -0.0825, d_m: 0.384, alpha_rad: -Math.PI / 2 },
  { a_m: 0, d_m: 0, alpha_rad: Math.PI / 2 },
  { a_m: 0.088, d_m: 0, alpha_rad: Math.PI / 2 },
];

/** Joint 7 frame → flange: 0.107 m along z. */
export const FRANKA_FLANGE_D_M = 0.107;
/** libfranka's default `F_T_EE` with the Franka Hand: 0.1034 m along z, rotated −45° about z. */
export const FRANKA_HAND_TCP_D_M = 0.1034;
export const FRANKA_HAND_TCP_YAW_RAD = -Math.PI / 4;
export const FRANKA_Q_HOME_RAD: readonly number[] = [0, -0.785, 0, -2.356, 0, 1.571, 0.785];
export const FRANKA_DOF = 7;
