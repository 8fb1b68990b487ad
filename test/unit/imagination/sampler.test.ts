import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, test } from 'vitest';
import { karrasSigmas, rollout, type Denoise, type SamplerSettings } from '../../../main/imagination/sampler';

const DIR = resolve('test/fixtures/gwm/sampler');

interface Fixture {
  pack: string;
  sampler: SamplerSettings;
  sigmas: number[];
  arrays: Record<string, { file: string; shape: number[] }>;
}

const fixture = JSON.parse(readFileSync(join(DIR, 'sampler.json'), 'utf8')) as Fixture;

function array(name: string): { data: Float32Array; shape: number[] } {
  const spec = fixture.arrays[name];
  if (spec === undefined) throw new Error(`fixture array ${name} is missing`);
  const bytes = readFileSync(join(DIR, spec.file));
  return { data: new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)), shape: spec.shape };
}

/** The studio's rollout against the trainer's (gwmlite.edm.rollout) with the reference pack's denoiser. */
describe('EDM Euler rollout', () => {
  test('the σ schedule is the manifest’s', () => {
    const sigmas = karrasSigmas(fixture.sampler);
    expect(sigmas).toHaveLength(fixture.sigmas.length);
    sigmas.forEach((s, i) => expect(s).toBeCloseTo(fixture.sigmas[i] ?? NaN, 12));
  });

  test('imagines the same latents as the Python reference (common noise, sliding context)', async () => {
    const session = await ort.InferenceSession.create(resolve(fixture.pack, 'gwm_denoiser.onnx'));
    const context = array('context_latents');
    const [B = 0, T = 0, M = 0, D = 0] = context.shape;
    const chunks = array('chunks');
    const [, H = 0, L = 0, A = 0] = chunks.shape;
    const denoise: Denoise = async (x, sigma, ctx, actions, batch) => {
      const out = await session.run({
        noisy_latent: new ort.Tensor('float32', x, [batch, M, D]),
        sigma: new ort.Tensor('float32', sigma, [batch]),
        context_latents: new ort.Tensor('float32', ctx, [batch, T, M, D]),
        actions: new ort.Tensor('float32', actions, [batch, L, A]),
      });
      const result = out['denoised_latent'];
      if (result === undefined) throw new Error('denoiser returned no denoised_latent');
      return result.data as Float32Array;
    };
    const got = await rollout(denoise, context.data, chunks.data, array('noise').data, { B, T, M, D, H, L, A }, fixture.sampler);
    const want = array('expected_latents').data;
    expect(got.length).toBe(want.length);
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs((got[i] ?? NaN) - (want[i] ?? NaN)));
    expect(worst).toBeLessThanOrEqual(1e-4);
    // The two candidates differ (their actions do), although they share the noise.
    const frame = M * D;
    let differ = 0;
    for (let i = 0; i < H * frame; i++) differ = Math.max(differ, Math.abs((got[i] ?? 0) - (got[H * frame + i] ?? 0)));
    expect(differ).toBeGreaterThan(1e-3);
    await session.release();
  });
});
