import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ImaginationCancelled } from '../../../main/imagination/engine';
import type { PackInfo } from '../../../main/imagination/imaginationService';
import type { Observation, ObservedFrame } from '../../../main/imagination/observation';
import { readPack } from '../../../main/imagination/pack/packFiles';
import { ImaginationClient } from '../../../main/imagination/worker/imaginationClient';

/**
 * The imagination worker as the studio uses it: a pack opened in its own thread, an observation (the
 * lifting fixture's RGB-D frames, as the rig's cameras deliver them) lifted and encoded there, futures
 * imagined on request — and a newer request superseding an older one.
 */
const REFERENCE = resolve('models/packs/gwm-lite-sim-franka');
const LIFT = resolve('test/fixtures/gwm/lifting');
const inputs = JSON.parse(readFileSync(join(LIFT, 'inputs.json'), 'utf8')) as { tcp_m: number[] };

function bytes(file: string): Buffer {
  return readFileSync(join(LIFT, file));
}

function observation(t_s: number): Observation {
  const manifest = readPack(REFERENCE).manifest;
  const frames: ObservedFrame[] = ['front', 'side'].map((name) => {
    const cam = manifest.cameras.find((c) => c.name === name)!;
    const pose: number[] = [];
    for (let c = 0; c < 4; c++) for (let r = 0; r < 4; r++) pose.push(cam.world_from_camera[r]?.[c] ?? 0);
    const depth = bytes(`depth_mm_${name}.bin`);
    return {
      camera: name,
      width_px: cam.width,
      height_px: cam.height,
      rgb: new Uint8Array(bytes(`rgb_${name}.bin`)),
      depth_mm: new Uint16Array(depth.buffer.slice(depth.byteOffset, depth.byteOffset + depth.byteLength)),
      intrinsics: { fx_px: cam.fx_px, fy_px: cam.fy_px, cx_px: cam.cx_px, cy_px: cam.cy_px },
      world_from_camera: pose,
    };
  });
  return { t_ns: BigInt(Math.round(t_s * 1e9)), frames, proprio: [...inputs.tcp_m, 0, 1, 0, 0, 0.04] };
}

let client: ImaginationClient;
let info: PackInfo;

beforeAll(async () => {
  client = new ImaginationClient();
  info = await client.open(REFERENCE, { provider: 'cpu', intra_op_threads: 1 });
});

afterAll(async () => {
  await client.close();
});

describe('imagination worker', () => {
  test('opens the pack and reports the provider it runs on', () => {
    expect(info.model_name).toBe('gwm-lite-sim-franka');
    expect(info.provider.provider).toBe('cpu');
    expect(info.manifest_sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  test('lifts the rig’s frames as the trainer does, then imagines K candidates with decoded Gaussians', async () => {
    const observed = await client.observe(observation(1));
    expect(observed.gaussians).toBeGreaterThan(1000);
    const result = await client.imagine({ K: 3, H: 2, seed: 1, decode: true, candidates: { policy: { seed: 1 } } });
    const expected = new Float32Array(bytes('expected_sim_gaussians.bin').buffer.slice(0));
    let worst = 0;
    for (let i = 0; i < expected.length; i++)
      worst = Math.max(worst, Math.abs((result.observed_gaussians[i] ?? NaN) - (expected[i] ?? NaN)));
    expect(worst).toBeLessThanOrEqual(1e-5);
    expect(result.K).toBe(3);
    expect(result.success_prob).toHaveLength(3);
    for (const p of result.success_prob) {
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThanOrEqual(1);
    }
    expect(result.gaussians).toHaveLength(3 * 2 * 2048 * 14);
    expect(result.observation_t_ns).toBe(1_000_000_000n);
    // Splat identity: each decoded step keeps the observed Gaussians' order, moved by at most the decoder's bound.
    let moved = 0;
    for (let i = 0; i < 2048; i++)
      moved = Math.max(moved, Math.abs((result.gaussians![i * 14] ?? 0) - (result.observed_gaussians[i * 14] ?? 0)));
    expect(moved).toBeLessThan(0.5);
  });

  test('a newer request supersedes an older one still running', async () => {
    await client.observe(observation(2));
    const older = client.imagine({ K: 8, H: 4, seed: 2, decode: true, candidates: { policy: { seed: 2 } } });
    const newer = client.imagine({ K: 2, H: 1, seed: 3, decode: false, candidates: { policy: { seed: 3 } } });
    await expect(older).rejects.toBeInstanceOf(ImaginationCancelled);
    const result = await newer;
    expect(result.K).toBe(2);
  });

  test('raw candidate chunks (an operator’s, a remote policy’s) are imagined as given', async () => {
    await client.observe(observation(3));
    const actions = new Float32Array(2 * 1 * 8 * 7);
    for (let s = 0; s < 8; s++) actions[8 * 7 + s * 7 + 2] = -0.01; // candidate 1 moves down 1 cm a step
    const result = await client.imagine({ K: 2, H: 1, seed: 4, decode: false, candidates: { actions } });
    expect(Array.from(result.actions)).toEqual(Array.from(actions));
    expect(result.success_prob[0]).not.toBe(result.success_prob[1]);
  });
});
