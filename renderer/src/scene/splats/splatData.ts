/**
 * Imagined Gaussians as the core sends them (`foresight.splats`): little-endian float32, H steps × N
 * splats × 14 fields (x y z, scale sx sy sz in metres, quaternion w x y z, r g b linear 0..1, opacity),
 * splat i being the same splat at every step, plus a per-splat validity mask (float32, > 0.5 = valid).
 *
 * This file is pure (no three.js, no DOM): decoding, tweening between steps and depth ordering, so it
 * is unit-tested in Node and shared by the small multiples, the overlay and the bench.
 */
export const SPLAT_FIELDS = 14;

export interface SplatSequence {
  /** Steps (imagined chunks); 1 for an observed scene. */
  readonly H: number;
  readonly N: number;
  /** H·N·14 floats. */
  readonly data: Float32Array;
  /** N flags, 1 = valid. */
  readonly mask: Uint8Array;
  /** Indices of the valid splats, ascending. */
  readonly valid: Uint32Array;
}

/** Whether this machine stores float32 little-endian, as the core sends them (every target does; checked once). */
const LITTLE_ENDIAN = new Uint8Array(new Float32Array([1]).buffer)[3] === 0x3f;

/**
 * Little-endian float32 bytes → floats. Aligned bytes on a little-endian machine are viewed in place
 * (no copy: the transports hand each byte field over in a buffer of its own); otherwise read one by one.
 */
export function floatsOf(bytes: Uint8Array): Float32Array {
  if (bytes.byteLength % 4 !== 0) throw new Error(`splat data is ${bytes.byteLength} bytes, not a whole number of float32`);
  if (LITTLE_ENDIAN && bytes.byteOffset % 4 === 0) return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(bytes.byteLength / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

export function makeSequence(H: number, N: number, data: Float32Array, maskFloats: Float32Array | null): SplatSequence {
  if (data.length !== H * N * SPLAT_FIELDS)
    throw new Error(`splat data has ${data.length} floats; H=${H} × N=${N} × ${SPLAT_FIELDS} needs ${H * N * SPLAT_FIELDS}`);
  const mask = new Uint8Array(N);
  const valid: number[] = [];
  for (let i = 0; i < N; i++) {
    const ok = (maskFloats === null || (maskFloats[i] ?? 0) > 0.5) && Number.isFinite(data[i * SPLAT_FIELDS]!);
    mask[i] = ok ? 1 : 0;
    if (ok) valid.push(i);
  }
  return { H, N, data, mask, valid: Uint32Array.from(valid) };
}

/** Decodes a `foresight.splats` answer (the Gaussians are used in place, not copied). */
export function decodeSplats(answer: { H: number; N: number; fields: number; gaussians: Uint8Array; mask: Uint8Array }): SplatSequence {
  if (answer.fields !== SPLAT_FIELDS)
    throw new Error(`splats have ${answer.fields} fields per Gaussian; this renderer reads ${SPLAT_FIELDS}`);
  const data = floatsOf(answer.gaussians);
  const mask = answer.mask.byteLength > 0 ? floatsOf(answer.mask) : null;
  // The observed scene comes as one step (N×14) even though `H` may say more.
  const H = data.length === answer.N * SPLAT_FIELDS ? 1 : answer.H;
  return makeSequence(H, answer.N, data, mask !== null && mask.length === answer.N ? mask : null);
}

/**
 * What the GPU draws per splat, for the valid splats only: centre (3), the upper triangle of the 3D
 * covariance Σ = R S Sᵀ Rᵀ (6: xx xy xz yy yz zz) and colour with opacity (4).
 */
export interface SplatInstances {
  count: number;
  center: Float32Array;
  covA: Float32Array;
  covB: Float32Array;
  rgba: Float32Array;
}

export function allocInstances(capacity: number): SplatInstances {
  return {
    count: 0,
    center: new Float32Array(capacity * 3),
    covA: new Float32Array(capacity * 3),
    covB: new Float32Array(capacity * 3),
    rgba: new Float32Array(capacity * 4),
  };
}

/** Linear [0,1] → sRGB-encoded [0,1] (the splat shader writes colours as they are). */
function toSrgb(linear: number): number {
  const c = linear <= 0 ? 0 : linear >= 1 ? 1 : linear;
  return c <= 0.0031308 ? c * 12.92 : 1.055 * c ** (1 / 2.4) - 0.055;
}

/**
 * Writes the scene at fractional step `t` (0 … H−1): splat i's fields linearly interpolated between
 * steps ⌊t⌋ and ⌈t⌉ (the quaternion by normalised lerp along the shorter arc), in `order` (indices into
 * the valid list, e.g. back to front; default: as stored). `out` must hold `valid.length` splats.
 */
export function tweenInto(seq: SplatSequence, t: number, out: SplatInstances, order?: Uint32Array, opacityScale = 1): void {
  const clamped = Math.min(Math.max(t, 0), seq.H - 1);
  const s0 = Math.floor(clamped);
  const s1 = Math.min(s0 + 1, seq.H - 1);
  const f = clamped - s0;
  const g = 1 - f;
  const { data, N, valid } = seq;
  const base0 = s0 * N * SPLAT_FIELDS;
  const base1 = s1 * N * SPLAT_FIELDS;
  const count = valid.length;
  for (let j = 0; j < count; j++) {
    const i = valid[order === undefined ? j : order[j]!]!;
    const a = base0 + i * SPLAT_FIELDS;
    const b = base1 + i * SPLAT_FIELDS;
    const x = g * data[a]! + f * data[b]!;
    const y = g * data[a + 1]! + f * data[b + 1]!;
    const z = g * data[a + 2]! + f * data[b + 2]!;
    const sx = g * data[a + 3]! + f * data[b + 3]!;
    const sy = g * data[a + 4]! + f * data[b + 4]!;
    const sz = g * data[a + 5]! + f * data[b + 5]!;
    // Shorter arc: flip the second quaternion if the two point apart.
    const dot = data[a + 6]! * data[b + 6]! + data[a + 7]! * data[b + 7]! + data[a + 8]! * data[b + 8]! + data[a + 9]! * data[b + 9]!;
    const fs = dot < 0 ? -f : f;
    let qw = g * data[a + 6]! + fs * data[b + 6]!;
    let qx = g * data[a + 7]! + fs * data[b + 7]!;
    let qy = g * data[a + 8]! + fs * data[b + 8]!;
    let qz = g * data[a + 9]! + fs * data[b + 9]!;
    const norm = Math.hypot(qw, qx, qy, qz) || 1;
    qw /= norm;
    qx /= norm;
    qy /= norm;
    qz /= norm;
    // R (row-major) from the unit quaternion, then M = R·S and Σ = M Mᵀ.
    const r00 = 1 - 2 * (qy * qy + qz * qz);
    const r01 = 2 * (qx * qy - qw * qz);
    const r02 = 2 * (qx * qz + qw * qy);
    const r10 = 2 * (qx * qy + qw * qz);
    const r11 = 1 - 2 * (qx * qx + qz * qz);
    const r12 = 2 * (qy * qz - qw * qx);
    const r20 = 2 * (qx * qz - qw * qy);
    const r21 = 2 * (qy * qz + qw * qx);
    const r22 = 1 - 2 * (qx * qx + qy * qy);
    const m00 = r00 * sx,
      m01 = r01 * sy,
      m02 = r02 * sz;
    const m10 = r10 * sx,
      m11 = r11 * sy,
      m12 = r12 * sz;
    const m20 = r20 * sx,
      m21 = r21 * sy,
      m22 = r22 * sz;
    const c3 = j * 3;
    out.center[c3] = x;
    out.center[c3 + 1] = y;
    out.center[c3 + 2] = z;
    out.covA[c3] = m00 * m00 + m01 * m01 + m02 * m02;
    out.covA[c3 + 1] = m00 * m10 + m01 * m11 + m02 * m12;
    out.covA[c3 + 2] = m00 * m20 + m01 * m21 + m02 * m22;
    out.covB[c3] = m10 * m10 + m11 * m11 + m12 * m12;
    out.covB[c3 + 1] = m10 * m20 + m11 * m21 + m12 * m22;
    out.covB[c3 + 2] = m20 * m20 + m21 * m21 + m22 * m22;
    const c4 = j * 4;
    out.rgba[c4] = toSrgb(g * data[a + 10]! + f * data[b + 10]!);
    out.rgba[c4 + 1] = toSrgb(g * data[a + 11]! + f * data[b + 11]!);
    out.rgba[c4 + 2] = toSrgb(g * data[a + 12]! + f * data[b + 12]!);
    out.rgba[c4 + 3] = Math.min(1, Math.max(0, g * data[a + 13]! + f * data[b + 13]!)) * opacityScale;
  }
  out.count = count;
}

/**
 * Back-to-front order of the valid splats at step `step` seen from `eye` looking along `forward`
 * (unit): a 16-bit counting sort on view depth, O(N), no allocation beyond `scratch`.
 */
export function depthOrder(
  seq: SplatSequence,
  step: number,
  eye: readonly [number, number, number],
  forward: readonly [number, number, number],
  out: Uint32Array,
  scratch: { depth: Float32Array; counts: Uint32Array; keys: Uint16Array },
): Uint32Array {
  const { data, N, valid } = seq;
  const base = Math.min(Math.max(Math.round(step), 0), seq.H - 1) * N * SPLAT_FIELDS;
  const count = valid.length;
  let lo = Infinity;
  let hi = -Infinity;
  for (let j = 0; j < count; j++) {
    const a = base + valid[j]! * SPLAT_FIELDS;
    const d = (data[a]! - eye[0]) * forward[0] + (data[a + 1]! - eye[1]) * forward[1] + (data[a + 2]! - eye[2]) * forward[2];
    scratch.depth[j] = d;
    if (d < lo) lo = d;
    if (d > hi) hi = d;
  }
  const counts = scratch.counts;
  counts.fill(0);
  const span = hi - lo > 1e-9 ? 65535 / (hi - lo) : 0;
  for (let j = 0; j < count; j++) {
    // Far first: larger depth → smaller key.
    const key = 65535 - Math.floor((scratch.depth[j]! - lo) * span);
    scratch.keys[j] = key;
    counts[key]!++;
  }
  let sum = 0;
  for (let k = 0; k < 65536; k++) {
    const c = counts[k]!;
    counts[k] = sum;
    sum += c;
  }
  for (let j = 0; j < count; j++) out[counts[scratch.keys[j]!]!++] = j;
  return out;
}

export function allocOrderScratch(capacity: number): { depth: Float32Array; counts: Uint32Array; keys: Uint16Array } {
  return { depth: new Float32Array(capacity), counts: new Uint32Array(65536), keys: new Uint16Array(capacity) };
}

/** Axis-aligned bounds of the valid splat centres over every step (for framing a small view). */
export function boundsOf(seq: SplatSequence): { min: [number, number, number]; max: [number, number, number] } | null {
  if (seq.valid.length === 0) return null;
  const min: [number, number, number] = [Infinity, Infinity, Infinity];
  const max: [number, number, number] = [-Infinity, -Infinity, -Infinity];
  for (let s = 0; s < seq.H; s++) {
    const base = s * seq.N * SPLAT_FIELDS;
    for (const i of seq.valid) {
      for (let k = 0; k < 3; k++) {
        const v = seq.data[base + i * SPLAT_FIELDS + k]!;
        if (v < min[k]!) min[k] = v;
        if (v > max[k]!) max[k] = v;
      }
    }
  }
  return { min, max };
}
