import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ImaginationCancelled, ImaginationEngine, type Sessions } from '../../../main/imagination/engine';
import type { GraphName } from '../../../main/imagination/pack/manifest';
import { readPack } from '../../../main/imagination/pack/packFiles';
import { createSessions } from '../../../main/imagination/providers';

/**
 * The studio's imagination engine against the trainer's assembly of the same pack (models/scripts/
 * make_imagine_fixtures.py: gwmlite.edm.rollout, the success trajectory padded as in training, decoding
 * from (z_t, z_h)) with Python's onnxruntime; here onnxruntime-node on the CPU provider.
 */
const DIR = resolve('test/fixtures/gwm/imagine');
const fixture = JSON.parse(readFileSync(join(DIR, 'imagine.json'), 'utf8')) as {
  pack: string;
  files: Record<string, string>;
  K: number;
  H: number;
  arrays: Record<string, { file: string; shape: number[] }>;
};
const LIFT = resolve('test/fixtures/gwm/lifting');

function array(name: string, dir = DIR, file?: string): Float32Array {
  const bytes = readFileSync(join(dir, file ?? fixture.arrays[name]?.file ?? `${name}.bin`));
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

function worst(got: Float32Array | null, want: Float32Array): number {
  expect(got).not.toBeNull();
  expect(got!.length).toBe(want.length);
  let w = 0;
  for (let i = 0; i < want.length; i++) w = Math.max(w, Math.abs((got![i] ?? NaN) - (want[i] ?? NaN)));
  return w;
}

let engine: ImaginationEngine;
let release: () => Promise<void>;

beforeAll(async () => {
  const pack = readPack(fixture.pack);
  // The fixture was made with this very pack.
  expect(pack.manifest.files).toEqual(fixture.files);
  const { sessions } = await createSessions(pack.graphs as Record<GraphName, string>, { provider: 'cpu' });
  engine = new ImaginationEngine(pack.manifest, sessions as Sessions);
  release = async () => {
    for (const session of Object.values(sessions)) await session.release();
  };
});

afterAll(async () => {
  await release();
});

describe('imagination engine', () => {
  test('encodes, imagines, scores and decodes as the trainer does (≤ 1e-4)', async () => {
    const gaussians = array('g', LIFT, 'expected_sim_gaussians.bin');
    const mask = array('m', LIFT, 'expected_sim_mask.bin');
    const latent = await engine.encode(gaussians, mask);
    expect(worst(latent, array('latent'))).toBeLessThanOrEqual(1e-4);
    const context = new Float32Array(engine.T * latent.length);
    for (let t = 0; t < engine.T; t++) context.set(latent, t * latent.length);
    const { K, H } = fixture;
    const result = await engine.imagine({
      context,
      gaussians,
      candidates: array('raw_chunks'),
      K,
      H,
      seed: 0,
      noise: array('noise'),
      decode: true,
    });
    expect(worst(result.latents, array('expected_latents'))).toBeLessThanOrEqual(1e-4);
    expect(worst(result.success_prob, array('expected_success_prob'))).toBeLessThanOrEqual(1e-4);
    expect(worst(result.success_logit, array('expected_success_logit'))).toBeLessThanOrEqual(1e-4);
    expect(worst(result.progress, array('expected_progress'))).toBeLessThanOrEqual(1e-4);
    expect(worst(result.gaussians, array('expected_gaussians'))).toBeLessThanOrEqual(1e-4);
    // Candidate 2 repeats candidate 0's actions: with common random numbers its future is the same.
    expect(result.success_prob[2]).toBeCloseTo(result.success_prob[0] ?? NaN, 6);
    expect(Object.keys(result.timings_ms).sort()).toEqual(['decoder', 'denoiser', 'success']);
  });

  test('proposes the policy’s chunks for given noise as the trainer’s graph does', async () => {
    const latent = array('latent');
    const proprio = Array.from(array('proprio'));
    const got = await engine.propose(latent, { proprio, seed: 0, noise: array('policy_noise') }, fixture.K);
    expect(worst(got, array('expected_policy_actions'))).toBeLessThanOrEqual(1e-4);
  });

  test('the same seed imagines the same futures; the policy’s mode is candidate 0 whatever K is', async () => {
    const latent = array('latent');
    const context = new Float32Array(engine.T * latent.length);
    for (let t = 0; t < engine.T; t++) context.set(latent, t * latent.length);
    const proprio = Array.from(array('proprio'));
    const ask = (K: number, seed: number) =>
      engine.imagine({ context, candidates: { policy: { proprio, seed } }, K, H: 2, seed, decode: false });
    const a = await ask(3, 5);
    const b = await ask(3, 5);
    expect(Array.from(b.success_prob)).toEqual(Array.from(a.success_prob));
    expect(Array.from(b.actions)).toEqual(Array.from(a.actions));
    const one = await ask(1, 5);
    const chunk = (engine.L * engine.A) as number;
    expect(Array.from(one.actions.subarray(0, chunk))).toEqual(Array.from(a.actions.subarray(0, chunk)));
    // Samples differ from the mode.
    expect(Array.from(a.actions.subarray(2 * chunk, 3 * chunk))).not.toEqual(Array.from(a.actions.subarray(0, chunk)));
  });

  test('a cancelled request stops at its next graph call', async () => {
    const latent = array('latent');
    const context = new Float32Array(engine.T * latent.length);
    let calls = 0;
    const cancel = {
      get cancelled() {
        return ++calls > 2;
      },
    };
    await expect(
      engine.imagine({ context, candidates: array('raw_chunks'), K: fixture.K, H: fixture.H, seed: 0, decode: false }, cancel),
    ).rejects.toBeInstanceOf(ImaginationCancelled);
    expect(calls).toBe(3);
  });

  test('candidates that are not K×H×L×A finite actions are refused, naming the layout', async () => {
    const context = new Float32Array(engine.T * engine.M * engine.D);
    const bad = array('raw_chunks').slice();
    bad[5] = NaN;
    await expect(engine.imagine({ context, candidates: bad, K: fixture.K, H: fixture.H, seed: 0, decode: false })).rejects.toThrow(
      /finite actions \(dx_m, dy_m/,
    );
    await expect(engine.imagine({ context, candidates: array('raw_chunks'), K: 2, H: fixture.H, seed: 0, decode: false })).rejects.toThrow(
      /2×2×8×7/,
    );
  });
});
