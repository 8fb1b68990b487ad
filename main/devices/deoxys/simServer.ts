import { EventEmitter } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { Publisher, Subscriber } from 'zeromq';
import {
  mat4FromRotationTranslation,
  mat4Rotation,
  mat4Translation,
  rotationFromAxisAngle,
  rotationMultiply,
} from '../../../shared/robot/rotation';
import { flangeFromTcp, FRANKA_HAND_TCP } from '../../../shared/robot/frankaKinematics';
import { systemClock, type Clock, type Mat4 } from '../types';
import { parseArmControl, parseGripperControl, type ParsedArmControl, type ParsedGripperControl } from './controlMessages';
import { deoxysPorts, type DeoxysPorts } from './ports';
import type { DeoxysSimBackend, SimArmTarget, SimGripperTarget } from './simBackend';
import { encodeGripperState, encodeRobotState, RobotMode } from './stateMessages';

/**
 * A stand-in for deoxys's real-time PC (spec §1.10): franka-interface and gripper-interface in one
 * object, speaking the same bytes on the same sockets. It binds the state PUBs, connects its SUBs to
 * the workstation (`pc_ip`), polls arm commands at the policy rate with deoxys's 20-empty-polls
 * watchdog, turns OSC deltas into base-frame goals, and publishes state at 100 Hz (arm) and 40 Hz
 * (gripper). A termination or the watchdog "exits" the arm node, and it restarts after
 * `restart_delay_ms` like `auto_arm.sh`. The robot itself is a pluggable `DeoxysSimBackend`.
 */
export interface DeoxysSimServerOptions {
  backend: DeoxysSimBackend;
  /** `NUC.SUB_PORT`; the others follow (ports.ts). */
  port_base: number;
  /** Address the state PUBs bind to (deoxys binds `*`). */
  bind_ip?: string;
  /** `PC.IP`: where the workstation's command PUBs are. */
  pc_ip?: string;
  clock?: Clock;
  state_rate_hz?: number;
  gripper_rate_hz?: number;
  policy_rate_hz?: number;
  /** Consecutive empty polls (after the first command) that stop the node. */
  watchdog_empty_polls?: number;
  restart_delay_ms?: number;
}

export interface DeoxysSimServerEvents {
  /** A parsed arm command (after the watchdog counter was reset). */
  arm_command: [ParsedArmControl];
  gripper_command: [ParsedGripperControl];
  /** The arm node stopped: `termination` message or `watchdog`. */
  arm_stopped: ['termination' | 'watchdog'];
  arm_restarted: [];
  /** A command that failed to parse, or a deoxys rule that refused it. */
  refused: [string];
  /** The arm state just published: its frame counter and its `time` (s since the server started). */
  state_published: [number, number];
  /** The gripper state just published: its `time` (s since the server started). */
  gripper_state_published: [number];
}

interface ArmNode {
  statePub: Publisher;
  commandSub: Subscriber;
  /** The node's command poll timer. */
  timers: NodeJS.Timeout[];
  started: boolean;
  emptyPolls: number;
  controller: string;
  pendingArm: SimArmTarget | undefined;
  polling: boolean;
}

interface GripperNode {
  statePub: Publisher;
  commandSub: Subscriber;
  timer: NodeJS.Timeout | undefined;
  hasGrasped: boolean;
  pending: SimGripperTarget[];
}

/** A port the simulated NUC could not bind because something else holds it. */
export class PortInUseError extends Error {
  constructor(
    readonly endpoint: string,
    readonly port: number,
  ) {
    super(`port ${port} is already in use (binding ${endpoint})`);
    this.name = 'PortInUseError';
  }
}

/** Binds a new PUB at `endpoint`; on failure the socket is closed again. */
async function bindPublisher(endpoint: string, port: number): Promise<Publisher> {
  const socket = new Publisher({ linger: 0 });
  // A port released by a closed socket may take a moment to be free again (node restart).
  for (let attempt = 0; ; attempt++) {
    try {
      await socket.bind(endpoint);
      return socket;
    } catch (error) {
      const inUse = (error as { code?: string }).code === 'EADDRINUSE';
      if (attempt >= 40 || !inUse) {
        socket.close();
        throw inUse ? new PortInUseError(endpoint, port) : error;
      }
      await delay(25);
    }
  }
}

/**
 * Calls `tick` every `period_ms` on an absolute schedule (no drift); the live timer sits in `timers`.
 * Ticks missed while the event loop was blocked are skipped, not fired in a burst (a real-time PC's
 * thread that wakes up late publishes once, late).
 */
function every(period_ms: number, tick: () => void, timers: NodeJS.Timeout[]): void {
  const start = performance.now();
  let count = 0;
  const schedule = () => {
    count++;
    const now = performance.now();
    if (start + count * period_ms < now - period_ms) count = Math.ceil((now - start) / period_ms);
    const wait = Math.max(0, start + count * period_ms - now);
    const timer = setTimeout(() => {
      const index = timers.indexOf(timer);
      if (index < 0) return;
      timers.splice(index, 1);
      tick();
      schedule();
    }, wait);
    timers.push(timer);
  };
  schedule();
}

export class DeoxysSimServer extends EventEmitter<DeoxysSimServerEvents> {
  readonly ports: DeoxysPorts;
  private readonly clock: Clock;
  private readonly start_ns: bigint;
  private arm: ArmNode | undefined;
  private gripper: GripperNode | undefined;
  private gripperTimers: NodeJS.Timeout[] = [];
  /** The robot's own 100 Hz step: it keeps running (holding still) while the arm node restarts. */
  private physicsTimers: NodeJS.Timeout[] = [];
  /** Set when the arm node stops: the next physics step holds the arm where it is. */
  private holdWhileDown = false;
  private closed = false;
  private frame = 0n;
  private statesPaused = false;
  private restarting: Promise<void> | undefined;
  private readonly opts: Required<Omit<DeoxysSimServerOptions, 'backend' | 'clock'>>;

  constructor(private readonly options: DeoxysSimServerOptions) {
    super();
    this.ports = deoxysPorts(options.port_base);
    this.clock = options.clock ?? systemClock;
    this.start_ns = this.clock.now_ns();
    this.opts = {
      port_base: options.port_base,
      bind_ip: options.bind_ip ?? '127.0.0.1',
      pc_ip: options.pc_ip ?? '127.0.0.1',
      state_rate_hz: options.state_rate_hz ?? 100,
      gripper_rate_hz: options.gripper_rate_hz ?? 40,
      policy_rate_hz: options.policy_rate_hz ?? 20,
      watchdog_empty_polls: options.watchdog_empty_polls ?? 20,
      restart_delay_ms: options.restart_delay_ms ?? 1000,
    };
  }

  async start(): Promise<void> {
    try {
      await this.startArmNode();
      await this.startGripperNode();
    } catch (error) {
      await this.close();
      throw error;
    }
    let last_ns = this.clock.now_ns();
    every(
      1000 / this.opts.state_rate_hz,
      () => {
        const now_ns = this.clock.now_ns();
        const dt_s = Number(now_ns - last_ns) / 1e9;
        last_ns = now_ns;
        this.stepAndPublish(dt_s, now_ns);
      },
      this.physicsTimers,
    );
  }

  /** Stops publishing arm state (a cable pulled out), without stopping the node. */
  pauseArmState(paused: boolean): void {
    this.statesPaused = paused;
  }

  armController(): string {
    return this.arm?.controller ?? 'stopped';
  }

  private time_s(): number {
    return Number(this.clock.now_ns() - this.start_ns) / 1e9;
  }

  // ---- arm node (franka_control_node.cpp) ----------------------------------------------------------

  private async startArmNode(): Promise<void> {
    const statePub = await bindPublisher(`tcp://${this.opts.bind_ip}:${this.ports.PUB_PORT}`, this.ports.PUB_PORT);
    const commandSub = new Subscriber({ linger: 0, conflate: true, receiveTimeout: 0, reconnectInterval: 20 });
    commandSub.connect(`tcp://${this.opts.pc_ip}:${this.ports.SUB_PORT}`);
    commandSub.subscribe();
    const node: ArmNode = {
      statePub,
      commandSub,
      timers: [],
      started: false,
      emptyPolls: 0,
      controller: 'NO_CONTROL',
      pendingArm: { kind: 'hold' },
      polling: false,
    };
    this.arm = node;
    every(1000 / this.opts.policy_rate_hz, () => void this.poll(node), node.timers);
  }

  /** One robot step (arm and hand), then the arm state if the arm node runs. */
  private stepAndPublish(dt_s: number, now_ns: bigint): void {
    const node = this.arm;
    let arm: SimArmTarget | undefined;
    if (node !== undefined) {
      arm = node.pendingArm;
      node.pendingArm = undefined;
    } else if (this.holdWhileDown) {
      arm = { kind: 'hold' };
      this.holdWhileDown = false;
    }
    const gripper = this.gripper?.pending.shift();
    // The state's time is the moment physics was brought up to (the tick's own clock reading, the one
    // dt_s was measured to), not when encoding ended.
    const time_s = Number(now_ns - this.start_ns) / 1e9;
    this.options.backend.step(dt_s, { ...(arm === undefined ? {} : { arm }), ...(gripper === undefined ? {} : { gripper }) });
    if (node === undefined || this.statesPaused) return;
    const state = this.options.backend.state().arm;
    this.frame++;
    const flange_from_ee = flangeFromTcp(FRANKA_HAND_TCP.d_m, FRANKA_HAND_TCP.yaw_rad);
    const bytes = encodeRobotState({
      O_T_EE: state.base_from_ee,
      O_T_EE_d: state.base_from_ee,
      F_T_EE: flange_from_ee,
      q: state.q_rad,
      q_d: state.q_rad,
      dq: state.dq_rad_s,
      tau_J: state.tau_nm,
      O_F_ext_hat_K: [0, 0, 0, 0, 0, 0],
      robot_mode: node.controller === 'NO_CONTROL' ? RobotMode.Idle : RobotMode.Move,
      time_s,
      frame: this.frame,
    });
    // PUB sends never block; a send still pending (no peer yet) is simply skipped, like a dropped frame.
    node.statePub.send(bytes).catch(() => undefined);
    this.emit('state_published', Number(this.frame), time_s);
  }

  private async poll(node: ArmNode): Promise<void> {
    if (node.polling || this.arm !== node) return;
    node.polling = true;
    let frame: Buffer | undefined;
    try {
      [frame] = await node.commandSub.receive();
    } catch {
      frame = undefined;
    } finally {
      node.polling = false;
    }
    if (this.arm !== node) return;
    let parsed: ParsedArmControl | undefined;
    if (frame !== undefined) {
      try {
        parsed = parseArmControl(frame);
      } catch (error) {
        this.emit('refused', (error as Error).message);
      }
    }
    if (parsed === undefined) {
      if (node.started && ++node.emptyPolls >= this.opts.watchdog_empty_polls) this.stopArmNode(node, 'watchdog');
      return;
    }
    node.started = true;
    node.emptyPolls = 0;
    this.emit('arm_command', parsed);
    this.applyArm(node, parsed);
  }

  private applyArm(node: ArmNode, command: ParsedArmControl): void {
    switch (command.kind) {
      case 'terminate':
        this.stopArmNode(node, 'termination');
        return;
      case 'no_control':
        node.controller = 'NO_CONTROL';
        node.pendingArm = { kind: 'hold' };
        return;
      case 'unsupported':
        this.emit('refused', `controller type ${command.controller_type} is not simulated`);
        return;
      default:
        break;
    }
    // deoxys creates a controller only from NO_CONTROL; another type while one runs is not switched to.
    if (node.controller !== 'NO_CONTROL' && node.controller !== command.controller) {
      this.emit('refused', `${command.controller} while ${node.controller} runs: send NO_CONTROL first`);
      return;
    }
    node.controller = command.controller;
    const measured = this.options.backend.state().arm;
    if (command.kind === 'osc') {
      node.pendingArm = { kind: 'ee_pose', base_from_ee: oscGoal(measured.base_from_ee, command.goal) };
    } else {
      const q_rad = command.is_delta ? measured.q_rad.map((q, i) => q + (command.q_rad[i] ?? 0)) : command.q_rad;
      node.pendingArm = { kind: 'joint_position', q_rad };
    }
  }

  private stopArmNode(node: ArmNode, reason: 'termination' | 'watchdog'): void {
    if (this.arm !== node) return;
    this.arm = undefined;
    for (const timer of node.timers.splice(0)) clearTimeout(timer);
    node.statePub.close();
    node.commandSub.close();
    // The robot stops where it is (libfranka's motion ends); physics and the hand go on.
    this.holdWhileDown = true;
    this.emit('arm_stopped', reason);
    if (this.closed) return;
    this.restarting = (async () => {
      await delay(this.opts.restart_delay_ms);
      if (this.closed) return;
      await this.startArmNode();
      this.emit('arm_restarted');
    })().catch((error: unknown) => {
      this.emit('refused', `arm node restart failed: ${(error as Error).message}`);
    });
  }

  // ---- gripper node (gripper_control_node.cpp) -----------------------------------------------------

  private async startGripperNode(): Promise<void> {
    const statePub = await bindPublisher(`tcp://${this.opts.bind_ip}:${this.ports.GRIPPER_PUB_PORT}`, this.ports.GRIPPER_PUB_PORT);
    const commandSub = new Subscriber({ linger: 0, conflate: true, reconnectInterval: 20 });
    commandSub.connect(`tcp://${this.opts.pc_ip}:${this.ports.GRIPPER_SUB_PORT}`);
    commandSub.subscribe();
    // The node homes the hand on start.
    const node: GripperNode = { statePub, commandSub, timer: undefined, hasGrasped: false, pending: [{ kind: 'homing' }] };
    this.gripper = node;
    every(
      1000 / this.opts.gripper_rate_hz,
      () => {
        const state = this.options.backend.state().gripper;
        const time_s = this.time_s();
        node.statePub.send(encodeGripperState({ ...state, temperature_c: 30, time_s })).catch(() => undefined);
        this.emit('gripper_state_published', time_s);
      },
      this.gripperTimers,
    );
    void this.receiveGripper(node);
  }

  private async receiveGripper(node: GripperNode): Promise<void> {
    while (this.gripper === node) {
      let frame: Buffer | undefined;
      try {
        [frame] = await node.commandSub.receive();
      } catch {
        return;
      }
      if (frame === undefined) continue;
      let command: ParsedGripperControl;
      try {
        command = parseGripperControl(frame);
      } catch (error) {
        this.emit('refused', (error as Error).message);
        continue;
      }
      this.emit('gripper_command', command);
      this.applyGripper(node, command);
    }
  }

  private applyGripper(node: GripperNode, command: ParsedGripperControl): void {
    switch (command.kind) {
      case 'terminate':
        // The node exits and auto_gripper.sh restarts it, which homes the hand again.
        node.hasGrasped = false;
        node.pending.push({ kind: 'homing' });
        return;
      case 'move':
        node.hasGrasped = false;
        node.pending.push({ kind: 'move', width_m: command.width_m, speed_m_s: command.speed_m_s });
        return;
      case 'grasp': {
        if (node.hasGrasped) {
          this.emit('refused', 'grasp skipped: the previous grasp still holds');
          return;
        }
        node.hasGrasped = true;
        const noEpsilon = command.epsilon_inner_m === 0 && command.epsilon_outer_m === 0;
        node.pending.push({
          kind: 'grasp',
          width_m: command.width_m,
          speed_m_s: command.speed_m_s,
          force_n: command.force_n === 0 ? 2 : command.force_n,
          epsilon_inner_m: noEpsilon ? 0.08 : command.epsilon_inner_m,
          epsilon_outer_m: noEpsilon ? 0.08 : command.epsilon_outer_m,
        });
        return;
      }
      case 'stop':
        // deoxys quirk (spec §1.6): the main loop matches Stop as its "homing" message.
        node.hasGrasped = false;
        node.pending.push({ kind: 'stop' }, { kind: 'homing' });
        return;
      case 'homing':
        this.emit('refused', 'FrankaGripperHomingMessage: Unpack failed (deoxys matches homing as FrankaGripperStopMessage)');
        return;
      case 'unknown':
        this.emit('refused', `gripper message "${command.type_url}" not understood`);
        return;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.physicsTimers.splice(0)) clearTimeout(timer);
    const arm = this.arm;
    this.arm = undefined;
    if (arm !== undefined) {
      for (const timer of arm.timers.splice(0)) clearTimeout(timer);
      arm.statePub.close();
      arm.commandSub.close();
    }
    const gripper = this.gripper;
    this.gripper = undefined;
    for (const timer of this.gripperTimers.splice(0)) clearTimeout(timer);
    if (gripper !== undefined) {
      gripper.statePub.close();
      gripper.commandSub.close();
    }
    await this.restarting;
  }
}

/** deoxys `ComputeGoal` with `is_delta` (osc_impedance.cpp): base-frame translation, left-multiplied rotation. */
export function oscGoal(
  base_from_ee: Mat4,
  goal: { is_delta: boolean; translation_m: readonly number[]; rotation_axis_angle_rad: readonly number[] },
): Mat4 {
  const delta = rotationFromAxisAngle(goal.rotation_axis_angle_rad);
  if (!goal.is_delta) return mat4FromRotationTranslation(delta, goal.translation_m);
  const position = mat4Translation(base_from_ee);
  const target = position.map((p, i) => p + (goal.translation_m[i] ?? 0));
  return mat4FromRotationTranslation(rotationMultiply(delta, mat4Rotation(base_from_ee)), target);
}
