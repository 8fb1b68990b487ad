import { CameraFrusta } from './extensions/cameraFrusta';
import { EndEffector } from './extensions/endEffector';
import { Environment } from './extensions/environment';
import { ForesightOverlay } from './extensions/foresightOverlay';
import { PandaModel } from './extensions/pandaModel';
import { PointCloud } from './extensions/pointCloud';
import { SimObjects } from './extensions/simObjects';
import { WorkspaceBox } from './extensions/workspaceBox';
import type { SceneExtensionFactory } from './sceneTypes';

/**
 * The registry of what the 3D view draws (after Foxglove's SceneExtensionConfig). Ids are stable:
 * the UI looks extensions up by id (e.g. to swap the built-in Panda for a user's URDF).
 */
export const DEFAULT_SCENE_EXTENSIONS: Readonly<Record<string, SceneExtensionFactory>> = {
  environment: () => new Environment(),
  'robot.panda': () => new PandaModel(),
  'sim-objects': () => new SimObjects(),
  workspace: () => new WorkspaceBox(),
  'end-effector': () => new EndEffector(),
  'camera-frusta': () => new CameraFrusta(),
  'point-cloud': (host) => new PointCloud(host),
  foresight: (host) => new ForesightOverlay(host),
};
