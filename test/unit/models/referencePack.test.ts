import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, test } from 'vitest';

const PACK = resolve('models/packs/gwm-lite-sim-franka');

interface TensorSpec {
  name: string;
  dtype: string;
  shape: (string | number)[];
}

interface Manifest {
  contract_version: string;
  files: Record<string, string>;
  io: Record<string, { file: string; inputs: TensorSpec[]; outputs: TensorSpec[] }>;
  evaluation: { split: string; auroc: number | null };
}

/** The shipped reference pack is intact and opens in the runtime the studio uses, as its manifest declares. */
describe('reference world-model pack', () => {
  const manifest = JSON.parse(readFileSync(join(PACK, 'gwm_manifest.json'), 'utf8')) as Manifest;

  test('is small, complete and hashed', () => {
    const bytes = readdirSync(PACK).reduce((sum, f) => sum + statSync(join(PACK, f)).size, 0);
    expect(bytes).toBeLessThan(30 * 1024 * 1024);
    expect(manifest.contract_version).toBe('gwm-contract/1');
    expect(Object.keys(manifest.files).sort()).toEqual(['gwm_decoder.onnx', 'gwm_denoiser.onnx', 'gwm_encoder.onnx', 'gwm_policy.onnx', 'gwm_success.onnx']);
    for (const [file, sha] of Object.entries(manifest.files)) {
      expect(createHash('sha256').update(readFileSync(join(PACK, file))).digest('hex'), file).toBe(sha);
    }
    expect(manifest.evaluation.split).toBe('test');
    expect(readFileSync(join(PACK, 'REPORT.md'), 'utf8')).toContain('## Success estimate');
  });

  test('every graph runs in onnxruntime-node with the declared names and shapes', async () => {
    const dims: Record<string, number> = { B: 2, N: 100, Nq: 100, S: 3 };
    const dim = (d: string | number): number => {
      const n = typeof d === 'number' ? d : dims[d];
      if (n === undefined) throw new Error(`unknown symbolic dimension ${d} in the manifest`);
      return n;
    };
    for (const [graph, spec] of Object.entries(manifest.io)) {
      const session = await ort.InferenceSession.create(join(PACK, spec.file));
      expect(session.inputNames, graph).toEqual(spec.inputs.map((i) => i.name));
      expect(session.outputNames, graph).toEqual(spec.outputs.map((o) => o.name));
      const feeds: Record<string, ort.Tensor> = {};
      for (const input of spec.inputs) {
        const shape = input.shape.map(dim);
        const size = shape.reduce((a, b) => a * b, 1);
        // Valid-looking values: unit masks, a positive sigma, small latents and Gaussians inside the workspace.
        const data = Float32Array.from({ length: size }, (_, i) => (input.name.includes('mask') ? 1 : input.name === 'sigma' ? 0.5 : ((i % 7) - 3) * 0.05 + 0.3));
        feeds[input.name] = new ort.Tensor('float32', data, shape);
      }
      const out = await session.run(feeds);
      for (const o of spec.outputs) {
        const t = out[o.name];
        if (t === undefined) throw new Error(`${graph}: no output ${o.name}`);
        expect(t.dims.length, `${graph}.${o.name}`).toBe(o.shape.length);
        expect(t.dims[0]).toBe(2);
        expect(Array.from(t.data as Float32Array).every(Number.isFinite), `${graph}.${o.name} finite`).toBe(true);
      }
      await session.release();
    }
  });
});
