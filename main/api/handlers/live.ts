import type { RigRuntime } from '../../runtime/rigRuntime';
import type { HandlerGroup } from './group';

type LiveHandlers = Omit<HandlerGroup<'rig'>, 'rig.get' | 'rig.validate' | 'rig.apply'> &
  HandlerGroup<'sim'> &
  HandlerGroup<'teleop'> &
  HandlerGroup<'control'> &
  HandlerGroup<'recording'>;

/** The live rig: devices, e-stop, teleop input and the recording lifecycle. */
export function liveHandlers({ lifecycle, input, recording }: Pick<RigRuntime, 'lifecycle' | 'input' | 'recording'>): LiveHandlers {
  return {
    'rig.status': () => lifecycle.status(),
    'rig.start': () => lifecycle.start(),
    'rig.stop': () => lifecycle.stop(),
    'sim.reset': async ({ seed }) => ({ seed: await input.simReset(seed ?? Math.floor(Math.random() * 0xffffffff)) }),
    'teleop.keys': ({ keys }) => {
      input.keys(keys);
      return {};
    },
    'teleop.gamepad': (sample) => {
      input.gamepad(sample);
      return {};
    },
    'control.estop': async () => ({ estopped: await lifecycle.estop() }),
    'control.release': async () => ({ estopped: await lifecycle.releaseEstop() }),
    'recording.status': () => recording.status(),
    'recording.start': async ({ task, operator }) => ({ episode_id: await recording.start(task, operator) }),
    'recording.stop': () => recording.stop(),
    'recording.save': async ({ outcome }) => ({ episode_id: await recording.save(outcome) }),
    'recording.discard': async () => ({ episode_id: await recording.discard() }),
    'recording.rerecord': async () => ({ episode_id: await recording.rerecord() }),
  };
}
