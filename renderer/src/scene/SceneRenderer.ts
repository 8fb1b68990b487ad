import * as THREE from 'three';
import { DEFAULT_SCENE_EXTENSIONS } from './sceneExtensions';
import {
  EMPTY_SCENE_STATE,
  type RenderTarget,
  type SceneExtension,
  type SceneExtensionFactory,
  type SceneHost,
  type SceneState,
} from './sceneTypes';

export interface SceneRendererOptions {
  target: RenderTarget;
  /** Defaults to the built-in set; pass more (or fewer) to change what is drawn. */
  extensions?: Readonly<Record<string, SceneExtensionFactory>>;
  /** Schedules one callback before the next paint; injected so tests render synchronously. */
  requestFrame?: (callback: () => void) => void;
  /** A software rasteriser draws the scene: animated extensions use fewer frames. */
  softwareGl?: boolean;
}

/**
 * The 3D view as a plain class (after Foxglove's ThreeDeeRender `Renderer`): it owns the three.js
 * scene, the camera and a registry of scene extensions, and renders on demand — many state patches
 * between two paints cost one render. React only hosts the canvas.
 */
export class SceneRenderer implements SceneHost {
  readonly scene = new THREE.Scene();
  readonly camera = new THREE.PerspectiveCamera(45, 1, 0.01, 50);
  readonly softwareGl: boolean;
  private readonly extensions = new Map<string, SceneExtension>();
  private readonly target: RenderTarget;
  private readonly requestFrame: (callback: () => void) => void;
  private current: SceneState = EMPTY_SCENE_STATE;
  private frameQueued = false;
  private size_px: [number, number] = [1, 1];
  private disposed = false;
  /** Duration of the last few renders (ms), for the on-screen frame-time readout and the bench. */
  readonly frameTimes_ms: number[] = [];
  onRendered: ((frame_ms: number) => void) | undefined;

  constructor(options: SceneRendererOptions) {
    this.target = options.target;
    this.softwareGl = options.softwareGl ?? false;
    this.requestFrame = options.requestFrame ?? ((callback) => requestAnimationFrame(callback));
    // Robotics convention: z up, so the base frame reads the same as in the recorded data.
    this.camera.up.set(0, 0, 1);
    this.camera.position.set(1.6, -1.3, 1.1);
    this.camera.lookAt(0.35, 0, 0.2);
    this.scene.background = new THREE.Color(0x11141a);
    for (const [id, factory] of Object.entries(options.extensions ?? DEFAULT_SCENE_EXTENSIONS)) this.addExtension(id, factory);
  }

  get state(): SceneState {
    return this.current;
  }

  addExtension(id: string, factory: SceneExtensionFactory): SceneExtension {
    if (this.extensions.has(id)) throw new Error(`scene extension "${id}" is registered twice`);
    const extension = factory(this);
    this.extensions.set(id, extension);
    this.scene.add(extension.root);
    extension.update(this.current, new Set(Object.keys(this.current) as (keyof SceneState)[]));
    this.queueRender();
    return extension;
  }

  removeExtension(id: string): void {
    const extension = this.extensions.get(id);
    if (extension === undefined) return;
    this.scene.remove(extension.root);
    extension.dispose();
    this.extensions.delete(id);
    this.queueRender();
  }

  extension<T extends SceneExtension>(id: string): T | undefined {
    return this.extensions.get(id) as T | undefined;
  }

  /** How many objects an extension has in the scene now (its root's children), 0 for an unknown id. */
  drawnCount(id: string): number {
    return this.extensions.get(id)?.root.children.length ?? 0;
  }

  setState(patch: Partial<SceneState>): void {
    const changed = new Set<keyof SceneState>();
    for (const key of Object.keys(patch) as (keyof SceneState)[]) if (patch[key] !== this.current[key]) changed.add(key);
    if (changed.size === 0) return;
    this.current = { ...this.current, ...patch };
    for (const extension of this.extensions.values()) extension.update(this.current, changed);
    this.queueRender();
  }

  setSize(width_px: number, height_px: number): void {
    if (width_px <= 0 || height_px <= 0) return;
    this.camera.aspect = width_px / height_px;
    this.camera.updateProjectionMatrix();
    this.size_px = [width_px, height_px];
    this.target.setSize(width_px, height_px, false);
    this.queueRender();
  }

  /** Coalesces into one render before the next paint. */
  queueRender(): void {
    if (this.frameQueued || this.disposed) return;
    this.frameQueued = true;
    this.requestFrame(() => {
      this.frameQueued = false;
      if (!this.disposed) this.renderNow();
    });
  }

  renderNow(): number {
    const start = performance.now();
    this.camera.updateMatrixWorld();
    for (const extension of this.extensions.values())
      extension.startFrame?.({
        now_ms: start,
        camera: this.camera,
        width_px: this.size_px[0],
        height_px: this.size_px[1],
        pixel_ratio: this.target.getPixelRatio?.() ?? 1,
      });
    this.target.render(this.scene, this.camera);
    const frame_ms = performance.now() - start;
    this.frameTimes_ms.push(frame_ms);
    if (this.frameTimes_ms.length > 120) this.frameTimes_ms.shift();
    this.onRendered?.(frame_ms);
    return frame_ms;
  }

  dispose(): void {
    this.disposed = true;
    for (const id of [...this.extensions.keys()]) this.removeExtension(id);
    this.target.dispose();
  }
}
