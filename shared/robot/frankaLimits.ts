/**
 * The Franka Panda's and Franka Hand's published limits (Franka's "Robot and interface
 * specifications", the Franka Hand datasheet), one copy for the simulator, the deoxys driver, the
 * control loop's joint margins and the command clipping (`commandLimits.ts`).
 */
export const FRANKA_JOINT_NAMES: readonly string[] = ['joint1', 'joint2', 'joint3', 'joint4', 'joint5', 'joint6', 'joint7'];
export const FRANKA_Q_MIN_RAD: readonly number[] = [-2.8973, -1.7628, -2.8973, -3.0718, -2.8973, -0.0175, -2.8973];
export const FRANKA_Q_MAX_RAD: readonly number[] = [2.8973, 1.7628, 2.8973, -0.0698, 2.8973, 3.7525, 2.8973];
export const FRANKA_DQ_MAX_RAD_S: readonly number[] = [2.175, 2.175, 2.175, 2.175, 2.61, 2.61, 2.61];
export const FRANKA_TAU_MAX_NM: readonly number[] = [87, 87, 87, 87, 12, 12, 12];

/** Franka Hand: 80 mm stroke, 70 N continuous force; libfranka caps the finger speed at 0.1 m/s. */
export interface GripperLimits {
  max_width_m: number;
  max_speed_m_s: number;
  max_force_n: number;
}

export const FRANKA_HAND_LIMITS: GripperLimits = { max_width_m: 0.08, max_speed_m_s: 0.1, max_force_n: 70 };
/** libfranka's examples grasp with 20 N. */
export const FRANKA_HAND_DEFAULT_FORCE_N = 20;
