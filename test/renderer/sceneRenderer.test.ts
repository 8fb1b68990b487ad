import * as THREE from 'three';
import { describe, expect, test, vi } from 'vitest';
import { PandaModel } from '../../renderer/src/scene/extensions/pandaModel';
import type { EndEffector } from '../../renderer/src/scene/extensions/endEffector';
import type { SimObjects } from '../../renderer/src/scene/extensions/simObjects';
import type { PointCloud } from '../../renderer/src/scene/extensions/pointCloud';
import { PANDA_Q_HOME_RAD } from '../../shared/robot/frankaKinematics';
import { SceneRenderer } from '../../renderer/src/scene/SceneRenderer';
import type { RenderTarget, SceneExtension } from '../../renderer/src/scene/sceneTypes';

/** Stands in for THREE.WebGLRenderer (as Foxglove's tests stub it): the scene graph stays real. */
function stubTarget() {
  const target = {
    render: vi.fn<RenderTarget['render']>(),
    setSize: vi.fn<RenderTarget['setSize']>(),
    dispose: vi.fn<RenderTarget['dispose']>(),
  };
  return target satisfies RenderTarget;
}

/** Frames run when the test says so. */
function manualFrames() {
  const queue: (() => void)[] = [];
  return {
    requestFrame: (callback: () => void) => queue.push(callback),
    flush: () => queue.splice(0).forEach((callback) => callback()),
    pending: () => queue.length,
  };
}

describe('SceneRenderer', () => {
  test('builds the default extensions without a canvas and renders on demand, once per frame', () => {
    const target = stubTarget();
    const frames = manualFrames();
    const renderer = new SceneRenderer({ target, requestFrame: frames.requestFrame });
    expect(renderer.extension('robot.panda')).toBeInstanceOf(PandaModel);
    expect(frames.pending()).toBe(1);
    renderer.setState({ q_rad: [0, 0, 0, 0, 0, 0, 0] });
    renderer.setState({ gripper_width_m: 0.02 });
    expect(frames.pending()).toBe(1);
    frames.flush();
    expect(target.render).toHaveBeenCalledTimes(1);
    // An unchanged patch costs nothing.
    renderer.setState({ gripper_width_m: 0.02 });
    expect(frames.pending()).toBe(0);
  });

  test('the drawn Panda follows forward kinematics: fingertip midpoint at the home TCP', () => {
    const renderer = new SceneRenderer({ target: stubTarget(), requestFrame: () => undefined });
    renderer.setState({ q_rad: [...PANDA_Q_HOME_RAD] });
    const panda = renderer.extension<PandaModel>('robot.panda')!;
    const tcp = panda.tcpWorldPosition();
    expect(tcp.x).toBeCloseTo(0.307, 3);
    expect(tcp.y).toBeCloseTo(0, 6);
    expect(tcp.z).toBeCloseTo(0.4869, 3);
    // Link 7 sits 0.107 m above the flange: at home the flange is at z 0.590, so link 7 at 0.697.
    renderer.scene.updateMatrixWorld(true);
    const link7 = new THREE.Vector3().setFromMatrixPosition(panda.links[7]!.matrixWorld);
    expect(link7.z).toBeCloseTo(0.5903 + 0.107, 3);
  });

  test('the end-effector frame uses the reported pose when there is one, else forward kinematics', () => {
    const renderer = new SceneRenderer({ target: stubTarget(), requestFrame: () => undefined });
    const ee = renderer.extension<EndEffector>('end-effector')!;
    renderer.setState({ q_rad: [0, 0, 0, 0, 0, 0, 0] });
    expect(ee.frame.position.x).toBeCloseTo(0.088, 6);
    expect(ee.frame.position.z).toBeCloseTo(0.926 - 0.1034, 6);
    renderer.setState({ ee_position_m: [0.4, 0.1, 0.2], ee_quaternion_wxyz: [1, 0, 0, 0] });
    expect(ee.frame.position.toArray()).toEqual([0.4, 0.1, 0.2]);
  });

  test('sim objects are added, moved and removed by name', () => {
    const renderer = new SceneRenderer({ target: stubTarget(), requestFrame: () => undefined });
    const objects = renderer.extension<SimObjects>('sim-objects')!;
    const cube = {
      name: 'cube',
      position_m: [0.5, 0, 0.025] as [number, number, number],
      quaternion_wxyz: [1, 0, 0, 0] as [number, number, number, number],
      rgb: [1, 0, 0] as [number, number, number],
      size_m: 0.05,
    };
    renderer.setState({ objects: [cube] });
    expect(objects.root.getObjectByName('cube')?.position.x).toBe(0.5);
    renderer.setState({ objects: [] });
    expect(objects.root.getObjectByName('cube')).toBeUndefined();
  });

  test('extensions register through the registry, are looked up by id and disposed with the renderer', () => {
    const disposed: string[] = [];
    const custom = (id: string): SceneExtension => ({ id, root: new THREE.Group(), update: vi.fn(), dispose: () => disposed.push(id) });
    const target = stubTarget();
    const renderer = new SceneRenderer({ target, requestFrame: () => undefined, extensions: { a: () => custom('a') } });
    renderer.addExtension('b', () => custom('b'));
    expect(() => renderer.addExtension('b', () => custom('b'))).toThrow(/twice/);
    const b = renderer.extension('b')!;
    renderer.setState({ clipped: true });
    expect(b.update).toHaveBeenLastCalledWith(expect.objectContaining({ clipped: true }), new Set(['clipped']));
    renderer.dispose();
    expect(disposed).toEqual(['a', 'b']);
    expect(target.dispose).toHaveBeenCalled();
  });

  test('the point cloud reuses its buffer while the count fits', () => {
    const renderer = new SceneRenderer({ target: stubTarget(), requestFrame: () => undefined });
    const cloud = renderer.extension<PointCloud>('point-cloud')!;
    cloud.setPoints(new Float32Array(300), new Float32Array(300));
    const buffer = cloud.root.geometry.getAttribute('position');
    cloud.setPoints(new Float32Array(150), new Float32Array(150));
    expect(cloud.root.geometry.getAttribute('position')).toBe(buffer);
    expect(cloud.root.geometry.drawRange.count).toBe(50);
  });
});
