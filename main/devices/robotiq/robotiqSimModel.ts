import type { Clock } from '../types';
import type { ModbusRequest, ModbusResponse } from './modbusRtuFrame';
import { FC_READ_HOLDING } from './modbusRtuFrame';
import { robotiqModels, byteToValue, type RobotiqModel } from './robotiqModels';
import {
  COMMAND_REGISTER,
  REGISTER_COUNT,
  STATUS_REGISTER,
  decodeCommand,
  describeFault,
  encodeCommand,
  encodeStatus,
  type RobotiqCommand,
  type RobotiqStatus,
} from './robotiqRegisters';

export interface RobotiqSimOptions {
  clock: Clock;
  slave_id?: number;
  model?: RobotiqModel;
  /** How long activation takes; the fingers close fully in the first half and open in the second. */
  activation_duration_s?: number;
  /** Position count where an object stops the fingers when closing (gOBJ = 2); undefined = no object. */
  object_at_count?: number;
  /** A real gripper faults (13) when an object stops the fingers during activation; a dev tool may not want that. */
  object_blocks_activation?: boolean;
}

const NS_PER_S = 1e9;

/**
 * A Robotiq 2F-85 / Hand-E as seen through its registers: the activation state machine, finger motion
 * over (injected) time at the commanded speed, contact with an object, and faults. Pure: it answers
 * requests and advances to `clock.now_ns()` on each one, so a test controls motion by moving its clock.
 */
export class RobotiqSimModel {
  readonly slave_id: number;
  readonly model: RobotiqModel;
  private readonly clock: Clock;
  private readonly activation_duration_s: number;
  object_at_count: number | undefined;
  private readonly object_blocks_activation: boolean;

  private command: RobotiqCommand = { rACT: false, rGTO: false, rATR: false, rARD: false, rPR: 0, rSP: 0, rFR: 0 };
  private gSTA = 0;
  private gOBJ = 0;
  private gFLT = 0;
  private position_count = 0;
  private activation_start_ns = 0n;
  private last_ns: bigint;
  /** Writes that changed the command since the fingers last stopped; a new goal restarts motion. */
  private contact = false;

  constructor(options: RobotiqSimOptions) {
    this.clock = options.clock;
    this.slave_id = options.slave_id ?? 9;
    this.model = options.model ?? '2f-85';
    this.activation_duration_s = options.activation_duration_s ?? 1;
    this.object_at_count = options.object_at_count;
    this.object_blocks_activation = options.object_blocks_activation ?? true;
    this.last_ns = this.clock.now_ns();
  }

  /** Sets a fault as the gripper would raise it; major faults (≥ 10) stop the fingers until reactivation. */
  injectFault(code: number): void {
    this.advance();
    this.gFLT = code;
  }

  status(): RobotiqStatus {
    this.advance();
    const activated = this.gSTA === 3;
    return {
      gACT: this.command.rACT,
      gGTO: activated && this.command.rGTO,
      gSTA: this.gSTA,
      gOBJ: activated && this.command.rGTO ? this.gOBJ : 0,
      gFLT: this.gFLT,
      kFLT: 0,
      gPR: this.command.rPR,
      gPO: Math.round(this.position_count),
      gCU: this.current(),
    };
  }

  /** Answers one request; undefined when the gripper stays silent (another slave id, or a broadcast). */
  handle(request: ModbusRequest): ModbusResponse | undefined {
    if (request.slave_id !== this.slave_id && request.slave_id !== 0) return undefined;
    const reply = this.respond(request);
    return request.slave_id === 0 ? undefined : reply;
  }

  private respond(request: ModbusRequest): ModbusResponse {
    const { slave_id } = this;
    const refuse = (function_code: number, exception_code: number): ModbusResponse => ({
      kind: 'exception',
      slave_id,
      function_code,
      exception_code,
    });
    switch (request.kind) {
      case 'read': {
        const { start, count, function_code } = request;
        if (start >= STATUS_REGISTER && start + count <= STATUS_REGISTER + REGISTER_COUNT) {
          return {
            kind: 'read',
            slave_id,
            function_code,
            values: encodeStatus(this.status()).slice(start - STATUS_REGISTER, start - STATUS_REGISTER + count),
          };
        }
        if (function_code === FC_READ_HOLDING && start >= COMMAND_REGISTER && start + count <= COMMAND_REGISTER + REGISTER_COUNT) {
          return {
            kind: 'read',
            slave_id,
            function_code,
            values: encodeCommand(this.command).slice(start - COMMAND_REGISTER, start - COMMAND_REGISTER + count),
          };
        }
        return refuse(function_code, 2);
      }
      case 'write_single': {
        if (request.address < COMMAND_REGISTER || request.address >= COMMAND_REGISTER + REGISTER_COUNT) return refuse(6, 2);
        const registers = encodeCommand(this.command);
        registers[request.address - COMMAND_REGISTER] = request.value;
        this.write(registers);
        return { kind: 'write_single', slave_id, address: request.address, value: request.value };
      }
      case 'write_multiple': {
        const { start, values } = request;
        if (start < COMMAND_REGISTER || start + values.length > COMMAND_REGISTER + REGISTER_COUNT) return refuse(16, 2);
        const registers = encodeCommand(this.command);
        values.forEach((value, index) => (registers[start - COMMAND_REGISTER + index] = value));
        this.write(registers);
        return { kind: 'write_multiple', slave_id, start, count: values.length };
      }
    }
  }

  private write(registers: number[]): void {
    this.advance();
    const previous = this.command;
    const next = decodeCommand(registers);
    this.command = next;
    if (!next.rACT) {
      // rACT = 0 is a reset: the gripper stops and forgets activation; major faults wait for the rising edge.
      this.gSTA = 0;
      this.gOBJ = 0;
      if (!this.majorFault()) this.gFLT = 0;
      return;
    }
    if (!previous.rACT) {
      this.gFLT = 0;
      this.gSTA = 1;
      this.activation_start_ns = this.clock.now_ns();
      this.last_ns = this.activation_start_ns;
      return;
    }
    if (this.gSTA !== 3) {
      if (next.rGTO) this.gFLT = 7;
      return;
    }
    if (!this.majorFault()) this.gFLT = 0;
    if (next.rGTO && (!previous.rGTO || next.rPR !== previous.rPR)) {
      this.contact = false;
      this.gOBJ = 0;
    }
  }

  private majorFault(): boolean {
    return describeFault(this.gFLT)?.major === true;
  }

  private current(): number {
    if (this.gSTA === 3 && this.command.rGTO && this.gOBJ === 2) return Math.round(10 + (this.command.rFR / 255) * 50);
    return this.gSTA === 1 || (this.command.rGTO && this.gOBJ === 0) ? 8 : 0;
  }

  private advance(): void {
    const now_ns = this.clock.now_ns();
    const dt_s = Number(now_ns - this.last_ns) / NS_PER_S;
    this.last_ns = now_ns;
    if (dt_s <= 0) return;
    if (this.gSTA === 1) this.advanceActivation(now_ns);
    else if (this.gSTA === 3 && this.command.rGTO && !this.majorFault() && !this.contact) this.advanceMotion(dt_s);
  }

  private advanceActivation(now_ns: bigint): void {
    const elapsed_s = Number(now_ns - this.activation_start_ns) / NS_PER_S;
    const half_s = this.activation_duration_s / 2;
    if (elapsed_s >= this.activation_duration_s) {
      this.gSTA = 3;
      this.position_count = 0;
      this.gOBJ = 3;
      return;
    }
    const closing = elapsed_s < half_s;
    const target = closing ? (elapsed_s / half_s) * 255 : (1 - (elapsed_s - half_s) / half_s) * 255;
    if (closing && this.object_blocks_activation && this.object_at_count !== undefined && target >= this.object_at_count) {
      // An object between the fingers during activation: the real gripper raises an activation fault.
      this.position_count = this.object_at_count;
      this.gFLT = 13;
      this.gSTA = 0;
      return;
    }
    this.position_count = target;
  }

  private advanceMotion(dt_s: number): void {
    const info = robotiqModels[this.model];
    const speed_counts_s = (byteToValue(this.command.rSP, info.min_speed_m_s, info.max_speed_m_s) / info.stroke_m) * 255;
    const target = this.command.rPR;
    const here = this.position_count;
    const step = speed_counts_s * dt_s;
    if (target > here) {
      const object = this.object_at_count;
      if (object !== undefined && object >= here && object <= target && here + step >= object) {
        this.position_count = object;
        this.gOBJ = 2;
        this.contact = true;
        return;
      }
      this.position_count = Math.min(target, here + step);
    } else if (target < here) {
      this.position_count = Math.max(target, here - step);
    }
    this.gOBJ = this.position_count === target ? 3 : 0;
  }
}
