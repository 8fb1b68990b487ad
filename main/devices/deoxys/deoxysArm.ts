import { setTimeout as delay } from 'node:timers/promises';
import { StudioError } from '../../../shared/api/errors';
import {
  axisAngleFromRotation,
  mat4Rotation,
  mat4Translation,
  quaternionFromRotation,
  rotationFromQuaternion,
} from '../../../shared/robot/rotation';
import type { DeviceFactory } from '../registry';
import type { Arm, ArmCommand, ArmState, Clock, DeviceStatus, Features, SentAction } from '../types';
import { clipArmCommand, InvalidCommandError, type ArmCommandLimits } from '../../../shared/robot/commandLimits';
import {
  ControllerType,
  DEOXYS_DEFAULT_SETTINGS,
  encodeArmTermination,
  encodeJointImpedance,
  encodeJointPosition,
  encodeNoControl,
  encodeOscPose,
} from './controlMessages';
import { deoxysArmOptionsSchema, type DeoxysArmOptions } from './options';
import { deoxysPorts } from './ports';
import { StateCommandLink } from './stateCommandLink';
import { decodeRobotState, type DeoxysRobotState } from './stateMessages';

const JOINT_NAMES = ['joint1', 'joint2', 'joint3', 'joint4', 'joint5', 'joint6', 'joint7'];

const NUC_FIX =
  'Check that franka-interface runs on the NUC (auto_arm.sh), that its config has PC.IP set to this machine and NUC.IP/ports matching the rig, and the Ethernet link between the two.';

const PC_IP_FIX =
  "Set PC.IP in the NUC's deoxys config to this machine's address on the robot network (the NUC connects to it), and allow incoming TCP on the command port.";

export function armStateFromDeoxys(state: DeoxysRobotState, capture_ns: bigint): ArmState {
  const rotation = mat4Rotation(state.O_T_EE);
  return {
    capture_ns,
    q_rad: state.q,
    dq_rad_s: state.dq,
    ...(state.tau_J.length === 7 ? { tau_nm: state.tau_J } : {}),
    base_from_ee: state.O_T_EE,
    ee_position_m: mat4Translation(state.O_T_EE),
    ee_quaternion_wxyz: quaternionFromRotation(rotation),
  };
}

function controllerOf(command: ArmCommand): number {
  switch (command.kind) {
    case 'ee_delta':
    case 'ee_pose':
      return ControllerType.OSC_POSE;
    case 'joint_position':
      return ControllerType.JOINT_POSITION;
    case 'joint_impedance':
      return ControllerType.JOINT_IMPEDANCE;
  }
}

/** The message for a (clipped) command, and the one that holds the robot where that command leaves it. */
function encodeCommand(command: ArmCommand): { message: Uint8Array; hold: Uint8Array } {
  const settings = DEOXYS_DEFAULT_SETTINGS;
  switch (command.kind) {
    case 'ee_delta':
      return {
        message: encodeOscPose(
          { is_delta: true, translation_m: command.translation_m, rotation_axis_angle_rad: command.rotation_axis_angle_rad },
          settings,
        ),
        hold: encodeOscPose({ is_delta: true, translation_m: [0, 0, 0], rotation_axis_angle_rad: [0, 0, 0] }, settings),
      };
    case 'ee_pose': {
      const message = encodeOscPose(
        {
          is_delta: false,
          translation_m: command.position_m,
          rotation_axis_angle_rad: axisAngleFromRotation(rotationFromQuaternion(command.quaternion_wxyz)),
        },
        settings,
      );
      return { message, hold: message };
    }
    case 'joint_position': {
      const message = encodeJointPosition(command.q_rad, settings);
      return { message, hold: message };
    }
    case 'joint_impedance': {
      const message = encodeJointImpedance(command.q_rad, settings);
      return { message, hold: message };
    }
  }
}

/**
 * A Franka arm through deoxys's franka-interface on the NUC (spec §1). Commands are clipped, then
 * sent at once; while idle a hold message goes out at the policy rate so the NUC's 20-empty-polls
 * watchdog never fires; a controller change is preceded by the NO_CONTROL burst deoxys needs.
 */
export class DeoxysArm implements Arm {
  readonly kind = 'arm';
  readonly type = 'deoxys';
  readonly dof = 7;

  get state_hz(): number {
    return this.options.state_hz;
  }
  private link: StateCommandLink<DeoxysRobotState> | undefined;
  private activeController: number | undefined;
  private holdMessage: Uint8Array | undefined;
  private lastSend_ns = 0n;
  private keepAlive: NodeJS.Timeout | undefined;
  /** Serialises sendAction, so a controller switch and the commands after it stay in order. */
  private queue: Promise<unknown> = Promise.resolve();
  private switching = false;
  private readonly limits: ArmCommandLimits;

  constructor(
    readonly name: string,
    private readonly options: DeoxysArmOptions,
    private readonly clock: Clock,
  ) {
    this.limits = options.limits;
  }

  private get period_ms(): number {
    return 1000 / this.options.policy_rate_hz;
  }

  private get who(): string {
    return `arm "${this.name}" (deoxys)`;
  }

  async connect(): Promise<void> {
    if (this.link !== undefined) return;
    const ports = deoxysPorts(this.options.port_base);
    const link = new StateCommandLink<DeoxysRobotState>({
      who: this.who,
      command_endpoint: `tcp://${this.options.bind_ip}:${ports.SUB_PORT}`,
      state_endpoint: `tcp://${this.options.nuc_ip}:${ports.PUB_PORT}`,
      decode: decodeRobotState,
      clock: this.clock,
      stale_after_ms: this.options.state_timeout_ms,
      stale_fix: `Teleop is stopped. ${NUC_FIX} The node restarts itself after a termination or its own watchdog; state resumes within a few seconds.`,
    });
    await link.open();
    try {
      await link.waitForState(this.options.connect_timeout_ms, NUC_FIX);
      await link.waitForCommandSubscriber(this.options.connect_timeout_ms, PC_IP_FIX);
    } catch (error) {
      await link.close();
      throw error;
    }
    this.link = link;
    this.keepAlive = setInterval(() => this.sendHoldIfIdle(), this.period_ms / 2);
    this.keepAlive.unref();
  }

  private sendHoldIfIdle(): void {
    const link = this.link;
    if (link === undefined || this.switching || this.holdMessage === undefined) return;
    const idle_ms = Number(this.clock.now_ns() - this.lastSend_ns) / 1e6;
    // A hold sent right after a command could replace it in the NUC's conflated queue: wait a period.
    if (idle_ms < this.period_ms * 0.95) return;
    this.lastSend_ns = this.clock.now_ns();
    void link.send(this.holdMessage).catch(() => undefined);
  }

  async disconnect(): Promise<void> {
    const link = this.link;
    if (link === undefined) return;
    if (this.keepAlive !== undefined) clearInterval(this.keepAlive);
    await this.queue.catch(() => undefined);
    if (this.options.terminate_on_disconnect && this.activeController !== undefined) {
      await link.send(encodeArmTermination(this.activeController)).catch(() => undefined);
    }
    this.link = undefined;
    this.activeController = undefined;
    this.holdMessage = undefined;
    await link.close();
  }

  status(): DeviceStatus {
    return this.link?.status() ?? { connected: false };
  }

  onStatusChange(listener: (status: DeviceStatus) => void): () => void {
    if (this.link === undefined) throw new Error(`${this.who}: connect() before listening for status`);
    return this.link.onStatusChange(listener);
  }

  onState(listener: (state: ArmState) => void): () => void {
    if (this.link === undefined) throw new Error(`${this.who}: connect() before listening for state`);
    return this.link.onState((state, capture_ns) => listener(armStateFromDeoxys(state, capture_ns)));
  }

  features(): Features {
    return {
      q_rad: { dtype: 'float64', shape: [7], names: JOINT_NAMES, unit: 'rad' },
      dq_rad_s: { dtype: 'float64', shape: [7], names: JOINT_NAMES, unit: 'rad/s' },
      tau_nm: { dtype: 'float64', shape: [7], names: JOINT_NAMES, unit: 'N·m' },
      base_from_ee: { dtype: 'float64', shape: [16], unit: '4×4 column-major, m' },
      ee_position_m: { dtype: 'float64', shape: [3], names: ['x', 'y', 'z'], unit: 'm' },
      ee_quaternion_wxyz: { dtype: 'float64', shape: [4], names: ['w', 'x', 'y', 'z'] },
    };
  }

  latest(): ArmState | undefined {
    const latest = this.link?.latest();
    return latest === undefined ? undefined : armStateFromDeoxys(latest.state, latest.capture_ns);
  }

  /** The raw deoxys state (robot mode, errors, frame counter) for diagnostics. */
  latestRaw(): DeoxysRobotState | undefined {
    return this.link?.latest()?.state;
  }

  stats(): {
    state_hz: number;
    commands_sent: number;
    states_received: number;
    decode_errors: number;
    last_decode_error: string | undefined;
  } {
    const subscriber = this.link?.subscriberStats();
    return {
      state_hz: this.link?.state_hz() ?? 0,
      commands_sent: this.link?.commandsSent() ?? 0,
      states_received: subscriber?.received ?? 0,
      decode_errors: subscriber?.decode_errors ?? 0,
      last_decode_error: subscriber?.last_decode_error,
    };
  }

  sendAction(command: ArmCommand): Promise<SentAction<ArmCommand>> {
    const result = this.queue.then(() => this.send(command));
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async send(command: ArmCommand): Promise<SentAction<ArmCommand>> {
    const link = this.link;
    if (link === undefined)
      throw new StudioError({ code: 'failed_precondition', message: `${this.who} is not connected`, fix: 'Connect the rig first.' });
    const status = link.status();
    if (status.error !== undefined)
      throw new StudioError({
        code: 'unavailable',
        message: status.error.message,
        ...(status.error.fix === undefined ? {} : { fix: status.error.fix }),
      });
    let action: SentAction<ArmCommand>;
    try {
      const state = this.latest();
      // OSC has no ramp of its own: an absolute goal is limited as a step from the measured pose.
      if (command.kind === 'ee_pose' && state === undefined)
        throw new InvalidCommandError('ee_pose needs the measured pose first (no robot state yet)');
      action = clipArmCommand(command, state, this.limits);
    } catch (error) {
      if (error instanceof InvalidCommandError) throw new StudioError({ code: 'invalid_params', message: `${this.who}: ${error.message}` });
      throw error;
    }
    const controller = controllerOf(action.sent);
    if (controller !== this.activeController) await this.switchController(link, controller);
    const { message, hold } = encodeCommand(action.sent);
    this.lastSend_ns = this.clock.now_ns();
    this.holdMessage = hold;
    await link.send(message);
    return action;
  }

  /** deoxys starts a new controller only from NO_CONTROL: Python's `preprocess()` burst, at the policy rate. */
  private async switchController(link: StateCommandLink<DeoxysRobotState>, controller: number): Promise<void> {
    this.switching = true;
    try {
      const noControl = encodeNoControl();
      for (let i = 0; i < this.options.controller_switch_messages; i++) {
        this.lastSend_ns = this.clock.now_ns();
        await link.send(noControl);
        await delay(this.period_ms);
      }
      this.activeController = controller;
    } finally {
      this.switching = false;
    }
  }
}

export const deoxysArmFactory: DeviceFactory<typeof deoxysArmOptionsSchema> = {
  kind: 'arm',
  type: 'deoxys',
  summary: 'Franka arm through deoxys (ZeroMQ + protobuf to franka-interface on the real-time PC)',
  options: deoxysArmOptionsSchema,
  create: (options, context) => new DeoxysArm(context.name, options, context.clock),
};
