import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Observation, ObservedFrame } from '../../main/imagination/observation';
import { readPack } from '../../main/imagination/pack/packFiles';

const LIFT = resolve('test/fixtures/gwm/lifting');

/**
 * What the simulated rig's cameras saw (the lifting fixture's RGB-D frames, posed as the pack's
 * calibration says) as an observation at `t_s`: the input the benches imagine from.
 */
export function liftingObservation(pack: string, t_s: number): Observation {
  const manifest = readPack(pack).manifest;
  const inputs = JSON.parse(readFileSync(join(LIFT, 'inputs.json'), 'utf8')) as { tcp_m: number[] };
  const frames: ObservedFrame[] = manifest.lifting_cameras.map((name) => {
    const cam = manifest.cameras.find((c) => c.name === name)!;
    const pose: number[] = [];
    for (let c = 0; c < 4; c++) for (let r = 0; r < 4; r++) pose.push(cam.world_from_camera[r]?.[c] ?? 0);
    const depth = readFileSync(join(LIFT, `depth_mm_${name}.bin`));
    return {
      camera: name,
      width_px: cam.width,
      height_px: cam.height,
      rgb: new Uint8Array(readFileSync(join(LIFT, `rgb_${name}.bin`))),
      depth_mm: new Uint16Array(depth.buffer.slice(depth.byteOffset, depth.byteOffset + depth.byteLength)),
      intrinsics: { fx_px: cam.fx_px, fy_px: cam.fy_px, cx_px: cam.cx_px, cy_px: cam.cy_px },
      world_from_camera: pose,
    };
  });
  return { t_ns: BigInt(Math.round(t_s * 1e9)), frames, proprio: [...inputs.tcp_m, 0, 1, 0, 0, 0.04] };
}
