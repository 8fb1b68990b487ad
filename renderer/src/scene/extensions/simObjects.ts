import * as THREE from 'three';
import { disposeTree } from '../disposeTree';
import type { SceneExtension, SceneState } from '../sceneTypes';

/** The simulator's objects (cubes) and the target region, from its ground truth. */
export class SimObjects implements SceneExtension {
  readonly id = 'sim-objects';
  readonly root = new THREE.Group();
  private readonly meshes = new Map<string, THREE.Mesh>();
  private readonly targetMesh = new THREE.Mesh(
    new THREE.PlaneGeometry(1, 1),
    new THREE.MeshBasicMaterial({ color: 0x26bf40, transparent: true, opacity: 0.75 }),
  );

  constructor() {
    this.root.name = 'sim-objects';
    this.targetMesh.visible = false;
    this.root.add(this.targetMesh);
  }

  update(state: SceneState, changed: ReadonlySet<keyof SceneState>): void {
    if (changed.has('target')) {
      this.targetMesh.visible = state.target !== null;
      if (state.target !== null) {
        const side = state.target.half_extent_m * 2;
        this.targetMesh.scale.set(side, side, 1);
        this.targetMesh.position.set(state.target.center_m[0], state.target.center_m[1], state.target.center_m[2] + 0.001);
      }
    }
    if (!changed.has('objects')) return;
    const seen = new Set<string>();
    for (const object of state.objects) {
      seen.add(object.name);
      let mesh = this.meshes.get(object.name);
      if (mesh === undefined) {
        mesh = new THREE.Mesh(new THREE.BoxGeometry(1, 1, 1), new THREE.MeshLambertMaterial());
        mesh.name = object.name;
        this.meshes.set(object.name, mesh);
        this.root.add(mesh);
      }
      const [w, x, y, z] = object.quaternion_wxyz;
      mesh.position.set(...object.position_m);
      mesh.quaternion.set(x, y, z, w);
      mesh.scale.setScalar(object.size_m);
      (mesh.material as THREE.MeshLambertMaterial).color.setRGB(...object.rgb);
    }
    for (const [name, mesh] of this.meshes) {
      if (seen.has(name)) continue;
      this.root.remove(mesh);
      disposeTree(mesh);
      this.meshes.delete(name);
    }
  }

  dispose(): void {
    disposeTree(this.root);
  }
}
