import * as THREE from 'three';
import { disposeTree } from '../disposeTree';
import { pandaFrames } from '../../../../shared/robot/frankaKinematics';
import type { SceneExtension, SceneState } from '../sceneTypes';

/** Commanded Δ per control period is millimetres; scale it so a full-speed command reads as ~15 cm. */
const ARROW_SCALE = 60;

/**
 * The end-effector frame (RGB = xyz) at the reported TCP pose (or forward kinematics when the source
 * has no pose), and the commanded motion as an arrow ending in a ghost target.
 */
export class EndEffector implements SceneExtension {
  readonly id = 'end-effector';
  readonly root = new THREE.Group();
  readonly frame = new THREE.AxesHelper(0.1);
  private readonly arrow = new THREE.ArrowHelper(new THREE.Vector3(1, 0, 0), new THREE.Vector3(), 0.1, 0xffd166, 0.03, 0.02);
  private readonly target = new THREE.Mesh(
    new THREE.SphereGeometry(0.012, 16, 12),
    new THREE.MeshBasicMaterial({ color: 0xffd166, transparent: true, opacity: 0.7 }),
  );

  constructor() {
    this.root.name = 'end-effector';
    this.root.add(this.frame, this.arrow, this.target);
    this.arrow.visible = this.target.visible = false;
  }

  update(state: SceneState, changed: ReadonlySet<keyof SceneState>): void {
    if (
      !changed.has('q_rad') &&
      !changed.has('ee_position_m') &&
      !changed.has('ee_quaternion_wxyz') &&
      !changed.has('commanded_translation_m')
    )
      return;
    if (state.ee_position_m !== null && state.ee_quaternion_wxyz !== null) {
      const [w, x, y, z] = state.ee_quaternion_wxyz;
      this.frame.position.set(...state.ee_position_m);
      this.frame.quaternion.set(x, y, z, w);
    } else {
      const m = new THREE.Matrix4().fromArray(pandaFrames(state.q_rad).base_from_tcp);
      m.decompose(this.frame.position, this.frame.quaternion, new THREE.Vector3());
    }
    const command = state.commanded_translation_m;
    const length = command === null ? 0 : Math.hypot(...command) * ARROW_SCALE;
    this.arrow.visible = this.target.visible = length > 1e-4;
    if (command !== null && length > 1e-4) {
      const direction = new THREE.Vector3(...command).normalize();
      this.arrow.position.copy(this.frame.position);
      this.arrow.setDirection(direction);
      this.arrow.setLength(length, Math.min(0.03, length * 0.4), Math.min(0.02, length * 0.3));
      this.target.position.copy(this.frame.position).addScaledVector(direction, length);
    }
  }

  dispose(): void {
    disposeTree(this.root);
  }
}
