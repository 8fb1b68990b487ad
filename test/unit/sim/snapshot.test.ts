import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { SimEngine } from '../../../main/sim/engine';
import { DEFAULT_SCENE_NAME, DEFAULT_SCENE_XML } from '../../../main/sim/sceneXml';

/** A restored snapshot replays the same future: the ranking test executes K chunks from one state. */
let engine: SimEngine;

beforeAll(async () => {
  engine = await SimEngine.load(DEFAULT_SCENE_XML, DEFAULT_SCENE_NAME);
});

afterAll(() => engine.dispose());

function trace(steps: number, command: (i: number) => void): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < steps; i++) {
    command(i);
    engine.advance(0.1);
    const arm = engine.armReading();
    const p = engine.privileged();
    out.push([engine.sim_time_s, ...arm.q_rad, ...arm.ee_position_m, ...(p.objects[0]?.position_m ?? []), engine.gripperReading().width_m]);
  }
  return out;
}

describe('simulator snapshots', () => {
  test('restore, then the same commands: the same states bit for bit; other commands: another future', () => {
    engine.reset(11);
    trace(5, () => engine.sendArm({ kind: 'ee_delta', translation_m: [0.01, 0, -0.01], rotation_axis_angle_rad: [0, 0, 0] }));
    engine.sendGripper({ kind: 'move', width_m: 0.04, speed_m_s: 0.1 });
    const snapshot = engine.snapshot();
    const push = (i: number) => {
      engine.sendArm({ kind: 'ee_delta', translation_m: [0, 0.01, -0.005], rotation_axis_angle_rad: [0, 0, 0.02] });
      if (i === 2)
        engine.sendGripper({ kind: 'grasp', width_m: 0, speed_m_s: 0.1, force_n: 40, epsilon_inner_m: 0.005, epsilon_outer_m: 0.005 });
    };
    const first = trace(8, push);
    engine.restore(snapshot);
    const again = trace(8, push);
    expect(again).toEqual(first);
    engine.restore(snapshot);
    const other = trace(8, () => engine.sendArm({ kind: 'ee_delta', translation_m: [-0.01, 0, 0], rotation_axis_angle_rad: [0, 0, 0] }));
    expect(other[7]).not.toEqual(first[7]);
    expect(other[0]![0]).toBe(first[0]![0]);
    engine.reset(12);
    expect(() => engine.restore(snapshot)).toThrow(/scene 11 cannot be restored into scene 12/);
  });
});
