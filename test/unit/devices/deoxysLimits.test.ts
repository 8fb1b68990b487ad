import { describe, expect, test } from 'vitest';
import { clipArmCommand, clipGripperCommand, FRANKA_COMMAND_LIMITS } from '../../../shared/robot/commandLimits';
import { FRANKA_HAND_LIMITS } from '../../../shared/robot/frankaLimits';

// The deoxys driver's former, tighter bounds (0.02 m, 0.1 rad) as explicit options: the clipping rules are what is tested.
const DEFAULT_ARM_LIMITS = { ...FRANKA_COMMAND_LIMITS, max_translation_per_command_m: 0.02, max_rotation_per_command_rad: 0.1 };
import { FRANKA_Q_HOME_RAD, frankaForwardKinematics } from '../../../shared/robot/frankaKinematics';
import type { ArmState } from '../../../main/devices/types';

const home: ArmState = {
  capture_ns: 0n,
  q_rad: [...FRANKA_Q_HOME_RAD],
  dq_rad_s: new Array(7).fill(0),
  base_from_ee: frankaForwardKinematics(FRANKA_Q_HOME_RAD),
  ee_position_m: [0.307, 0, 0.487],
  ee_quaternion_wxyz: [0, 1, 0, 0],
};

describe('deoxys command clipping', () => {
  test('rotation norm is clipped with its direction kept', () => {
    const action = clipArmCommand(
      { kind: 'ee_delta', translation_m: [0, 0, 0], rotation_axis_angle_rad: [0.3, 0.4, 0] },
      home,
      DEFAULT_ARM_LIMITS,
    );
    expect(action.clip_reasons).toEqual(['delta rotation 0.5000 rad exceeds 0.1 rad per command']);
    const sent = action.sent.kind === 'ee_delta' ? action.sent.rotation_axis_angle_rad : [];
    expect(sent[0]).toBeCloseTo(0.06, 9);
    expect(sent[1]).toBeCloseTo(0.08, 9);
  });

  test('a TCP already outside the workspace may move back in but not further out', () => {
    const limits = {
      ...DEFAULT_ARM_LIMITS,
      workspace_min_m: [0.4, -1, 0] as [number, number, number],
      workspace_max_m: [1, 1, 1] as [number, number, number],
    };
    const out = clipArmCommand({ kind: 'ee_delta', translation_m: [-0.01, 0, 0], rotation_axis_angle_rad: [0, 0, 0] }, home, limits);
    expect(out.clip_reasons).toEqual(['workspace x min (0.4 m)']);
    expect(out.sent.kind === 'ee_delta' && out.sent.translation_m[0]).toBe(0);
    const back = clipArmCommand({ kind: 'ee_delta', translation_m: [0.01, 0, 0], rotation_axis_angle_rad: [0, 0, 0] }, home, limits);
    expect(back.clipped).toBe(false);
  });

  test('joint targets: limits with margin and per-command step', () => {
    const q = [...FRANKA_Q_HOME_RAD];
    q[3] = 0.5; // joint 4's upper limit is −0.0698
    q[0] = 0.5;
    const action = clipArmCommand({ kind: 'joint_impedance', q_rad: q }, home, DEFAULT_ARM_LIMITS);
    expect(action.clip_reasons).toEqual([
      'joint 1 step 0.500 rad exceeds 0.2 rad per command',
      'joint 4 step 2.856 rad exceeds 0.2 rad per command',
    ]);
    const noState = clipArmCommand({ kind: 'joint_position', q_rad: q }, undefined, DEFAULT_ARM_LIMITS);
    expect(noState.clip_reasons).toEqual(['joint 4 at upper limit']);
    expect(noState.sent.kind === 'joint_position' && noState.sent.q_rad[3]).toBeCloseTo(-0.0698 - 0.05, 9);
  });

  test('NaN and wrong lengths are refused, not clipped', () => {
    expect(() =>
      clipArmCommand({ kind: 'ee_delta', translation_m: [Number.NaN, 0, 0], rotation_axis_angle_rad: [0, 0, 0] }, home, DEFAULT_ARM_LIMITS),
    ).toThrow(/non-finite/);
    expect(() =>
      clipArmCommand({ kind: 'ee_pose', position_m: [0.3, 0, 0.5], quaternion_wxyz: [2, 0, 0, 0] }, home, DEFAULT_ARM_LIMITS),
    ).toThrow(/unit norm/);
  });

  test('gripper: width, speed and force ranges', () => {
    const action = clipGripperCommand({ kind: 'move', width_m: 0.2, speed_m_s: 0.05 }, FRANKA_HAND_LIMITS);
    expect(action.clip_reasons).toEqual(['width above 0.08 m']);
    expect(clipGripperCommand({ kind: 'grasp', width_m: 0.02, speed_m_s: 0.05, force_n: 20 }, FRANKA_HAND_LIMITS).sent).toEqual({
      kind: 'grasp',
      width_m: 0.02,
      speed_m_s: 0.05,
      force_n: 20,
    });
  });
});
