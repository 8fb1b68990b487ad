import type { Mat4, PinholeIntrinsics, Quaternion, Vec3 } from '../../shared/robot/types';
import type { SimEngine } from './engine';
import { composePose, poseFromTranslationQuat, poseToMat4, type RigidPose } from './math3d';
import { RayCamera, type RayMode, type RenderedImage } from './rayCamera';

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

/**
 * What a render needs from the physics, taken at one instant: every geom's world pose and the camera's
 * pose. Small (a few kB), so the physics thread can hand it to a render thread and go on stepping.
 */
export interface RenderJob {
  camera: string;
  sim_time_s: number;
  geom_xpos: Float64Array;
  geom_xmat: Float64Array;
  world_from_camera: RigidPose;
}

interface Mounted {
  spec: SimCameraSpec;
  /** Absent where this rig only takes snapshots for a render thread. */
  camera: RayCamera | undefined;
  mount: RigidPose;
}

/**
 * The cameras attached to one engine: poses follow the flange for wrist cameras. `drawsHere` says
 * which cameras this rig draws itself; the others it only snapshots for a render thread (`snapshot`).
 */
export class CameraRig {
  private readonly cameras = new Map<string, Mounted>();

  constructor(
    private readonly engine: SimEngine,
    private readonly drawsHere: (spec: SimCameraSpec) => boolean = () => true,
  ) {}

  add(spec: SimCameraSpec): void {
    this.remove(spec.name);
    const mount = poseFromTranslationQuat(spec.mount.translation_m, spec.mount.rotation_wxyz);
    if (!this.drawsHere(spec)) {
      this.cameras.set(spec.name, { spec, camera: undefined, mount });
      return;
    }
    const { mj, model, ids } = this.engine;
    const { fx_px, fy_px, cx_px, cy_px } = spec.intrinsics;
    const camera = new RayCamera(
      mj,
      model,
      { width_px: spec.width_px, height_px: spec.height_px, fx_px, fy_px, cx_px, cy_px },
      {
        mode: spec.mode ?? 'exact',
        // a wrist camera sits inside the hand shell; it sees the fingers (their own bodies), not the shell
        excludeBody: spec.mount.frame === 'flange' ? ids.hand : -1,
      },
    );
    this.cameras.set(spec.name, { spec, camera, mount });
  }

  remove(name: string): void {
    this.cameras.get(name)?.camera?.dispose();
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
    const camera = this.get(name).camera;
    if (camera === undefined) throw new Error(`sim camera "${name}" is rendered by another thread`);
    return camera;
  }

  /** Whether this rig draws `name` itself (otherwise a render thread draws its snapshots). */
  draws(name: string): boolean {
    return this.get(name).camera !== undefined;
  }

  /** Object colours change per episode: call after `engine.reset`. */
  refreshColours(): void {
    for (const { camera } of this.cameras.values()) camera?.refreshColours();
  }

  /** The physics as this camera would see it now, for a render thread (copies: the engine steps on). */
  snapshot(name: string): RenderJob {
    const v = this.engine.views.fresh();
    return {
      camera: name,
      sim_time_s: this.engine.sim_time_s,
      geom_xpos: Float64Array.from(v.geom_xpos),
      geom_xmat: Float64Array.from(v.geom_xmat),
      world_from_camera: this.pose(name),
    };
  }

  /** Draws a snapshot taken by a rig on the same model (this thread's or another's). */
  renderJob(job: RenderJob): SimCameraImage {
    const started = performance.now();
    const image = this.camera(job.camera).renderPoses(job.geom_xpos, job.geom_xmat, job.world_from_camera);
    return this.image(job.camera, job.sim_time_s, job.world_from_camera, image, started);
  }

  render(name: string): SimCameraImage {
    const started = performance.now();
    const pose = this.pose(name);
    const image = this.camera(name).render(this.engine.data, this.engine.views, pose);
    return this.image(name, this.engine.sim_time_s, pose, image, started);
  }

  private image(name: string, sim_time_s: number, pose: RigidPose, image: RenderedImage, started_ms: number): SimCameraImage {
    const { spec } = this.get(name);
    return {
      camera: name,
      sim_time_s,
      width_px: spec.width_px,
      height_px: spec.height_px,
      ...image,
      intrinsics: { ...spec.intrinsics },
      world_from_camera: poseToMat4(pose),
      render_ms: performance.now() - started_ms,
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
