import { useRef, useState } from 'react';
import { UrdfRobot, type PickedFile } from './extensions/urdfRobot';
import type { SceneRenderer } from './SceneRenderer';

/**
 * Swaps the built-in Panda for a user's URDF: pick the robot's description folder (the .urdf and its
 * meshes); the files are read in the browser, nothing is uploaded.
 */
export function RobotModelPicker({ renderer }: { renderer: SceneRenderer | null }) {
  const inputRef = useRef<HTMLInputElement>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [custom, setCustom] = useState(false);

  const showBuiltIn = () => {
    renderer?.removeExtension('robot.urdf');
    const panda = renderer?.extension('robot.panda');
    if (panda !== undefined) panda.root.visible = true;
    renderer?.queueRender();
    setCustom(false);
    setStatus(null);
  };

  const onFiles = async (list: FileList | null) => {
    if (renderer === null || list === null || list.length === 0) return;
    const files = [...list];
    const urdf = files.find((f) => f.name.toLowerCase().endsWith('.urdf'));
    if (urdf === undefined) {
      setStatus('No .urdf file in the picked folder. Pick the folder that holds the robot description and its meshes.');
      return;
    }
    setStatus(`Loading ${urdf.name}…`);
    const picked: PickedFile[] = files.map((f) => ({ path: f.webkitRelativePath || f.name, read: () => f.arrayBuffer() }));
    renderer.removeExtension('robot.urdf');
    const robot = renderer.addExtension('robot.urdf', (host) => new UrdfRobot(host)) as UrdfRobot;
    try {
      await robot.load(await urdf.text(), picked);
      robot.update(renderer.state, new Set(['q_rad', 'gripper_width_m']));
      const panda = renderer.extension('robot.panda');
      if (panda !== undefined) panda.root.visible = false;
      renderer.queueRender();
      setCustom(true);
      setStatus(`${urdf.name}: joints ${robot.jointNames.join(', ')} follow q1…q${robot.jointNames.length}`);
    } catch (error) {
      renderer.removeExtension('robot.urdf');
      setStatus(`Could not load ${urdf.name}: ${(error as Error).message}`);
    }
  };

  return (
    <div className="robot-model-picker">
      <select
        aria-label="Robot model"
        value={custom ? 'urdf' : 'panda'}
        onChange={(event) => (event.currentTarget.value === 'panda' ? showBuiltIn() : inputRef.current?.click())}
        disabled={renderer === null}
      >
        <option value="panda">Built-in Panda / FR3</option>
        <option value="urdf">{custom ? 'Your URDF' : 'Load a URDF folder…'}</option>
      </select>
      <input
        ref={(el) => {
          inputRef.current = el;
          // `webkitdirectory` is not in React's types: set it on the element.
          el?.setAttribute('webkitdirectory', '');
        }}
        type="file"
        multiple
        hidden
        onChange={(event) => void onFiles(event.currentTarget.files)}
      />
      {status !== null && <span className="picker-status">{status}</span>}
    </div>
  );
}
