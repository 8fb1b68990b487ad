/**
 * Normalisation statistics as LeRobot writes them (`compute_stats.py`): per feature min, max, mean,
 * std, count and the quantiles q01, q10, q50, q90, q99. Vectors reduce over time to shape (D,);
 * images per channel to (C,1,1), RGB divided by 255. Episodes are aggregated like LeRobot does:
 * count-weighted mean, parallel-variance std, global min/max, and a conservative envelope for the
 * quantiles (lowest of the lower ones, highest of the upper ones, weighted mean of the median).
 */

export const QUANTILES = [0.01, 0.1, 0.5, 0.9, 0.99] as const;
export const QUANTILE_KEYS = ['q01', 'q10', 'q50', 'q90', 'q99'] as const;

export interface FeatureStats {
  min: number[];
  max: number[];
  mean: number[];
  std: number[];
  count: number;
  /** q01 .. q99, each (D,). */
  quantiles: number[][];
}

function quantileSorted(sorted: Float64Array, q: number): number {
  // numpy's default (linear interpolation between closest ranks).
  if (sorted.length === 0) return 0;
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Stats of `count` rows of `dim` values (row-major). */
export function vectorStats(values: ArrayLike<number>, count: number, dim: number): FeatureStats {
  const stats: FeatureStats = { min: [], max: [], mean: [], std: [], count, quantiles: QUANTILES.map(() => []) };
  const column = new Float64Array(count);
  for (let d = 0; d < dim; d++) {
    let sum = 0;
    for (let i = 0; i < count; i++) {
      const v = Number(values[i * dim + d]);
      column[i] = v;
      sum += v;
    }
    const mean = count > 0 ? sum / count : 0;
    let sq = 0;
    for (let i = 0; i < count; i++) sq += (column[i]! - mean) ** 2;
    column.sort();
    stats.min.push(count > 0 ? column[0]! : 0);
    stats.max.push(count > 0 ? column[count - 1]! : 0);
    stats.mean.push(mean);
    stats.std.push(count > 0 ? Math.sqrt(sq / count) : 0);
    QUANTILES.forEach((q, i) => stats.quantiles[i]!.push(quantileSorted(column, q)));
  }
  return stats;
}

/** Per-channel stats from 8-bit histograms (exact for 8-bit data), values scaled by `scale`. */
export function histogramStats(histograms: Float64Array[], scale: number, frames: number): FeatureStats {
  const stats: FeatureStats = { min: [], max: [], mean: [], std: [], count: frames, quantiles: QUANTILES.map(() => []) };
  for (const hist of histograms) {
    let total = 0,
      sum = 0,
      sumSq = 0,
      min = -1,
      max = -1;
    for (let v = 0; v < hist.length; v++) {
      const n = hist[v]!;
      if (n === 0) continue;
      if (min < 0) min = v;
      max = v;
      total += n;
      sum += n * v;
      sumSq += n * v * v;
    }
    const mean = total > 0 ? sum / total : 0;
    stats.min.push(Math.max(min, 0) * scale);
    stats.max.push(Math.max(max, 0) * scale);
    stats.mean.push(mean * scale);
    stats.std.push(Math.sqrt(Math.max(0, (total > 0 ? sumSq / total : 0) - mean * mean)) * scale);
    QUANTILES.forEach((q, i) => {
      const target = q * Math.max(total - 1, 0);
      let acc = 0;
      let value = 0;
      for (let v = 0; v < hist.length; v++) {
        acc += hist[v]!;
        if (acc > target) {
          value = v;
          break;
        }
      }
      stats.quantiles[i]!.push(value * scale);
    });
  }
  return stats;
}

export function aggregateStats(parts: readonly FeatureStats[]): FeatureStats {
  const first = parts[0];
  if (first === undefined) throw new Error('no stats to aggregate');
  const dim = first.mean.length;
  const total = parts.reduce((n, p) => n + p.count, 0);
  const out: FeatureStats = { min: [], max: [], mean: [], std: [], count: total, quantiles: QUANTILES.map(() => []) };
  for (let d = 0; d < dim; d++) {
    const mean = parts.reduce((s, p) => s + p.mean[d]! * p.count, 0) / Math.max(total, 1);
    const variance = parts.reduce((s, p) => s + p.count * (p.std[d]! ** 2 + (p.mean[d]! - mean) ** 2), 0) / Math.max(total, 1);
    out.min.push(Math.min(...parts.map((p) => p.min[d]!)));
    out.max.push(Math.max(...parts.map((p) => p.max[d]!)));
    out.mean.push(mean);
    out.std.push(Math.sqrt(variance));
    QUANTILES.forEach((q, i) => {
      const values = parts.map((p) => p.quantiles[i]![d]!);
      out.quantiles[i]!.push(
        q < 0.5
          ? Math.min(...values)
          : q > 0.5
            ? Math.max(...values)
            : parts.reduce((s, p, j) => s + values[j]! * p.count, 0) / Math.max(total, 1),
      );
    });
  }
  return out;
}

type Json = number[] | number[][][];

/** LeRobot's JSON form: vectors as (D,), images as (C,1,1); `count` always (1,). */
export function statsJson(stats: FeatureStats, image: boolean, withQuantiles = true): Record<string, Json> {
  const shape = (values: number[]): Json => (image ? values.map((v) => [[v]]) : values);
  const out: Record<string, Json> = {
    min: shape(stats.min),
    max: shape(stats.max),
    mean: shape(stats.mean),
    std: shape(stats.std),
    count: [stats.count],
  };
  if (withQuantiles) QUANTILE_KEYS.forEach((key, i) => (out[key] = shape(stats.quantiles[i]!)));
  return out;
}
