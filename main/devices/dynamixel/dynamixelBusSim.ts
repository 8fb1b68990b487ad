import { EventEmitter } from 'node:events';
import { SerialLink } from '../serial/serialLink';
import {
  ADDR_FIRMWARE_VERSION,
  ADDR_ID,
  ADDR_MODEL_NUMBER,
  ADDR_OPERATING_MODE,
  ADDR_PRESENT_POSITION,
  ADDR_PRESENT_VELOCITY,
  CONTROL_TABLE_BYTES,
  MODEL_XL330_M288,
} from './controlTable';
import {
  BROADCAST_ID,
  INST_PING,
  INST_READ,
  INST_SYNC_READ,
  INST_STATUS,
  INST_WRITE,
  createDynamixelParser,
  encodeStatus,
  type DynamixelPacket,
} from './dynamixelPacket';

interface SimServo {
  table: Uint8Array;
}

interface BusEvents {
  packet: [DynamixelPacket];
  open: [];
  discard: [number, string];
}

const ERROR_INSTRUCTION = 2;
const ERROR_ACCESS = 7;

/**
 * A Dynamixel Protocol 2.0 bus of X-series servos on a serial port: each configured id keeps a
 * control table and answers PING, READ, WRITE and SYNC READ with its own status packet, in id order
 * for sync reads, as a daisy chain does. Positions are set by the test (or a dev tool) directly.
 */
export class DynamixelBusSim extends EventEmitter<BusEvents> {
  private readonly servos = new Map<number, SimServo>();
  private readonly link: SerialLink;
  private readonly parser = createDynamixelParser();
  packets = 0;
  /** Bytes sent ahead of each answer: line noise, to prove the master resynchronises. */
  noise: (() => Uint8Array) | undefined;

  constructor(path: string, ids: readonly number[], options: { baud?: number; reconnect_interval_ms?: number } = {}) {
    super();
    for (const id of ids) this.addServo(id);
    this.link = new SerialLink({
      path,
      baud: options.baud ?? 57600,
      device: 'simulated Dynamixel bus',
      reconnect_interval_ms: options.reconnect_interval_ms ?? 100,
    });
    this.link.on('data', (chunk) => this.receive(chunk));
    this.link.on('open', () => {
      this.parser.reset();
      this.emit('open');
    });
  }

  open(): Promise<void> {
    return this.link.open();
  }

  close(): Promise<void> {
    return this.link.close();
  }

  addServo(id: number, model_number = MODEL_XL330_M288): void {
    const table = new Uint8Array(CONTROL_TABLE_BYTES);
    const view = new DataView(table.buffer);
    view.setUint16(ADDR_MODEL_NUMBER, model_number, true);
    table[ADDR_FIRMWARE_VERSION] = 52;
    table[ADDR_ID] = id;
    table[ADDR_OPERATING_MODE] = 3;
    this.servos.set(id, { table });
  }

  /** Unplugs a servo from the chain: it stops answering. */
  removeServo(id: number): void {
    this.servos.delete(id);
  }

  setPosition(id: number, ticks: number, velocity = 0): void {
    const servo = this.servos.get(id);
    if (servo === undefined) throw new Error(`no simulated servo ${id}`);
    const view = new DataView(servo.table.buffer);
    view.setInt32(ADDR_PRESENT_POSITION, ticks, true);
    view.setInt32(ADDR_PRESENT_VELOCITY, velocity, true);
  }

  /** The answers to one instruction packet, in bus order. */
  answer(packet: DynamixelPacket): Uint8Array[] {
    const params = packet.params;
    const u16 = (at: number) => (params[at] ?? 0) | ((params[at + 1] ?? 0) << 8);
    const read = (servo: SimServo, id: number, address: number, length: number) =>
      address + length > CONTROL_TABLE_BYTES
        ? encodeStatus(id, ERROR_ACCESS, new Uint8Array())
        : encodeStatus(id, 0, servo.table.slice(address, address + length));
    const ids = packet.id === BROADCAST_ID ? [...this.servos.keys()].sort((a, b) => a - b) : [packet.id];
    switch (packet.instruction) {
      case INST_PING:
        return ids.flatMap((id) => {
          const servo = this.servos.get(id);
          if (servo === undefined) return [];
          const { table } = servo;
          return [
            encodeStatus(
              id,
              0,
              Uint8Array.from([table[ADDR_MODEL_NUMBER] ?? 0, table[ADDR_MODEL_NUMBER + 1] ?? 0, table[ADDR_FIRMWARE_VERSION] ?? 0]),
            ),
          ];
        });
      case INST_READ: {
        const servo = this.servos.get(packet.id);
        return servo === undefined || packet.id === BROADCAST_ID ? [] : [read(servo, packet.id, u16(0), u16(2))];
      }
      case INST_WRITE: {
        const servo = this.servos.get(packet.id);
        if (servo === undefined) return [];
        const address = u16(0);
        const data = params.subarray(2);
        if (address + data.length > CONTROL_TABLE_BYTES) return [encodeStatus(packet.id, ERROR_ACCESS, new Uint8Array())];
        servo.table.set(data, address);
        return [encodeStatus(packet.id, 0, new Uint8Array())];
      }
      case INST_SYNC_READ: {
        if (packet.id !== BROADCAST_ID) return [];
        const address = u16(0);
        const length = u16(2);
        return [...params.subarray(4)].flatMap((id) => {
          const servo = this.servos.get(id);
          return servo === undefined ? [] : [read(servo, id, address, length)];
        });
      }
      default:
        return packet.id === BROADCAST_ID || !this.servos.has(packet.id)
          ? []
          : [encodeStatus(packet.id, ERROR_INSTRUCTION, new Uint8Array())];
    }
  }

  private receive(chunk: Uint8Array): void {
    for (const event of this.parser.push(chunk)) {
      if (event.kind === 'discard') {
        this.emit('discard', event.bytes, event.reason);
        continue;
      }
      // Status packets from other servos on a shared line are not instructions.
      if (event.frame.instruction === INST_STATUS) continue;
      this.packets++;
      this.emit('packet', event.frame);
      const replies = this.answer(event.frame);
      if (replies.length === 0) continue;
      const joined = Buffer.concat([this.noise?.() ?? new Uint8Array(), ...replies]);
      this.link.write(joined).catch(() => undefined);
    }
  }
}
