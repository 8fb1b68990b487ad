import { GAUSSIAN_WIDTH } from './lifting';

/** A simulated object as the ranking test knows it: where it was at the observation, and its colour. */
export interface ObjectAtObservation {
  position_m: readonly number[];
  /** Linear RGB in [0, 1], as the lifted Gaussians carry it. */
  rgb: readonly number[];
}

/** Which observed Gaussians are the object's: near its centre and of its colour (the hand may be as near). */
export const OBJECT_RADIUS_M = 0.05;
export const OBJECT_COLOUR_DISTANCE = 0.2;

/**
 * How high each candidate's imagined future lifts the object: the object's observed Gaussians (found by
 * place and colour) followed by splat identity through the K × H decoded steps; per candidate, the
 * largest rise of their mean height over the observation's (m). Null when none of the object's Gaussians
 * was observed (e.g. hidden by the hand). Comparing it with the real rise says whether a wrong success
 * estimate comes from the dynamics (it imagined a lift that did not happen) or from the success head.
 */
export function imaginedObjectRise(
  observed: Float32Array,
  mask: Float32Array,
  decoded: Float32Array,
  shape: { K: number; H: number; N: number },
  object: ObjectAtObservation,
): { splats: number; rise_m: (number | null)[] } {
  const { K, H, N } = shape;
  const W = GAUSSIAN_WIDTH;
  const [ox, oy, oz] = object.position_m;
  const [r, g, b] = object.rgb;
  const ids: number[] = [];
  for (let i = 0; i < N; i++) {
    if ((mask[i] ?? 0) < 0.5) continue;
    const at = i * W;
    const near = Math.hypot(observed[at]! - ox!, observed[at + 1]! - oy!, observed[at + 2]! - oz!) < OBJECT_RADIUS_M;
    const colour = Math.hypot(observed[at + 10]! - r!, observed[at + 11]! - g!, observed[at + 12]! - b!) < OBJECT_COLOUR_DISTANCE;
    if (near && colour) ids.push(i);
  }
  if (ids.length === 0) return { splats: 0, rise_m: Array.from({ length: K }, () => null) };
  const meanZ = (frame: Float32Array, offset: number) => ids.reduce((sum, i) => sum + frame[offset + i * W + 2]!, 0) / ids.length;
  const z0 = meanZ(observed, 0);
  const rise_m = Array.from({ length: K }, (_, k) => {
    let top = -Infinity;
    for (let h = 0; h < H; h++) top = Math.max(top, meanZ(decoded, (k * H + h) * N * W) - z0);
    return top;
  });
  return { splats: ids.length, rise_m };
}

/** A rise that counts as a lift: the simulator's own rule (the cube 2 cm off the table, in the hand). */
export const LIFT_RISE_M = 0.02;

/**
 * Over candidates with both an imagined and a real rise: how often the dynamics imagined a lift where one
 * really happened, and where none did (false lifts make a success head rank near misses high).
 */
export function liftAgreement(pairs: readonly { imagined: number | null; real: number }[]): {
  real_lifts: number;
  imagined_given_real_lift: number | null;
  real_non_lifts: number;
  imagined_given_no_real_lift: number | null;
} {
  const seen = pairs.filter((p): p is { imagined: number; real: number } => p.imagined !== null);
  const lifts = seen.filter((p) => p.real >= LIFT_RISE_M);
  const others = seen.filter((p) => p.real < LIFT_RISE_M);
  const rate = (of: typeof seen) => (of.length === 0 ? null : of.filter((p) => p.imagined >= LIFT_RISE_M).length / of.length);
  return {
    real_lifts: lifts.length,
    imagined_given_real_lift: rate(lifts),
    real_non_lifts: others.length,
    imagined_given_no_real_lift: rate(others),
  };
}
