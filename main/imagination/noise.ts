import { mulberry32 } from '../sim/math3d';

/** `count` standard-normal floats from `seed` (mulberry32 + Box–Muller): the same seed, the same noise. */
export function normalNoise(seed: number, count: number): Float32Array {
  const random = mulberry32(seed);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    const u = Math.max(random(), 1e-12);
    const v = random();
    const r = Math.sqrt(-2 * Math.log(u));
    out[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < count) out[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  return out;
}
