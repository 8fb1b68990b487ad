import { FRANKA_DOF, FRANKA_Q_HOME_RAD } from '../../shared/robot/frankaDh';
import {
  FRANKA_DQ_MAX_RAD_S,
  FRANKA_HAND_DEFAULT_FORCE_N,
  FRANKA_HAND_LIMITS,
  FRANKA_JOINT_NAMES,
  FRANKA_Q_MAX_RAD,
  FRANKA_Q_MIN_RAD,
  FRANKA_TAU_MAX_NM,
} from '../../shared/robot/frankaLimits';

/**
 * Franka Panda constants from the datasheet ("Robot and interface specifications") and the gains of
 * libfranka's joint-impedance example. The MJCF (assets/franka_scene.xml) holds kinematics and masses;
 * these are what the controller enforces in code.
 */
export const ARM_DOF = FRANKA_DOF;

/** The published limits (shared/robot/) with the sim controller's own gains and speed caps. */
export const FRANKA = {
  joint_names: FRANKA_JOINT_NAMES,
  q_min_rad: FRANKA_Q_MIN_RAD,
  q_max_rad: FRANKA_Q_MAX_RAD,
  dq_max_rad_s: FRANKA_DQ_MAX_RAD_S,
  tau_max_nm: FRANKA_TAU_MAX_NM,
  q_home_rad: FRANKA_Q_HOME_RAD,
  kp_nm_rad: [600, 600, 600, 600, 250, 150, 50],
  kd_nms_rad: [50, 50, 50, 50, 30, 25, 15],
  /** Franka's Cartesian limits (translation 1.7 m/s, rotation 2.5 rad/s); the sim's interpolator stays under them. */
  ee_max_speed_m_s: 1.0,
  ee_max_speed_rad_s: 2.0,
  gripper_max_width_m: FRANKA_HAND_LIMITS.max_width_m,
  gripper_max_speed_m_s: FRANKA_HAND_LIMITS.max_speed_m_s,
  gripper_max_force_n: FRANKA_HAND_LIMITS.max_force_n,
  gripper_default_force_n: FRANKA_HAND_DEFAULT_FORCE_N,
} as const;

/** Fixed indices of the scene's layout (the robot is declared before the objects in the MJCF). */
export const LAYOUT = {
  /** qpos/qvel 0..6 arm, 7..8 fingers. */
  finger_qpos: [7, 8],
  /** ctrl 0..6 arm torques, 7 gripper servo. */
  gripper_ctrl: 7,
  /** Physics steps per internal controller tick (IK and interpolation run at 100 Hz). */
  controller_hz: 100,
} as const;
