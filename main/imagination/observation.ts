import { StudioError } from '../../shared/api/errors';
import type { CameraFrame } from '../devices/types';
import type { PackCamera, GwmManifest } from './pack/manifest';
import type { LiftingCamera, LiftingFrame } from './lifting';

/**
 * What the studio observes at a decision point, as the world model needs it: one RGB-D frame per camera
 * the pack lifts (matched by name), and the arm's proprio. The pack was trained on its own calibration;
 * a rig whose cameras differ (size, intrinsics, pose) would be imagined wrongly, so it is refused.
 */
export interface ObservedFrame {
  camera: string;
  width_px: number;
  height_px: number;
  /** Packed RGB, row-major. */
  rgb: Uint8Array;
  /** Z-depth in millimetres, 0 = no return. */
  depth_mm: Uint16Array;
  intrinsics?: { fx_px: number; fy_px: number; cx_px: number; cy_px: number };
  /** 16 numbers, column-major (the studio's Mat4), OpenCV axes. */
  world_from_camera?: readonly number[];
}

export interface Observation {
  t_ns: bigint;
  frames: readonly ObservedFrame[];
  /** The manifest's `proprio.names` in order (x, y, z, qw, qx, qy, qz, gripper width for the reference pack). */
  proprio: readonly number[];
}

/** A rig camera's frame as the world model takes it; undefined without depth (it cannot be lifted). */
export function observedFrame(frame: CameraFrame): ObservedFrame | undefined {
  if (frame.depth_mm === undefined) return undefined;
  return {
    camera: frame.camera,
    width_px: frame.width_px,
    height_px: frame.height_px,
    rgb: frame.rgb,
    depth_mm: frame.depth_mm,
    ...(frame.intrinsics !== undefined ? { intrinsics: frame.intrinsics } : {}),
    ...(frame.world_from_camera !== undefined ? { world_from_camera: frame.world_from_camera } : {}),
  };
}

/** Every frame that can be lifted (RGB-D). */
export function observedFrames(frames: readonly CameraFrame[]): ObservedFrame[] {
  return frames.flatMap((frame) => {
    const observed = observedFrame(frame);
    return observed === undefined ? [] : [observed];
  });
}

/** Tolerances for "the same calibration": 0.5 px on intrinsics, 5 mm and ~0.3° on the pose. */
const INTRINSICS_PX = 0.5;
const TRANSLATION_M = 0.005;
const ROTATION = 0.005;

function calibrationProblems(pack: PackCamera, frame: ObservedFrame): string[] {
  const problems: string[] = [];
  if (frame.width_px !== pack.width || frame.height_px !== pack.height)
    problems.push(`is ${frame.width_px}×${frame.height_px}, the pack's is ${pack.width}×${pack.height}`);
  const k = frame.intrinsics;
  if (k === undefined) problems.push('has no intrinsics');
  else {
    const diff = Math.max(
      Math.abs(k.fx_px - pack.fx_px),
      Math.abs(k.fy_px - pack.fy_px),
      Math.abs(k.cx_px - pack.cx_px),
      Math.abs(k.cy_px - pack.cy_px),
    );
    if (diff > INTRINSICS_PX)
      problems.push(
        `has intrinsics fx ${k.fx_px.toFixed(1)} cx ${k.cx_px.toFixed(1)}, the pack's are fx ${pack.fx_px.toFixed(1)} cx ${pack.cx_px.toFixed(1)}`,
      );
  }
  const pose = frame.world_from_camera;
  if (pose === undefined || pose.length !== 16) problems.push('has no pose (world_from_camera)');
  else {
    let translation = 0;
    let rotation = 0;
    for (let r = 0; r < 3; r++) {
      translation = Math.max(translation, Math.abs((pose[12 + r] ?? 0) - (pack.world_from_camera[r]?.[3] ?? 0)));
      for (let c = 0; c < 3; c++) rotation = Math.max(rotation, Math.abs((pose[c * 4 + r] ?? 0) - (pack.world_from_camera[r]?.[c] ?? 0)));
    }
    if (translation > TRANSLATION_M || rotation > ROTATION)
      problems.push(
        `is placed ${(translation * 1000).toFixed(0)} mm / ${rotation.toFixed(3)} (rotation entries) away from the pack's calibration`,
      );
  }
  return problems;
}

/** The lifting inputs for an observation, or one error listing every camera that does not fit the pack. */
export function liftingFrames(manifest: GwmManifest, frames: readonly ObservedFrame[]): LiftingFrame[] {
  const problems: string[] = [];
  const out: LiftingFrame[] = [];
  for (const name of manifest.lifting_cameras) {
    const pack = manifest.cameras.find((c) => c.name === name);
    const frame = frames.find((f) => f.camera === name);
    if (pack === undefined) continue;
    if (frame === undefined) {
      problems.push(
        `camera "${name}": the pack lifts it, the rig has none by that name (it has ${frames.map((f) => f.camera).join(', ') || 'no cameras'})`,
      );
      continue;
    }
    const wrong = calibrationProblems(pack, frame);
    if (wrong.length > 0) {
      problems.push(`camera "${name}" ${wrong.join('; ')}`);
      continue;
    }
    if (frame.rgb.length !== frame.width_px * frame.height_px * 3 || frame.depth_mm.length !== frame.width_px * frame.height_px) {
      problems.push(`camera "${name}": its RGB or depth buffer does not match ${frame.width_px}×${frame.height_px}`);
      continue;
    }
    const camera: LiftingCamera = {
      name,
      width: pack.width,
      height: pack.height,
      fx_px: pack.fx_px,
      fy_px: pack.fy_px,
      cx_px: pack.cx_px,
      cy_px: pack.cy_px,
      world_from_camera: pack.world_from_camera,
      color_space: pack.color_space,
    };
    const depth_m = new Float64Array(frame.depth_mm.length);
    for (let i = 0; i < depth_m.length; i++) depth_m[i] = (frame.depth_mm[i] ?? 0) / 1000;
    out.push({ camera, rgb: frame.rgb, depth_m });
  }
  if (problems.length > 0) {
    throw new StudioError({
      code: 'failed_precondition',
      message: `the rig's cameras do not fit the world-model pack ${manifest.model_name}:\n  - ${problems.join('\n  - ')}`,
      fix: 'Run the rig the pack was trained on (the reference pack: rigs/sim-gwm.json), or train a pack on your own rig’s export (docs/world-model.md).',
    });
  }
  return out;
}

/** The TCP position lifting centres its focus tier on: the proprio's x, y, z. */
export function tcpOf(manifest: GwmManifest, proprio: readonly number[]): [number, number, number] {
  const at = (name: string) => proprio[manifest.proprio.names.indexOf(name)] ?? NaN;
  const tcp: [number, number, number] = [at('x_m'), at('y_m'), at('z_m')];
  if (tcp.some((v) => !Number.isFinite(v)))
    throw new StudioError({
      code: 'invalid_params',
      message: `the observation's proprio must hold x_m, y_m, z_m (${manifest.proprio.names.join(', ')})`,
    });
  return tcp;
}
