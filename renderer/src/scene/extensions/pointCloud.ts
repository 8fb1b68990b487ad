import * as THREE from 'three';
import { disposeTree } from '../disposeTree';
import type { SceneExtension } from '../sceneTypes';

/**
 * A coloured point cloud in the base frame (depth lifted to 3D, Gaussian centres). The GPU buffer is
 * reused while the point count fits, so streaming clouds do not allocate per frame.
 */
export class PointCloud implements SceneExtension {
  readonly id = 'point-cloud';
  readonly root: THREE.Points;
  private capacity = 0;

  constructor(private readonly host: { queueRender(): void }) {
    const material = new THREE.PointsMaterial({ size: 0.006, vertexColors: true });
    this.root = new THREE.Points(new THREE.BufferGeometry(), material);
    this.root.name = 'point-cloud';
    this.root.frustumCulled = false;
  }

  update(): void {}

  /** xyz triples (m) and rgb triples (0..1), equal lengths. */
  setPoints(positions: Float32Array, colors: Float32Array): void {
    const count = Math.floor(positions.length / 3);
    const geometry = this.root.geometry;
    if (count > this.capacity) {
      this.capacity = count;
      geometry.setAttribute('position', new THREE.BufferAttribute(new Float32Array(count * 3), 3).setUsage(THREE.DynamicDrawUsage));
      geometry.setAttribute('color', new THREE.BufferAttribute(new Float32Array(count * 3), 3).setUsage(THREE.DynamicDrawUsage));
    }
    const position = geometry.getAttribute('position') as THREE.BufferAttribute;
    const color = geometry.getAttribute('color') as THREE.BufferAttribute;
    (position.array as Float32Array).set(positions.subarray(0, count * 3));
    (color.array as Float32Array).set(colors.subarray(0, count * 3));
    position.needsUpdate = color.needsUpdate = true;
    geometry.setDrawRange(0, count);
    this.host.queueRender();
  }

  dispose(): void {
    disposeTree(this.root);
  }
}
