import * as THREE from 'three';
import type { CameraConfig, Pose } from '../../../../shared/rig/rigConfig';
import { disposeTree } from '../disposeTree';
import { pandaFrames } from '../../../../shared/robot/frankaKinematics';
import type { SceneExtension, SceneState } from '../sceneTypes';

const DEPTH_M = 0.12;

function poseMatrix(pose: Pose): THREE.Matrix4 {
  const [w, x, y, z] = pose.rotation_wxyz;
  return new THREE.Matrix4().compose(
    new THREE.Vector3(...pose.translation_m),
    new THREE.Quaternion(x, y, z, w),
    new THREE.Vector3(1, 1, 1),
  );
}

/** A pyramid in the camera's OpenCV frame (x right, y down, z along the optical axis). */
function frustumGeometry(camera: CameraConfig): THREE.BufferGeometry {
  const fx = camera.intrinsics?.fx_px ?? camera.width_px;
  const fy = camera.intrinsics?.fy_px ?? camera.width_px;
  const cx = camera.intrinsics?.cx_px ?? camera.width_px / 2;
  const cy = camera.intrinsics?.cy_px ?? camera.height_px / 2;
  const corner = (u: number, v: number) => [((u - cx) / fx) * DEPTH_M, ((v - cy) / fy) * DEPTH_M, DEPTH_M];
  const c = [corner(0, 0), corner(camera.width_px, 0), corner(camera.width_px, camera.height_px), corner(0, camera.height_px)];
  const o = [0, 0, 0];
  const lines = [o, c[0], o, c[1], o, c[2], o, c[3], c[0], c[1], c[1], c[2], c[2], c[3], c[3], c[0]];
  // The short tick on the top edge tells up from down.
  const top = [(c[0]![0]! + c[1]![0]!) / 2, c[0]![1]! * 1.25, DEPTH_M];
  lines.push(c[0]!, top, top, c[1]!);
  return new THREE.BufferGeometry().setAttribute('position', new THREE.Float32BufferAttribute(lines.flat() as number[], 3));
}

/** Each configured camera as a frustum; wrist cameras ride on the flange. */
export class CameraFrusta implements SceneExtension {
  readonly id = 'camera-frusta';
  readonly root = new THREE.Group();
  private readonly material = new THREE.LineBasicMaterial({ color: 0xc792ea });
  private wrist: { object: THREE.Object3D; flange_from_camera: THREE.Matrix4 }[] = [];

  update(state: SceneState, changed: ReadonlySet<keyof SceneState>): void {
    if (changed.has('cameras')) {
      for (const child of [...this.root.children]) {
        this.root.remove(child);
        (child as THREE.LineSegments).geometry.dispose();
      }
      this.wrist = [];
      for (const camera of state.cameras) {
        const lines = new THREE.LineSegments(frustumGeometry(camera), this.material);
        lines.name = `camera:${camera.name}`;
        lines.matrixAutoUpdate = false;
        if (camera.world_from_camera !== undefined) lines.matrix.copy(poseMatrix(camera.world_from_camera));
        else if (camera.flange_from_camera !== undefined)
          this.wrist.push({ object: lines, flange_from_camera: poseMatrix(camera.flange_from_camera) });
        else continue;
        this.root.add(lines);
      }
    }
    if ((changed.has('q_rad') || changed.has('cameras')) && this.wrist.length > 0) {
      const base_from_flange = new THREE.Matrix4().fromArray(pandaFrames(state.q_rad).base_from_flange);
      for (const { object, flange_from_camera } of this.wrist) {
        object.matrix.multiplyMatrices(base_from_flange, flange_from_camera);
        object.matrixWorldNeedsUpdate = true;
      }
    }
  }

  dispose(): void {
    disposeTree(this.root);
  }
}
