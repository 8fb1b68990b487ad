import type { Vec3 } from '../types';
import { anyMessageName, decodeMessage, DeoxysDecodeError, encodeMessage, packAny, typeUrlOf, type PlainMessage } from './protoRoot';

/** `FrankaControlMessage.ControllerType`. */
export const ControllerType = {
  NO_CONTROL: 0,
  OSC_POSE: 1,
  OSC_POSITION: 2,
  JOINT_POSITION: 3,
  JOINT_IMPEDANCE: 4,
  JOINT_VELOCITY: 5,
  TORQUE: 6,
  OSC_YAW: 7,
  CARTESIAN_VELOCITY: 8,
} as const;
export type ControllerTypeName = keyof typeof ControllerType;

/** `FrankaControlMessage.TrajInterpolatorType`. */
export const TrajInterpolatorType = {
  NO_OP: 0,
  LINEAR_POSITION: 1,
  LINEAR_POSE: 2,
  MIN_JERK_POSE: 3,
  SMOOTH_JOINT_POSITION: 4,
  MIN_JERK_JOINT_POSITION: 5,
  LINEAR_JOINT_POSITION: 6,
  COSINE_CARTESIAN_VELOCITY: 7,
  LINEAR_CARTESIAN_VELOCITY: 8,
} as const;

export function controllerTypeName(value: number): string {
  return Object.entries(ControllerType).find(([, v]) => v === value)?.[0] ?? `unknown controller type ${value}`;
}

/**
 * Gains and interpolator settings deoxys's Python client reads from its controller YAMLs
 * (`osc-pose-controller.yml`, `joint-impedance-controller.yml`, `joint-position-controller.yml`).
 */
export interface DeoxysControllerSettings {
  osc_translational_stiffness: Vec3;
  osc_rotational_stiffness: Vec3;
  osc_residual_mass_vec: number[];
  joint_impedance_kp: number[];
  joint_impedance_kd: number[];
  joint_position_speed_factor: number;
  /** Fraction of the policy period the NUC's interpolator takes to reach a goal; deoxys forces ≥ 0.1. */
  traj_interpolator_time_fraction: number;
  /** `FrankaControlMessage.timeout`; Python always sends 0.2. */
  timeout_s: number;
}

export const DEOXYS_DEFAULT_SETTINGS: DeoxysControllerSettings = {
  osc_translational_stiffness: [150, 150, 150],
  osc_rotational_stiffness: [250, 250, 250],
  osc_residual_mass_vec: [0, 0, 0, 0, 0.1, 0.5, 0.5],
  joint_impedance_kp: [100, 100, 100, 100, 75, 150, 50],
  joint_impedance_kd: [20, 20, 20, 20, 7.5, 15, 5],
  joint_position_speed_factor: 0.1,
  traj_interpolator_time_fraction: 0.3,
  timeout_s: 0.2,
};

/**
 * Always sent with a controller command: the NUC dereferences its estimator unconditionally and only
 * creates one for EXPONENTIAL_SMOOTHING (spec §1.9 item 5), so this mirrors Python exactly.
 */
function stateEstimator(): PlainMessage {
  return {
    is_estimation: false,
    estimator_type: 1,
    config: packAny('ExponentialSmoothingConfig', { alpha_q: 0.9, alpha_dq: 0.9, alpha_eef: 1.0, alpha_eef_vel: 1.0 }),
  };
}

/** The message of the NO_CONTROL burst (`preprocess()` in Python): §1.11's first test vector. */
export function encodeNoControl(settings: DeoxysControllerSettings = DEOXYS_DEFAULT_SETTINGS): Uint8Array {
  return encodeMessage('FrankaControlMessage', {
    controller_type: ControllerType.NO_CONTROL,
    control_msg: packAny('FrankaDummyControllerMessage', {}),
    timeout: settings.timeout_s,
  });
}

/** Ends the arm node (which the NUC's shell loop then restarts). */
export function encodeArmTermination(controllerType: number = ControllerType.OSC_POSE): Uint8Array {
  return encodeMessage('FrankaControlMessage', { termination: true, controller_type: controllerType });
}

export interface OscGoal {
  is_delta: boolean;
  translation_m: Vec3;
  rotation_axis_angle_rad: Vec3;
}

export function encodeOscPose(goal: OscGoal, settings: DeoxysControllerSettings = DEOXYS_DEFAULT_SETTINGS): Uint8Array {
  const [x, y, z] = goal.translation_m;
  const [ax, ay, az] = goal.rotation_axis_angle_rad;
  return encodeMessage('FrankaControlMessage', {
    controller_type: ControllerType.OSC_POSE,
    traj_interpolator_type: TrajInterpolatorType.LINEAR_POSE,
    traj_interpolator_time_fraction: settings.traj_interpolator_time_fraction,
    control_msg: packAny('FrankaOSCPoseControllerMessage', {
      goal: { is_delta: goal.is_delta, x, y, z, ax, ay, az },
      translational_stiffness: [...settings.osc_translational_stiffness],
      rotational_stiffness: [...settings.osc_rotational_stiffness],
      config: { residual_mass_vec: [...settings.osc_residual_mass_vec] },
    }),
    timeout: settings.timeout_s,
    state_estimator_msg: stateEstimator(),
  });
}

function jointGoal(q_rad: readonly number[]): PlainMessage {
  if (q_rad.length !== 7) throw new Error(`a deoxys joint goal needs 7 joint angles, got ${q_rad.length}`);
  const goal: PlainMessage = { is_delta: false };
  q_rad.forEach((q, i) => (goal[`q${i + 1}`] = q));
  return goal;
}

export function encodeJointImpedance(q_rad: readonly number[], settings: DeoxysControllerSettings = DEOXYS_DEFAULT_SETTINGS): Uint8Array {
  return encodeMessage('FrankaControlMessage', {
    controller_type: ControllerType.JOINT_IMPEDANCE,
    traj_interpolator_type: TrajInterpolatorType.LINEAR_JOINT_POSITION,
    traj_interpolator_time_fraction: settings.traj_interpolator_time_fraction,
    control_msg: packAny('FrankaJointImpedanceControllerMessage', {
      goal: jointGoal(q_rad),
      kp: [...settings.joint_impedance_kp],
      kd: [...settings.joint_impedance_kd],
    }),
    timeout: settings.timeout_s,
    state_estimator_msg: stateEstimator(),
  });
}

export function encodeJointPosition(q_rad: readonly number[], settings: DeoxysControllerSettings = DEOXYS_DEFAULT_SETTINGS): Uint8Array {
  return encodeMessage('FrankaControlMessage', {
    controller_type: ControllerType.JOINT_POSITION,
    traj_interpolator_type: TrajInterpolatorType.SMOOTH_JOINT_POSITION,
    traj_interpolator_time_fraction: settings.traj_interpolator_time_fraction,
    control_msg: packAny('FrankaJointPositionControllerMessage', {
      goal: jointGoal(q_rad),
      speed_factor: settings.joint_position_speed_factor,
    }),
    timeout: settings.timeout_s,
    state_estimator_msg: stateEstimator(),
  });
}

// ---- gripper ---------------------------------------------------------------------------------------

export function encodeGripperMove(width_m: number, speed_m_s: number): Uint8Array {
  return encodeMessage('FrankaGripperControlMessage', {
    control_msg: packAny('FrankaGripperMoveMessage', { width: width_m, speed: speed_m_s }),
  });
}

export interface GraspParameters {
  width_m: number;
  speed_m_s: number;
  force_n: number;
  epsilon_inner_m: number;
  epsilon_outer_m: number;
}

export function encodeGripperGrasp(grasp: GraspParameters): Uint8Array {
  return encodeMessage('FrankaGripperControlMessage', {
    control_msg: packAny('FrankaGripperGraspMessage', {
      width: grasp.width_m,
      speed: grasp.speed_m_s,
      force: grasp.force_n,
      epsilon_inner: grasp.epsilon_inner_m,
      epsilon_outer: grasp.epsilon_outer_m,
    }),
  });
}

export function encodeGripperStop(): Uint8Array {
  return encodeMessage('FrankaGripperControlMessage', { control_msg: packAny('FrankaGripperStopMessage', { stop: true }) });
}

export function encodeGripperHoming(): Uint8Array {
  return encodeMessage('FrankaGripperControlMessage', { control_msg: packAny('FrankaGripperHomingMessage', { homing: true }) });
}

export function encodeGripperTermination(): Uint8Array {
  return encodeMessage('FrankaGripperControlMessage', { termination: true });
}

// ---- parsing (what the NUC does; used by the simulated server) ------------------------------------

export type ParsedArmControl =
  | { kind: 'terminate' }
  | { kind: 'no_control' }
  | { kind: 'osc'; controller: 'OSC_POSE' | 'OSC_POSITION' | 'OSC_YAW'; goal: OscGoal; time_fraction: number }
  | { kind: 'joint'; controller: 'JOINT_POSITION' | 'JOINT_IMPEDANCE'; q_rad: number[]; is_delta: boolean; time_fraction: number }
  | { kind: 'unsupported'; controller_type: number };

interface AnyObject {
  type_url: string;
  value: number[];
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

function asNumber(value: unknown): number {
  return typeof value === 'number' ? value : 0;
}

function anyOf(value: unknown): AnyObject | undefined {
  const record = asRecord(value);
  if (typeof record.type_url !== 'string') return undefined;
  return { type_url: record.type_url, value: Array.isArray(record.value) ? (record.value as number[]) : [] };
}

/** C++ `Any::UnpackTo`: succeeds only if the URL's last segment names the expected message. */
function unpack(
  outer: string,
  any: AnyObject | undefined,
  expected: Parameters<typeof typeUrlOf>[0],
  byteLength: number,
): Record<string, unknown> {
  if (any === undefined) throw new DeoxysDecodeError(outer, byteLength, `control_msg is missing (expected an Any holding ${expected})`);
  if (anyMessageName(any.type_url) !== expected) {
    throw new DeoxysDecodeError(outer, byteLength, `control_msg holds "${any.type_url}", expected "${typeUrlOf(expected)}"`);
  }
  return decodeMessage(expected, Uint8Array.from(any.value));
}

function goalOf(value: unknown): OscGoal {
  const goal = asRecord(value);
  return {
    is_delta: goal.is_delta === true,
    translation_m: [asNumber(goal.x), asNumber(goal.y), asNumber(goal.z)],
    rotation_axis_angle_rad: [asNumber(goal.ax), asNumber(goal.ay), asNumber(goal.az)],
  };
}

/** Parses a `FrankaControlMessage` the way deoxys's arm node dispatches it. Throws `DeoxysDecodeError`. */
export function parseArmControl(bytes: Uint8Array): ParsedArmControl {
  const name = 'FrankaControlMessage';
  const message = decodeMessage(name, bytes);
  if (message.termination === true) return { kind: 'terminate' };
  const controllerType = asNumber(message.controller_type);
  const timeFraction = asNumber(message.traj_interpolator_time_fraction);
  const any = anyOf(message.control_msg);
  switch (controllerType) {
    case ControllerType.NO_CONTROL:
      return { kind: 'no_control' };
    case ControllerType.OSC_POSE:
    case ControllerType.OSC_POSITION:
    case ControllerType.OSC_YAW: {
      const payload = unpack(name, any, 'FrankaOSCPoseControllerMessage', bytes.length);
      const controller =
        controllerType === ControllerType.OSC_POSE
          ? 'OSC_POSE'
          : controllerType === ControllerType.OSC_POSITION
            ? 'OSC_POSITION'
            : 'OSC_YAW';
      return { kind: 'osc', controller, goal: goalOf(payload.goal), time_fraction: timeFraction };
    }
    case ControllerType.JOINT_POSITION:
    case ControllerType.JOINT_IMPEDANCE: {
      const isImpedance = controllerType === ControllerType.JOINT_IMPEDANCE;
      const payload = unpack(
        name,
        any,
        isImpedance ? 'FrankaJointImpedanceControllerMessage' : 'FrankaJointPositionControllerMessage',
        bytes.length,
      );
      const goal = asRecord(payload.goal);
      const q_rad = [1, 2, 3, 4, 5, 6, 7].map((i) => asNumber(goal[`q${i}`]));
      return {
        kind: 'joint',
        controller: isImpedance ? 'JOINT_IMPEDANCE' : 'JOINT_POSITION',
        q_rad,
        is_delta: goal.is_delta === true,
        time_fraction: timeFraction,
      };
    }
    default:
      return { kind: 'unsupported', controller_type: controllerType };
  }
}

export type ParsedGripperControl =
  | { kind: 'terminate' }
  | { kind: 'move'; width_m: number; speed_m_s: number }
  | ({ kind: 'grasp' } & GraspParameters)
  | { kind: 'stop' }
  | { kind: 'homing' }
  | { kind: 'unknown'; type_url: string };

/** Parses a `FrankaGripperControlMessage`. Throws `DeoxysDecodeError`. */
export function parseGripperControl(bytes: Uint8Array): ParsedGripperControl {
  const name = 'FrankaGripperControlMessage';
  const message = decodeMessage(name, bytes);
  if (message.termination === true) return { kind: 'terminate' };
  const any = anyOf(message.control_msg);
  const inner = any === undefined ? '' : anyMessageName(any.type_url);
  switch (inner) {
    case 'FrankaGripperMoveMessage': {
      const move = unpack(name, any, inner, bytes.length);
      return { kind: 'move', width_m: asNumber(move.width), speed_m_s: asNumber(move.speed) };
    }
    case 'FrankaGripperGraspMessage': {
      const grasp = unpack(name, any, inner, bytes.length);
      return {
        kind: 'grasp',
        width_m: asNumber(grasp.width),
        speed_m_s: asNumber(grasp.speed),
        force_n: asNumber(grasp.force),
        epsilon_inner_m: asNumber(grasp.epsilon_inner),
        epsilon_outer_m: asNumber(grasp.epsilon_outer),
      };
    }
    case 'FrankaGripperStopMessage':
      unpack(name, any, inner, bytes.length);
      return { kind: 'stop' };
    case 'FrankaGripperHomingMessage':
      unpack(name, any, inner, bytes.length);
      return { kind: 'homing' };
    default:
      return { kind: 'unknown', type_url: any?.type_url ?? '' };
  }
}
