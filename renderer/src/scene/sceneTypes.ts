import type * as THREE from 'three';
import type { CameraConfig, SafetyConfig } from '../../../shared/rig/rigConfig';

type Vec3 = [number, number, number];
type Quat = [number, number, number, number];

/** One sim object (cube, …) as the core reports it; size is the edge length of a cube. */
export interface SceneObject {
  name: string;
  position_m: Vec3;
  quaternion_wxyz: Quat;
  rgb: Vec3;
  size_m: number;
}

/**
 * Everything the 3D view draws, in the robot base frame (metres, z up). Sources (live robot.state,
 * a replayed episode, a bench) patch it; each scene extension reads the fields it cares about.
 */
export interface SceneState {
  q_rad: readonly number[];
  gripper_width_m: number | null;
  /** Reported TCP pose; drawn as a frame. When absent, the frame comes from forward kinematics. */
  ee_position_m: Vec3 | null;
  ee_quaternion_wxyz: Quat | null;
  /** The last commanded Δ per control period, drawn as an arrow from the TCP. */
  commanded_translation_m: Vec3 | null;
  clipped: boolean;
  objects: readonly SceneObject[];
  target: { center_m: Vec3; half_extent_m: number } | null;
  workspace: Pick<SafetyConfig, 'workspace_min_m' | 'workspace_max_m'> | null;
  cameras: readonly CameraConfig[];
}

export const EMPTY_SCENE_STATE: SceneState = {
  q_rad: [0, -0.785, 0, -2.356, 0, 1.571, 0.785],
  gripper_width_m: 0.08,
  ee_position_m: null,
  ee_quaternion_wxyz: null,
  commanded_translation_m: null,
  clipped: false,
  objects: [],
  target: null,
  workspace: null,
  cameras: [],
};

/** The part of THREE.WebGLRenderer the scene uses; tests and benches inject a stub. */
export interface RenderTarget {
  render(scene: THREE.Scene, camera: THREE.Camera): void;
  getPixelRatio?(): number;
  setSize(width: number, height: number, updateStyle?: boolean): void;
  dispose(): void;
}

/** What an extension may ask of the renderer (extensions never see the concrete class). */
export interface SceneHost {
  readonly state: SceneState;
  /** True on a software rasteriser (SwiftShader, llvmpipe, WARP): animate with fewer frames. */
  readonly softwareGl: boolean;
  queueRender(): void;
}

/**
 * One kind of content in the scene (after Foxglove's SceneExtension): it owns an Object3D subtree,
 * updates it when the state changes, and frees its GPU resources on dispose.
 */
export interface SceneExtension {
  readonly id: string;
  readonly root: THREE.Object3D;
  /** Called after every state patch with the merged state and the keys that changed. */
  update(state: SceneState, changed: ReadonlySet<keyof SceneState>): void;
  /**
   * Called before every render (after Foxglove's `startFrame`): animated content updates itself for this
   * camera and asks for the next frame with `host.queueRender()` while it moves.
   */
  startFrame?(frame: FrameContext): void;
  dispose(): void;
}

export interface FrameContext {
  /** performance.now() at the start of the frame. */
  now_ms: number;
  camera: THREE.Camera;
  /** The view's size in CSS pixels, and drawing-buffer pixels per CSS pixel. */
  width_px: number;
  height_px: number;
  pixel_ratio: number;
}

export type SceneExtensionFactory = (host: SceneHost) => SceneExtension;
