import { StudioError } from '../../../shared/api/errors';
import { FrameInbox } from '../serial/frameInbox';
import type { SerialLink } from '../serial/serialLink';
import { createModbusParser, encodeRequest, modbusExceptionText, type ModbusRequest, type ModbusResponse } from './modbusRtuFrame';

export interface ModbusMasterOptions {
  slave_id: number;
  timeout_ms: number;
  /** Named in errors: `Robotiq gripper`. */
  device: string;
  /** What to check when the slave stays silent. */
  silenceFix: string;
}

/** A Modbus RTU master for one slave on one serial link: one transaction at a time, replies matched to requests. */
export class ModbusRtuMaster {
  private readonly inbox = new FrameInbox<ModbusResponse>(createModbusParser('response'));

  constructor(
    private readonly link: SerialLink,
    private readonly options: ModbusMasterOptions,
  ) {
    link.on('data', (chunk) => this.inbox.receive(chunk));
    link.on('drop', (error) => this.inbox.failPending(error));
  }

  get discarded_bytes(): number {
    return this.inbox.discarded_bytes;
  }

  readRegisters(function_code: 3 | 4, start: number, count: number): Promise<number[]> {
    return this.request({ kind: 'read', slave_id: this.options.slave_id, function_code, start, count }).then((reply) => {
      if (reply.kind !== 'read' || reply.values.length !== count) throw this.mismatch(`read of ${count} registers at ${start}`);
      return reply.values;
    });
  }

  async writeRegisters(start: number, values: number[]): Promise<void> {
    const reply = await this.request({ kind: 'write_multiple', slave_id: this.options.slave_id, start, values });
    if (reply.kind !== 'write_multiple' || reply.start !== start || reply.count !== values.length)
      throw this.mismatch(`write of ${values.length} registers at ${start}`);
  }

  private request(request: ModbusRequest): Promise<ModbusResponse> {
    const { slave_id, timeout_ms, device, silenceFix } = this.options;
    const { path } = this.link.options;
    const wantedCode = request.kind === 'read' ? request.function_code : request.kind === 'write_single' ? 6 : 16;
    return this.inbox.exclusive(async () => {
      const got: { reply?: ModbusResponse } = {};
      await this.inbox.transact(
        (frame) => {
          if (frame.slave_id !== slave_id) return false;
          const code = frame.kind === 'read' || frame.kind === 'exception' ? frame.function_code : frame.kind === 'write_single' ? 6 : 16;
          if (code !== wantedCode) return false;
          got.reply = frame;
          return true;
        },
        timeout_ms,
        () =>
          new StudioError({
            code: 'unavailable',
            message: `no answer from ${device} (Modbus slave ${slave_id}) on ${path} within ${timeout_ms} ms`,
            fix: silenceFix,
          }),
        () => this.link.write(encodeRequest(request)),
      );
      const reply = got.reply;
      if (reply === undefined) throw new Error('unreachable: transaction finished without a reply');
      if (reply.kind === 'exception') {
        const text = modbusExceptionText[reply.exception_code] ?? 'unknown exception';
        throw new StudioError({
          code: 'failed_precondition',
          message: `${device} (slave ${slave_id}) refused function ${reply.function_code}: exception ${reply.exception_code} (${text})`,
          fix: 'Check the model in the rig config: this register map is for the Robotiq 2F-85/2F-140/Hand-E.',
        });
      }
      return reply;
    });
  }

  private mismatch(what: string): StudioError {
    return new StudioError({
      code: 'unavailable',
      message: `${this.options.device} (slave ${this.options.slave_id}) answered a ${what} with a reply that does not match`,
      fix: 'Another master may be on the RS-485 bus; make sure only the studio talks to this gripper.',
    });
  }
}
