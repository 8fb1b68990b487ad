import * as THREE from 'three';
import { disposeTree } from '../disposeTree';
import { GaussianSplats } from '../splats/GaussianSplats';
import type { SplatSequence } from '../splats/splatData';
import type { FrameContext, SceneExtension, SceneHost } from '../sceneTypes';

/** What the overlay needs of a preview's candidate (a subset of `foresight.preview`'s candidates). */
export interface OverlayCandidate {
  index: number;
  success_prob: number;
  ee_path_m: readonly (readonly [number, number, number])[];
}

/** Red (0) → amber → green (1), for success estimates. */
export function successColor(p: number): THREE.Color {
  return new THREE.Color().setHSL((Math.min(Math.max(p, 0), 1) * 120) / 360, 0.75, 0.5);
}

/** One imagined step lasts this long on screen; the last step is held a little before looping. */
export const STEP_MS = 700;
const HOLD_STEPS = 0.6;
/** On a software rasteriser the animation advances at this rate instead of every frame. */
const SOFTWARE_ANIMATION_MS = 250;

/** Animation phase → fractional step 0 … H−1 (held at the end, then looping). */
export function stepAt(elapsed_ms: number, H: number): number {
  if (H <= 1) return 0;
  const cycle = (H - 1 + HOLD_STEPS) * STEP_MS;
  return Math.min((elapsed_ms % cycle) / STEP_MS, H - 1);
}

/**
 * The imagination overlay of the main 3D view: every candidate's commanded end-effector path, ghosted
 * and coloured by its success estimate, the selected one bright with a marker at the animated step,
 * and the selected candidate's imagined Gaussians animated over the horizon (tweened between steps).
 */
export class ForesightOverlay implements SceneExtension {
  readonly id = 'foresight';
  readonly root = new THREE.Group();
  readonly splats = new GaussianSplats();
  private readonly paths = new THREE.Group();
  private readonly marker = new THREE.Mesh(
    new THREE.SphereGeometry(0.012, 12, 8),
    new THREE.MeshBasicMaterial({ color: 0xffffff, depthTest: false, transparent: true }),
  );
  private candidates: readonly OverlayCandidate[] = [];
  private selected = -1;
  private startedAt_ms: number | null = null;
  private nextFrameTimer: ReturnType<typeof setTimeout> | undefined;
  private playing = true;
  /** Splats drawn in the last frame (0: none). */
  drawnSplats = 0;

  constructor(private readonly host: SceneHost) {
    this.root.name = 'foresight';
    this.marker.renderOrder = 20;
    this.marker.visible = false;
    this.root.add(this.paths, this.splats, this.marker);
    this.root.visible = false;
    // Ghosted: the real arm and scene stay visible through the imagined one.
    this.splats.setOpacity(0.6);
  }

  update(): void {}

  /** Candidates (or none: hides the overlay) and which one is selected. */
  setCandidates(candidates: readonly OverlayCandidate[], selected: number): void {
    this.candidates = candidates;
    disposeTree(this.paths);
    this.paths.clear();
    for (const candidate of candidates) {
      if (candidate.ee_path_m.length < 2) continue;
      const geometry = new THREE.BufferGeometry().setFromPoints(candidate.ee_path_m.map(([x, y, z]) => new THREE.Vector3(x, y, z)));
      const line = new THREE.Line(
        geometry,
        new THREE.LineBasicMaterial({ color: successColor(candidate.success_prob), transparent: true, opacity: 0.3, depthTest: false }),
      );
      line.name = `path-${candidate.index}`;
      line.renderOrder = 15;
      line.userData.index = candidate.index;
      this.paths.add(line);
    }
    this.root.visible = candidates.length > 0;
    this.select(selected);
  }

  get selectedIndex(): number {
    return this.selected;
  }

  select(index: number): void {
    this.selected = index;
    for (const line of this.paths.children as THREE.Line<THREE.BufferGeometry, THREE.LineBasicMaterial>[]) {
      const isSelected = line.userData.index === index;
      line.material.opacity = isSelected ? 1 : 0.3;
      line.renderOrder = isSelected ? 16 : 15;
    }
    this.startedAt_ms = null;
    this.host.queueRender();
  }

  /** The selected candidate's imagined Gaussians (null: none, e.g. still loading). */
  setSplats(sequence: SplatSequence | null): void {
    this.splats.setSequence(sequence);
    this.startedAt_ms = null;
    this.host.queueRender();
  }

  setPlaying(playing: boolean): void {
    this.playing = playing;
    this.host.queueRender();
  }

  clear(): void {
    this.setCandidates([], -1);
    this.setSplats(null);
  }

  startFrame({ now_ms, camera, width_px, height_px, pixel_ratio }: FrameContext): void {
    if (!this.root.visible) {
      this.drawnSplats = 0;
      return;
    }
    const candidate = this.candidates.find((c) => c.index === this.selected);
    const H = this.splats.steps;
    this.startedAt_ms ??= now_ms;
    const t = this.playing ? stepAt(now_ms - this.startedAt_ms, H) : Math.max(0, H - 1);
    this.splats.setTime(t);
    this.splats.prepare(camera, width_px * pixel_ratio, height_px * pixel_ratio);
    this.drawnSplats = this.splats.drawCount;
    // The marker rides the commanded path at the same fraction of the horizon as the splats.
    const path = candidate?.ee_path_m ?? [];
    this.marker.visible = path.length > 0;
    if (path.length > 0) {
      const u = H > 1 ? (t / (H - 1)) * (path.length - 1) : path.length - 1;
      const i = Math.min(Math.floor(u), path.length - 1);
      const j = Math.min(i + 1, path.length - 1);
      const f = u - i;
      const a = path[i]!;
      const b = path[j]!;
      this.marker.position.set(a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1]), a[2] + f * (b[2] - a[2]));
      this.marker.material.color.copy(successColor(candidate?.success_prob ?? 0));
    }
    if (this.playing && H > 1) this.scheduleNext();
  }

  private scheduleNext(): void {
    if (!this.host.softwareGl) {
      this.host.queueRender();
      return;
    }
    if (this.nextFrameTimer !== undefined) return;
    this.nextFrameTimer = setTimeout(() => {
      this.nextFrameTimer = undefined;
      this.host.queueRender();
    }, SOFTWARE_ANIMATION_MS);
  }

  dispose(): void {
    clearTimeout(this.nextFrameTimer);
    disposeTree(this.paths);
    this.splats.dispose();
    this.marker.geometry.dispose();
    this.marker.material.dispose();
  }
}
