import { describe, expect, test } from 'vitest';
import { rigConfigSchema } from '../../../shared/rig/rigConfig';
import { limitArmCommand, limitGripperCommand, type SafetyContext } from '../../../main/control/safety';
import { DEFAULT_MAPPER, mapTeleop } from '../../../main/control/teleopMapper';
import type { TeleopState } from '../../../main/devices/types';
import simRig from '../../../rigs/sim.json';

const limits = rigConfigSchema.parse(simRig).safety; // box x 0.2..0.8, y ±0.5, z 0..0.7; 0.25 m/s; 1 rad/s
const at = (ee_position_m: [number, number, number], extra: Partial<SafetyContext> = {}): SafetyContext => ({
  period_s: 0.01,
  ee_position_m,
  estopped: false,
  ...extra,
});
const delta = (t: [number, number, number], r: [number, number, number] = [0, 0, 0]) => ({
  kind: 'ee_delta' as const,
  translation_m: t,
  rotation_axis_angle_rad: r,
});

function teleop(translation: [number, number, number], rotation: [number, number, number] = [0, 0, 0], gripper?: number): TeleopState {
  return { capture_ns: 0n, translation, rotation, buttons: {}, ...(gripper !== undefined ? { gripper } : {}) };
}

describe('teleop mapper', () => {
  test('full deflection for one period moves at the configured speed, in the base frame', () => {
    const { arm } = mapTeleop(teleop([1, 0, -0.5], [0, 0, 1]), [1, 0, 0, 0], 0.01);
    expect(arm.translation_m[0]).toBeCloseTo(DEFAULT_MAPPER.linear_speed_m_s * 0.01, 12);
    expect(arm.translation_m[2]).toBeCloseTo(-0.5 * DEFAULT_MAPPER.linear_speed_m_s * 0.01, 12);
    expect(arm.rotation_axis_angle_rad[2]).toBeCloseTo(DEFAULT_MAPPER.angular_speed_rad_s * 0.01, 12);
  });

  test('tool frame rotates device axes by the end-effector orientation', () => {
    // Gripper pointing down: tool = base rotated 180° about x; tool +z is base -z.
    const { arm } = mapTeleop(teleop([0, 0, 1]), [0, 1, 0, 0], 1, { ...DEFAULT_MAPPER, frame: 'tool', linear_speed_m_s: 1 });
    expect(arm.translation_m[0]).toBeCloseTo(0, 12);
    expect(arm.translation_m[1]).toBeCloseTo(0, 12);
    expect(arm.translation_m[2]).toBeCloseTo(-1, 12);
  });

  test('locks, per-axis scale, out-of-range and non-finite input', () => {
    const config = {
      ...DEFAULT_MAPPER,
      lock_rotation: true,
      translation_scale: [-1, 1, 1] as [number, number, number],
      linear_speed_m_s: 1,
    };
    const { arm, gripper } = mapTeleop(teleop([5, Number.NaN, 0], [1, 1, 1], 1.7), [1, 0, 0, 0], 1, config);
    expect(arm.translation_m).toEqual([-1, 0, 0]);
    expect(arm.rotation_axis_angle_rad).toEqual([0, 0, 0]);
    expect(gripper).toBe(1);
  });
});

describe('safety limits', () => {
  test('inside the box and under the speed limits, the command passes unchanged', () => {
    const result = limitArmCommand(delta([0.001, 0, 0]), limits, at([0.5, 0, 0.3]));
    expect(result).toMatchObject({ clipped: false, clip_reasons: [], sent: delta([0.001, 0, 0]) });
  });

  test('speed is limited to the configured maximum per period, and reported', () => {
    const result = limitArmCommand(delta([0.1, 0, 0], [0, 0, 0.5]), limits, at([0.5, 0, 0.3]));
    const sent = result.sent as ReturnType<typeof delta>;
    expect(sent.translation_m[0]).toBeCloseTo(0.25 * 0.01, 12);
    expect(sent.rotation_axis_angle_rad[2]).toBeCloseTo(1 * 0.01, 12);
    expect(result.clip_reasons).toEqual(['linear speed', 'angular speed']);
  });

  test('the target never leaves the workspace box', () => {
    const result = limitArmCommand(delta([0.002, 0, -0.002]), limits, at([0.799, 0, 0.001]));
    const sent = result.sent as ReturnType<typeof delta>;
    expect(0.799 + sent.translation_m[0]).toBeCloseTo(0.8, 12);
    expect(0.001 + sent.translation_m[2]).toBeCloseTo(0, 12);
    expect(result.clip_reasons).toEqual(['workspace x max', 'workspace z min']);
  });

  test('stale teleop input and the e-stop give zero motion', () => {
    expect(limitArmCommand(delta([0.001, 0, 0]), limits, at([0.5, 0, 0.3], { teleop_age_ms: 150 }))).toMatchObject({
      sent: delta([0, 0, 0]),
      clip_reasons: ['teleop input 150 ms old (limit 100 ms)'],
    });
    expect(limitArmCommand(delta([0.001, 0, 0]), limits, at([0.5, 0, 0.3], { estopped: true }))).toMatchObject({
      sent: delta([0, 0, 0]),
      clip_reasons: ['e-stop engaged'],
    });
    expect(limitGripperCommand({ kind: 'move', width_m: 0.08, speed_m_s: 0.1 }, limits, true)).toMatchObject({ sent: { kind: 'stop' } });
  });

  test('joint targets keep the margin from the limits and the speed limit', () => {
    const q = [0, 0, 0, -2, 0, 1.5, 0.7];
    const result = limitArmCommand(
      { kind: 'joint_position', q_rad: [0.005, 3, 0, -2, 0, 1.5, 0.7] },
      limits,
      at([0.5, 0, 0.3], {
        q_rad: q,
        q_min_rad: [-2.9, -1.76, -2.9, -3.07, -2.9, -0.02, -2.9],
        q_max_rad: [2.9, 1.76, 2.9, -0.07, 2.9, 3.75, 2.9],
      }),
    );
    const sent = (result.sent as { q_rad: number[] }).q_rad;
    expect(sent[0]).toBeCloseTo(0.005, 12);
    expect(sent[1]).toBeCloseTo(0.01, 12); // 1.71 after the margin, then 1 rad/s × 10 ms from 0
    expect(result.clip_reasons).toEqual(['joint 2 upper limit', 'joint 2 speed']);
  });

  test('gripper force is capped', () => {
    expect(limitGripperCommand({ kind: 'grasp', width_m: 0.02, speed_m_s: 0.1, force_n: 140 }, limits, false)).toMatchObject({
      sent: { force_n: 70 },
      clip_reasons: ['gripper force 140 N > 70 N'],
    });
  });
});
