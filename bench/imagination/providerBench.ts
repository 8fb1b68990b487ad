/**
 * One denoiser call (the rollout's inner step) of the reference pack at batch B on each execution
 * provider that opens here, through createSessions as the studio does: median and p90 of warm calls,
 * and the largest difference from the CPU provider's output.
 *
 *   node --require ./main/workers/sourceLoader.cjs bench/imagination/providerBench.ts [--batch 8] [--runs 15] [--providers cpu,webgpu]
 *
 * With no GPU, WebGPU runs on lavapipe (Mesa's software Vulkan driver, `bash scripts/lavapipe.sh`):
 * VK_ICD_FILENAMES is pointed at it unless already set. Prints one JSON object.
 */
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { createSessions, type ProviderChoice } from '../../main/imagination/providers';

const icd = resolve('node_modules/.cache/lavapipe/lvp_icd.json');
if (process.env.VK_ICD_FILENAMES === undefined && existsSync(icd)) process.env.VK_ICD_FILENAMES = icd;

const { values } = parseArgs({
  options: {
    batch: { type: 'string', default: '8' },
    runs: { type: 'string', default: '15' },
    providers: { type: 'string', default: 'cpu,webgpu' },
  },
});
const B = Number(values.batch);
const runs = Number(values.runs);
const PACK = resolve('models/packs/gwm-lite-sim-franka');

function feeds(): Record<string, ort.Tensor> {
  let seed = 7;
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648 - 0.5;
  };
  const t = (shape: number[], f: () => number) =>
    new ort.Tensor('float32', Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, f), shape);
  return {
    noisy_latent: t([B, 64, 32], next),
    sigma: t([B], () => 1),
    context_latents: t([B, 2, 64, 32], next),
    actions: t([B, 8, 7], next),
  };
}

async function main(): Promise<void> {
  const input = feeds();
  const results: Record<string, unknown> = {};
  let reference: Float32Array | undefined;
  for (const provider of (values.providers ?? '').split(',') as ProviderChoice[]) {
    const opened = performance.now();
    const { sessions, report } = await createSessions({ denoiser: join(PACK, 'gwm_denoiser.onnx') }, { provider });
    const open_ms = performance.now() - opened;
    const first = performance.now();
    let out = await sessions.denoiser.run(input);
    const first_ms = performance.now() - first;
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      out = await sessions.denoiser.run(input);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    const data = out.denoised_latent?.data as Float32Array;
    reference ??= data;
    let max_abs_vs_first = 0;
    for (let i = 0; i < data.length; i++) max_abs_vs_first = Math.max(max_abs_vs_first, Math.abs((data[i] ?? 0) - (reference[i] ?? 0)));
    results[provider] = {
      provider: report.provider,
      threads: [report.intra_op_threads, report.inter_op_threads],
      open_ms: Math.round(open_ms),
      first_call_ms: Math.round(first_ms),
      median_ms: Math.round((times[Math.floor(times.length / 2)] ?? 0) * 10) / 10,
      p90_ms: Math.round((times[Math.floor(times.length * 0.9)] ?? 0) * 10) / 10,
      max_abs_vs_first: max_abs_vs_first,
      placement: report.placement?.denoiser,
    };
    await sessions.denoiser.release();
  }
  console.log(
    JSON.stringify({ bench: 'denoiser-call-by-provider', batch: B, runs, ort: ort.env.versions, loadavg_1m: loadavg()[0], results }),
  );
}

void main();
