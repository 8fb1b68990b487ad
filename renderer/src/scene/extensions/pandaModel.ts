import * as THREE from 'three';
import { disposeTree } from '../disposeTree';
import { pandaFrames, type Mat4 } from '../../../../shared/robot/frankaKinematics';
import type { SceneExtension, SceneState } from '../sceneTypes';

type V3 = [number, number, number];
type Geom =
  | { kind: 'capsule'; from: V3; to: V3; radius: number; dark?: boolean }
  | { kind: 'cylinder'; pos: V3; radius: number; half_height: number; dark?: boolean }
  | { kind: 'box'; pos: V3; half: V3; dark?: boolean };

/**
 * The built-in Panda drawn with the simulator's own primitives (main/sim/assets/franka_scene.xml), each
 * in its link's DH frame, so the picture matches the sim cameras. Index 0 is link0 (the base); 1..7
 * are the moving links; the hand follows.
 */
const LINK_GEOMS: Geom[][] = [
  [
    { kind: 'cylinder', pos: [-0.04, 0, 0.025], radius: 0.09, half_height: 0.025, dark: true },
    { kind: 'capsule', from: [0, 0, 0.03], to: [0, 0, 0.14], radius: 0.07 },
  ],
  [
    { kind: 'capsule', from: [0, 0, -0.19], to: [0, 0, -0.02], radius: 0.065 },
    { kind: 'capsule', from: [0, -0.07, 0], to: [0, 0.07, 0], radius: 0.06, dark: true },
  ],
  [{ kind: 'capsule', from: [0, 0, 0], to: [0, -0.2, 0], radius: 0.06 }],
  [
    { kind: 'capsule', from: [0, 0, -0.116], to: [0, 0, -0.02], radius: 0.06 },
    { kind: 'capsule', from: [0, 0, 0], to: [0.0825, 0, 0], radius: 0.055 },
  ],
  [
    { kind: 'capsule', from: [0, 0, -0.06], to: [0, 0, 0.06], radius: 0.055, dark: true },
    { kind: 'capsule', from: [0, 0, 0], to: [-0.0825, 0.08, 0], radius: 0.055 },
  ],
  [
    { kind: 'capsule', from: [0, 0, -0.3], to: [0, 0, -0.05], radius: 0.05 },
    { kind: 'capsule', from: [0, 0.06, -0.03], to: [0, 0.06, -0.12], radius: 0.035 },
  ],
  [
    { kind: 'capsule', from: [0, 0, -0.05], to: [0, 0, 0.03], radius: 0.05, dark: true },
    { kind: 'capsule', from: [0, 0, 0], to: [0.088, 0, 0], radius: 0.045 },
  ],
  [
    { kind: 'capsule', from: [0, 0, -0.02], to: [0, 0, 0.075], radius: 0.045 },
    { kind: 'cylinder', pos: [0, 0, 0.099], radius: 0.031, half_height: 0.008, dark: true },
  ],
];
const HAND_GEOMS: Geom[] = [
  { kind: 'box', pos: [0, 0, 0.031], half: [0.022, 0.095, 0.026] },
  { kind: 'box', pos: [0.04, 0, 0.025], half: [0.015, 0.02, 0.012], dark: true },
];
const FINGER_Z_M = 0.0584;
const FINGER_HALF: V3 = [0.0095, 0.005, 0.0225];
const MAX_WIDTH_M = 0.08;

const Y_AXIS = new THREE.Vector3(0, 1, 0);

function buildGeom(geom: Geom, light: THREE.Material, dark: THREE.Material): THREE.Mesh {
  const material = geom.dark === true ? dark : light;
  switch (geom.kind) {
    case 'capsule': {
      const from = new THREE.Vector3(...geom.from);
      const to = new THREE.Vector3(...geom.to);
      const axis = to.clone().sub(from);
      const mesh = new THREE.Mesh(new THREE.CapsuleGeometry(geom.radius, axis.length(), 4, 16), material);
      mesh.position.copy(from).add(to).multiplyScalar(0.5);
      mesh.quaternion.setFromUnitVectors(Y_AXIS, axis.normalize());
      return mesh;
    }
    case 'cylinder': {
      const mesh = new THREE.Mesh(new THREE.CylinderGeometry(geom.radius, geom.radius, geom.half_height * 2, 24), material);
      mesh.position.set(...geom.pos);
      // three's cylinders run along y; MuJoCo's along z.
      mesh.rotation.x = Math.PI / 2;
      return mesh;
    }
    case 'box': {
      const mesh = new THREE.Mesh(new THREE.BoxGeometry(geom.half[0] * 2, geom.half[1] * 2, geom.half[2] * 2), material);
      mesh.position.set(...geom.pos);
      return mesh;
    }
  }
}

function setMatrix(object: THREE.Object3D, m: Mat4): void {
  object.matrix.fromArray(m);
  object.matrixWorldNeedsUpdate = true;
}

export class PandaModel implements SceneExtension {
  readonly id = 'robot.panda';
  readonly root = new THREE.Group();
  /** links[0] is the base; links[1..7] follow the joints; then the hand. */
  readonly links: THREE.Group[] = [];
  readonly hand = new THREE.Group();
  private readonly fingers: [THREE.Mesh, THREE.Mesh];

  constructor() {
    this.root.name = 'panda';
    const light = new THREE.MeshLambertMaterial({ color: 0xeeeeee });
    const dark = new THREE.MeshLambertMaterial({ color: 0x404045 });
    const finger = new THREE.MeshLambertMaterial({ color: 0x262626 });
    LINK_GEOMS.forEach((geoms, index) => {
      const link = new THREE.Group();
      link.name = `link${index}`;
      // Poses come straight from forward kinematics as base_from_link matrices.
      link.matrixAutoUpdate = false;
      for (const geom of geoms) link.add(buildGeom(geom, light, dark));
      this.links.push(link);
      this.root.add(link);
    });
    this.hand.name = 'hand';
    this.hand.matrixAutoUpdate = false;
    for (const geom of HAND_GEOMS) this.hand.add(buildGeom(geom, light, dark));
    const makeFinger = () => new THREE.Mesh(new THREE.BoxGeometry(FINGER_HALF[0] * 2, FINGER_HALF[1] * 2, FINGER_HALF[2] * 2), finger);
    this.fingers = [makeFinger(), makeFinger()];
    this.hand.add(...this.fingers);
    this.root.add(this.hand);
  }

  update(state: SceneState, changed: ReadonlySet<keyof SceneState>): void {
    if (changed.has('q_rad')) {
      const frames = pandaFrames(state.q_rad);
      frames.links.forEach((m, i) => {
        const link = this.links[i + 1];
        if (link !== undefined) setMatrix(link, m);
      });
      setMatrix(this.hand, frames.base_from_hand);
    }
    if (changed.has('gripper_width_m')) {
      const half = Math.min(MAX_WIDTH_M, Math.max(0, state.gripper_width_m ?? MAX_WIDTH_M)) / 2;
      const [left, right] = this.fingers;
      left.position.set(0, half + FINGER_HALF[1], FINGER_Z_M + FINGER_HALF[2]);
      right.position.set(0, -(half + FINGER_HALF[1]), FINGER_Z_M + FINGER_HALF[2]);
    }
  }

  /** The world position of the midpoint between the fingertips, for tests and picking. */
  tcpWorldPosition(): THREE.Vector3 {
    this.root.updateMatrixWorld(true);
    return new THREE.Vector3(0, 0, 0.1034).applyMatrix4(this.hand.matrixWorld);
  }

  dispose(): void {
    disposeTree(this.root);
  }
}
