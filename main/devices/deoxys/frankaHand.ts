import { StudioError } from '../../../shared/api/errors';
import type { DeviceFactory } from '../registry';
import type { Clock, DeviceStatus, Features, Gripper, GripperCommand, GripperState, SentAction } from '../types';
import { clipGripperCommand, InvalidCommandError } from '../../../shared/robot/commandLimits';
import { FRANKA_HAND_LIMITS, type GripperLimits } from '../../../shared/robot/frankaLimits';
import { encodeGripperGrasp, encodeGripperHoming, encodeGripperMove, encodeGripperStop, encodeGripperTermination } from './controlMessages';
import { frankaHandOptionsSchema, type FrankaHandOptions } from './options';
import { deoxysPorts } from './ports';
import { StateCommandLink } from './stateCommandLink';
import { decodeGripperState, type DeoxysGripperState } from './stateMessages';

const NUC_FIX =
  'Check that gripper-interface runs on the NUC (auto_gripper.sh), that its config has PC.IP set to this machine and NUC.IP/ports matching the rig, and that the hand is connected and unlocked in Desk.';

function encodeGripperCommand(command: GripperCommand, homingVia: FrankaHandOptions['homing_via']): Uint8Array {
  switch (command.kind) {
    case 'move':
      return encodeGripperMove(command.width_m, command.speed_m_s);
    case 'grasp':
      return encodeGripperGrasp({
        width_m: command.width_m,
        speed_m_s: command.speed_m_s,
        force_n: command.force_n,
        epsilon_inner_m: command.epsilon_inner_m ?? 0.08,
        epsilon_outer_m: command.epsilon_outer_m ?? 0.08,
      });
    case 'stop':
      return encodeGripperStop();
    case 'homing':
      return homingVia === 'stop-message' ? encodeGripperStop() : encodeGripperHoming();
  }
}

/** The Franka Hand through deoxys's gripper-interface node (spec §1.6). */
export class FrankaHand implements Gripper {
  readonly kind = 'gripper';
  readonly type = 'franka-hand';

  get state_hz(): number {
    return this.options.state_hz;
  }
  private link: StateCommandLink<DeoxysGripperState> | undefined;
  private readonly limits: GripperLimits;

  constructor(
    readonly name: string,
    private readonly options: FrankaHandOptions,
    private readonly clock: Clock,
  ) {
    this.limits = { max_width_m: FRANKA_HAND_LIMITS.max_width_m, max_speed_m_s: options.max_speed_m_s, max_force_n: options.max_force_n };
  }

  private get who(): string {
    return `gripper "${this.name}" (franka-hand)`;
  }

  async connect(): Promise<void> {
    if (this.link !== undefined) return;
    const ports = deoxysPorts(this.options.port_base);
    const link = new StateCommandLink<DeoxysGripperState>({
      who: this.who,
      command_endpoint: `tcp://${this.options.bind_ip}:${ports.GRIPPER_SUB_PORT}`,
      state_endpoint: `tcp://${this.options.nuc_ip}:${ports.GRIPPER_PUB_PORT}`,
      decode: decodeGripperState,
      clock: this.clock,
      stale_after_ms: this.options.state_timeout_ms,
      stale_fix: NUC_FIX,
    });
    await link.open();
    try {
      const state = await link.waitForState(this.options.connect_timeout_ms, NUC_FIX);
      await link.waitForCommandSubscriber(
        this.options.connect_timeout_ms,
        "Set PC.IP in the NUC's deoxys config to this machine's address on the robot network (the NUC connects to it), and allow incoming TCP on the gripper command port.",
      );
      this.limits.max_width_m = Math.min(FRANKA_HAND_LIMITS.max_width_m, state.max_width_m);
    } catch (error) {
      await link.close();
      throw error;
    }
    this.link = link;
  }

  async disconnect(): Promise<void> {
    const link = this.link;
    if (link === undefined) return;
    this.link = undefined;
    if (this.options.terminate_on_disconnect) await link.send(encodeGripperTermination()).catch(() => undefined);
    await link.close();
  }

  status(): DeviceStatus {
    return this.link?.status() ?? { connected: false };
  }

  onStatusChange(listener: (status: DeviceStatus) => void): () => void {
    if (this.link === undefined) throw new Error(`${this.who}: connect() before listening for status`);
    return this.link.onStatusChange(listener);
  }

  onState(listener: (state: GripperState) => void): () => void {
    if (this.link === undefined) throw new Error(`${this.who}: connect() before listening for state`);
    return this.link.onState((state, capture_ns) => listener(this.toGripperState(state, capture_ns)));
  }

  features(): Features {
    return {
      width_m: { dtype: 'float64', shape: [1], unit: 'm' },
      is_grasped: { dtype: 'bool', shape: [1] },
    };
  }

  private toGripperState(state: DeoxysGripperState, capture_ns: bigint): GripperState {
    return {
      capture_ns,
      width_m: state.width_m,
      max_width_m: state.max_width_m,
      is_grasped: state.is_grasped,
      detail: { temperature_c: state.temperature_c, time_s: state.time_s },
    };
  }

  latest(): GripperState | undefined {
    const latest = this.link?.latest();
    return latest === undefined ? undefined : this.toGripperState(latest.state, latest.capture_ns);
  }

  async sendAction(command: GripperCommand): Promise<SentAction<GripperCommand>> {
    const link = this.link;
    if (link === undefined)
      throw new StudioError({ code: 'failed_precondition', message: `${this.who} is not connected`, fix: 'Connect the rig first.' });
    let action: SentAction<GripperCommand>;
    try {
      action = clipGripperCommand(command, this.limits);
    } catch (error) {
      if (error instanceof InvalidCommandError) throw new StudioError({ code: 'invalid_params', message: `${this.who}: ${error.message}` });
      throw error;
    }
    await link.send(encodeGripperCommand(action.sent, this.options.homing_via));
    return action;
  }
}

export const frankaHandFactory: DeviceFactory<typeof frankaHandOptionsSchema> = {
  kind: 'gripper',
  type: 'franka-hand',
  summary: 'Franka Hand through deoxys (gripper-interface on the real-time PC)',
  options: frankaHandOptionsSchema,
  create: (options, context) => new FrankaHand(context.name, options, context.clock),
};
