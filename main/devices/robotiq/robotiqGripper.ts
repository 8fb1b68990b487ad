import { EventEmitter } from 'node:events';
import { StudioError } from '../../../shared/api/errors';
import { SerialLink } from '../serial/serialLink';
import type { Clock, DeviceStatus, Features, Gripper, GripperCommand, GripperState, SentAction } from '../types';
import { ModbusRtuMaster } from './modbusRtuMaster';
import {
  byteToValue,
  countToWidth,
  robotiqModels,
  valueToByte,
  widthToCount,
  type PositionCalibration,
  type RobotiqModel,
} from './robotiqModels';
import {
  COMMAND_REGISTER,
  REGISTER_COUNT,
  STATUS_REGISTER,
  activationText,
  describeFault,
  encodeCommand,
  decodeStatus,
  objectText,
  type RobotiqCommand,
  type RobotiqStatus,
} from './robotiqRegisters';

export interface RobotiqGripperOptions extends PositionCalibration {
  port: string;
  model: RobotiqModel;
  slave_id: number;
  baud: number;
  /** Per transaction; the spec's sources use 0.2 s. */
  timeout_ms: number;
  /** Status polling rate; the gripper faults (gFLT 9) after 1 s without traffic. */
  poll_hz: number;
  /** Activate on connect (and after the line comes back) when the gripper is not activated. The fingers move! */
  activate_on_connect: boolean;
  activation_timeout_s: number;
  reconnect_interval_ms: number;
  /** FC03 (read holding registers; PickNik, Polymetis) or FC04 (read input registers; pyRobotiqGripper). */
  read_function: 'fc03' | 'fc04';
  /** Force for `move` commands, which carry none. */
  move_force_n: number;
}

export const robotiqDefaults = {
  slave_id: 9,
  baud: 115200,
  timeout_ms: 200,
  poll_hz: 50,
  activate_on_connect: true,
  activation_timeout_s: 10,
  reconnect_interval_ms: 500,
  read_function: 'fc03',
  move_force_n: 100,
  open_count: 0,
  closed_count: 255,
} as const satisfies Partial<RobotiqGripperOptions>;

export interface RobotiqReading {
  state: GripperState;
  status: RobotiqStatus;
}

interface GripperEvents {
  reading: [RobotiqReading];
  /** The serial line dropped / reopened (the driver reconnects by itself). */
  line: ['drop' | 'open'];
}

const SILENCE_FIX =
  'Check the RS-485 wiring (A/B swapped?), the baud rate (115200 by default), the slave id (9 by default) and that the gripper has 24 V power; the LED is blue when powered and not activated.';

/**
 * Robotiq 2F-85 / Hand-E over Modbus RTU (device-protocols §4): activation, move/grasp/stop with
 * clipping to the model's ranges, continuous status polling with fault decoding, and a line that
 * reopens itself after a drop.
 */
export class RobotiqGripper implements Gripper {
  readonly kind = 'gripper';
  readonly type = 'robotiq';

  get state_hz(): number {
    return this.options.poll_hz;
  }
  readonly master: ModbusRtuMaster;
  private readonly link: SerialLink;
  private readonly events = new EventEmitter<GripperEvents>();
  private reading: RobotiqReading | undefined;
  private pollError: StudioError | undefined;
  private polling = false;
  private pollTimer: NodeJS.Timeout | undefined;
  private activating: Promise<RobotiqStatus> | undefined;
  /** The last command written, so `stop` keeps position/speed/force and only drops rGTO. */
  private lastCommand: RobotiqCommand = { rACT: false, rGTO: false, rATR: false, rARD: false, rPR: 0, rSP: 255, rFR: 0 };

  constructor(
    readonly name: string,
    readonly options: RobotiqGripperOptions,
    private readonly clock: Clock,
  ) {
    const label = robotiqModels[options.model].label;
    this.link = new SerialLink({
      path: options.port,
      baud: options.baud,
      device: `${label} (slave ${options.slave_id})`,
      reconnect_interval_ms: options.reconnect_interval_ms,
    });
    this.master = new ModbusRtuMaster(this.link, {
      slave_id: options.slave_id,
      timeout_ms: options.timeout_ms,
      device: label,
      silenceFix: SILENCE_FIX,
    });
    this.link.on('drop', (error) => {
      this.pollError = error;
      this.events.emit('line', 'drop');
    });
    this.link.on('open', () => this.events.emit('line', 'open'));
    const info = robotiqModels[options.model];
    if (options.move_force_n < info.min_force_n || options.move_force_n > info.max_force_n) {
      throw new StudioError({
        code: 'failed_precondition',
        message: `move_force_n ${options.move_force_n} N is outside the ${label} range ${info.min_force_n}..${info.max_force_n} N`,
        fix: 'Set move_force_n within the range in the rig config.',
      });
    }
  }

  get label(): string {
    return robotiqModels[this.options.model].label;
  }

  async connect(): Promise<void> {
    await this.link.open();
    try {
      const status = await this.readStatus();
      if (status.gSTA !== 3 && this.options.activate_on_connect) await this.activate();
    } catch (error) {
      await this.link.close();
      throw error;
    }
    this.startPolling();
  }

  async disconnect(): Promise<void> {
    this.polling = false;
    clearTimeout(this.pollTimer);
    await this.link.close();
  }

  status(): DeviceStatus {
    const connected = this.link.isOpen && this.pollError === undefined;
    const error = this.link.error ?? this.pollError;
    if (error !== undefined)
      return { connected, error: { message: error.message, ...(error.fix !== undefined ? { fix: error.fix } : {}) } };
    const fault = this.reading === undefined ? undefined : describeFault(this.reading.status.gFLT);
    if (fault !== undefined && this.reading !== undefined)
      return { connected, error: { message: `${this.label}: fault ${this.reading.status.gFLT}: ${fault.message}`, fix: fault.fix } };
    return { connected };
  }

  features(): Features {
    return {
      width_m: { dtype: 'float32', shape: [1], names: ['width_m'], unit: 'm' },
      is_grasped: { dtype: 'bool', shape: [1], names: ['is_grasped'] },
    };
  }

  latest(): GripperState | undefined {
    return this.reading?.state;
  }

  /** The last status read with the state derived from it. */
  lastReading(): RobotiqReading | undefined {
    return this.reading;
  }

  /** Every status read, in order; returns an unsubscribe function. */
  onReading(listener: (reading: RobotiqReading) => void): () => void {
    this.events.on('reading', listener);
    return () => this.events.off('reading', listener);
  }

  /** Line drops and reopenings; returns an unsubscribe function. */
  onLine(listener: (event: 'drop' | 'open') => void): () => void {
    this.events.on('line', listener);
    return () => this.events.off('line', listener);
  }

  /** Resolves with the first reading (from polling or a direct read) that satisfies `predicate`. */
  waitFor(predicate: (reading: RobotiqReading) => boolean, timeout_ms: number, what: string): Promise<RobotiqReading> {
    if (this.reading !== undefined && predicate(this.reading)) return Promise.resolve(this.reading);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(
          new StudioError({
            code: 'unavailable',
            message: `${this.label} did not report ${what} within ${timeout_ms} ms`,
            fix: 'Check the fingers are free to move and the status with `studio gripper robotiq --port DEV status`.',
          }),
        );
      }, timeout_ms);
      const off = this.onReading((reading) => {
        if (!predicate(reading)) return;
        clearTimeout(timer);
        off();
        resolve(reading);
      });
    });
  }

  async readStatus(): Promise<RobotiqStatus> {
    const fc = this.options.read_function === 'fc04' ? 4 : 3;
    const registers = await this.master.readRegisters(fc, STATUS_REGISTER, REGISTER_COUNT);
    const status = decodeStatus(registers);
    this.pollError = undefined;
    this.reading = { status, state: this.toState(status) };
    this.events.emit('reading', this.reading);
    return status;
  }

  /**
   * §4.4: clear, set rACT, poll until gSTA = 3. The fingers close and open fully: keep the gripper clear.
   * Concurrent callers share one activation.
   */
  activate(): Promise<RobotiqStatus> {
    this.activating ??= this.runActivation().finally(() => (this.activating = undefined));
    return this.activating;
  }

  private async runActivation(): Promise<RobotiqStatus> {
    await this.writeCommand({ rACT: false, rGTO: false, rATR: false, rARD: false, rPR: 0, rSP: 0, rFR: 0 });
    await this.writeCommand({ rACT: true, rGTO: false, rATR: false, rARD: false, rPR: 0, rSP: 0, rFR: 0 });
    const deadline_ms = Date.now() + this.options.activation_timeout_s * 1000;
    for (;;) {
      const status = await this.readStatus();
      if (status.gSTA === 3) return status;
      const fault = describeFault(status.gFLT);
      if (fault !== undefined && status.gFLT !== 9) {
        throw new StudioError({
          code: 'failed_precondition',
          message: `${this.label} activation failed: fault ${status.gFLT}: ${fault.message}`,
          fix: fault.fix,
        });
      }
      if (Date.now() > deadline_ms) {
        throw new StudioError({
          code: 'unavailable',
          message: `${this.label} did not finish activating within ${this.options.activation_timeout_s} s (gSTA ${status.gSTA}: ${activationText[status.gSTA] ?? '?'})`,
          fix: 'Make sure nothing blocks the fingers and the gripper has 24 V power, then activate again.',
        });
      }
      await new Promise((resolve) => setTimeout(resolve, 1000 / this.options.poll_hz));
    }
  }

  async sendAction(command: GripperCommand): Promise<SentAction<GripperCommand>> {
    if (command.kind === 'homing') {
      await this.activate();
      return { requested: command, sent: command, clipped: false, clip_reasons: [] };
    }
    if (command.kind === 'stop') {
      await this.writeCommand({ ...this.lastCommand, rGTO: false, rACT: true });
      return { requested: command, sent: command, clipped: false, clip_reasons: [] };
    }
    const status = this.reading?.status ?? (await this.readStatus());
    if (status.gSTA !== 3) {
      throw new StudioError({
        code: 'failed_precondition',
        message: `${this.label} is not activated (gSTA ${status.gSTA}: ${activationText[status.gSTA] ?? '?'})`,
        fix: 'Activate it first: `studio gripper robotiq --port DEV activate`, or set activate_on_connect.',
      });
    }
    const { registers, sent, clip_reasons } = this.encodeMotion(command);
    await this.writeCommand(registers);
    return { requested: command, sent, clipped: clip_reasons.length > 0, clip_reasons };
  }

  /** Clips to the model's ranges and quantises to register counts; `sent` holds what the counts mean. */
  encodeMotion(command: Extract<GripperCommand, { kind: 'move' | 'grasp' }>): {
    registers: RobotiqCommand;
    sent: GripperCommand;
    clip_reasons: string[];
  } {
    const info = robotiqModels[this.options.model];
    const label = info.label;
    const clip_reasons: string[] = [];
    const clip = (value: number, min: number, max: number, what: string, unit: string): number => {
      if (!Number.isFinite(value))
        throw new StudioError({ code: 'invalid_params', message: `${label}: ${what} must be a finite number, not ${value}` });
      if (value < min) {
        clip_reasons.push(`${what} ${value} ${unit} below the ${label} minimum ${min} ${unit}`);
        return min;
      }
      if (value > max) {
        clip_reasons.push(`${what} ${value} ${unit} above the ${label} maximum ${max} ${unit}`);
        return max;
      }
      return value;
    };
    const width_m = clip(command.width_m, 0, info.stroke_m, 'width', 'm');
    const speed_m_s = clip(command.speed_m_s, info.min_speed_m_s, info.max_speed_m_s, 'speed', 'm/s');
    const force_n =
      command.kind === 'grasp' ? clip(command.force_n, info.min_force_n, info.max_force_n, 'force', 'N') : this.options.move_force_n;
    const rPR = Math.min(255, Math.max(0, widthToCount(width_m, info.stroke_m, this.options)));
    const rSP = valueToByte(speed_m_s, info.min_speed_m_s, info.max_speed_m_s);
    const rFR = valueToByte(force_n, info.min_force_n, info.max_force_n);
    const sent_width_m = countToWidth(rPR, info.stroke_m, this.options);
    const sent_speed_m_s = byteToValue(rSP, info.min_speed_m_s, info.max_speed_m_s);
    const sent: GripperCommand =
      command.kind === 'grasp'
        ? { ...command, width_m: sent_width_m, speed_m_s: sent_speed_m_s, force_n: byteToValue(rFR, info.min_force_n, info.max_force_n) }
        : { kind: 'move', width_m: sent_width_m, speed_m_s: sent_speed_m_s };
    return { registers: { rACT: true, rGTO: true, rATR: false, rARD: false, rPR, rSP, rFR }, sent, clip_reasons };
  }

  private async writeCommand(command: RobotiqCommand): Promise<void> {
    await this.master.writeRegisters(COMMAND_REGISTER, encodeCommand(command));
    this.lastCommand = command;
  }

  private toState(status: RobotiqStatus): GripperState {
    const info = robotiqModels[this.options.model];
    const fault = describeFault(status.gFLT);
    return {
      capture_ns: this.clock.now_ns(),
      width_m: countToWidth(status.gPO, info.stroke_m, this.options),
      max_width_m: info.stroke_m,
      is_grasped: status.gSTA === 3 && status.gGTO && (status.gOBJ === 1 || status.gOBJ === 2),
      detail: {
        gACT: status.gACT,
        gGTO: status.gGTO,
        gSTA: status.gSTA,
        gOBJ: status.gOBJ,
        gFLT: status.gFLT,
        kFLT: status.kFLT,
        gPR: status.gPR,
        gPO: status.gPO,
        gCU: status.gCU,
        activation: activationText[status.gSTA] ?? 'unknown',
        // gOBJ is only meaningful while a motion is requested (rGTO = 1).
        object: status.gGTO ? (objectText[status.gOBJ] ?? 'unknown') : 'idle (no motion requested)',
        fault: fault?.message ?? 'none',
      },
    };
  }

  private startPolling(): void {
    this.polling = true;
    const period_ms = 1000 / this.options.poll_hz;
    let wasDown = false;
    const tick = async () => {
      if (!this.polling) return;
      try {
        const status = await this.readStatus();
        // After the line came back the gripper may have been power-cycled: it needs activation again.
        if (wasDown && status.gSTA !== 3 && this.options.activate_on_connect) await this.activate();
        wasDown = false;
      } catch (error) {
        wasDown = true;
        if (error instanceof StudioError) this.pollError = error;
      }
      if (this.polling) this.pollTimer = setTimeout(() => void tick(), period_ms);
    };
    this.pollTimer = setTimeout(() => void tick(), period_ms);
  }
}
