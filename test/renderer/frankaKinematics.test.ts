import { describe, expect, test } from 'vitest';
import { PANDA_Q_HOME_RAD, pandaFrames, translationOf } from '../../shared/robot/frankaKinematics';

// The same known poses as the core's kinematics tests (test/unit/devices/kinematicsFranka.test.ts).
describe('renderer Franka forward kinematics', () => {
  test('home: flange at (0.307, 0, 0.590), hand TCP at z 0.487 pointing down', () => {
    const frames = pandaFrames(PANDA_Q_HOME_RAD);
    const flange = translationOf(frames.base_from_flange);
    expect(flange[0]).toBeCloseTo(0.307, 3);
    expect(flange[1]).toBeCloseTo(0, 6);
    expect(flange[2]).toBeCloseTo(0.5903, 3);
    const tcp = frames.base_from_tcp;
    expect(translationOf(tcp)[2]).toBeCloseTo(0.4869, 3);
    // libfranka's home O_T_EE rotation is diag(1, −1, −1): q7 = π/4 cancels the hand's −45°.
    const rotation = [tcp[0], tcp[1], tcp[2], tcp[4], tcp[5], tcp[6], tcp[8], tcp[9], tcp[10]];
    [1, 0, 0, 0, -1, 0, 0, 0, -1].forEach((v, i) => expect(rotation[i]).toBeCloseTo(v, 3));
  });

  test('all zeros: flange at (0.088, 0, 0.926)', () => {
    const flange = translationOf(pandaFrames([0, 0, 0, 0, 0, 0, 0]).base_from_flange);
    expect(flange[0]).toBeCloseTo(0.088, 6);
    expect(flange[1]).toBeCloseTo(0, 6);
    expect(flange[2]).toBeCloseTo(0.333 + 0.316 + 0.384 - 0.107, 6);
  });

  test('joint 1 turns the whole arm about base z', () => {
    const q = [...PANDA_Q_HOME_RAD];
    q[0] = Math.PI / 2;
    const tcp = translationOf(pandaFrames(q).base_from_tcp);
    expect(tcp[0]).toBeCloseTo(0, 6);
    expect(tcp[1]).toBeCloseTo(0.307, 3);
  });

  test('link frames sit where the DH table puts the joints', () => {
    const { links } = pandaFrames([0, 0, 0, 0, 0, 0, 0]);
    expect(translationOf(links[0]!)).toEqual([0, 0, 0.333]);
    const link4 = translationOf(links[3]!);
    expect(link4[0]).toBeCloseTo(0.0825, 9);
    expect(link4[2]).toBeCloseTo(0.649, 9);
  });

  test('a short joint vector draws (missing joints count as zero) instead of throwing', () => {
    expect(() => pandaFrames([0.1])).not.toThrow();
  });
});
