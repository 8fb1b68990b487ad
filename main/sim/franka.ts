/**
 * Franka Panda constants from the datasheet ("Robot and interface specifications") and the gains of
 * libfranka's joint-impedance example. The MJCF (assets/franka_scene.xml) holds kinematics and masses;
 * these are what the controller enforces in code.
 */
export const ARM_DOF = 7;

export const FRANKA = {
  joint_names: ['joint1', 'joint2', 'joint3', 'joint4', 'joint5', 'joint6', 'joint7'],
  q_min_rad: [-2.8973, -1.7628, -2.8973, -3.0718, -2.8973, -0.0175, -2.8973],
  q_max_rad: [2.8973, 1.7628, 2.8973, -0.0698, 2.8973, 3.7525, 2.8973],
  dq_max_rad_s: [2.175, 2.175, 2.175, 2.175, 2.61, 2.61, 2.61],
  tau_max_nm: [87, 87, 87, 87, 12, 12, 12],
  q_home_rad: [0, -0.785, 0, -2.356, 0, 1.571, 0.785],
  kp_nm_rad: [600, 600, 600, 600, 250, 150, 50],
  kd_nms_rad: [50, 50, 50, 50, 30, 25, 15],
  /** Franka's Cartesian limits (translation 1.7 m/s, rotation 2.5 rad/s); the sim's interpolator stays under them. */
  ee_max_speed_m_s: 1.0,
  ee_max_speed_rad_s: 2.0,
  gripper_max_width_m: 0.08,
  gripper_max_speed_m_s: 0.1,
  gripper_max_force_n: 70,
  gripper_default_force_n: 20,
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
