import type { RigRuntime } from '../../runtime/rigRuntime';
import type { HandlerGroup } from './group';

type LiveHandlers = Omit<HandlerGroup<'rig'>, 'rig.get' | 'rig.validate' | 'rig.apply'> & HandlerGroup<'sim'> & HandlerGroup<'teleop'> & HandlerGroup<'control'> & HandlerGroup<'recording'>;

/** The live rig: devices, e-stop, teleop input and the recording lifecycle. */
export function liveHandlers(runtime: RigRuntime): LiveHandlers {
  return {
    'rig.status': () => runtime.status(),
    'rig.start': () => runtime.start(),
    'rig.stop': () => runtime.stop(),
    'sim.reset': async ({ seed }) => ({ seed: await runtime.simReset(seed ?? Math.floor(Math.random() * 0xffffffff)) }),
    'teleop.keys': ({ keys }) => {
      runtime.teleopKeys(keys);
      return {};
    },
    'teleop.gamepad': (sample) => {
      runtime.teleopGamepad(sample);
      return {};
    },
    'control.estop': async () => ({ estopped: await runtime.estop() }),
    'control.release': async () => ({ estopped: await runtime.releaseEstop() }),
    'recording.status': () => runtime.recordingStatus(),
    'recording.start': async ({ task, operator }) => ({ episode_id: await runtime.startRecording(task, operator) }),
    'recording.stop': () => runtime.stopRecording(),
    'recording.save': async ({ outcome }) => ({ episode_id: await runtime.saveRecording(outcome) }),
    'recording.discard': async () => ({ episode_id: await runtime.discardRecording() }),
    'recording.rerecord': async () => ({ episode_id: await runtime.rerecord() }),
  };
}
