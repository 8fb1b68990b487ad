import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import {
  GAUSSIAN_WIDTH,
  farthestPointIndices,
  geomBodyTable,
  lift,
  type LiftingCamera,
  type LiftingConfig,
} from '../../../main/imagination/lifting';

const DIR = resolve('test/fixtures/gwm/lifting');

interface FixtureMeta {
  tcp_m: [number, number, number];
  lifting: LiftingConfig;
  cameras: {
    name: string;
    width: number;
    height: number;
    intrinsics: { fx_px: number; fy_px: number; cx_px: number; cy_px: number };
    world_from_camera: number[][];
  }[];
  segmentation_legend: { id: number; body_id: number }[];
  cases: Record<'sim' | 'real', { color_space: 'linear' | 'srgb'; segmentation: boolean }>;
  arrays: Record<string, { file: string; dtype: string; shape: number[] }>;
}

const meta = JSON.parse(readFileSync(join(DIR, 'inputs.json'), 'utf8')) as FixtureMeta;

function array(name: string): ArrayBufferView {
  const spec = meta.arrays[name];
  if (spec === undefined) throw new Error(`fixture array ${name} is missing`);
  const bytes = readFileSync(join(DIR, spec.file));
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  switch (spec.dtype) {
    case '|u1':
      return new Uint8Array(buffer);
    case '<u2':
      return new Uint16Array(buffer);
    case '<i2':
      return new Int16Array(buffer);
    case '<f4':
      return new Float32Array(buffer);
    default:
      throw new Error(`fixture dtype ${spec.dtype}`);
  }
}

/** The studio's lifting against the trainer's (numpy) on one real simulator frame, both cases. */
describe('lifting: observation → Gaussians, as the pack defines it', () => {
  for (const name of ['sim', 'real'] as const) {
    test(`matches the trainer's output (${name}: ${meta.cases[name].color_space}, segmentation ${meta.cases[name].segmentation})`, () => {
      const spec = meta.cases[name];
      const frames = meta.cameras.map((c) => {
        const camera: LiftingCamera = {
          name: c.name,
          width: c.width,
          height: c.height,
          ...c.intrinsics,
          world_from_camera: c.world_from_camera,
          color_space: spec.color_space,
        };
        const depth = array(`depth_mm_${c.name}`) as Uint16Array;
        return {
          camera,
          rgb: array(`rgb_${c.name}`) as Uint8Array,
          depth_m: Float64Array.from(depth, (d) => d * 1e-3),
          ...(spec.segmentation ? { seg: array(`seg_${c.name}`) as Uint16Array } : {}),
        };
      });
      const out = lift(frames, meta.tcp_m, meta.lifting, spec.segmentation ? geomBodyTable(meta.segmentation_legend) : undefined);
      const want = array(`expected_${name}_gaussians`) as Float32Array;
      expect(out.gaussians.length).toBe(meta.lifting.num_gaussians * GAUSSIAN_WIDTH);
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs((out.gaussians[i] ?? NaN) - (want[i] ?? NaN)));
      expect(worst).toBeLessThanOrEqual(1e-5);
      expect(Array.from(out.mask)).toEqual(Array.from(array(`expected_${name}_mask`) as Float32Array));
      expect(Array.from(out.body)).toEqual(Array.from(array(`expected_${name}_body`) as Int16Array));
      expect(out.count).toBeGreaterThan(1500);
    });
  }

  test('farthest-point sampling starts at the first point and keeps index order', () => {
    const p = Float64Array.from([0, 0, 0, 1, 0, 0, 0.1, 0, 0, 0, 2, 0, 0.5, 0.5, 0]);
    expect(farthestPointIndices(p, 5, 3)).toEqual([0, 1, 3]);
    expect(farthestPointIndices(p, 5, 9)).toEqual([0, 1, 2, 3, 4]);
  });
});
