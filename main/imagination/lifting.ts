/**
 * Observation → N Gaussians, exactly as a world-model pack's manifest (`lifting`) defines it and as the
 * trainer computes it (models/gwmlite/lifting.py; algorithm in docs/world-model.md#lifting). Every step
 * keeps numpy's order of operations, so the two agree to float rounding (pinned by the fixtures in
 * test/fixtures/gwm/lifting/).
 */

export const GAUSSIAN_WIDTH = 14;
const VOXEL_KEY_RANGE = 4096;

export interface LiftingConfig {
  num_gaussians: number;
  crop_min_m: readonly [number, number, number];
  crop_max_m: readonly [number, number, number];
  table_z_m: number;
  table_band_m: number;
  object_band_top_m: number;
  focus_radius_m: number;
  /** Voxel size per tier: focus, scene, table. */
  voxel_m: readonly [number, number, number];
  scale_factor: number;
  opacity: number;
}

export interface LiftingCamera {
  name: string;
  width: number;
  height: number;
  fx_px: number;
  fy_px: number;
  cx_px: number;
  cy_px: number;
  /** 4×4 row-major, OpenCV camera axes, robot base frame. */
  world_from_camera: readonly (readonly number[])[];
  color_space: 'linear' | 'srgb';
}

export interface LiftingFrame {
  camera: LiftingCamera;
  /** H×W×3 colour, row-major. */
  rgb: Uint8Array;
  /** H×W depth in metres, 0 = no return. */
  depth_m: Float64Array;
  /** H×W segmentation (geom id + 1, 0 = background), when the rig has it. */
  seg?: Uint16Array;
}

export interface LiftedGaussians {
  /** N×14: x y z, sx sy sz, qw qx qy qz, r g b, opacity. */
  gaussians: Float32Array;
  /** N: 1 for a Gaussian, 0 for padding. */
  mask: Float32Array;
  /** N: body id from segmentation, −1 when unknown. */
  body: Int16Array;
  count: number;
}

const srgbToLinear = (c: number): number => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);

interface Points {
  xyz: Float64Array;
  rgb: Float64Array;
  footprint: Float64Array;
  body: Int32Array;
  n: number;
}

function unproject(frames: readonly LiftingFrame[], geomBody: Int32Array | undefined): Points {
  const sorted = [...frames].sort((a, b) => (a.camera.name < b.camera.name ? -1 : a.camera.name > b.camera.name ? 1 : 0));
  const total = sorted.reduce((s, f) => s + f.depth_m.length, 0);
  const xyz = new Float64Array(3 * total);
  const rgb = new Float64Array(3 * total);
  const footprint = new Float64Array(total);
  const body = new Int32Array(total);
  let n = 0;
  for (const { camera: c, rgb: colour, depth_m, seg } of sorted) {
    const m = c.world_from_camera;
    const row = (r: number): readonly number[] => {
      const v = m[r];
      if (v === undefined || v.length < 4) throw new Error(`camera ${c.name}: world_from_camera must be 4×4`);
      return v;
    };
    const [r0, r1, r2] = [row(0), row(1), row(2)];
    for (let v = 0; v < c.height; v++) {
      for (let u = 0; u < c.width; u++) {
        const i = v * c.width + u;
        const d = depth_m[i] ?? 0;
        if (!(d > 0)) continue;
        const x = ((u + 0.5 - c.cx_px) / c.fx_px) * d;
        const y = ((v + 0.5 - c.cy_px) / c.fy_px) * d;
        xyz[3 * n] = x * (r0[0] ?? 0) + y * (r0[1] ?? 0) + d * (r0[2] ?? 0) + (r0[3] ?? 0);
        xyz[3 * n + 1] = x * (r1[0] ?? 0) + y * (r1[1] ?? 0) + d * (r1[2] ?? 0) + (r1[3] ?? 0);
        xyz[3 * n + 2] = x * (r2[0] ?? 0) + y * (r2[1] ?? 0) + d * (r2[2] ?? 0) + (r2[3] ?? 0);
        for (let k = 0; k < 3; k++) {
          const value = (colour[3 * i + k] ?? 0) / 255;
          rgb[3 * n + k] = c.color_space === 'srgb' ? srgbToLinear(value) : value;
        }
        footprint[n] = d / c.fx_px;
        const s = seg?.[i] ?? 0;
        body[n] = seg !== undefined && geomBody !== undefined && s > 0 ? (geomBody[s - 1] ?? -1) : -1;
        n++;
      }
    }
  }
  return { xyz, rgb, footprint, body, n };
}

/** k indices by farthest-point sampling from index 0 (ties to the lowest index), ascending. */
export function farthestPointIndices(xyz: Float64Array, count: number, k: number): number[] {
  if (k >= count) return Array.from({ length: count }, (_, i) => i);
  const dist = new Float64Array(count);
  const chosen = [0];
  const update = (j: number, first: boolean): void => {
    const px = xyz[3 * j] ?? 0,
      py = xyz[3 * j + 1] ?? 0,
      pz = xyz[3 * j + 2] ?? 0;
    for (let i = 0; i < count; i++) {
      const dx = (xyz[3 * i] ?? 0) - px,
        dy = (xyz[3 * i + 1] ?? 0) - py,
        dz = (xyz[3 * i + 2] ?? 0) - pz;
      const d = dx * dx + dy * dy + dz * dz;
      dist[i] = first ? d : Math.min(dist[i] ?? 0, d);
    }
  };
  update(0, true);
  for (let c = 1; c < k; c++) {
    let best = 0;
    for (let i = 1; i < count; i++) if ((dist[i] ?? 0) > (dist[best] ?? 0)) best = i;
    chosen.push(best);
    update(best, false);
  }
  return chosen.sort((a, b) => a - b);
}

/** Lifts calibrated RGB-D frames (the pack's train cameras) to exactly `num_gaussians` Gaussians. */
export function lift(
  frames: readonly LiftingFrame[],
  tcp_m: readonly [number, number, number],
  cfg: LiftingConfig,
  geomBody?: Int32Array,
): LiftedGaussians {
  const pts = unproject(frames, geomBody);
  const [lo0, lo1, lo2] = cfg.crop_min_m;
  const [hi0, hi1, hi2] = cfg.crop_max_m;
  const r2 = cfg.focus_radius_m ** 2;
  // Voxel key → running sums, in first-seen order of points (as numpy's bincount accumulates).
  const voxels = new Map<number, { first: number; count: number; sum: Float64Array }>();
  for (let i = 0; i < pts.n; i++) {
    const x = pts.xyz[3 * i] ?? 0,
      y = pts.xyz[3 * i + 1] ?? 0,
      z = pts.xyz[3 * i + 2] ?? 0;
    if (!(x >= lo0 && x <= hi0 && y >= lo1 && y <= hi1 && z >= lo2 && z <= hi2)) continue;
    const dx = x - tcp_m[0],
      dy = y - tcp_m[1],
      dz = z - tcp_m[2];
    const nearTcp = dx * dx + dy * dy + dz * dz <= r2;
    const tier = nearTcp ? 0 : z <= cfg.table_z_m + cfg.table_band_m ? 2 : z <= cfg.object_band_top_m ? 0 : 1;
    const size = cfg.voxel_m[tier];
    const key =
      ((tier * VOXEL_KEY_RANGE + Math.floor((x - lo0) / size)) * VOXEL_KEY_RANGE + Math.floor((y - lo1) / size)) * VOXEL_KEY_RANGE +
      Math.floor((z - lo2) / size);
    let voxel = voxels.get(key);
    if (voxel === undefined) {
      voxel = { first: i, count: 0, sum: new Float64Array(7) };
      voxels.set(key, voxel);
    }
    voxel.count++;
    const s = voxel.sum;
    s[0] = (s[0] ?? 0) + x;
    s[1] = (s[1] ?? 0) + y;
    s[2] = (s[2] ?? 0) + z;
    s[3] = (s[3] ?? 0) + (pts.rgb[3 * i] ?? 0);
    s[4] = (s[4] ?? 0) + (pts.rgb[3 * i + 1] ?? 0);
    s[5] = (s[5] ?? 0) + (pts.rgb[3 * i + 2] ?? 0);
    s[6] = (s[6] ?? 0) + (pts.footprint[i] ?? 0);
  }
  const keys = [...voxels.keys()].sort((a, b) => a - b);
  const tierOf = (key: number): number => Math.floor(key / VOXEL_KEY_RANGE ** 3);

  const n = cfg.num_gaussians;
  const picked: number[] = [];
  let remaining = n;
  for (let tier = 0; tier < 3; tier++) {
    const inTier = keys.filter((k) => tierOf(k) === tier);
    if (remaining <= 0 || inTier.length === 0) continue;
    let take = inTier;
    if (inTier.length > remaining) {
      const centres = new Float64Array(3 * inTier.length);
      inTier.forEach((k, j) => {
        const v = voxels.get(k);
        if (v === undefined) return;
        for (let a = 0; a < 3; a++) centres[3 * j + a] = (v.sum[a] ?? 0) / v.count;
      });
      take = farthestPointIndices(centres, inTier.length, remaining).map((j) => inTier[j] ?? 0);
    }
    picked.push(...take);
    remaining -= take.length;
  }

  const gaussians = new Float32Array(n * GAUSSIAN_WIDTH);
  const mask = new Float32Array(n);
  const body = new Int16Array(n).fill(-1);
  picked.forEach((key, g) => {
    const v = voxels.get(key);
    if (v === undefined) return;
    const tier = tierOf(key);
    const scale = cfg.scale_factor * Math.max((v.sum[6] ?? 0) / v.count, cfg.voxel_m[tier as 0 | 1 | 2]);
    const row = [
      (v.sum[0] ?? 0) / v.count,
      (v.sum[1] ?? 0) / v.count,
      (v.sum[2] ?? 0) / v.count,
      scale,
      scale,
      scale,
      1,
      0,
      0,
      0,
      (v.sum[3] ?? 0) / v.count,
      (v.sum[4] ?? 0) / v.count,
      (v.sum[5] ?? 0) / v.count,
      cfg.opacity,
    ];
    gaussians.set(row, g * GAUSSIAN_WIDTH);
    mask[g] = 1;
    body[g] = pts.body[v.first] ?? -1;
  });
  return { gaussians, mask, body, count: picked.length };
}

/** Segmentation legend (`[{id, body_id}]`: value − 1 = id) → body id per geom. */
export function geomBodyTable(legend: readonly { id: number; body_id: number }[]): Int32Array {
  const table = new Int32Array(Math.max(-1, ...legend.map((e) => e.id)) + 1).fill(-1);
  for (const e of legend) table[e.id] = e.body_id;
  return table;
}
