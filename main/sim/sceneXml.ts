import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { StudioError } from '../../shared/api/errors';
import sceneXml from './assets/franka_scene.xml?raw';

/** The built-in MJCF scene (Franka Panda + hand, table, cube, target), bundled as text. */
export const DEFAULT_SCENE_XML: string = sceneXml;
export const DEFAULT_SCENE_NAME = 'franka_scene.xml';

/** The MJCF text to load: a user's file when given, else the built-in scene. `file` names it in errors. */
export function readSceneModel(path: string | undefined): { xml: string; file: string } {
  if (path === undefined) return { xml: DEFAULT_SCENE_XML, file: DEFAULT_SCENE_NAME };
  try {
    return { xml: readFileSync(path, 'utf8'), file: resolve(path) };
  } catch (error) {
    throw new StudioError({
      code: 'failed_precondition',
      message: `cannot read the MuJoCo model ${path}: ${(error as Error).message}`,
      fix: 'Point it at an MJCF file, or leave it out to use the built-in scene.',
    });
  }
}
