import type { Mat4, Quaternion, Vec3 } from '../../shared/robot/types';
import type { SuccessCheck } from './pickPlaceTask';

/** Arm state as the engine measures it; devices add `capture_ns` from the studio clock. */
export interface ArmReading {
  sim_time_s: number;
  q_rad: number[];
  dq_rad_s: number[];
  tau_nm: number[];
  /** The impedance controller's current joint target. */
  q_target_rad: number[];
  base_from_ee: Mat4;
  ee_position_m: Vec3;
  ee_quaternion_wxyz: Quaternion;
}

export interface GripperReading {
  sim_time_s: number;
  width_m: number;
  max_width_m: number;
  is_grasped: boolean;
  mode: 'move' | 'grasp';
}

export interface ObjectState {
  name: string;
  body_id: number;
  geom_id: number;
  position_m: Vec3;
  quaternion_wxyz: Quaternion;
  linear_velocity_m_s: Vec3;
  rgb: Vec3;
}

/** Privileged ground truth (simulation only): object poses, contacts, task outcome. */
export interface PrivilegedState {
  sim_time_s: number;
  seed: number;
  objects: ObjectState[];
  target: { name: string; geom_id: number; center_m: Vec3; half_extent_m: number };
  /** Cube centre to target centre, in the table plane. */
  object_target_distance_m: number;
  contact: { left_finger_object: boolean; right_finger_object: boolean; gripper_object: boolean; object_table: boolean };
  /** Both fingers on the cube and the cube off the table. */
  grasped: boolean;
  /**
   * Every body's pose, by body id (`SimStartInfo.bodies` names them): x, y, z (m), qw, qx, qy, qz in
   * the world (= robot base) frame. With the segmentation legend this gives ground-truth scene flow.
   */
  body_poses: number[];
  lifted: boolean;
  success: boolean;
  success_detail: SuccessCheck;
}

export interface SegmentationLegendEntry {
  /** The id written into segmentation images (MuJoCo geom id). */
  id: number;
  geom: string;
  body_id: number;
  body: string;
}
