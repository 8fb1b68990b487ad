import { describe, expect, test } from 'vitest';
import {
  allocInstances,
  allocOrderScratch,
  decodeSplats,
  depthOrder,
  floatsOf,
  makeSequence,
  SPLAT_FIELDS,
  tweenInto,
} from '../../renderer/src/scene/splats/splatData';
import { stepAt, STEP_MS } from '../../renderer/src/scene/extensions/foresightOverlay';
import { findShortcut, findShortcuts } from '../../renderer/src/app/shortcuts';

/** One splat's 14 fields. */
function splat(
  x: number,
  y: number,
  z: number,
  s: [number, number, number],
  q: [number, number, number, number],
  rgb: [number, number, number],
  opacity: number,
): number[] {
  return [x, y, z, ...s, ...q, ...rgb, opacity];
}

describe('imagined splats: decoding, tweening, ordering', () => {
  test('decodes the core’s little-endian float32 bytes (H×N×14) and its mask in place; the observed scene is one step', () => {
    const data = new Float32Array([
      ...splat(1, 2, 3, [0.1, 0.2, 0.3], [1, 0, 0, 0], [1, 0, 0], 0.5),
      ...splat(4, 5, 6, [0.1, 0.1, 0.1], [1, 0, 0, 0], [0, 1, 0], 1),
    ]);
    const mask = new Float32Array([1, 0]);
    const bytes = (a: Float32Array) => new Uint8Array(a.buffer);
    const seq = decodeSplats({ H: 4, N: 2, fields: 14, gaussians: bytes(data), mask: bytes(mask) });
    expect(seq.H).toBe(1);
    expect(Array.from(seq.valid)).toEqual([0]);
    expect(seq.data[2]).toBe(3);
    // Aligned bytes are viewed, not copied.
    expect(seq.data.buffer).toBe(data.buffer);
    expect(() => decodeSplats({ H: 2, N: 2, fields: 13, gaussians: bytes(data), mask: new Uint8Array(0) })).toThrow(/14/);
    expect(() => makeSequence(2, 2, data, null)).toThrow(/needs 56/);
  });

  test('bytes at an odd offset or of a partial float are read field by field, or refused', () => {
    const source = new Float32Array([1.5, -2.25, 3e-7]);
    const shifted = new Uint8Array(source.byteLength + 1);
    shifted.set(new Uint8Array(source.buffer), 1);
    const floats = floatsOf(shifted.subarray(1));
    expect(Array.from(floats)).toEqual(Array.from(source));
    expect(floats.buffer).not.toBe(shifted.buffer);
    expect(() => floatsOf(new Uint8Array(6))).toThrow(/not a whole number of float32/);
  });

  test('tweening keeps identity: splat i moves linearly between steps; the quaternion is interpolated on the shorter arc; covariance = R S² Rᵀ', () => {
    const s = Math.SQRT1_2;
    // Step 0: at the origin, scale (0.1, 0.2, 0.3), identity. Step 1: at (1, 0, 0), rotated 90° about z, given as −q (same rotation).
    const data = new Float32Array([
      ...splat(0, 0, 0, [0.1, 0.2, 0.3], [1, 0, 0, 0], [0, 0, 0], 1),
      ...splat(1, 0, 0, [0.1, 0.2, 0.3], [-s, 0, 0, -s], [1, 1, 1], 0),
    ]);
    const seq = makeSequence(2, 1, data, null);
    const out = allocInstances(1);
    tweenInto(seq, 0, out);
    expect(Array.from(out.center)).toEqual([0, 0, 0]);
    expect(out.covA[0]).toBeCloseTo(0.01, 6);
    expect(out.covB[0]).toBeCloseTo(0.04, 6);
    expect(out.covB[2]).toBeCloseTo(0.09, 6);
    tweenInto(seq, 1, out);
    // 90° about z swaps x and y variances.
    expect(out.covA[0]).toBeCloseTo(0.04, 6);
    expect(out.covB[0]).toBeCloseTo(0.01, 6);
    tweenInto(seq, 0.5, out);
    expect(out.center[0]).toBeCloseTo(0.5, 6);
    // Halfway (45°) on the shorter arc: equal x/y variances, a non-zero xy term.
    expect(out.covA[0]).toBeCloseTo(out.covB[0]!, 6);
    expect(Math.abs(out.covA[1]!)).toBeGreaterThan(0.01);
    expect(out.rgba[3]).toBeCloseTo(0.5, 6);
    expect(out.count).toBe(1);
  });

  test('depth order is back to front from the eye', () => {
    const N = 5;
    const data = new Float32Array(N * SPLAT_FIELDS);
    [3, 1, 4, 0, 2].forEach((x, i) => data.set(splat(x, 0, 0, [0.1, 0.1, 0.1], [1, 0, 0, 0], [1, 1, 1], 1), i * SPLAT_FIELDS));
    const seq = makeSequence(1, N, data, null);
    const order = depthOrder(seq, 0, [-1, 0, 0], [1, 0, 0], new Uint32Array(N), allocOrderScratch(N));
    expect(Array.from(order).map((j) => data[j * SPLAT_FIELDS])).toEqual([4, 3, 2, 1, 0]);
  });

  test('the animation walks 0 → H−1, holds the last step, then loops', () => {
    expect(stepAt(0, 4)).toBe(0);
    expect(stepAt(STEP_MS * 1.5, 4)).toBeCloseTo(1.5);
    expect(stepAt(STEP_MS * 3.2, 4)).toBe(3);
    expect(stepAt(STEP_MS * 3.6 + 1, 4)).toBeLessThan(0.01);
    expect(stepAt(1234, 1)).toBe(0);
  });
});

describe('imagination keys', () => {
  test('while candidates are shown, Enter approves before it starts a take, and digits pick before they switch views; X rejects; P imagines', () => {
    expect(findShortcuts('Enter', 'teleop').map((s) => s.id)).toEqual(['foresight.approve', 'record.toggle']);
    expect(findShortcuts('Digit2', 'teleop').map((s) => s.id)).toEqual(['foresight.pick2', 'view.episodes']);
    expect(findShortcuts('Digit2', 'episodes').map((s) => s.id)).toEqual(['view.episodes']);
    expect(findShortcut('KeyP', 'teleop')?.id).toBe('foresight.preview');
    expect(findShortcuts('KeyX', 'teleop')[0]?.id).toBe('foresight.reject');
    // The e-stop keys are never taken by a decision.
    expect(findShortcuts('Escape', 'teleop').map((s) => s.id)).toEqual(['estop']);
    expect(findShortcuts('Pause', 'teleop').map((s) => s.id)).toEqual(['estop']);
  });
});
