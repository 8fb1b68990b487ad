import { describe, expect, test } from 'vitest';
import {
  ControllerType,
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
} from '../../../main/devices/deoxys/controlMessages';
import { decodeMessage, DeoxysDecodeError, encodeMessage, packAny, typeUrlOf } from '../../../main/devices/deoxys/protoRoot';
import {
  decodeGripperState,
  decodeRobotState,
  encodeGripperState,
  encodeRobotState,
  RobotMode,
} from '../../../main/devices/deoxys/stateMessages';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe('deoxys protobuf: spec §1.11 test vectors, byte for byte', () => {
  test('NO_CONTROL preprocess message', () => {
    expect(hex(encodeNoControl())).toBe(
      '2a320a30747970652e676f6f676c65617069732e636f6d2f4672616e6b6144756d6d79436f6e74726f6c6c65724d657373616765319a9999999999c93f',
    );
  });

  test('arm termination (OSC_POSE)', () => {
    expect(hex(encodeArmTermination(ControllerType.OSC_POSE))).toBe('08011001');
  });

  test('gripper Move(0.08, 0.1)', () => {
    expect(hex(encodeGripperMove(0.08, 0.1))).toBe(
      '12420a2c747970652e676f6f676c65617069732e636f6d2f4672616e6b61477269707065724d6f76654d6573736167651212097b14ae47e17ab43f119a9999999999b93f',
    );
  });
});

describe('deoxys protobuf: messages', () => {
  test('type URLs are exactly what C++ UnpackTo accepts', () => {
    expect(typeUrlOf('FrankaOSCPoseControllerMessage')).toBe('type.googleapis.com/FrankaOSCPoseControllerMessage');
  });

  test('proto3 defaults are omitted like protoc does (false, 0, empty repeated)', () => {
    expect(hex(encodeMessage('FrankaGripperMoveMessage', { width: 0, speed: 0 }))).toBe('');
    expect(hex(encodeMessage('FrankaControlMessage', { termination: false, controller_type: 0, timeout: 0 }))).toBe('');
    // An empty sub-message is present on the wire.
    expect(hex(encodeMessage('FrankaControlMessage', { state_estimator_msg: {} }))).toBe('3a00');
  });

  test('OSC_POSE (+1 cm x) carries Python’s gains, interpolator and estimator', () => {
    const bytes = encodeOscPose({ is_delta: true, translation_m: [0.01, 0, 0], rotation_axis_angle_rad: [0, 0, 0] });
    const message = decodeMessage('FrankaControlMessage', bytes);
    expect(message).toMatchObject({
      controller_type: 1,
      traj_interpolator_type: 2,
      traj_interpolator_time_fraction: 0.3,
      timeout: 0.2,
      termination: false,
    });
    const estimator = message.state_estimator_msg as Record<string, unknown>;
    expect(estimator).toMatchObject({ is_estimation: false, estimator_type: 1 });
    expect((estimator.config as { type_url: string }).type_url).toBe('type.googleapis.com/ExponentialSmoothingConfig');
    const any = message.control_msg as { type_url: string; value: number[] };
    expect(any.type_url).toBe('type.googleapis.com/FrankaOSCPoseControllerMessage');
    const osc = decodeMessage('FrankaOSCPoseControllerMessage', Uint8Array.from(any.value));
    expect(osc).toMatchObject({
      goal: { is_delta: true, x: 0.01, y: 0, z: 0 },
      translational_stiffness: [150, 150, 150],
      rotational_stiffness: [250, 250, 250],
      config: { residual_mass_vec: [0, 0, 0, 0, 0.1, 0.5, 0.5] },
    });
    expect(parseArmControl(bytes)).toEqual({
      kind: 'osc',
      controller: 'OSC_POSE',
      goal: { is_delta: true, translation_m: [0.01, 0, 0], rotation_axis_angle_rad: [0, 0, 0] },
      time_fraction: 0.3,
    });
  });

  test('joint impedance and joint position round-trip through the NUC-side parser', () => {
    const q = [0.1, -0.7, 0.2, -2.3, 0.05, 1.6, 0.8];
    expect(parseArmControl(encodeJointImpedance(q))).toEqual({
      kind: 'joint',
      controller: 'JOINT_IMPEDANCE',
      q_rad: q,
      is_delta: false,
      time_fraction: 0.3,
    });
    expect(parseArmControl(encodeJointPosition(q))).toMatchObject({ kind: 'joint', controller: 'JOINT_POSITION', q_rad: q });
    const jp = decodeMessage('FrankaControlMessage', encodeJointPosition(q));
    expect(jp.traj_interpolator_type).toBe(4);
    expect(() => encodeJointPosition([1, 2, 3])).toThrow(/7 joint angles/);
  });

  test('NO_CONTROL and termination parse as the node sees them', () => {
    expect(parseArmControl(encodeNoControl())).toEqual({ kind: 'no_control' });
    expect(parseArmControl(encodeArmTermination())).toEqual({ kind: 'terminate' });
  });

  test('a payload packed under the wrong type URL is refused with the URL named', () => {
    const bytes = encodeMessage('FrankaControlMessage', { controller_type: 1, control_msg: packAny('FrankaDummyControllerMessage', {}) });
    expect(() => parseArmControl(bytes)).toThrow(
      /holds "type.googleapis.com\/FrankaDummyControllerMessage", expected "type.googleapis.com\/FrankaOSCPoseControllerMessage"/,
    );
  });

  test('gripper messages: move, grasp, stop, homing, termination', () => {
    expect(parseGripperControl(encodeGripperMove(0.05, 0.1))).toEqual({ kind: 'move', width_m: 0.05, speed_m_s: 0.1 });
    const grasp = { width_m: 0.01, speed_m_s: 0.5, force_n: 30, epsilon_inner_m: 0.08, epsilon_outer_m: 0.08 };
    expect(parseGripperControl(encodeGripperGrasp(grasp))).toEqual({ kind: 'grasp', ...grasp });
    expect(parseGripperControl(encodeGripperStop())).toEqual({ kind: 'stop' });
    expect(parseGripperControl(encodeGripperHoming())).toEqual({ kind: 'homing' });
    expect(parseGripperControl(encodeGripperTermination())).toEqual({ kind: 'terminate' });
    expect(hex(encodeGripperTermination())).toBe('0801');
  });

  test('robot state round-trip, and validation names the bad field', () => {
    const O_T_EE = [1, 0, 0, 0, 0, -1, 0, 0, 0, 0, -1, 0, 0.307, 0, 0.487, 1];
    const q = [0, -0.785, 0, -2.356, 0, 1.571, 0.785];
    const bytes = encodeRobotState({ O_T_EE, q, dq: [0, 0, 0, 0, 0, 0, 0], robot_mode: RobotMode.Move, time_s: 12.5, frame: 42n });
    const state = decodeRobotState(bytes);
    expect(state).toMatchObject({ O_T_EE, q, dq: [0, 0, 0, 0, 0, 0, 0], robot_mode: 2, time_s: 12.5, frame: 42n, current_errors: [] });
    const noQ = encodeRobotState({ O_T_EE, q: [1, 2, 3], dq: q, robot_mode: 1, time_s: 0, frame: 0n });
    expect(() => decodeRobotState(noQ)).toThrow(/FrankaRobotStateMessage .* q has 3 values, expected 7/);
    const zero = encodeRobotState({ O_T_EE: new Array(16).fill(0), q, dq: q, robot_mode: 1, time_s: 0, frame: 0n });
    expect(() => decodeRobotState(zero)).toThrow(DeoxysDecodeError);
  });

  test('gripper state round-trip', () => {
    const state = { width_m: 0.04, max_width_m: 0.08, is_grasped: true, temperature_c: 31, time_s: 3.25 };
    expect(decodeGripperState(encodeGripperState(state))).toEqual(state);
  });
});
