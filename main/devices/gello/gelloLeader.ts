import { EventEmitter } from 'node:events';
import { StudioError } from '../../../shared/api/errors';
import { ADDR_PRESENT_POSITION } from '../dynamixel/controlTable';
import { DynamixelBus } from '../dynamixel/dynamixelBus';
import { describeStatusError } from '../dynamixel/dynamixelPacket';
import { SerialLink } from '../serial/serialLink';
import type { Clock, DeviceStatus, Features, Teleop, TeleopState } from '../types';
import { alignOffsets, gripperFraction, jointFromRaw, ticksToRad } from './gelloMapping';

export interface GelloOptions {
  port: string;
  baud: number;
  joint_ids: number[];
  joint_offsets_rad: number[];
  joint_signs: number[];
  /** Shift offsets by whole turns so the first reading is nearest this pose (GELLO's `start_joints`). */
  start_joints_rad?: number[] | undefined;
  /** The trigger servo; null for a leader without one. */
  gripper_id: number | null;
  gripper_open_rad: number;
  gripper_closed_rad: number;
  poll_hz: number;
  timeout_ms: number;
  reconnect_interval_ms: number;
}

export interface GelloReading {
  state: TeleopState;
  /** Raw Present Position of every servo read, radians, by id. */
  raw_rad: ReadonlyMap<number, number>;
  /** Servos whose status carried a hardware alert. */
  alerts: number[];
}

interface GelloEvents {
  reading: [GelloReading];
  line: ['drop' | 'open'];
}

/**
 * GELLO leader arm (device-protocols §5): passive Dynamixel X servos read by one SYNC READ of Present
 * Position per cycle; joint offsets and signs from the rig config; the trigger mapped to 0..1.
 */
export class GelloLeader implements Teleop {
  readonly kind = 'teleop';
  readonly type = 'gello';
  readonly bus: DynamixelBus;
  private readonly link: SerialLink;
  private readonly events = new EventEmitter<GelloEvents>();
  private offsets_rad: number[];
  private reading: GelloReading | undefined;
  private pollError: StudioError | undefined;
  private polling = false;
  private pollTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly name: string,
    readonly options: GelloOptions,
    private readonly clock: Clock,
  ) {
    const joints = options.joint_ids.length;
    for (const [key, list] of [
      ['joint_offsets_rad', options.joint_offsets_rad],
      ['joint_signs', options.joint_signs],
      ['start_joints_rad', options.start_joints_rad],
    ] as const) {
      if (list !== undefined && list.length !== joints) {
        throw new StudioError({
          code: 'failed_precondition',
          message: `GELLO: ${key} has ${list.length} entries for ${joints} joint_ids`,
          fix: `Give one ${key} entry per joint id.`,
        });
      }
    }
    this.offsets_rad = [...options.joint_offsets_rad];
    this.link = new SerialLink({
      path: options.port,
      baud: options.baud,
      device: 'GELLO leader arm',
      reconnect_interval_ms: options.reconnect_interval_ms,
    });
    this.bus = new DynamixelBus(this.link, { timeout_ms: options.timeout_ms, device: 'GELLO leader arm' });
    this.link.on('drop', (error) => {
      this.pollError = error;
      this.events.emit('line', 'drop');
    });
    this.link.on('open', () => this.events.emit('line', 'open'));
  }

  get ids(): number[] {
    return this.options.gripper_id === null ? [...this.options.joint_ids] : [...this.options.joint_ids, this.options.gripper_id];
  }

  /** The offsets in use (after start-pose alignment). */
  get joint_offsets_rad(): readonly number[] {
    return this.offsets_rad;
  }

  async connect(): Promise<void> {
    await this.link.open();
    try {
      const first = await this.read();
      if (this.options.start_joints_rad !== undefined) {
        const raw = this.options.joint_ids.map((id) => first.raw_rad.get(id) ?? 0);
        this.offsets_rad = alignOffsets(raw, this.options.joint_offsets_rad, this.options.joint_signs, this.options.start_joints_rad);
        await this.read();
      }
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
    const error = this.link.error ?? this.pollError;
    const connected = this.link.isOpen && this.pollError === undefined;
    if (error !== undefined)
      return { connected, error: { message: error.message, ...(error.fix !== undefined ? { fix: error.fix } : {}) } };
    const alerts = this.reading?.alerts ?? [];
    if (alerts.length > 0)
      return {
        connected,
        error: {
          message: `GELLO: hardware alert on servo ${alerts.join(', ')}`,
          fix: 'Power-cycle the leader arm; check for overload or overheating of that servo.',
        },
      };
    return { connected };
  }

  features(): Features {
    const joints = this.options.joint_ids.length;
    return {
      q_rad: { dtype: 'float64', shape: [joints], names: Array.from({ length: joints }, (_, index) => `joint${index + 1}`), unit: 'rad' },
      ...(this.options.gripper_id === null
        ? {}
        : { gripper: { dtype: 'float32', shape: [1], names: ['gripper'], unit: '0 open … 1 closed' } }),
    };
  }

  latest(): TeleopState | undefined {
    return this.reading?.state;
  }

  onState(listener: (state: TeleopState) => void): () => void {
    return this.onReading((reading) => listener(reading.state));
  }

  onReading(listener: (reading: GelloReading) => void): () => void {
    this.events.on('reading', listener);
    return () => this.events.off('reading', listener);
  }

  onLine(listener: (event: 'drop' | 'open') => void): () => void {
    this.events.on('line', listener);
    return () => this.events.off('line', listener);
  }

  /** One SYNC READ of Present Position across every servo. */
  async read(): Promise<GelloReading> {
    const replies = await this.bus.syncRead(ADDR_PRESENT_POSITION, 4, this.ids);
    const raw_rad = new Map<number, number>();
    const alerts: number[] = [];
    for (const [id, reply] of replies) {
      const view = new DataView(reply.data.buffer, reply.data.byteOffset, reply.data.byteLength);
      raw_rad.set(id, ticksToRad(view.getInt32(0, true)));
      if (describeStatusError(reply.error) !== undefined) alerts.push(id);
    }
    const { joint_ids, joint_signs, gripper_id, gripper_open_rad, gripper_closed_rad } = this.options;
    const q_rad = joint_ids.map((id, index) => jointFromRaw(raw_rad.get(id) ?? 0, this.offsets_rad[index] ?? 0, joint_signs[index] ?? 1));
    const state: TeleopState = {
      capture_ns: this.clock.now_ns(),
      translation: [0, 0, 0],
      rotation: [0, 0, 0],
      q_rad,
      ...(gripper_id === null ? {} : { gripper: gripperFraction(raw_rad.get(gripper_id) ?? 0, gripper_open_rad, gripper_closed_rad) }),
      buttons: {},
    };
    this.pollError = undefined;
    this.reading = { state, raw_rad, alerts };
    this.events.emit('reading', this.reading);
    return this.reading;
  }

  private startPolling(): void {
    this.polling = true;
    const period_ms = 1000 / this.options.poll_hz;
    const tick = async () => {
      if (!this.polling) return;
      try {
        await this.read();
      } catch (error) {
        if (error instanceof StudioError) this.pollError = error;
      }
      if (this.polling) this.pollTimer = setTimeout(() => void tick(), period_ms);
    };
    this.pollTimer = setTimeout(() => void tick(), period_ms);
  }
}
