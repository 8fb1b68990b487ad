import { EventEmitter } from 'node:events';
import { SerialLink } from '../serial/serialLink';
import { createModbusParser, encodeResponse, type ModbusRequest } from './modbusRtuFrame';
import type { RobotiqSimModel } from './robotiqSimModel';

interface PeerEvents {
  /** A request arrived (before it is answered): tests advance their clock here. */
  request: [ModbusRequest];
  /** The port is open (again, after the line came back). */
  open: [];
  /** Bytes that did not form a frame, with the reason. */
  discard: [number, string];
}

/**
 * Puts a `RobotiqSimModel` on a serial port (one end of a pty pair, or a real RS-485 adapter wired
 * to a master), answering Modbus RTU requests frame for frame as the gripper would.
 */
export class RobotiqSimPeer extends EventEmitter<PeerEvents> {
  private readonly link: SerialLink;
  private readonly parser = createModbusParser('request');
  /** When true the slave hears but does not answer: a gripper without 24 V, or a wrong slave id. */
  silent = false;
  /** Bytes sent ahead of each reply: line noise, to prove the master resynchronises. */
  noise: (() => Uint8Array) | undefined;
  requests = 0;

  constructor(
    readonly model: RobotiqSimModel,
    path: string,
    options: { baud?: number; reconnect_interval_ms?: number } = {},
  ) {
    super();
    this.link = new SerialLink({
      path,
      baud: options.baud ?? 115200,
      device: 'simulated Robotiq slave',
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

  private receive(chunk: Uint8Array): void {
    for (const event of this.parser.push(chunk)) {
      if (event.kind === 'discard') {
        this.emit('discard', event.bytes, event.reason);
        continue;
      }
      this.requests++;
      this.emit('request', event.frame);
      if (this.silent) continue;
      const reply = this.model.handle(event.frame);
      if (reply === undefined) continue;
      const bytes = encodeResponse(reply);
      const noise = this.noise?.() ?? new Uint8Array();
      this.link.write(Buffer.concat([noise, bytes])).catch(() => undefined);
    }
  }
}
