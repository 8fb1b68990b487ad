import { describe, expect, test } from 'vitest';
import { GAUSSIAN_WIDTH } from '../../../main/imagination/lifting';
import { imaginedObjectRise, liftAgreement } from '../../../main/imagination/objectRise';

const W = GAUSSIAN_WIDTH;
const object = { position_m: [0.5, 0, 0.025], rgb: [0.1, 0.6, 0.8] };

/** N = 4 observed Gaussians: two on the object, one of the hand beside it (other colour), one far away of the object's colour. */
function observed(): { gaussians: Float32Array; mask: Float32Array } {
  const g = new Float32Array(4 * W);
  const put = (i: number, xyz: number[], rgb: number[]) => {
    g.set(xyz, i * W);
    g.set(rgb, i * W + 10);
  };
  put(0, [0.5, 0.02, 0.05], [0.1, 0.55, 0.75]);
  put(1, [0.52, 0, 0.03], [0.12, 0.6, 0.8]);
  put(2, [0.5, -0.02, 0.06], [0.9, 0.9, 0.9]);
  put(3, [0.2, 0.3, 0.0], [0.1, 0.6, 0.8]);
  return { gaussians: g, mask: Float32Array.from([1, 1, 1, 1]) };
}

/** K × H decoded steps: each a copy of the observation with per-Gaussian z offsets. */
function decoded(obs: Float32Array, dz: number[][][]): Float32Array {
  const K = dz.length;
  const H = dz[0]!.length;
  const out = new Float32Array(K * H * 4 * W);
  for (let k = 0; k < K; k++)
    for (let h = 0; h < H; h++) {
      const at = (k * H + h) * 4 * W;
      out.set(obs, at);
      for (let i = 0; i < 4; i++) out[at + i * W + 2] = obs[i * W + 2]! + dz[k]![h]![i]!;
    }
  return out;
}

describe('imaginedObjectRise', () => {
  test("follows the object's own Gaussians (by place and colour) through each candidate's steps", () => {
    const { gaussians, mask } = observed();
    // Candidate 0 lifts the object by 10 cm at step 2; candidate 1 lifts only the hand and the far splat.
    const steps = decoded(gaussians, [
      [
        [0.02, 0.02, 0, 0],
        [0.1, 0.1, 0.1, 0],
      ],
      [
        [0, 0, 0.2, 0.3],
        [-0.01, -0.01, 0.2, 0.3],
      ],
    ]);
    const got = imaginedObjectRise(gaussians, mask, steps, { K: 2, H: 2, N: 4 }, object);
    expect(got.splats).toBe(2);
    expect(got.rise_m[0]).toBeCloseTo(0.1, 6);
    // The highest step counts, even if the object sinks below where it was seen.
    expect(got.rise_m[1]).toBeCloseTo(0, 6);
  });

  test('says null when none of the object was observed (hidden, or masked out)', () => {
    const { gaussians } = observed();
    const got = imaginedObjectRise(
      gaussians,
      Float32Array.from([0, 0, 1, 1]),
      decoded(gaussians, [[[0, 0, 0, 0]]]),
      { K: 1, H: 1, N: 4 },
      object,
    );
    expect(got).toEqual({ splats: 0, rise_m: [null] });
  });
});

test('liftAgreement: how often a lift was imagined where one really happened, and where none did', () => {
  const got = liftAgreement([
    { imagined: 0.1, real: 0.12 },
    { imagined: 0.0, real: 0.15 },
    { imagined: 0.08, real: 0.0 },
    { imagined: 0.01, real: 0.0 },
    { imagined: 0.05, real: -0.01 },
    { imagined: null, real: 0.2 },
  ]);
  expect(got).toEqual({ real_lifts: 2, imagined_given_real_lift: 0.5, real_non_lifts: 3, imagined_given_no_real_lift: 2 / 3 });
  expect(liftAgreement([])).toEqual({
    real_lifts: 0,
    imagined_given_real_lift: null,
    real_non_lifts: 0,
    imagined_given_no_real_lift: null,
  });
});
