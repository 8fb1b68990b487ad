/**
 * The robot's vocabulary: geometry, arm and gripper states, the commands every arm and gripper
 * accepts, and what a device really sent. The ground floor: `main/devices/`, `main/sim/`,
 * `main/control/` and the renderer import it; it imports nothing.
 *
 * Conventions: robot base frame, metres, radians, seconds; times are `*_ns` from the studio's one
 * monotonic clock; matrices are 4×4 column-major (libfranka's `O_T_EE` layout); quaternions (w, x, y, z).
 */

export type Vec3 = [number, number, number];
export type Quaternion = [number, number, number, number];
/** 4×4 homogeneous transform, column-major (16 numbers), as libfranka's `O_T_EE`. */
export type Mat4 = number[];

export interface ArmState {
  capture_ns: bigint;
  q_rad: number[];
  dq_rad_s: number[];
  /** Measured joint torques, where the arm reports them. */
  tau_nm?: number[];
  /** End-effector (TCP) pose in the base frame. */
  base_from_ee: Mat4;
  ee_position_m: Vec3;
  ee_quaternion_wxyz: Quaternion;
}

/**
 * Arm commands, the same set the deoxys bridge accepts. `ee_delta` is deoxys OSC_POSE: a translation
 * and an axis-angle rotation in the base frame, applied to the current pose.
 */
export type ArmCommand =
  | { kind: 'ee_delta'; translation_m: Vec3; rotation_axis_angle_rad: Vec3 }
  | { kind: 'ee_pose'; position_m: Vec3; quaternion_wxyz: Quaternion }
  | { kind: 'joint_position'; q_rad: number[] }
  | { kind: 'joint_impedance'; q_rad: number[] };

/** What was really sent, and why it differs from what was asked: clipping is recorded, never silent. */
export interface SentAction<C> {
  requested: C;
  sent: C;
  clipped: boolean;
  /** Human-readable reasons, e.g. `joint 4 at lower limit`, `workspace x max`. */
  clip_reasons: string[];
}

/** Pinhole camera intrinsics in pixels (OpenCV convention). */
export interface PinholeIntrinsics {
  fx_px: number;
  fy_px: number;
  cx_px: number;
  cy_px: number;
}

// ---- gripper ---------------------------------------------------------------------------------------

export interface GripperState {
  capture_ns: bigint;
  width_m: number;
  max_width_m: number;
  is_grasped: boolean;
  /** Raw status for drivers that report one (Robotiq gOBJ/gFLT, Franka Hand temperature...). */
  detail?: Record<string, number | string | boolean>;
}

export type GripperCommand =
  | { kind: 'move'; width_m: number; speed_m_s: number }
  | { kind: 'grasp'; width_m: number; speed_m_s: number; force_n: number; epsilon_inner_m?: number; epsilon_outer_m?: number }
  | { kind: 'stop' }
  | { kind: 'homing' };
