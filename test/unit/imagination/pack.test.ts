import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { StudioError } from '../../../shared/api/errors';
import { ImaginationService } from '../../../main/imagination/imaginationService';
import { liftingFrames, type ObservedFrame } from '../../../main/imagination/observation';
import { MANIFEST_FILE } from '../../../main/imagination/pack/manifest';
import { findPacks, readPack } from '../../../main/imagination/pack/packFiles';

/** Packs are checked before anything runs: files, hashes, the manifest, every graph's I/O, the rig's cameras. */
const REFERENCE = resolve('models/packs/gwm-lite-sim-franka');
const dirs: string[] = [];

function copyPack(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gwm-pack-'));
  dirs.push(dir);
  cpSync(REFERENCE, dir, { recursive: true });
  return dir;
}

function editManifest(dir: string, edit: (m: Record<string, any>) => void): void {
  const path = join(dir, MANIFEST_FILE);
  const manifest = JSON.parse(readFileSync(path, 'utf8')) as Record<string, any>;
  edit(manifest);
  writeFileSync(path, JSON.stringify(manifest));
}

async function failure(run: () => unknown): Promise<StudioError> {
  try {
    await run();
  } catch (error) {
    expect(error).toBeInstanceOf(StudioError);
    return error as StudioError;
  }
  throw new Error('expected a StudioError');
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('world-model packs', () => {
  test('the reference pack reads, hashes match, and it is found among packs', () => {
    const pack = readPack(REFERENCE);
    expect(pack.manifest.model_name).toBe('gwm-lite-sim-franka');
    expect(pack.manifest_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(Object.keys(pack.graphs).sort()).toEqual(['decoder', 'denoiser', 'encoder', 'policy', 'success']);
    const found = findPacks([resolve('models/packs')]);
    expect(found.map((p) => [p.dir, p.problem])).toContainEqual([REFERENCE, null]);
  });

  test('a folder without a manifest, a changed graph, a missing graph and a foreign contract are each named', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'gwm-empty-'));
    dirs.push(empty);
    expect((await failure(() => readPack(empty))).message).toMatch(/is not a world-model pack: it has no gwm_manifest\.json/);

    const changed = copyPack();
    const graph = readFileSync(join(changed, 'gwm_success.onnx'));
    graph[graph.length - 10] = (graph[graph.length - 10] ?? 0) ^ 0xff;
    writeFileSync(join(changed, 'gwm_success.onnx'), graph);
    const corrupt = await failure(() => readPack(changed));
    expect(corrupt.message).toMatch(
      /gwm_success\.onnx in .* is corrupt or was changed: its SHA-256 is [0-9a-f]{12}…, the manifest says [0-9a-f]{12}…/,
    );
    expect(corrupt.fix).toMatch(/re-export/);

    const missing = copyPack();
    rmSync(join(missing, 'gwm_decoder.onnx'));
    expect((await failure(() => readPack(missing))).message).toMatch(/lists gwm_decoder\.onnx, which is missing/);

    const foreign = copyPack();
    editManifest(foreign, (m) => (m.contract_version = 'gwm-contract/9'));
    expect((await failure(() => readPack(foreign))).message).toMatch(
      /`contract_version` is "gwm-contract\/9"; this studio runs packs of "gwm-contract\/1"/,
    );

    const broken = copyPack();
    editManifest(broken, (m) => delete m.latent.M);
    expect((await failure(() => readPack(broken))).message).toMatch(/`latent\.M` must be a positive integer/);
    // Broken packs are listed with their problem, not hidden.
    expect(findPacks([broken])[0]?.problem).toMatch(/latent\.M/);
  });

  test('graphs that disagree with the manifest: every mismatch named (graph, tensor, expected vs found)', async () => {
    const dir = copyPack();
    editManifest(dir, (m) => {
      m.io.denoiser.inputs[3].shape = ['B', 8, 6];
      m.io.encoder.outputs[0].name = 'latents';
      m.io.success.inputs[0].dtype = 'float16';
    });
    const error = await failure(() => ImaginationService.open(dir, { provider: 'cpu' }));
    expect(error.message).toContain('denoiser input "actions": manifest says shape [B, 8, 6], gwm_denoiser.onnx has [B, 8, 7]');
    expect(error.message).toContain('encoder output "latents": declared in the manifest, not in gwm_encoder.onnx (it has latent)');
    expect(error.message).toContain('success input "latent_traj": manifest says float16, gwm_success.onnx has float32');
    expect(error.issues?.length).toBeGreaterThanOrEqual(3);
  });

  test('the manifest’s own numbers must agree with its shapes', async () => {
    const dir = copyPack();
    editManifest(dir, (m) => (m.actions.chunk_length = 10));
    const error = await failure(() => ImaginationService.open(dir, { provider: 'cpu' }));
    expect(error.message).toContain(
      'denoiser input "actions": the manifest\'s shape [B, 8, 7] disagrees with its own numbers, which give [B, 10, 7]',
    );
  });

  test('the reference pack opens on the CPU with its info', async () => {
    const service = await ImaginationService.open(REFERENCE, { provider: 'cpu' });
    expect(service.info).toMatchObject({
      model_name: 'gwm-lite-sim-franka',
      has_policy: true,
      chunk_length: 8,
      control_hz: 10,
      cameras: ['front', 'side'],
      num_gaussians: 2048,
    });
    expect(service.info.provider.provider).toBe('cpu');
    await expect(service.imagine({ K: 2, H: 1, seed: 0, decode: false, candidates: { policy: { seed: 0 } } })).rejects.toThrow(
      /nothing observed yet/,
    );
    await expect(service.imagine({ K: 2, H: 9, seed: 0, decode: false, candidates: { policy: { seed: 0 } } })).rejects.toThrow(
      /a horizon of 9 chunks is beyond this pack's 4/,
    );
  });
});

describe('rig cameras against the pack’s calibration', () => {
  const manifest = readPack(REFERENCE).manifest;
  const frameFor = (name: string): ObservedFrame => {
    const cam = manifest.cameras.find((c) => c.name === name)!;
    const pose: number[] = [];
    for (let c = 0; c < 4; c++) for (let r = 0; r < 4; r++) pose.push(cam.world_from_camera[r]?.[c] ?? 0);
    return {
      camera: name,
      width_px: cam.width,
      height_px: cam.height,
      rgb: new Uint8Array(cam.width * cam.height * 3),
      depth_mm: new Uint16Array(cam.width * cam.height),
      intrinsics: { fx_px: cam.fx_px, fy_px: cam.fy_px, cx_px: cam.cx_px, cy_px: cam.cy_px },
      world_from_camera: pose,
    };
  };

  test('matching cameras lift (in the pack’s order, the eval camera ignored)', () => {
    const frames = liftingFrames(manifest, [frameFor('side'), frameFor('novel'), frameFor('front')]);
    expect(frames.map((f) => f.camera.name)).toEqual(['front', 'side']);
  });

  test('a missing, resized, re-calibrated or moved camera is refused with every problem listed', () => {
    const resized = { ...frameFor('front'), width_px: 640, height_px: 480 };
    const moved = frameFor('side');
    const pose = [...(moved.world_from_camera ?? [])];
    pose[12] = (pose[12] ?? 0) + 0.05;
    let error: StudioError | undefined;
    try {
      liftingFrames(manifest, [resized, { ...moved, world_from_camera: pose }]);
    } catch (e) {
      error = e as StudioError;
    }
    expect(error?.message).toMatch(/camera "front" is 640×480, the pack's is 128×128/);
    expect(error?.message).toMatch(/camera "side" is placed 50 mm/);
    expect(error?.fix).toMatch(/rigs\/sim-gwm\.json/);
    expect(() => liftingFrames(manifest, [frameFor('front')])).toThrow(
      /camera "side": the pack lifts it, the rig has none by that name \(it has front\)/,
    );
    const k = frameFor('front');
    expect(() =>
      liftingFrames(manifest, [{ ...k, intrinsics: { fx_px: 200, fy_px: 200, cx_px: 64, cy_px: 64 } }, frameFor('side')]),
    ).toThrow(/camera "front" has intrinsics fx 200\.0/);
  });
});
