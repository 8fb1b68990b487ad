/**
 * Preview latency: what the operator waits for between asking and seeing K candidate futures — the
 * studio's imagination worker (one opened pack, sessions reused) observing the lifting fixture's RGB-D
 * frames, then imagining K candidates from the pack's policy H chunks ahead: the scores alone (what a
 * ranking decision needs) and with every imagined step decoded to Gaussians (what the preview draws).
 * Median and p90 of warm runs, per-graph medians, the process's peak RSS, the machine's load.
 *
 *   node --require ./main/workers/sourceLoader.cjs bench/imagination/previewLatency.ts [--K 8] [--H 4] [--runs 10] [--provider cpu] [--threads N]
 *
 * Prints one JSON object.
 */
import { availableParallelism, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { ProviderChoice } from '../../main/imagination/providers';
import { ImaginationClient } from '../../main/imagination/worker/imaginationClient';
import { liftingObservation } from './liftingObservation';

const { values } = parseArgs({
  options: {
    K: { type: 'string', default: '8' },
    H: { type: 'string', default: '4' },
    runs: { type: 'string', default: '10' },
    provider: { type: 'string', default: 'cpu' },
    threads: { type: 'string' },
  },
});
const K = Number(values.K);
const H = Number(values.H);
const runs = Number(values.runs);
const PACK = resolve('models/packs/gwm-lite-sim-franka');

const observation = (t_s: number) => liftingObservation(PACK, t_s);

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
};
const round = (x: number) => Math.round(x * 10) / 10;

async function main(): Promise<void> {
  const client = new ImaginationClient();
  let peakRss = process.memoryUsage().rss;
  const sample = () => (peakRss = Math.max(peakRss, process.memoryUsage().rss));
  const timer = setInterval(sample, 20);
  try {
    const info = await client.open(PACK, {
      provider: values.provider as ProviderChoice,
      ...(values.threads !== undefined ? { intra_op_threads: Number(values.threads) } : {}),
    });
    const rows: Record<string, { total: number[]; graphs: Record<string, number[]> }> = {
      scores: { total: [], graphs: {} },
      decoded: { total: [], graphs: {} },
    };
    const observe: number[] = [];
    for (let i = 0; i <= runs; i++) {
      for (const [name, decode] of [
        ['scores', false],
        ['decoded', true],
      ] as const) {
        const t0 = performance.now();
        await client.observe(observation(i + (decode ? 0.5 : 0)));
        const t1 = performance.now();
        const result = await client.imagine({ K, H, seed: i, decode, candidates: { policy: { seed: i } } });
        const t2 = performance.now();
        if (i === 0) continue; // warm-up
        if (!decode) observe.push(t1 - t0);
        const row = rows[name]!;
        row.total.push(t2 - t1);
        for (const [graph, ms] of Object.entries(result.timings_ms)) (row.graphs[graph] ??= []).push(ms ?? 0);
      }
    }
    sample();
    const summary = Object.fromEntries(
      Object.entries(rows).map(([name, row]) => [
        name,
        {
          median_ms: round(quantile(row.total, 0.5)),
          p90_ms: round(quantile(row.total, 0.9)),
          graphs_median_ms: Object.fromEntries(Object.entries(row.graphs).map(([g, xs]) => [g, round(quantile(xs, 0.5))])),
        },
      ]),
    );
    console.log(
      JSON.stringify({
        K,
        H,
        runs,
        pack: info.model_name,
        provider: info.provider.provider,
        intra_op_threads: info.provider.intra_op_threads,
        observe_median_ms: round(quantile(observe, 0.5)),
        ...summary,
        peak_rss_mb: Math.round(peakRss / 2 ** 20),
        cores: availableParallelism(),
        loadavg_1m: round(loadavg()[0] ?? 0),
      }),
    );
  } finally {
    clearInterval(timer);
    await client.close();
  }
}

void main();
