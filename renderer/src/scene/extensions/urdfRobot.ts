import * as THREE from 'three';
import { ColladaLoader } from 'three/examples/jsm/loaders/ColladaLoader.js';
import { STLLoader } from 'three/examples/jsm/loaders/STLLoader.js';
import URDFLoader, { type URDFJoint, type URDFRobot } from 'urdf-loader';
import { disposeTree } from '../disposeTree';
import type { SceneExtension, SceneState } from '../sceneTypes';

/** A file the user picked, with its path inside the picked folder (e.g. `franka_description/meshes/link0.stl`). */
export interface PickedFile {
  path: string;
  read(): Promise<ArrayBuffer>;
}

function findFile(files: readonly PickedFile[], wanted: string): PickedFile | undefined {
  const suffix = wanted.replace(/^\.?\//, '').replace(/\\/g, '/');
  // Meshes are referenced as package://pkg/meshes/x.stl or relative paths; the folder layout differs
  // between users, so match on the longest path suffix.
  return (
    files.find((f) => f.path === suffix) ??
    files.find((f) => f.path.endsWith(`/${suffix}`)) ??
    files.find((f) => suffix.endsWith(f.path.split('/').slice(1).join('/')))
  );
}

/**
 * A user's robot from a URDF with meshes (STL or COLLADA), read from picked files — no network or
 * file URLs, so it works under the strict CSP. The first seven movable joints take `q_rad` in order;
 * prismatic finger joints take half the gripper width.
 */
export class UrdfRobot implements SceneExtension {
  readonly id = 'robot.urdf';
  readonly root = new THREE.Group();
  private robot: URDFRobot | undefined;
  private armJoints: URDFJoint[] = [];
  private fingerJoints: URDFJoint[] = [];

  constructor(private readonly host: { queueRender(): void }) {
    this.root.name = 'urdf-robot';
  }

  get jointNames(): string[] {
    return this.armJoints.map((joint) => joint.name);
  }

  /** Parses the URDF and loads its meshes; resolves when every mesh is in, rejects naming the missing file. */
  async load(urdfText: string, files: readonly PickedFile[]): Promise<void> {
    const manager = new THREE.LoadingManager();
    const loader = new URDFLoader(manager);
    loader.packages = (pkg: string) => pkg;
    const pending: Promise<void>[] = [];
    const missing: string[] = [];
    loader.loadMeshCb = (path, _manager, material, done) => {
      const file = findFile(files, path);
      if (file === undefined) {
        missing.push(path);
        done(new THREE.Object3D());
        return;
      }
      pending.push(
        file.read().then((bytes) => {
          if (/\.stl$/i.test(path)) {
            done(new THREE.Mesh(new STLLoader().parse(bytes), material));
          } else if (/\.dae$/i.test(path)) {
            const collada = new ColladaLoader().parse(new TextDecoder().decode(bytes), '');
            done(collada?.scene ?? new THREE.Object3D());
          } else {
            missing.push(`${path} (only .stl and .dae meshes are supported)`);
            done(new THREE.Object3D());
          }
        }),
      );
    };
    const robot = loader.parse(urdfText);
    await Promise.all(pending);
    if (missing.length > 0)
      throw new Error(`mesh files not found among the picked files: ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? '…' : ''}`);
    this.clear();
    this.robot = robot;
    const movable = Object.values(robot.joints).filter((joint) => joint.jointType !== 'fixed');
    this.armJoints = movable.filter((joint) => joint.jointType === 'revolute' || joint.jointType === 'continuous').slice(0, 7);
    this.fingerJoints = movable.filter((joint) => joint.jointType === 'prismatic');
    if (this.armJoints.length === 0) throw new Error('the URDF has no revolute joints to drive');
    this.root.add(robot);
    this.host.queueRender();
  }

  update(state: SceneState, changed: ReadonlySet<keyof SceneState>): void {
    if (this.robot === undefined) return;
    if (changed.has('q_rad')) this.armJoints.forEach((joint, i) => joint.setJointValue(state.q_rad[i] ?? 0));
    if (changed.has('gripper_width_m') && state.gripper_width_m !== null) {
      for (const joint of this.fingerJoints) joint.setJointValue(state.gripper_width_m / 2);
    }
  }

  private clear(): void {
    if (this.robot === undefined) return;
    this.root.remove(this.robot);
    disposeTree(this.robot);
    this.robot = undefined;
  }

  dispose(): void {
    this.clear();
  }
}
