import sceneXml from './assets/franka_scene.xml?raw';

/** The built-in MJCF scene (Franka Panda + hand, table, cube, target), bundled as text. */
export const DEFAULT_SCENE_XML: string = sceneXml;
export const DEFAULT_SCENE_NAME = 'franka_scene.xml';
