import { ResyncFramer, type Candidate, type FrameParser } from '../serial/frameStream';
import { crc16Dynamixel } from './crc16Dynamixel';

/** Constants from DynamixelSDK `robotis_def.py` (§5.3). */
export const BROADCAST_ID = 0xfe;
export const INST_PING = 0x01;
export const INST_READ = 0x02;
export const INST_WRITE = 0x03;
export const INST_SYNC_READ = 0x82;
export const INST_SYNC_WRITE = 0x83;
export const INST_STATUS = 0x55;

const HEADER = [0xff, 0xff, 0xfd, 0x00] as const;
/** Header (4) + id (1) + length (2). */
const PREFIX_BYTES = 7;
/** Longest packet accepted: far above anything GELLO exchanges, small enough to resync quickly. */
export const MAX_PACKET_BYTES = 1024;

/** A Protocol 2.0 packet with stuffing removed. For status packets (0x55) `params[0]` is the error byte. */
export interface DynamixelPacket {
  id: number;
  instruction: number;
  params: Uint8Array;
}

/** Inserts FD after every FF FF FD in instruction + params, as the SDK's `addStuffing` does. */
export function stuff(body: Uint8Array, before: readonly [number, number]): Uint8Array {
  const out: number[] = [];
  const at = (index: number) => (index >= 0 ? (body[index] ?? 0) : (before[before.length + index] ?? 0));
  for (let index = 0; index < body.length; index++) {
    const byte = body[index] ?? 0;
    out.push(byte);
    if (byte === 0xfd && at(index - 1) === 0xff && at(index - 2) === 0xff) out.push(0xfd);
  }
  return Uint8Array.from(out);
}

/** Removes the FD that stuffing added after each FF FF FD. */
export function unstuff(body: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (let index = 0; index < body.length; index++) {
    const byte = body[index] ?? 0;
    out.push(byte);
    const n = out.length;
    if (byte === 0xfd && out[n - 2] === 0xff && out[n - 3] === 0xff && body[index + 1] === 0xfd) index++;
  }
  return Uint8Array.from(out);
}

export function encodePacket(packet: DynamixelPacket): Uint8Array {
  const raw = new Uint8Array(1 + packet.params.length);
  raw[0] = packet.instruction;
  raw.set(packet.params, 1);
  // The SDK looks back across the length bytes too; the unstuffed length is what it sees there.
  const rawLength = raw.length + 2;
  const body = stuff(raw, [rawLength & 0xff, rawLength >>> 8]);
  const length = body.length + 2;
  const frame = new Uint8Array(PREFIX_BYTES + body.length + 2);
  frame.set(HEADER, 0);
  frame[4] = packet.id;
  frame[5] = length & 0xff;
  frame[6] = length >>> 8;
  frame.set(body, PREFIX_BYTES);
  const crc = crc16Dynamixel(frame.subarray(0, frame.length - 2));
  frame[frame.length - 2] = crc & 0xff;
  frame[frame.length - 1] = crc >>> 8;
  return frame;
}

export function encodeStatus(id: number, error: number, data: Uint8Array): Uint8Array {
  const params = new Uint8Array(1 + data.length);
  params[0] = error;
  params.set(data, 1);
  return encodePacket({ id, instruction: INST_STATUS, params });
}

const u16le = (low: number, high: number) => low | (high << 8);

/** SYNC READ params: `addr_L addr_H len_L len_H id1 id2 …`. */
export function syncReadPacket(address: number, length: number, ids: readonly number[]): DynamixelPacket {
  return {
    id: BROADCAST_ID,
    instruction: INST_SYNC_READ,
    params: Uint8Array.from([address & 0xff, address >>> 8, length & 0xff, length >>> 8, ...ids]),
  };
}

function judge(bytes: Uint8Array): Candidate<DynamixelPacket> {
  for (let index = 0; index < HEADER.length && index < bytes.length; index++) {
    if (bytes[index] !== HEADER[index]) return { kind: 'invalid', reason: 'bytes before a FF FF FD 00 header' };
  }
  if (bytes.length < PREFIX_BYTES) return { kind: 'need', length: PREFIX_BYTES + 3 };
  const id = bytes[4] ?? 0;
  if (id > 252 && id !== BROADCAST_ID) return { kind: 'invalid', reason: `packet id ${id} is outside 0..252 and not broadcast` };
  const length = u16le(bytes[5] ?? 0, bytes[6] ?? 0);
  const total = PREFIX_BYTES + length;
  if (length < 3 || total > MAX_PACKET_BYTES)
    return { kind: 'invalid', reason: `packet length ${length} is outside 3..${MAX_PACKET_BYTES - PREFIX_BYTES}` };
  if (bytes.length < total) return { kind: 'need', length: total };
  const sent = u16le(bytes[total - 2] ?? 0, bytes[total - 1] ?? 0);
  const computed = crc16Dynamixel(bytes.subarray(0, total - 2));
  if (sent !== computed) {
    return {
      kind: 'invalid',
      reason: `CRC mismatch in a packet for id ${id} (packet says 0x${sent.toString(16).padStart(4, '0')}, computed 0x${computed.toString(16).padStart(4, '0')})`,
    };
  }
  const body = unstuff(bytes.subarray(PREFIX_BYTES, total - 2));
  const instruction = body[0] ?? 0;
  if (instruction === INST_STATUS && body.length < 2)
    return { kind: 'invalid', reason: `status packet from id ${id} without an error byte` };
  return { kind: 'frame', frame: { id, instruction, params: body.slice(1) }, length: total };
}

/** A resynchronising stream parser for Protocol 2.0 packets (instruction and status alike). */
export function createDynamixelParser(): FrameParser<DynamixelPacket> {
  return new ResyncFramer(judge, MAX_PACKET_BYTES);
}

/** The error byte of a status packet: bit 7 = hardware alert, the rest a result code. */
export function describeStatusError(error: number): string | undefined {
  const codes: Record<number, string> = {
    1: 'result fail',
    2: 'instruction error',
    3: 'CRC error',
    4: 'data range error',
    5: 'data length error',
    6: 'data limit error',
    7: 'access error',
  };
  const parts: string[] = [];
  const code = error & 0x7f;
  if (code !== 0) parts.push(codes[code] ?? `error ${code}`);
  if (error & 0x80) parts.push('hardware alert (read Hardware Error Status, address 70)');
  return parts.length > 0 ? parts.join(', ') : undefined;
}
