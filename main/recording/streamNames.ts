import type { StreamDef } from './streamDef';

/**
 * The names recorded streams go by, shared by the recorder taps, the UI and the exporters. Streams
 * keep what devices report, raw and unresampled; exporters assemble dataset features from them
 * (e.g. LeRobot `observation.state` = arm.q_rad ++ gripper.width_m; `action` = action.executed).
 */
export const STREAMS = {
  armQ: 'arm.q_rad',
  armDq: 'arm.dq_rad_s',
  /** End-effector pose in the base frame: position (3, m) then quaternion (w, x, y, z). */
  armEePose: 'arm.ee_pose',
  gripperWidth: 'gripper.width_m',
  /** Operator / policy intent before safety: ee delta (translation m, axis-angle rad) + gripper 0..1. */
  actionRequested: 'action.requested',
  /** What the arm really received after safety and driver clipping, same layout. */
  actionExecuted: 'action.executed',
  /** Clip reasons, events (button presses, phases), as JSON. */
  events: 'events',
  /** Privileged simulator ground truth. */
  simObjectPoses: 'sim.object_poses',
  simContact: 'sim.gripper_object_contact',
  simSuccess: 'sim.success',
  /** Every body's pose (x y z m, qw qx qy qz), by body id; with the segmentation legend, ground-truth scene flow. */
  simBodyPoses: 'sim.body_poses',
  simObjectTargetDistance: 'sim.object_target_distance_m',
  /** Both fingers on the object and the object off the table. */
  simGrasped: 'sim.grasped',
  /** The place target's pose (x y z m, qw qx qy qz); its half extent is in the stream's meta. */
  simTargetPose: 'sim.target_pose',
  /** A scripted policy's phase at each control step: an index into the stream meta's `phases`. */
  expertPhase: 'expert.phase',
  /** 1 while the scripted policy explores at random instead of following its script, else 0. */
  expertExploring: 'expert.exploring',
  /** Where the script wants the TCP at the end of each step (x y z m, qw qx qy qz), exploring or not. */
  expertTargetPose: 'expert.target_pose',
  cameraColor: (camera: string) => `camera.${camera}.color`,
  cameraDepth: (camera: string) => `camera.${camera}.depth`,
  cameraSegmentation: (camera: string) => `camera.${camera}.segmentation`,
  /** Per-frame camera pose (4×4 column-major) for cameras that move, e.g. on the wrist. */
  cameraPose: (camera: string) => `camera.${camera}.world_from_camera`,
} as const;

export const ACTION_NAMES = ['dx_m', 'dy_m', 'dz_m', 'drx_rad', 'dry_rad', 'drz_rad', 'gripper'] as const;

/**
 * What every recorded action means, declared in the action streams' meta (`action_space`): the TCP
 * motion asked of one control step in the base frame — Δxyz (m), Δrotation axis-angle (rad,
 * pre-multiplied), then the gripper intent (0 open … 1 closed). Joint-space commands (a leader arm)
 * are recorded as the TCP motion their joint target asks for, never as joint angles under these names.
 * Recordings made before the declaration have no `action_space`.
 */
export const ACTION_SPACE = 'ee_delta';
export const JOINT_NAMES = ['joint_1', 'joint_2', 'joint_3', 'joint_4', 'joint_5', 'joint_6', 'joint_7'] as const;
export const EE_POSE_NAMES = ['x_m', 'y_m', 'z_m', 'qw', 'qx', 'qy', 'qz'] as const;

/**
 * Stream declarations for an arm + gripper rig: state at the rates the devices report it (the control
 * rate when they do not say), actions at the control rate.
 */
export function armStreams(rate_hz: number, state: { arm_hz?: number | undefined; gripper_hz?: number | undefined } = {}): StreamDef[] {
  const arm_hz = state.arm_hz ?? rate_hz;
  return [
    { name: STREAMS.armQ, kind: 'lowdim', dtype: 'float64', shape: [7], names: JOINT_NAMES, unit: 'rad', nominal_rate_hz: arm_hz },
    { name: STREAMS.armDq, kind: 'lowdim', dtype: 'float64', shape: [7], names: JOINT_NAMES, unit: 'rad/s', nominal_rate_hz: arm_hz },
    { name: STREAMS.armEePose, kind: 'lowdim', dtype: 'float64', shape: [7], names: EE_POSE_NAMES, nominal_rate_hz: arm_hz },
    {
      name: STREAMS.gripperWidth,
      kind: 'lowdim',
      dtype: 'float64',
      shape: [1],
      names: ['width_m'],
      unit: 'm',
      nominal_rate_hz: state.gripper_hz ?? rate_hz,
    },
    {
      name: STREAMS.actionRequested,
      kind: 'lowdim',
      dtype: 'float64',
      shape: [7],
      names: ACTION_NAMES,
      nominal_rate_hz: rate_hz,
      meta: { action_space: ACTION_SPACE },
    },
    {
      name: STREAMS.actionExecuted,
      kind: 'lowdim',
      dtype: 'float64',
      shape: [7],
      names: ACTION_NAMES,
      nominal_rate_hz: rate_hz,
      meta: { action_space: ACTION_SPACE },
    },
    { name: STREAMS.events, kind: 'event', dtype: 'json', shape: [] },
  ];
}
