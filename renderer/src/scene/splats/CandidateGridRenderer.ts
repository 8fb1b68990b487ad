import * as THREE from 'three';
import { disposeTree } from '../disposeTree';
import { successColor, stepAt } from '../extensions/foresightOverlay';
import type { RenderTarget } from '../sceneTypes';
import { GaussianSplats } from './GaussianSplats';
import { boundsOf, type SplatSequence } from './splatData';

/** One small multiple: a candidate's imagined scene and its commanded end-effector path. */
interface Cell {
  scene: THREE.Scene;
  splats: GaussianSplats;
  path: THREE.Line<THREE.BufferGeometry, THREE.LineBasicMaterial> | null;
  /** Where the cell is drawn, in the canvas's CSS pixels (top-left origin). */
  rect: { x: number; y: number; width: number; height: number } | null;
}

export interface GridCandidate {
  index: number;
  success_prob: number;
  ee_path_m: readonly (readonly [number, number, number])[];
}

/**
 * The K small multiples of a preview in one WebGL canvas: each candidate's imagined Gaussians in its
 * own viewport (scissored), all seen from one camera framed on the imagined scene and animated in step
 * over the horizon, tweened between steps. One context for all K, not K contexts: a browser allows
 * only a few, and each costs a software rasteriser its own set-up.
 *
 * Frames are scheduled here, not by the caller: `interval_ms` apart while animating (longer under
 * software GL), none while nothing changes.
 */
export class CandidateGridRenderer {
  readonly camera = new THREE.PerspectiveCamera(40, 4 / 3, 0.01, 20);
  private cells: Cell[] = [];
  private size_px: [number, number] = [1, 1];
  private startedAt_ms: number | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private disposed = false;
  private playing = true;
  /** Cells drawn with splats in the last frame. */
  drawnCells = 0;
  /** Last few frame times (ms), for the bench and the on-screen readout. */
  readonly frameTimes_ms: number[] = [];
  onRendered: ((frame_ms: number) => void) | undefined;

  constructor(
    private readonly target: RenderTarget & {
      setScissor(x: number, y: number, w: number, h: number): void;
      setViewport(x: number, y: number, w: number, h: number): void;
      setScissorTest(on: boolean): void;
      setClearColor(color: THREE.ColorRepresentation, alpha?: number): void;
      clear(): void;
      autoClear: boolean;
    },
    private readonly interval_ms: number,
  ) {
    this.camera.up.set(0, 0, 1);
    target.autoClear = false;
  }

  setSize(width_px: number, height_px: number): void {
    if (width_px <= 0 || height_px <= 0) return;
    this.size_px = [width_px, height_px];
    this.target.setSize(width_px, height_px, false);
    this.schedule(0);
  }

  /** The candidates to draw (their splats may come later, one by one, with `setSplats`). */
  setCandidates(candidates: readonly GridCandidate[]): void {
    this.clearCells();
    this.cells = candidates.map((candidate) => {
      const scene = new THREE.Scene();
      const grid = new THREE.GridHelper(1, 10, 0x2a3140, 0x1c222c);
      grid.rotation.x = Math.PI / 2;
      grid.position.set(0.5, 0, 0);
      scene.add(grid);
      const splats = new GaussianSplats();
      scene.add(splats);
      let path: Cell['path'] = null;
      if (candidate.ee_path_m.length >= 2) {
        const geometry = new THREE.BufferGeometry().setFromPoints(candidate.ee_path_m.map(([x, y, z]) => new THREE.Vector3(x, y, z)));
        path = new THREE.Line(
          geometry,
          new THREE.LineBasicMaterial({ color: successColor(candidate.success_prob), depthTest: false, transparent: true }),
        );
        path.renderOrder = 20;
        scene.add(path);
      }
      return { scene, splats, path, rect: null };
    });
    this.startedAt_ms = null;
    this.schedule(0);
  }

  setSplats(position: number, sequence: SplatSequence): void {
    const cell = this.cells[position];
    if (cell === undefined) return;
    cell.splats.setSequence(sequence);
    if (this.cells.every((c) => c.splats.splatCount === 0 || c === cell)) this.frame(sequence);
    this.schedule(0);
  }

  /** Cell rectangles in canvas CSS pixels (the caller lays the cells out with CSS). */
  setRects(rects: readonly Cell['rect'][]): void {
    rects.forEach((rect, i) => {
      const cell = this.cells[i];
      if (cell !== undefined) cell.rect = rect;
    });
    this.schedule(0);
  }

  setPlaying(playing: boolean): void {
    this.playing = playing;
    this.schedule(0);
  }

  /** Frames the camera on a scene's bounds, seen from the front-right and above like the main view. */
  private frame(sequence: SplatSequence): void {
    const bounds = boundsOf(sequence);
    if (bounds === null) return;
    const center = new THREE.Vector3(...bounds.min).add(new THREE.Vector3(...bounds.max)).multiplyScalar(0.5);
    const radius = Math.max(0.15, new THREE.Vector3(...bounds.max).sub(new THREE.Vector3(...bounds.min)).length() * 0.5);
    const direction = new THREE.Vector3(1.25, -1.0, 0.9).normalize();
    this.camera.position.copy(center).addScaledVector(direction, (radius / Math.sin(THREE.MathUtils.degToRad(this.camera.fov / 2))) * 0.85);
    this.camera.lookAt(center);
    this.camera.updateMatrixWorld();
  }

  private schedule(delay_ms: number): void {
    if (this.disposed || this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      requestAnimationFrame(() => this.renderNow());
    }, delay_ms);
  }

  renderNow(now_ms = performance.now()): number {
    if (this.disposed) return 0;
    const start = performance.now();
    const [width, height] = this.size_px;
    this.target.setScissorTest(false);
    this.target.setViewport(0, 0, width, height);
    this.target.setClearColor(0x0d1016, 1);
    this.target.clear();
    this.startedAt_ms ??= now_ms;
    let H = 1;
    let drawn = 0;
    const ratio = this.target.getPixelRatio?.() ?? 1;
    for (const cell of this.cells) {
      const rect = cell.rect;
      if (rect === null || rect.width < 4 || rect.height < 4 || cell.splats.splatCount === 0) continue;
      H = Math.max(H, cell.splats.steps);
      const t = this.playing ? stepAt(now_ms - this.startedAt_ms, cell.splats.steps) : cell.splats.steps - 1;
      this.camera.aspect = rect.width / rect.height;
      this.camera.updateProjectionMatrix();
      cell.splats.setTime(t);
      cell.splats.prepare(this.camera, rect.width * ratio, rect.height * ratio);
      // WebGL's origin is bottom-left.
      const y = height - rect.y - rect.height;
      this.target.setViewport(rect.x, y, rect.width, rect.height);
      this.target.setScissor(rect.x, y, rect.width, rect.height);
      this.target.setScissorTest(true);
      this.target.render(cell.scene, this.camera);
      drawn++;
    }
    this.drawnCells = drawn;
    this.target.setScissorTest(false);
    const frame_ms = performance.now() - start;
    this.frameTimes_ms.push(frame_ms);
    if (this.frameTimes_ms.length > 60) this.frameTimes_ms.shift();
    this.onRendered?.(frame_ms);
    if (this.playing && H > 1) this.schedule(this.interval_ms);
    return frame_ms;
  }

  private clearCells(): void {
    for (const cell of this.cells) {
      disposeTree(cell.scene);
      cell.scene.clear();
    }
    this.cells = [];
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.timer);
    this.clearCells();
    this.target.dispose();
  }
}
