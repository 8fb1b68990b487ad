import { describe, expect, test } from 'vitest';
import {
  dlsIkStep,
  FRANKA_FLANGE_TCP,
  FRANKA_Q_HOME_RAD,
  frankaForwardKinematics,
  frankaJacobian,
  poseError,
} from '../../../shared/robot/frankaKinematics';
import {
  axisAngleFromRotation,
  mat4FromRotationTranslation,
  mat4Rotation,
  mat4Translation,
  quaternionFromRotation,
  rotationFromAxisAngle,
  rotationFromQuaternion,
  rotationMultiply,
} from '../../../shared/robot/rotation';

describe('Franka forward kinematics (modified DH)', () => {
  test('home pose: flange at (0.307, 0, 0.590), Franka Hand TCP at (0.307, 0, 0.487), pointing down', () => {
    const flange = mat4Translation(frankaForwardKinematics(FRANKA_Q_HOME_RAD, FRANKA_FLANGE_TCP));
    expect(flange[0]).toBeCloseTo(0.307, 3);
    expect(flange[1]).toBeCloseTo(0, 6);
    expect(flange[2]).toBeCloseTo(0.5903, 3);
    const tcp = frankaForwardKinematics(FRANKA_Q_HOME_RAD);
    expect(mat4Translation(tcp)[2]).toBeCloseTo(0.4869, 3);
    // The libfranka home O_T_EE rotation is diag(1, −1, −1) (q7 = π/4 cancels the hand's −45°).
    const r = mat4Rotation(tcp);
    [1, 0, 0, 0, -1, 0, 0, 0, -1].forEach((v, i) => expect(r[i]).toBeCloseTo(v, 3));
  });

  test('zero pose: straight up, flange at x = 0.088, z = 0.333 + 0.316 + 0.384 − 0.107', () => {
    const flange = mat4Translation(frankaForwardKinematics([0, 0, 0, 0, 0, 0, 0], FRANKA_FLANGE_TCP));
    expect(flange[0]).toBeCloseTo(0.088, 6);
    expect(flange[2]).toBeCloseTo(0.333 + 0.316 + 0.384 - 0.107, 6);
  });

  test('joint 1 turns the whole arm about base z', () => {
    const q = [...FRANKA_Q_HOME_RAD];
    q[0] = Math.PI / 2;
    const p = mat4Translation(frankaForwardKinematics(q));
    expect(p[0]).toBeCloseTo(0, 6);
    expect(p[1]).toBeCloseTo(0.307, 3);
  });

  test('the geometric Jacobian matches finite differences', () => {
    const q = [0.1, -0.5, 0.2, -2.0, 0.3, 1.8, 0.4];
    const jacobian = frankaJacobian(q);
    const h = 1e-6;
    for (let j = 0; j < 7; j++) {
      const plus = [...q];
      plus[j] = (plus[j] ?? 0) + h;
      const error = poseError(frankaForwardKinematics(plus), frankaForwardKinematics(q));
      error.forEach((value, row) => expect(jacobian[row * 7 + j]).toBeCloseTo(value / h, 4));
    }
  });

  test('damped least squares reaches a pose 2 cm and 0.1 rad away', () => {
    const start = frankaForwardKinematics(FRANKA_Q_HOME_RAD);
    const goal = mat4FromRotationTranslation(
      rotationMultiply(rotationFromAxisAngle([0, 0, 0.1]), mat4Rotation(start)),
      mat4Translation(start).map((v, i) => v + [0.02, -0.01, 0.01][i]!),
    );
    let q = [...FRANKA_Q_HOME_RAD];
    for (let i = 0; i < 50; i++) q = dlsIkStep(q, goal);
    const error = poseError(goal, frankaForwardKinematics(q));
    expect(Math.hypot(error[0]!, error[1]!, error[2]!)).toBeLessThan(1e-5);
    expect(Math.hypot(error[3]!, error[4]!, error[5]!)).toBeLessThan(1e-5);
  });
});

describe('rotation helpers', () => {
  test('axis-angle and quaternion round trips, including angles near π', () => {
    for (const v of [
      [0.1, -0.2, 0.3],
      [Math.PI - 1e-4, 0, 0],
      [0, 0, 0],
      [0.5, 0.5, -0.5],
    ]) {
      const back = axisAngleFromRotation(rotationFromAxisAngle(v));
      back.forEach((value, i) => expect(value).toBeCloseTo(v[i]!, 6));
      const r = rotationFromAxisAngle(v);
      rotationFromQuaternion(quaternionFromRotation(r)).forEach((value, i) => expect(value).toBeCloseTo(r[i]!, 9));
    }
  });
});
