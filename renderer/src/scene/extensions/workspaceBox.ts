import * as THREE from 'three';
import { disposeTree } from '../disposeTree';
import type { SceneExtension, SceneState } from '../sceneTypes';

/** The safety workspace as a wire box; it turns amber while the last command was clipped. */
export class WorkspaceBox implements SceneExtension {
  readonly id = 'workspace';
  readonly root = new THREE.Group();
  private readonly material = new THREE.LineBasicMaterial({ color: 0x5aa9ff, transparent: true, opacity: 0.55 });
  private box: THREE.LineSegments | undefined;

  update(state: SceneState, changed: ReadonlySet<keyof SceneState>): void {
    if (changed.has('workspace')) {
      if (this.box !== undefined) {
        this.root.remove(this.box);
        this.box.geometry.dispose();
        this.box = undefined;
      }
      if (state.workspace !== null) {
        const [x0, y0, z0] = state.workspace.workspace_min_m;
        const [x1, y1, z1] = state.workspace.workspace_max_m;
        const geometry = new THREE.EdgesGeometry(new THREE.BoxGeometry(x1 - x0, y1 - y0, z1 - z0));
        this.box = new THREE.LineSegments(geometry, this.material);
        this.box.position.set((x0 + x1) / 2, (y0 + y1) / 2, (z0 + z1) / 2);
        this.root.add(this.box);
      }
    }
    if (changed.has('clipped')) this.material.color.set(state.clipped ? 0xf5b94a : 0x5aa9ff);
  }

  dispose(): void {
    disposeTree(this.root);
    this.material.dispose();
  }
}
