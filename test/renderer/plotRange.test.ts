import { describe, expect, test } from 'vitest';
import { valueRange, yRange } from '../../renderer/src/plots/TimeSeriesPlot';

describe('plot ranges', () => {
  test('a signal at rest (a few ulps of jitter) gets a flat line with a margin, not a sub-ulp tick step', () => {
    const [lo, hi] = yRange(0.5, 0.5 + 1e-16);
    expect(lo).toBeCloseTo(0.475, 12);
    expect(hi).toBeCloseTo(0.525, 12);
    // uPlot's tick loop advances only if a step of about a tenth of the span changes the value.
    expect(0.5 + (hi - lo) / 10).not.toBe(0.5);
    expect(yRange(0, 0)).toEqual([-1e-3, 1e-3]);
    expect(yRange(80, 80)).toEqual([76, 84]);
  });

  test('a moving signal gets 5 % margins; no data gives a unit range', () => {
    expect(yRange(0, 10)).toEqual([-0.5, 10.5]);
    expect(yRange(null, null)).toEqual([0, 1]);
  });

  test('valueRange covers every series, skips time and non-finite values', () => {
    expect(
      valueRange([
        [0, 1, 2],
        [3, Number.NaN, -1],
        [5, 4, null as unknown as number],
      ]),
    ).toEqual({ min: -1, max: 5 });
    expect(valueRange([[0], [Number.NaN]])).toBeNull();
  });
});
