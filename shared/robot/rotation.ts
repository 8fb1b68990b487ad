import type { Mat4, Quaternion, Vec3 } from './types';

/**
 * Rigid-transform helpers. `Mat4` is column-major (libfranka's `O_T_EE` layout: element (row r,
 * column c) at index 4·c + r, translation at 12, 13, 14). `Rotation3` is a row-major 3×3 (index
 * 3·r + c), used only inside computations.
 */
export type Rotation3 = [number, number, number, number, number, number, number, number, number];

export function mat4Identity(): Mat4 {
  return [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
}

export function mat4At(m: readonly number[], row: number, column: number): number {
  return m[4 * column + row] ?? Number.NaN;
}

export function mat4Multiply(a: readonly number[], b: readonly number[]): Mat4 {
  const out = new Array<number>(16).fill(0);
  for (let c = 0; c < 4; c++) {
    for (let r = 0; r < 4; r++) {
      let sum = 0;
      for (let k = 0; k < 4; k++) sum += mat4At(a, r, k) * mat4At(b, k, c);
      out[4 * c + r] = sum;
    }
  }
  return out;
}

export function mat4FromRotationTranslation(rotation: readonly number[], translation: readonly number[]): Mat4 {
  const m = mat4Identity();
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 3; c++) m[4 * c + r] = rotation[3 * r + c] ?? Number.NaN;
    m[12 + r] = translation[r] ?? Number.NaN;
  }
  return m;
}

export function mat4Rotation(m: readonly number[]): Rotation3 {
  const rotation: Rotation3 = [0, 0, 0, 0, 0, 0, 0, 0, 0];
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) rotation[3 * r + c] = mat4At(m, r, c);
  return rotation;
}

export function mat4Translation(m: readonly number[]): Vec3 {
  return [m[12] ?? Number.NaN, m[13] ?? Number.NaN, m[14] ?? Number.NaN];
}

function at(m: readonly number[], index: number): number {
  return m[index] ?? Number.NaN;
}

export function rotationMultiply(a: readonly number[], b: readonly number[]): Rotation3 {
  const out: Rotation3 = [0, 0, 0, 0, 0, 0, 0, 0, 0];
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 3; c++) {
      out[3 * r + c] = at(a, 3 * r) * at(b, c) + at(a, 3 * r + 1) * at(b, 3 + c) + at(a, 3 * r + 2) * at(b, 6 + c);
    }
  }
  return out;
}

export function rotationTranspose(a: readonly number[]): Rotation3 {
  return [at(a, 0), at(a, 3), at(a, 6), at(a, 1), at(a, 4), at(a, 7), at(a, 2), at(a, 5), at(a, 8)];
}

export function rotationApply(a: readonly number[], v: readonly number[]): Vec3 {
  const [x, y, z] = [at(v, 0), at(v, 1), at(v, 2)];
  return [
    at(a, 0) * x + at(a, 1) * y + at(a, 2) * z,
    at(a, 3) * x + at(a, 4) * y + at(a, 5) * z,
    at(a, 6) * x + at(a, 7) * y + at(a, 8) * z,
  ];
}

/** Rodrigues: angle = |v|, axis = v/|v| (deoxys `common_utils.h` convention). */
export function rotationFromAxisAngle(v: readonly number[]): Rotation3 {
  const [x, y, z] = [at(v, 0), at(v, 1), at(v, 2)];
  const angle = Math.hypot(x, y, z);
  if (angle < 1e-12) return [1, 0, 0, 0, 1, 0, 0, 0, 1];
  const [kx, ky, kz] = [x / angle, y / angle, z / angle];
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  const t = 1 - c;
  return [
    t * kx * kx + c,
    t * kx * ky - s * kz,
    t * kx * kz + s * ky,
    t * kx * ky + s * kz,
    t * ky * ky + c,
    t * ky * kz - s * kx,
    t * kx * kz - s * ky,
    t * ky * kz + s * kx,
    t * kz * kz + c,
  ];
}

/** The inverse of `rotationFromAxisAngle`, through the quaternion so angles near π stay accurate. */
export function axisAngleFromRotation(rotation: readonly number[]): Vec3 {
  const [w, x, y, z] = quaternionFromRotation(rotation);
  const sinHalf = Math.hypot(x, y, z);
  if (sinHalf < 1e-12) return [0, 0, 0];
  // Choose the shorter rotation (angle ≤ π) whatever the quaternion's sign.
  const sign = w < 0 ? -1 : 1;
  const angle = 2 * Math.atan2(sinHalf, Math.abs(w));
  return [(sign * x * angle) / sinHalf, (sign * y * angle) / sinHalf, (sign * z * angle) / sinHalf];
}

/** Unit quaternion (w, x, y, z) with w ≥ 0. */
export function quaternionFromRotation(m: readonly number[]): Quaternion {
  const [m00, m01, m02, m10, m11, m12, m20, m21, m22] = [
    at(m, 0),
    at(m, 1),
    at(m, 2),
    at(m, 3),
    at(m, 4),
    at(m, 5),
    at(m, 6),
    at(m, 7),
    at(m, 8),
  ];
  const trace = m00 + m11 + m22;
  let q: Quaternion;
  if (trace > 0) {
    const s = Math.sqrt(trace + 1) * 2;
    q = [0.25 * s, (m21 - m12) / s, (m02 - m20) / s, (m10 - m01) / s];
  } else if (m00 > m11 && m00 > m22) {
    const s = Math.sqrt(1 + m00 - m11 - m22) * 2;
    q = [(m21 - m12) / s, 0.25 * s, (m01 + m10) / s, (m02 + m20) / s];
  } else if (m11 > m22) {
    const s = Math.sqrt(1 + m11 - m00 - m22) * 2;
    q = [(m02 - m20) / s, (m01 + m10) / s, 0.25 * s, (m12 + m21) / s];
  } else {
    const s = Math.sqrt(1 + m22 - m00 - m11) * 2;
    q = [(m10 - m01) / s, (m02 + m20) / s, (m12 + m21) / s, 0.25 * s];
  }
  const norm = Math.hypot(...q);
  const sign = q[0] < 0 ? -1 : 1;
  return [(sign * q[0]) / norm, (sign * q[1]) / norm, (sign * q[2]) / norm, (sign * q[3]) / norm];
}

export function rotationFromQuaternion(q: readonly number[]): Rotation3 {
  const norm = Math.hypot(at(q, 0), at(q, 1), at(q, 2), at(q, 3));
  const [w, x, y, z] = [at(q, 0) / norm, at(q, 1) / norm, at(q, 2) / norm, at(q, 3) / norm];
  return [
    1 - 2 * (y * y + z * z),
    2 * (x * y - w * z),
    2 * (x * z + w * y),
    2 * (x * y + w * z),
    1 - 2 * (x * x + z * z),
    2 * (y * z - w * x),
    2 * (x * z - w * y),
    2 * (y * z + w * x),
    1 - 2 * (x * x + y * y),
  ];
}

/** The rotation taking `from` to `to`, expressed in the base frame (to · fromᵀ), as an axis-angle vector. */
export function rotationErrorAxisAngle(to: readonly number[], from: readonly number[]): Vec3 {
  return axisAngleFromRotation(rotationMultiply(to, rotationTranspose(from)));
}
