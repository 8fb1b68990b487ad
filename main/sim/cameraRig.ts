import type { Mat4, PinholeIntrinsics, Quaternion, Vec3 } from '../devices/types';
import type { SimEngine } from './engine';
import { composePose, poseFromTranslationQuat, poseToMat4, type RigidPose } from './math3d';
import { RayCamera, type RayMode } from './rayCamera';

/** A simulated RGB-D camera as the rig config describes it. */
export interface SimCameraSpec {
  name: string;
  width_px: number;
  height_px: number;
  fps_hz: number;
  intrinsics: PinholeIntrinsics;
  /** `world`: fixed, pose = world_from_camera; `flange`: on the hand, pose = flange_from_camera. */
  mount: { frame: 'world' | 'flange'; translation_m: Vec3; rotation_wxyz: Quaternion };
  mode?: RayMode;
}

/** One rendered frame with everything needed to lift it to 3D (gwm-lite §6.1). */
export interface SimCameraImage {
  camera: string;
  sim_time_s: number;
  width_px: number;
  height_px: number;
  rgb: Uint8Array;
  depth_mm: Uint16Array;
  segmentation: Int32Array;
  intrinsics: PinholeIntrinsics;
  world_from_camera: Mat4;
  render_ms: number;
}

interface Mounted {
  spec: SimCameraSpec;
  camera: RayCamera;
  mount: RigidPose;
}

/** The cameras attached to one engine: poses follow the flange for wrist cameras. */
export class CameraRig {
  private readonly cameras = new Map<string, Mounted>();

  constructor(private readonly engine: SimEngine) {}

  add(spec: SimCameraSpec): void {
    this.remove(spec.name);
    const { mj, model, ids } = this.engine;
    const { fx_px, fy_px, cx_px, cy_px } = spec.intrinsics;
    const camera = new RayCamera(mj, model, { width_px: spec.width_px, height_px: spec.height_px, fx_px, fy_px, cx_px, cy_px }, {
      mode: spec.mode ?? 'exact',
      // a wrist camera sits inside the hand shell; it sees the fingers (their own bodies), not the shell
      excludeBody: spec.mount.frame === 'flange' ? ids.hand : -1,
    });
    this.cameras.set(spec.name, { spec, camera, mount: poseFromTranslationQuat(spec.mount.translation_m, spec.mount.rotation_wxyz) });
  }

  remove(name: string): void {
    this.cameras.get(name)?.camera.dispose();
    this.cameras.delete(name);
  }

  names(): string[] {
    return [...this.cameras.keys()];
  }

  spec(name: string): SimCameraSpec | undefined {
    return this.cameras.get(name)?.spec;
  }

  pose(name: string): RigidPose {
    const mounted = this.get(name);
    if (mounted.spec.mount.frame === 'world') return mounted.mount;
    const flange = this.engine.sitePose(this.engine.ids.flange);
    return composePose({ position_m: flange.position, rotation: flange.rotation }, mounted.mount);
  }

  camera(name: string): RayCamera {
    return this.get(name).camera;
  }

  /** Object colours change per episode: call after `engine.reset`. */
  refreshColours(): void {
    for (const { camera } of this.cameras.values()) camera.refreshColours();
  }

  render(name: string): SimCameraImage {
    const { spec, camera } = this.get(name);
    const started = performance.now();
    const pose = this.pose(name);
    const image = camera.render(this.engine.data, this.engine.views, pose);
    return {
      camera: name,
      sim_time_s: this.engine.sim_time_s,
      width_px: spec.width_px,
      height_px: spec.height_px,
      ...image,
      intrinsics: { ...spec.intrinsics },
      world_from_camera: poseToMat4(pose),
      render_ms: performance.now() - started,
    };
  }

  dispose(): void {
    for (const name of this.names()) this.remove(name);
  }

  private get(name: string): Mounted {
    const mounted = this.cameras.get(name);
    if (mounted === undefined) throw new Error(`no sim camera named "${name}"`);
    return mounted;
  }
}
