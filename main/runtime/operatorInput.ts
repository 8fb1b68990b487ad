import { StudioError } from '../../shared/api/errors';
import type { GamepadSample } from '../devices/gamepad/gamepadTeleop';
import type { Clock } from '../devices/types';
import type { RigLifecycle } from './rigLifecycle';

/** The operator's input from the UI to the running rig: held keys, a gamepad, a simulated world's reset. */
export class OperatorInput {
  constructor(
    private readonly lifecycle: RigLifecycle,
    private readonly clock: Clock,
  ) {}

  /** Held keys from the UI, stamped now; the control worker's keyboard device turns them into teleop. */
  keys(keys: readonly string[]): void {
    const run = this.lifecycle.need();
    if (!run.started.teleop.some((device) => device.type === 'keyboard'))
      throw new StudioError({
        code: 'failed_precondition',
        message: 'the rig has no keyboard teleop device',
        fix: 'Add { "type": "keyboard" } to the rig config\'s "teleop" list.',
      });
    run.control.input({ input: 'keys', keys: [...keys], capture_ns: this.clock.now_ns() });
  }

  gamepad(sample: GamepadSample): void {
    const run = this.lifecycle.need();
    if (!run.started.teleop.some((device) => device.type === 'gamepad'))
      throw new StudioError({
        code: 'failed_precondition',
        message: 'the rig has no gamepad teleop device',
        fix: 'Add { "type": "gamepad" } to the rig config\'s "teleop" list.',
      });
    run.control.input({
      input: 'gamepad',
      sample: { axes: [...sample.axes], buttons: [...sample.buttons] },
      capture_ns: this.clock.now_ns(),
    });
  }

  async simReset(seed: number): Promise<number> {
    const run = this.lifecycle.need();
    if (run.sim === undefined)
      throw new StudioError({ code: 'failed_precondition', message: 'sim.reset needs a simulated rig (arm type sim-arm)' });
    await run.sim.reset(seed);
    return seed;
  }
}
