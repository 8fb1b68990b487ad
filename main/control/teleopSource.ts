import type { Teleop } from '../devices/types';
import { ZERO_DELTA, type ActionSource, type SourceObservation, type SourceStep } from './actionSource';
import { DEFAULT_MAPPER, mapTeleop, type MapperConfig, type MappedIntent } from './teleopMapper';

/**
 * Teleop devices as an action source: the freshest device's raw state (`TeleopMux`) through the one
 * shared mapper. Cartesian input is a motion of the loop's target pose; a leader arm's joint targets
 * are commands. Input older than the rig's timeout stops the arm (the loop's safety layer decides).
 */
export class TeleopSource implements ActionSource {
  readonly kind = 'teleop';

  constructor(
    readonly teleop: Teleop,
    private readonly mapper: MapperConfig = DEFAULT_MAPPER,
  ) {}

  next({ t_ns, arm, period_s }: SourceObservation): SourceStep {
    const input = this.teleop.latest();
    const input_age_ms = input === undefined ? null : Number(t_ns - input.capture_ns) / 1e6;
    if (input?.q_rad !== undefined) {
      const intent: MappedIntent = { arm: ZERO_DELTA, ...(input.gripper !== undefined ? { gripper: input.gripper } : {}) };
      return { mode: 'command', arm: { kind: 'joint_position', q_rad: input.q_rad }, input_age_ms, intent, ...gripperOf(intent) };
    }
    if (input === undefined) return { mode: 'motion', arm: ZERO_DELTA, input_age_ms };
    const intent = mapTeleop(input, arm.ee_quaternion_wxyz, period_s, this.mapper);
    return { mode: 'motion', arm: intent.arm, input_age_ms, intent, ...gripperOf(intent) };
  }

  done(): boolean {
    return false;
  }

  onInput(listener: () => void): (() => void) | undefined {
    return this.teleop.onState?.(listener);
  }
}

function gripperOf(intent: MappedIntent): Pick<SourceStep, 'gripper'> {
  return intent.gripper !== undefined ? { gripper: { intent: intent.gripper } } : {};
}
