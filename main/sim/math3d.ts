/**
 * Small rigid-transform helpers. Rotation matrices are 3×3 row-major (MuJoCo's `xmat` layout);
 * quaternions are (w, x, y, z); `Mat4` (devices/types.ts) is 4×4 column-major like libfranka's O_T_EE.
 */
import type { Mat4, Quaternion, Vec3 } from '../devices/types';
import { quaternionFromRotation } from '../devices/kinematics/rotation';

export type Mat3 = [number, number, number, number, number, number, number, number, number];

export interface RigidPose {
  position_m: Vec3;
  /** Row-major rotation (columns are the frame's axes in the parent frame). */
  rotation: Mat3;
}

export function quatToMat3(q: readonly number[]): Mat3 {
  const [w0 = 1, x0 = 0, y0 = 0, z0 = 0] = q;
  const n = Math.hypot(w0, x0, y0, z0) || 1;
  const w = w0 / n, x = x0 / n, y = y0 / n, z = z0 / n;
  return [
    1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y),
    2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
    2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y),
  ];
}

/** One hemisphere (w ≥ 0), so equal rotations compare equal. */
export function mat3ToQuat(m: readonly number[]): Quaternion {
  return quaternionFromRotation(m);
}

export function mat3Mul(a: readonly number[], b: readonly number[]): Mat3 {
  const out: number[] = [];
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 3; c++) {
      let s = 0;
      for (let k = 0; k < 3; k++) s += (a[3 * r + k] ?? 0) * (b[3 * k + c] ?? 0);
      out.push(s);
    }
  }
  return out as Mat3;
}

export function mat3Transpose(a: readonly number[]): Mat3 {
  return [0, 3, 6, 1, 4, 7, 2, 5, 8].map((i) => a[i] ?? 0) as Mat3;
}

export function mat3Apply(a: readonly number[], v: readonly number[]): Vec3 {
  const [x = 0, y = 0, z = 0] = v;
  return [
    (a[0] ?? 0) * x + (a[1] ?? 0) * y + (a[2] ?? 0) * z,
    (a[3] ?? 0) * x + (a[4] ?? 0) * y + (a[5] ?? 0) * z,
    (a[6] ?? 0) * x + (a[7] ?? 0) * y + (a[8] ?? 0) * z,
  ];
}

/** Rotation by `angle = |v|` about `v / |v|` (Rodrigues). */
export function axisAngleToMat3(v: readonly number[]): Mat3 {
  const [x = 0, y = 0, z = 0] = v;
  const angle = Math.hypot(x, y, z);
  if (angle < 1e-12) return [1, 0, 0, 0, 1, 0, 0, 0, 1];
  const h = angle / 2, s = Math.sin(h) / angle;
  return quatToMat3([Math.cos(h), x * s, y * s, z * s]);
}

/** Axis-angle vector of a rotation matrix (angle in [0, π]). */
export function mat3ToAxisAngle(m: readonly number[]): Vec3 {
  const [w, x, y, z] = mat3ToQuat(m);
  const sinHalf = Math.hypot(x, y, z);
  if (sinHalf < 1e-12) return [0, 0, 0];
  const angle = 2 * Math.atan2(sinHalf, w);
  return [(x / sinHalf) * angle, (y / sinHalf) * angle, (z / sinHalf) * angle];
}

export function composePose(a: RigidPose, b: RigidPose): RigidPose {
  const t = mat3Apply(a.rotation, b.position_m);
  return {
    position_m: [a.position_m[0] + t[0], a.position_m[1] + t[1], a.position_m[2] + t[2]],
    rotation: mat3Mul(a.rotation, b.rotation),
  };
}

export function poseToMat4(pose: RigidPose): Mat4 {
  const r = pose.rotation, t = pose.position_m;
  return [r[0], r[3], r[6], 0, r[1], r[4], r[7], 0, r[2], r[5], r[8], 0, t[0], t[1], t[2], 1];
}

export function poseFromTranslationQuat(translation: readonly number[], quaternionWxyz: readonly number[]): RigidPose {
  const [x = 0, y = 0, z = 0] = translation;
  return { position_m: [x, y, z], rotation: quatToMat3(quaternionWxyz) };
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
