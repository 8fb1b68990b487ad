/**
 * How far to trust a pack's success estimates on this rig: over stored foresight runs whose episode has
 * a known outcome, the chosen candidate's predicted success against what happened — AUROC, Brier, a
 * reliability diagram, and predicted vs real success rate per policy (mode, operator). Pure functions of
 * (prediction, outcome) pairs, so the CLI, the API and the UI compute them one way.
 */
export interface Prediction {
  p: number;
  /** 1 = the episode succeeded. */
  y: 0 | 1;
  /** What to group by for the per-policy comparison (e.g. "policy:… mode:rank"). */
  group: string;
  /** The episode the prediction belongs to (policy rates are per episode). */
  episode: number;
}

export interface ReliabilityBin {
  lo: number;
  hi: number;
  n: number;
  mean_predicted: number | null;
  observed_rate: number | null;
}

export interface CalibrationSummary {
  runs: number;
  episodes: number;
  positives: number;
  auroc: number | null;
  brier: number | null;
  ece: number | null;
  reliability: ReliabilityBin[];
  /** Per group: mean predicted success (per episode, then averaged) vs the real success rate. */
  groups: { group: string; episodes: number; predicted: number; real: number }[];
  pearson: number | null;
  spearman: number | null;
}

/** Mann–Whitney AUROC with ties counted half; null without both classes. */
export function auroc(scores: readonly number[], labels: readonly (0 | 1)[]): number | null {
  const pos = labels.filter((y) => y === 1).length;
  const neg = labels.length - pos;
  if (pos === 0 || neg === 0) return null;
  const order = scores.map((s, i) => ({ s, y: labels[i] ?? 0 })).sort((a, b) => a.s - b.s);
  let rankSum = 0;
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && order[j + 1]?.s === order[i]?.s) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (order[k]?.y === 1) rankSum += rank;
    i = j + 1;
  }
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

export function pearson(x: readonly number[], y: readonly number[]): number | null {
  const n = x.length;
  if (n < 2) return null;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0,
    sxx = 0,
    syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = (x[i] ?? 0) - mx,
      dy = (y[i] ?? 0) - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxx === 0 || syy === 0 ? null : sxy / Math.sqrt(sxx * syy);
}

function ranks(values: readonly number[]): number[] {
  const order = values.map((v, i) => ({ v, i })).sort((a, b) => a.v - b.v);
  const out = new Array<number>(values.length).fill(0);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && order[j + 1]?.v === order[i]?.v) j++;
    for (let k = i; k <= j; k++) out[order[k]?.i ?? 0] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return out;
}

export function spearman(x: readonly number[], y: readonly number[]): number | null {
  return pearson(ranks(x), ranks(y));
}

export function calibrationSummary(predictions: readonly Prediction[], bins = 10): CalibrationSummary {
  const p = predictions.map((d) => d.p);
  const y = predictions.map((d) => d.y);
  const n = predictions.length;
  const reliability: ReliabilityBin[] = Array.from({ length: bins }, (_, b) => {
    const lo = b / bins,
      hi = (b + 1) / bins;
    const inBin = predictions.filter((d) => d.p >= lo && (d.p < hi || (b === bins - 1 && d.p <= hi)));
    return {
      lo,
      hi,
      n: inBin.length,
      mean_predicted: inBin.length > 0 ? inBin.reduce((a, d) => a + d.p, 0) / inBin.length : null,
      observed_rate: inBin.length > 0 ? inBin.reduce((a, d) => a + d.y, 0) / inBin.length : null,
    };
  });
  const ece = n > 0 ? reliability.reduce((a, b) => a + (b.n / n) * Math.abs((b.mean_predicted ?? 0) - (b.observed_rate ?? 0)), 0) : null;
  // Per group, per episode first (an episode with many decisions counts once).
  const byGroup = new Map<string, Map<number, { p: number[]; y: 0 | 1 }>>();
  for (const d of predictions) {
    const episodes = byGroup.get(d.group) ?? new Map<number, { p: number[]; y: 0 | 1 }>();
    byGroup.set(d.group, episodes);
    const e = episodes.get(d.episode) ?? { p: [], y: d.y };
    e.p.push(d.p);
    episodes.set(d.episode, e);
  }
  const groups = [...byGroup.entries()]
    .map(([group, episodes]) => {
      const rows = [...episodes.values()];
      return {
        group,
        episodes: rows.length,
        predicted: rows.reduce((a, r) => a + r.p.reduce((s, v) => s + v, 0) / r.p.length, 0) / rows.length,
        real: rows.reduce((a, r) => a + r.y, 0) / rows.length,
      };
    })
    .sort((a, b) => a.group.localeCompare(b.group));
  const episodes = new Set(predictions.map((d) => d.episode));
  return {
    runs: n,
    episodes: episodes.size,
    positives: y.filter((v) => v === 1).length,
    auroc: auroc(p, y),
    brier: n > 0 ? predictions.reduce((a, d) => a + (d.p - d.y) ** 2, 0) / n : null,
    ece,
    reliability,
    groups,
    pearson:
      groups.length >= 2
        ? pearson(
            groups.map((g) => g.predicted),
            groups.map((g) => g.real),
          )
        : null,
    spearman:
      groups.length >= 2
        ? spearman(
            groups.map((g) => g.predicted),
            groups.map((g) => g.real),
          )
        : null,
  };
}

/** Kendall's τ-b (ties in either ranking handled); null when either side is constant. */
export function kendallTau(x: readonly number[], y: readonly number[]): number | null {
  let concordant = 0,
    discordant = 0,
    tiesX = 0,
    tiesY = 0;
  for (let i = 0; i < x.length; i++) {
    for (let j = i + 1; j < x.length; j++) {
      const dx = Math.sign((x[i] ?? 0) - (x[j] ?? 0));
      const dy = Math.sign((y[i] ?? 0) - (y[j] ?? 0));
      if (dx === 0 && dy === 0) continue;
      if (dx === 0) tiesX++;
      else if (dy === 0) tiesY++;
      else if (dx === dy) concordant++;
      else discordant++;
    }
  }
  const denominator = Math.sqrt((concordant + discordant + tiesX) * (concordant + discordant + tiesY));
  return denominator === 0 ? null : (concordant - discordant) / denominator;
}
