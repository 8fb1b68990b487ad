import { describe, expect, test } from 'vitest';
import { perturbations, repeatChunk, teleopExtension } from '../../../main/imagination/candidates';
import { choose, DEFAULT_RANK_MARGIN } from '../../../main/imagination/policyEpisodes';

const shape = { H: 2, L: 4, A: 7 };
const limits = { max_translation_m: 0.025, max_rotation_rad: 0.1 };

describe('candidate chunks', () => {
  test('the operator’s motion held: velocity × control period per step, clamped to the speed limit, gripper kept', () => {
    const held = teleopExtension({ linear_m_s: [0.1, 0, -0.05], angular_rad_s: [0, 0, 0.5], gripper: 1 }, shape, 10, limits);
    expect(held).toHaveLength(2 * 4 * 7);
    for (let i = 0; i < 8; i++) {
      expect(held[i * 7]).toBeCloseTo(0.01, 7);
      expect(held[i * 7 + 2]).toBeCloseTo(-0.005, 7);
      expect(held[i * 7 + 5]).toBeCloseTo(0.05, 7);
      expect(held[i * 7 + 6]).toBe(1);
    }
    const fast = teleopExtension({ linear_m_s: [1, 0, 0], angular_rad_s: [0, 0, 0], gripper: 0 }, shape, 10, limits);
    expect(fast[0]).toBeCloseTo(0.025, 7);
  });

  test('perturbations: candidate 0 is the base; the others move by one seeded offset per chunk, within the limits; the same seed gives the same set', () => {
    const base = repeatChunk(
      Float32Array.from({ length: 4 * 7 }, (_, i) => (i % 7 === 0 ? 0.01 : i % 7 === 6 ? 1 : 0)),
      2,
    );
    const set = perturbations(base, 4, shape, 9, { translation_m: 0.01, rotation_rad: 0.02 }, limits);
    expect(Array.from(set.subarray(0, base.length))).toEqual(Array.from(base));
    for (let k = 1; k < 4; k++) {
      const c = set.subarray(k * base.length, (k + 1) * base.length);
      // One offset per chunk: every step of a chunk moves the same way, the gripper is the base's.
      for (let h = 0; h < 2; h++) {
        const first = Array.from(c.subarray(h * 28, h * 28 + 6));
        for (let s = 1; s < 4; s++) expect(Array.from(c.subarray(h * 28 + s * 7, h * 28 + s * 7 + 6))).toEqual(first);
        expect(Math.hypot(first[0]!, first[1]!, first[2]!)).toBeLessThanOrEqual(0.025 + 1e-7);
        expect(c[h * 28 + 6]).toBe(1);
      }
      expect(Array.from(c)).not.toEqual(Array.from(base));
    }
    expect(Array.from(perturbations(base, 4, shape, 9, { translation_m: 0.01, rotation_rad: 0.02 }, limits))).toEqual(Array.from(set));
    expect(Array.from(perturbations(base, 4, shape, 10, { translation_m: 0.01, rotation_rad: 0.02 }, limits))).not.toEqual(Array.from(set));
    expect(() => perturbations(base.subarray(1), 2, shape, 1, { translation_m: 0, rotation_rad: 0 }, limits)).toThrow(/2×4×7/);
  });

  test('which candidate runs: rank the best (ties to the first), gate the mode only above the threshold, off the mode', () => {
    const p = Float32Array.from([0.3, 0.7, 0.7, 0.1]);
    expect(choose('rank', p, 0.5)).toEqual({ index: 1, decision: 'executed' });
    expect(choose('rank', p, 0.5, 0)).toEqual({ index: 1, decision: 'executed' });
    expect(choose('off', p, 0.5)).toEqual({ index: 0, decision: 'executed' });
    expect(choose('gate', p, 0.5)).toEqual({ index: null, decision: 'gated' });
    expect(choose('gate', p, 0.3)).toEqual({ index: 0, decision: 'executed' });
  });

  test('rank keeps the policy’s own chunk unless a sample beats it by the margin', () => {
    const close = Float32Array.from([0.5, 0.52, 0.54, 0.49]);
    expect(choose('rank', close, 0.5)).toEqual({ index: 0, decision: 'executed' }); // 0.04 < DEFAULT_RANK_MARGIN 0.05
    expect(choose('rank', close, 0.5, 0.04)).toEqual({ index: 2, decision: 'executed' });
    expect(choose('rank', close, 0.5, 0)).toEqual({ index: 2, decision: 'executed' });
    expect(choose('rank', Float32Array.from([0.2, 0.9]), 0.5, 0.5)).toEqual({ index: 1, decision: 'executed' });
    expect(DEFAULT_RANK_MARGIN).toBe(0.05);
  });
});
