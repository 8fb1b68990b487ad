import { decodeMessage, DeoxysDecodeError, encodeMessage } from './protoRoot';

/** `FrankaRobotStateMessage.RobotMode`. */
export const RobotMode = { Other: 0, Idle: 1, Move: 2, Guiding: 3, Reflex: 4, UserStopped: 5, AutomaticErrorRecovery: 6 } as const;

/** The subset of `FrankaRobotStateMessage` the studio uses, validated. Arrays keep libfranka layouts. */
export interface DeoxysRobotState {
  /** base_from_ee, 4×4 column-major. */
  O_T_EE: number[];
  O_T_EE_d: number[];
  /** flange_from_ee (the TCP offset configured in Desk). */
  F_T_EE: number[];
  q: number[];
  q_d: number[];
  dq: number[];
  tau_J: number[];
  O_F_ext_hat_K: number[];
  robot_mode: number;
  /** The NUC's robot time. */
  time_s: number;
  frame: bigint;
  /** Names of the `current_errors` flags that are set. */
  current_errors: string[];
}

export interface DeoxysGripperState {
  width_m: number;
  max_width_m: number;
  is_grasped: boolean;
  temperature_c: number;
  time_s: number;
}

function doubles(source: Record<string, unknown>, field: string, name: string, bytes: number, length: number | 'any'): number[] {
  const value = source[field];
  const array = Array.isArray(value) ? (value as unknown[]) : [];
  if (length !== 'any' && array.length !== length) {
    throw new DeoxysDecodeError(name, bytes, `${field} has ${array.length} values, expected ${length}`);
  }
  for (const element of array) {
    if (typeof element !== 'number' || !Number.isFinite(element))
      throw new DeoxysDecodeError(name, bytes, `${field} holds a non-finite value`);
  }
  return array as number[];
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

function finiteNumber(value: unknown, field: string, name: string, bytes: number): number {
  const number = typeof value === 'number' ? value : 0;
  if (!Number.isFinite(number)) throw new DeoxysDecodeError(name, bytes, `${field} is not finite`);
  return number;
}

/** libfranka's `RobotMode` has exactly these values; anything else is a corrupt message, not a mode. */
function robotMode(value: unknown, name: string, bytes: number): number {
  const mode = typeof value === 'number' ? value : 0;
  if (!(Object.values(RobotMode) as number[]).includes(mode))
    throw new DeoxysDecodeError(name, bytes, `robot_mode ${mode} is not a libfranka RobotMode (0..6)`);
  return mode;
}

/** Decodes and validates a robot state (q, dq: 7; O_T_EE: 16, not all zero). Throws `DeoxysDecodeError`. */
export function decodeRobotState(bytes: Uint8Array): DeoxysRobotState {
  const name = 'FrankaRobotStateMessage';
  const message = decodeMessage(name, bytes);
  const O_T_EE = doubles(message, 'O_T_EE', name, bytes.length, 16);
  // Python's check_nonzero_configuration: an all-zero pose means the NUC has not read the robot yet.
  if (Math.max(...O_T_EE.map(Math.abs)) <= 1e-3)
    throw new DeoxysDecodeError(name, bytes.length, 'O_T_EE is all zeros (the NUC has not read the robot yet)');
  const errors = record(message.current_errors);
  const frame = typeof message.frame === 'string' ? BigInt(message.frame) : 0n;
  return {
    O_T_EE,
    O_T_EE_d: doubles(message, 'O_T_EE_d', name, bytes.length, 'any'),
    F_T_EE: doubles(message, 'F_T_EE', name, bytes.length, 'any'),
    q: doubles(message, 'q', name, bytes.length, 7),
    q_d: doubles(message, 'q_d', name, bytes.length, 'any'),
    dq: doubles(message, 'dq', name, bytes.length, 7),
    tau_J: doubles(message, 'tau_J', name, bytes.length, 'any'),
    O_F_ext_hat_K: doubles(message, 'O_F_ext_hat_K', name, bytes.length, 'any'),
    robot_mode: robotMode(message.robot_mode, name, bytes.length),
    time_s: finiteNumber(record(message.time).toSec, 'time.toSec', name, bytes.length),
    frame,
    current_errors: Object.entries(errors)
      .filter(([, set]) => set === true)
      .map(([flag]) => flag),
  };
}

export interface RobotStateToEncode {
  O_T_EE: number[];
  O_T_EE_d?: number[];
  F_T_EE?: number[];
  q: number[];
  q_d?: number[];
  dq: number[];
  tau_J?: number[];
  O_F_ext_hat_K?: number[];
  robot_mode: number;
  time_s: number;
  frame: bigint;
}

/** What the NUC's `StatePublisher` sends (the fields §1.10 asks a stand-in to fill). */
export function encodeRobotState(state: RobotStateToEncode): Uint8Array {
  const time_ms = Math.max(0, Math.floor(state.time_s * 1000));
  return encodeMessage('FrankaRobotStateMessage', {
    O_T_EE: state.O_T_EE,
    O_T_EE_d: state.O_T_EE_d,
    F_T_EE: state.F_T_EE,
    q: state.q,
    q_d: state.q_d,
    dq: state.dq,
    tau_J: state.tau_J,
    O_F_ext_hat_K: state.O_F_ext_hat_K,
    robot_mode: state.robot_mode,
    time: { toSec: state.time_s, toMSec: String(time_ms) },
    frame: state.frame.toString(),
  });
}

export function decodeGripperState(bytes: Uint8Array): DeoxysGripperState {
  const name = 'FrankaGripperStateMessage';
  const message = decodeMessage(name, bytes);
  const width_m = finiteNumber(message.width, 'width', name, bytes.length);
  const max_width_m = finiteNumber(message.max_width, 'max_width', name, bytes.length);
  if (max_width_m <= 0) throw new DeoxysDecodeError(name, bytes.length, `max_width is ${max_width_m} m (the gripper has not been homed?)`);
  return {
    width_m,
    max_width_m,
    is_grasped: message.is_grasped === true,
    temperature_c: typeof message.temperature === 'number' ? message.temperature : 0,
    time_s: finiteNumber(record(message.time).toSec, 'time.toSec', name, bytes.length),
  };
}

export function encodeGripperState(state: DeoxysGripperState): Uint8Array {
  return encodeMessage('FrankaGripperStateMessage', {
    width: state.width_m,
    max_width: state.max_width_m,
    is_grasped: state.is_grasped,
    temperature: state.temperature_c,
    time: { toSec: state.time_s, toMSec: String(Math.max(0, Math.floor(state.time_s * 1000))) },
  });
}
