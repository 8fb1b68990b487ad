/**
 * Small rigid-transform helpers. Rotation matrices are 3×3 row-major (MuJoCo's `xmat` layout);
 * quaternions are (w, x, y, z); `Mat4` (shared/robot/types.ts) is 4×4 column-major like libfranka's O_T_EE.
 */
import type { Mat4, Vec3 } from '../../shared/robot/types';
import { rotationApply, rotationFromQuaternion, rotationMultiply, type Rotation3 } from '../../shared/robot/rotation';

/** A row-major 3×3 rotation: the kinematics module's `Rotation3`. */
export type Mat3 = Rotation3;

export interface RigidPose {
  position_m: Vec3;
  /** Row-major rotation (columns are the frame's axes in the parent frame). */
  rotation: Mat3;
}

export function composePose(a: RigidPose, b: RigidPose): RigidPose {
  const t = rotationApply(a.rotation, b.position_m);
  return {
    position_m: [a.position_m[0] + t[0], a.position_m[1] + t[1], a.position_m[2] + t[2]],
    rotation: rotationMultiply(a.rotation, b.rotation),
  };
}

export function poseToMat4(pose: RigidPose): Mat4 {
  const r = pose.rotation,
    t = pose.position_m;
  return [r[0], r[3], r[6], 0, r[1], r[4], r[7], 0, r[2], r[5], r[8], 0, t[0], t[1], t[2], 1];
}

export function poseFromTranslationQuat(translation: readonly number[], quaternionWxyz: readonly number[]): RigidPose {
  const [x = 0, y = 0, z = 0] = translation;
  return { position_m: [x, y, z], rotation: rotationFromQuaternion(quaternionWxyz) };
}

/** OpenCV camera pose (x right, y down, z forward) at `eye` looking at `target`, world up = +z. */
export function lookAt(eye: Vec3, target: Vec3, up: Vec3 = [0, 0, 1]): RigidPose {
  const f = normalise([target[0] - eye[0], target[1] - eye[1], target[2] - eye[2]]);
  const x = normalise(cross(f, up));
  const y = cross(f, x);
  return { position_m: [...eye], rotation: [x[0], y[0], f[0], x[1], y[1], f[1], x[2], y[2], f[2]] };
}

export function cross(a: readonly number[], b: readonly number[]): Vec3 {
  const [a0 = 0, a1 = 0, a2 = 0] = a;
  const [b0 = 0, b1 = 0, b2 = 0] = b;
  return [a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0];
}

export function normalise(v: readonly number[]): Vec3 {
  const [x = 0, y = 0, z = 0] = v;
  const n = Math.hypot(x, y, z) || 1;
  return [x / n, y / n, z / n];
}

/** Seeded PRNG (mulberry32): everything random in the sim draws from one of these, never Math.random. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
