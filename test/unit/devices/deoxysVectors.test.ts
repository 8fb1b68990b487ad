import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import {
  ControllerType,
  DEOXYS_DEFAULT_SETTINGS,
  encodeArmTermination,
  encodeGripperGrasp,
  encodeGripperHoming,
  encodeGripperMove,
  encodeGripperStop,
  encodeGripperTermination,
  encodeJointImpedance,
  encodeJointPosition,
  encodeNoControl,
  encodeOscPose,
  parseArmControl,
  parseGripperControl,
  TrajInterpolatorType,
  type DeoxysControllerSettings,
} from '../../../main/devices/deoxys/controlMessages';
import { decodeMessage, encodeMessage, packAny, type DeoxysMessageName, type PlainMessage } from '../../../main/devices/deoxys/protoRoot';
import {
  decodeGripperState,
  decodeRobotState,
  encodeGripperState,
  encodeRobotState,
  RobotMode,
} from '../../../main/devices/deoxys/stateMessages';
import { anyOf, doubleOf, doublesOf, payloadOf, readRecords, varintOf } from '../../support/protoWire';

/**
 * deoxys's own protos, compiled by protoc, serialised these 18 messages (test/fixtures/deoxys/README.md).
 * The studio must encode each `fields` to exactly `hex` and decode `hex` to exactly `fields`, through
 * its generic codec and through the encoders/parsers the arm, the gripper and the sim server use.
 */
interface Vector {
  message: DeoxysMessageName;
  fields: Record<string, unknown>;
  hex: string;
  note?: string;
}
const vectors = JSON.parse(readFileSync(resolve(__dirname, '../../fixtures/deoxys/vectors.json'), 'utf8')) as Record<string, Vector>;
const vector = (name: string): Vector => {
  const found = vectors[name];
  if (found === undefined) throw new Error(`no vector ${name}`);
  return found;
};
const bytesOf = (name: string): Uint8Array => Uint8Array.from(Buffer.from(vector(name).hex, 'hex'));
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

type Fields = Record<string, unknown>;
function num(fields: Fields, key: string): number {
  const value = fields[key];
  if (typeof value !== 'number') throw new Error(`${key} is not a number in the vector`);
  return value;
}
function nums(fields: Fields, key: string): number[] {
  const value = fields[key];
  if (!Array.isArray(value)) throw new Error(`${key} is not an array in the vector`);
  return value as number[];
}
function sub(fields: Fields, key: string): Fields {
  const value = fields[key];
  if (typeof value !== 'object' || value === null) throw new Error(`${key} is not a message in the vector`);
  return value as Fields;
}
/** The goal inside a vector's packed controller message. */
const goalOf = (name: string): Fields => sub(sub(vector(name).fields, 'control_msg'), 'goal');

/** `FrankaStateEstimatorMessage.EstimatorType` (spec §1.4); the studio has no table of its own. */
const EstimatorType = { NO_ESTIMATOR: 0, EXPONENTIAL_SMOOTHING_ESTIMATOR: 1 } as const;
const enumTables: Record<string, Record<string, number>> = {
  controller_type: ControllerType,
  traj_interpolator_type: TrajInterpolatorType,
  estimator_type: EstimatorType,
  robot_mode: RobotMode,
};
const messageNameOf = (typeUrl: string): DeoxysMessageName => typeUrl.slice(typeUrl.lastIndexOf('/') + 1) as DeoxysMessageName;

/** protobuf JSON mapping → the studio's plain-message shape (enums to numbers, `@type` objects packed with the studio's `packAny`). */
function toStudio(json: Record<string, unknown>): PlainMessage {
  const out: PlainMessage = {};
  for (const [key, value] of Object.entries(json)) {
    if (key === '@type') continue;
    const table = enumTables[key];
    if (table !== undefined) {
      const number = table[value as string];
      if (number === undefined) throw new Error(`unknown ${key} ${String(value)}`);
      out[key] = number;
    } else if (Array.isArray(value)) {
      out[key] = value as number[];
    } else if (typeof value === 'object' && value !== null) {
      const object = value as Record<string, unknown>;
      const typeUrl = object['@type'];
      out[key] = typeof typeUrl === 'string' ? packAny(messageNameOf(typeUrl), toStudio(object)) : toStudio(object);
    } else {
      out[key] = value as PlainMessage[string];
    }
  }
  return out;
}

/** The studio's decoded object (every field, defaults filled) → protobuf JSON mapping (defaults omitted, enums by name, Any unpacked). */
function toJsonMapping(decoded: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(decoded)) {
    if (
      value === null ||
      value === undefined ||
      value === false ||
      value === '' ||
      value === '0' ||
      (typeof value === 'number' && Object.is(value, 0))
    )
      continue;
    const table = enumTables[key];
    if (table !== undefined) {
      out[key] = Object.entries(table).find(([, number]) => number === value)?.[0] ?? value;
    } else if (Array.isArray(value)) {
      if (value.length > 0) out[key] = value;
    } else if (typeof value === 'object') {
      const object = value as Record<string, unknown>;
      if (typeof object.type_url === 'string' && Array.isArray(object.value)) {
        const inner = decodeMessage(messageNameOf(object.type_url), Uint8Array.from(object.value as number[]));
        out[key] = { '@type': object.type_url, ...toJsonMapping(inner) };
      } else {
        out[key] = toJsonMapping(object);
      }
    } else {
      out[key] = value;
    }
  }
  return out;
}

describe('deoxys test vectors (protoc-generated, test/fixtures/deoxys): the generic codec', () => {
  test('the fixture holds the 18 messages the spec lists', () => {
    expect(Object.keys(vectors)).toHaveLength(18);
  });

  test.each(Object.keys(vectors))('%s: encoding its fields gives exactly its bytes', (name) => {
    const { message, fields, hex: expected } = vector(name);
    expect(hex(encodeMessage(message, toStudio(fields)))).toBe(expected);
  });

  test.each(Object.keys(vectors))('%s: decoding its bytes gives exactly its fields', (name) => {
    const { message, fields } = vector(name);
    expect(toJsonMapping(decodeMessage(message, bytesOf(name)))).toEqual(fields);
  });
});

// ---- the encoders and parsers the studio really drives the arm with -----------------------------------

/** Settings carrying the vectors' gains, so an encoder's payload can be compared with the vector's. */
function settingsOf(fields: Fields): DeoxysControllerSettings {
  const control = sub(fields, 'control_msg');
  const vec3 = (key: string): [number, number, number] => {
    const [a = NaN, b = NaN, c = NaN] = nums(control, key);
    return [a, b, c];
  };
  return {
    ...DEOXYS_DEFAULT_SETTINGS,
    traj_interpolator_time_fraction: num(fields, 'traj_interpolator_time_fraction'),
    timeout_s: num(fields, 'timeout'),
    ...('translational_stiffness' in control
      ? {
          osc_translational_stiffness: vec3('translational_stiffness'),
          osc_rotational_stiffness: vec3('rotational_stiffness'),
          osc_residual_mass_vec: nums(sub(control, 'config'), 'residual_mass_vec'),
        }
      : {}),
    ...('kp' in control ? { joint_impedance_kp: nums(control, 'kp'), joint_impedance_kd: nums(control, 'kd') } : {}),
    ...('speed_factor' in control ? { joint_position_speed_factor: num(control, 'speed_factor') } : {}),
  };
}

const rawOf = (bytes: Uint8Array, field: number): string =>
  readRecords(bytes)
    .filter((r) => r.field === field)
    .map((r) => r.raw.toString('hex'))
    .join('');
const goalXyz = (goal: Fields): { translation_m: [number, number, number]; rotation_axis_angle_rad: [number, number, number] } => ({
  translation_m: [num(goal, 'x'), num(goal, 'y'), num(goal, 'z')],
  rotation_axis_angle_rad: [num(goal, 'ax'), num(goal, 'ay'), num(goal, 'az')],
});
const jointQ = (goal: Fields): number[] => [1, 2, 3, 4, 5, 6, 7].map((i) => num(goal, `q${i}`));

describe('deoxys test vectors: arm encoders, byte for byte', () => {
  test('NO_CONTROL (the preprocess / keep-alive burst) and termination are exactly the vectors', () => {
    expect(hex(encodeNoControl())).toBe(vector('arm_no_control').hex);
    expect(hex(encodeArmTermination(ControllerType.OSC_POSE))).toBe(vector('arm_termination').hex);
  });

  test('OSC_POSE: every field the encoder writes except the estimator is byte-identical to the vector', () => {
    const { fields } = vector('arm_osc_pose');
    const bytes = encodeOscPose({ is_delta: true, ...goalXyz(goalOf('arm_osc_pose')) }, settingsOf(fields));
    const expected = bytesOf('arm_osc_pose');
    // termination (1) absent, controller/interpolator types (2, 3), time fraction (4), the packed OSC payload (5), timeout (6).
    for (const field of [1, 2, 3, 4, 5, 6]) expect(rawOf(bytes, field), `field ${field}`).toBe(rawOf(expected, field));
    // The estimator (7) is Python's fixed one, not the vector's: check it against the spec (§1.9 item 5) at the wire level.
    const estimator = payloadOf(bytes, 7)!;
    expect(varintOf(estimator, 1)).toBeUndefined(); // is_estimation false
    expect(varintOf(estimator, 2)).toBe(1n); // EXPONENTIAL_SMOOTHING_ESTIMATOR
    const config = anyOf(payloadOf(estimator, 5)!);
    expect(config.typeUrl).toBe('type.googleapis.com/ExponentialSmoothingConfig');
    expect([1, 2, 3, 4].map((f) => doubleOf(config.value, f))).toEqual([0.9, 0.9, 1.0, 1.0]);
  });

  test('JOINT_IMPEDANCE: every field but the estimator is byte-identical to the vector', () => {
    const { fields } = vector('arm_joint_impedance');
    const goal = goalOf('arm_joint_impedance');
    const bytes = encodeJointImpedance(jointQ(goal), settingsOf(fields));
    const expected = bytesOf('arm_joint_impedance');
    for (const field of [1, 2, 3, 4, 5, 6]) expect(rawOf(bytes, field), `field ${field}`).toBe(rawOf(expected, field));
  });

  test('JOINT_POSITION: the envelope, the goal and the speed factor are byte-identical to the vector (the studio sends no gains)', () => {
    const { fields } = vector('arm_joint_position');
    const goal = goalOf('arm_joint_position');
    const bytes = encodeJointPosition(jointQ(goal), settingsOf(fields));
    const expected = bytesOf('arm_joint_position');
    for (const field of [1, 2, 3, 4, 6]) expect(rawOf(bytes, field), `field ${field}`).toBe(rawOf(expected, field));
    const payload = anyOf(payloadOf(bytes, 5)!);
    const expectedPayload = anyOf(payloadOf(expected, 5)!);
    expect(payload.typeUrl).toBe(expectedPayload.typeUrl);
    expect(rawOf(payload.value, 1)).toBe(rawOf(expectedPayload.value, 1)); // JointGoal q1..q7
    expect(rawOf(payload.value, 4)).toBe(rawOf(expectedPayload.value, 4)); // speed_factor
    expect(rawOf(payload.value, 2) + rawOf(payload.value, 3)).toBe('');
  });
});

describe('deoxys test vectors: the NUC-side parser (what the sim server acts on)', () => {
  test.each(['arm_osc_pose', 'arm_osc_position', 'arm_osc_yaw'])('%s parses to its controller, its goal and its time fraction', (name) => {
    const { fields } = vector(name);
    const goal = goalOf(name);
    expect(parseArmControl(bytesOf(name))).toEqual({
      kind: 'osc',
      controller: fields.controller_type,
      goal: { is_delta: goal.is_delta === true, ...goalXyz(goal) },
      time_fraction: fields.traj_interpolator_time_fraction,
    });
  });

  test.each(['arm_joint_position', 'arm_joint_impedance'])('%s parses to its seven joint angles', (name) => {
    const { fields } = vector(name);
    const goal = goalOf(name);
    expect(parseArmControl(bytesOf(name))).toEqual({
      kind: 'joint',
      controller: fields.controller_type,
      q_rad: jointQ(goal),
      is_delta: false,
      time_fraction: fields.traj_interpolator_time_fraction,
    });
  });

  test('the controllers the studio does not drive are reported as unsupported, by number', () => {
    expect(parseArmControl(bytesOf('arm_cartesian_velocity'))).toEqual({
      kind: 'unsupported',
      controller_type: ControllerType.CARTESIAN_VELOCITY,
    });
    expect(parseArmControl(bytesOf('arm_joint_velocity'))).toEqual({ kind: 'unsupported', controller_type: ControllerType.JOINT_VELOCITY });
    expect(parseArmControl(bytesOf('arm_torque'))).toEqual({ kind: 'unsupported', controller_type: ControllerType.TORQUE });
  });

  test('NO_CONTROL and termination', () => {
    expect(parseArmControl(bytesOf('arm_no_control'))).toEqual({ kind: 'no_control' });
    expect(parseArmControl(bytesOf('arm_termination'))).toEqual({ kind: 'terminate' });
  });
});

describe('deoxys test vectors: gripper commands', () => {
  const grasp = () => {
    const g = sub(vector('gripper_grasp').fields, 'control_msg');
    return {
      width_m: num(g, 'width'),
      speed_m_s: num(g, 'speed'),
      force_n: num(g, 'force'),
      epsilon_inner_m: num(g, 'epsilon_inner'),
      epsilon_outer_m: num(g, 'epsilon_outer'),
    };
  };

  test('the encoders give exactly the vectors', () => {
    const move = sub(vector('gripper_move').fields, 'control_msg');
    expect(hex(encodeGripperMove(num(move, 'width'), num(move, 'speed')))).toBe(vector('gripper_move').hex);
    expect(hex(encodeGripperGrasp(grasp()))).toBe(vector('gripper_grasp').hex);
    expect(hex(encodeGripperStop())).toBe(vector('gripper_stop').hex);
    expect(hex(encodeGripperHoming())).toBe(vector('gripper_homing').hex);
    expect(hex(encodeGripperTermination())).toBe(vector('gripper_termination').hex);
  });

  test('the parser reads the vectors to their values', () => {
    expect(parseGripperControl(bytesOf('gripper_move'))).toEqual({ kind: 'move', width_m: 0.08, speed_m_s: 0.1 });
    expect(parseGripperControl(bytesOf('gripper_grasp'))).toEqual({ kind: 'grasp', ...grasp() });
    expect(grasp()).toEqual({ width_m: 0.01, speed_m_s: 0.1, force_n: 40, epsilon_inner_m: 0.08, epsilon_outer_m: 0.09 });
    expect(parseGripperControl(bytesOf('gripper_stop'))).toEqual({ kind: 'stop' });
    expect(parseGripperControl(bytesOf('gripper_homing'))).toEqual({ kind: 'homing' });
    expect(parseGripperControl(bytesOf('gripper_termination'))).toEqual({ kind: 'terminate' });
  });
});

describe('deoxys test vectors: robot and gripper state', () => {
  const fullFields = vector('robot_state_full').fields;
  const arrays = ['O_T_EE', 'O_T_EE_d', 'F_T_EE', 'q', 'q_d', 'dq', 'tau_J', 'O_F_ext_hat_K'] as const;
  const full = Object.fromEntries(arrays.map((key) => [key, nums(fullFields, key)])) as Record<(typeof arrays)[number], number[]>;
  const fullTime = num(sub(fullFields, 'time'), 'toSec');
  const fullErrors = Object.keys(sub(fullFields, 'current_errors'));

  test('decodeRobotState reads every field the studio uses from the full state, to its value', () => {
    const state = decodeRobotState(bytesOf('robot_state_full'));
    expect(state).toEqual({
      O_T_EE: full.O_T_EE,
      O_T_EE_d: full.O_T_EE_d,
      F_T_EE: full.F_T_EE,
      q: full.q,
      q_d: full.q_d,
      dq: full.dq,
      tau_J: full.tau_J,
      O_F_ext_hat_K: full.O_F_ext_hat_K,
      robot_mode: RobotMode.Reflex,
      time_s: fullTime,
      frame: 12345678901n,
      current_errors: expect.arrayContaining(fullErrors) as string[],
    });
    expect(state.current_errors).toHaveLength(fullErrors.length);
    // Field number + 0.001·index: q is field 24, dq 26, O_T_EE 1.
    expect(state.q[0]).toBe(24);
    expect(state.dq[6]).toBe(26.006);
  });

  test('encodeRobotState writes each field it carries byte-identically to the vector', () => {
    const bytes = encodeRobotState({
      O_T_EE: full.O_T_EE,
      O_T_EE_d: full.O_T_EE_d,
      F_T_EE: full.F_T_EE,
      q: full.q,
      q_d: full.q_d,
      dq: full.dq,
      tau_J: full.tau_J,
      O_F_ext_hat_K: full.O_F_ext_hat_K,
      robot_mode: RobotMode.Reflex,
      time_s: fullTime,
      frame: 12345678901n,
    });
    const expected = bytesOf('robot_state_full');
    // O_T_EE, O_T_EE_d, F_T_EE, tau_J, q, q_d, dq, O_F_ext_hat_K, robot_mode, time, frame.
    const carried = [1, 2, 3, 21, 24, 25, 26, 34, 45, 46, 48];
    for (const field of carried) expect(rawOf(bytes, field), `field ${field}`).toBe(rawOf(expected, field));
    expect(new Set(readRecords(bytes).map((r) => r.field))).toEqual(new Set(carried));
    // And an independent read of the vector agrees with the fixture's fields.
    expect(doublesOf(expected, 24)).toEqual(full.q);
  });

  test('the minimal state (no dq) is refused by name, as a NUC that had not filled dq would be', () => {
    expect(() => decodeRobotState(bytesOf('robot_state_minimal'))).toThrow(/dq has 0 values, expected 7/);
    const minimal = vector('robot_state_minimal').fields;
    const decoded = decodeMessage('FrankaRobotStateMessage', bytesOf('robot_state_minimal'));
    expect(decoded).toMatchObject({ O_T_EE: minimal.O_T_EE, q: minimal.q, robot_mode: RobotMode.Idle, frame: '7' });
  });

  test('gripper state: decoded to its values, and encoded to exactly its bytes', () => {
    const fields = vector('gripper_state').fields as {
      width: number;
      max_width: number;
      is_grasped: boolean;
      temperature: number;
      time: { toSec: number };
    };
    const state = {
      width_m: fields.width,
      max_width_m: fields.max_width,
      is_grasped: fields.is_grasped,
      temperature_c: fields.temperature,
      time_s: fields.time.toSec,
    };
    expect(decodeGripperState(bytesOf('gripper_state'))).toEqual(state);
    expect(state).toEqual({ width_m: 0.0421, max_width_m: 0.0805, is_grasped: true, temperature_c: 31, time_s: 12.25 });
    expect(hex(encodeGripperState(state))).toBe(vector('gripper_state').hex);
  });
});
