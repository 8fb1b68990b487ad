import * as THREE from 'three';
import { disposeTree } from '../disposeTree';
import type { SceneExtension } from '../sceneTypes';

/** Lights, the table (top at z = 0, as in the sim) and a floor grid. Static. */
export class Environment implements SceneExtension {
  readonly id = 'environment';
  readonly root = new THREE.Group();

  constructor() {
    this.root.name = 'environment';
    this.root.add(new THREE.HemisphereLight(0xdfe8ff, 0x2a2620, 1.6));
    const key = new THREE.DirectionalLight(0xffffff, 1.6);
    key.position.set(0.6, -0.6, 2);
    this.root.add(key);

    const table = new THREE.Mesh(new THREE.BoxGeometry(1.3, 1.2, 0.05), new THREE.MeshLambertMaterial({ color: 0x6e5640 }));
    table.position.set(0.35, 0, -0.025);
    table.name = 'table';
    this.root.add(table);

    const grid = new THREE.GridHelper(4, 40, 0x3a4150, 0x252a33);
    grid.rotation.x = Math.PI / 2;
    grid.position.z = -0.75;
    this.root.add(grid);
  }

  update(): void {}

  dispose(): void {
    disposeTree(this.root);
  }
}
