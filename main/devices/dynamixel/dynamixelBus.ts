import { StudioError } from '../../../shared/api/errors';
import { FrameInbox } from '../serial/frameInbox';
import type { SerialLink } from '../serial/serialLink';
import {
  INST_PING,
  INST_STATUS,
  createDynamixelParser,
  describeStatusError,
  encodePacket,
  syncReadPacket,
  type DynamixelPacket,
} from './dynamixelPacket';

export interface ServoReply {
  /** The data bytes (after the error byte). */
  data: Uint8Array;
  /** The status error byte; non-zero values are described by `describeStatusError`. */
  error: number;
}

/** A Protocol 2.0 master on one serial link: ping and sync read, one transaction at a time. */
export class DynamixelBus {
  private readonly inbox = new FrameInbox<DynamixelPacket>(createDynamixelParser());

  constructor(
    private readonly link: SerialLink,
    private readonly options: { timeout_ms: number; device: string },
  ) {
    link.on('data', (chunk) => this.inbox.receive(chunk));
    link.on('drop', (error) => this.inbox.failPending(error));
  }

  get discarded_bytes(): number {
    return this.inbox.discarded_bytes;
  }

  async ping(id: number): Promise<{ model_number: number; firmware: number }> {
    const replies = await this.collect(encodePacket({ id, instruction: INST_PING, params: new Uint8Array() }), [id], 'ping');
    const data = replies.get(id)?.data ?? new Uint8Array();
    return { model_number: (data[0] ?? 0) | ((data[1] ?? 0) << 8), firmware: data[2] ?? 0 };
  }

  /** SYNC READ of `length` bytes at `address` from every id; each servo answers with its own status packet. */
  syncRead(address: number, length: number, ids: readonly number[]): Promise<Map<number, ServoReply>> {
    return this.collect(encodePacket(syncReadPacket(address, length, ids)), ids, `sync read of ${length} bytes at ${address}`, length);
  }

  private collect(request: Uint8Array, ids: readonly number[], what: string, length?: number): Promise<Map<number, ServoReply>> {
    const { timeout_ms, device } = this.options;
    const { path, baud } = this.link.options;
    return this.inbox.exclusive(async () => {
      const replies = new Map<number, ServoReply>();
      const wanted = new Set(ids);
      await this.inbox.transact(
        (packet) => {
          if (packet.instruction !== INST_STATUS || !wanted.has(packet.id) || replies.has(packet.id)) return false;
          const data = packet.params.slice(1);
          if (length !== undefined && data.length !== length) return false;
          replies.set(packet.id, { error: packet.params[0] ?? 0, data });
          return replies.size === wanted.size;
        },
        timeout_ms,
        () => {
          const missing = ids.filter((id) => !replies.has(id));
          const first = missing[0] ?? 0;
          const answered = ids.filter((id) => replies.has(id));
          return new StudioError({
            code: 'unavailable',
            message: `${device}: servo${missing.length > 1 ? 's' : ''} ${missing.join(', ')} did not answer the ${what} on ${path} within ${timeout_ms} ms${answered.length > 0 ? ` (${answered.join(', ')} did)` : ''}`,
            fix:
              answered.length > 0
                ? `Check the cable into servo ${first} and that its id is ${first} (Dynamixel Wizard); all servos must share ${baud} baud.`
                : `Check the U2D2/OpenRB power and cable, that the servos use Protocol 2.0 at ${baud} baud, and the servo ids in the rig config.`,
          });
        },
        () => this.link.write(request),
      );
      for (const [id, reply] of replies) {
        const problem = describeStatusError(reply.error);
        if (problem !== undefined && (reply.error & 0x7f) !== 0) {
          throw new StudioError({
            code: 'failed_precondition',
            message: `${device}: servo ${id} refused the ${what}: ${problem}`,
            fix: 'Check the control table address and length for this servo model (X series).',
          });
        }
      }
      return replies;
    });
  }
}
