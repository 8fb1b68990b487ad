import { ResyncFramer, type Candidate, type FrameParser } from '../serial/frameStream';
import { crc16Modbus, withCrc } from './crc16Modbus';

/** The Modbus RTU subset the Robotiq grippers speak (§4.1): FC03/FC04 reads, FC06 and FC16 writes. */
export type ModbusRequest =
  | { kind: 'read'; slave_id: number; function_code: 3 | 4; start: number; count: number }
  | { kind: 'write_single'; slave_id: number; address: number; value: number }
  | { kind: 'write_multiple'; slave_id: number; start: number; values: number[] };

export type ModbusResponse =
  | { kind: 'read'; slave_id: number; function_code: 3 | 4; values: number[] }
  | { kind: 'write_single'; slave_id: number; address: number; value: number }
  | { kind: 'write_multiple'; slave_id: number; start: number; count: number }
  | { kind: 'exception'; slave_id: number; function_code: number; exception_code: number };

export const FC_READ_HOLDING = 3;
export const FC_READ_INPUT = 4;
export const FC_WRITE_SINGLE = 6;
export const FC_WRITE_MULTIPLE = 16;

const MAX_READ_COUNT = 125;
const MAX_WRITE_COUNT = 123;
/** The longest RTU frame: 256 bytes. */
export const MAX_RTU_FRAME_BYTES = 256;

export const modbusExceptionText: Readonly<Record<number, string>> = {
  1: 'illegal function',
  2: 'illegal data address',
  3: 'illegal data value',
  4: 'slave device failure',
  6: 'slave device busy',
};

const hi = (value: number) => (value >>> 8) & 0xff;
const lo = (value: number) => value & 0xff;
const u16 = (bytes: Uint8Array, at: number) => ((bytes[at] ?? 0) << 8) | (bytes[at + 1] ?? 0);
const hex = (value: number) => `0x${value.toString(16).padStart(2, '0')}`;

function words(values: readonly number[]): number[] {
  return values.flatMap((value) => [hi(value), lo(value)]);
}

function readWords(bytes: Uint8Array, at: number, count: number): number[] {
  return Array.from({ length: count }, (_, index) => u16(bytes, at + 2 * index));
}

export function encodeRequest(request: ModbusRequest): Uint8Array {
  switch (request.kind) {
    case 'read':
      return withCrc([request.slave_id, request.function_code, hi(request.start), lo(request.start), hi(request.count), lo(request.count)]);
    case 'write_single':
      return withCrc([request.slave_id, FC_WRITE_SINGLE, hi(request.address), lo(request.address), hi(request.value), lo(request.value)]);
    case 'write_multiple': {
      const count = request.values.length;
      return withCrc([
        request.slave_id,
        FC_WRITE_MULTIPLE,
        hi(request.start),
        lo(request.start),
        hi(count),
        lo(count),
        2 * count,
        ...words(request.values),
      ]);
    }
  }
}

export function encodeResponse(response: ModbusResponse): Uint8Array {
  switch (response.kind) {
    case 'read':
      return withCrc([response.slave_id, response.function_code, 2 * response.values.length, ...words(response.values)]);
    case 'write_single':
      return withCrc([
        response.slave_id,
        FC_WRITE_SINGLE,
        hi(response.address),
        lo(response.address),
        hi(response.value),
        lo(response.value),
      ]);
    case 'write_multiple':
      return withCrc([
        response.slave_id,
        FC_WRITE_MULTIPLE,
        hi(response.start),
        lo(response.start),
        hi(response.count),
        lo(response.count),
      ]);
    case 'exception':
      return withCrc([response.slave_id, response.function_code | 0x80, response.exception_code]);
  }
}

/** Length known → CRC check → the decoded frame; any rule broken → `invalid` with the rule. */
function complete<F>(bytes: Uint8Array, length: number, decode: () => F): Candidate<F> {
  if (bytes.length < length) return { kind: 'need', length };
  const sent = (bytes[length - 2] ?? 0) | ((bytes[length - 1] ?? 0) << 8);
  const computed = crc16Modbus(bytes.subarray(0, length - 2));
  if (sent !== computed)
    return {
      kind: 'invalid',
      reason: `CRC mismatch (frame says 0x${sent.toString(16).padStart(4, '0')}, computed 0x${computed.toString(16).padStart(4, '0')})`,
    };
  return { kind: 'frame', frame: decode(), length };
}

function judgeRequest(bytes: Uint8Array): Candidate<ModbusRequest> {
  if (bytes.length < 2) return { kind: 'need', length: 8 };
  const slave_id = bytes[0] ?? 0;
  const fc = bytes[1] ?? 0;
  if (slave_id > 247) return { kind: 'invalid', reason: `slave id ${slave_id} is outside 0..247` };
  if (fc === FC_READ_HOLDING || fc === FC_READ_INPUT) {
    if (bytes.length >= 6) {
      const count = u16(bytes, 4);
      if (count < 1 || count > MAX_READ_COUNT)
        return { kind: 'invalid', reason: `read of ${count} registers (1..${MAX_READ_COUNT} allowed)` };
    }
    return complete(bytes, 8, () => ({ kind: 'read', slave_id, function_code: fc, start: u16(bytes, 2), count: u16(bytes, 4) }));
  }
  if (fc === FC_WRITE_SINGLE)
    return complete(bytes, 8, () => ({ kind: 'write_single', slave_id, address: u16(bytes, 2), value: u16(bytes, 4) }));
  if (fc === FC_WRITE_MULTIPLE) {
    if (bytes.length < 7) return { kind: 'need', length: 9 };
    const count = u16(bytes, 4);
    const byteCount = bytes[6] ?? 0;
    if (count < 1 || count > MAX_WRITE_COUNT)
      return { kind: 'invalid', reason: `write of ${count} registers (1..${MAX_WRITE_COUNT} allowed)` };
    if (byteCount !== 2 * count) return { kind: 'invalid', reason: `byte count ${byteCount} does not match ${count} registers` };
    return complete(bytes, 9 + byteCount, () => ({
      kind: 'write_multiple',
      slave_id,
      start: u16(bytes, 2),
      values: readWords(bytes, 7, count),
    }));
  }
  return { kind: 'invalid', reason: `unsupported function code ${hex(fc)}` };
}

function judgeResponse(bytes: Uint8Array): Candidate<ModbusResponse> {
  if (bytes.length < 2) return { kind: 'need', length: 5 };
  const slave_id = bytes[0] ?? 0;
  const fc = bytes[1] ?? 0;
  if (slave_id < 1 || slave_id > 247) return { kind: 'invalid', reason: `slave id ${slave_id} is outside 1..247` };
  if (fc === FC_READ_HOLDING || fc === FC_READ_INPUT) {
    if (bytes.length < 3) return { kind: 'need', length: 7 };
    const byteCount = bytes[2] ?? 0;
    if (byteCount === 0 || byteCount % 2 !== 0 || byteCount > 2 * MAX_READ_COUNT)
      return { kind: 'invalid', reason: `read reply with byte count ${byteCount}` };
    return complete(bytes, 5 + byteCount, () => ({
      kind: 'read',
      slave_id,
      function_code: fc,
      values: readWords(bytes, 3, byteCount / 2),
    }));
  }
  if (fc === FC_WRITE_SINGLE)
    return complete(bytes, 8, () => ({ kind: 'write_single', slave_id, address: u16(bytes, 2), value: u16(bytes, 4) }));
  if (fc === FC_WRITE_MULTIPLE) {
    if (bytes.length >= 6) {
      const count = u16(bytes, 4);
      if (count < 1 || count > MAX_WRITE_COUNT) return { kind: 'invalid', reason: `write reply for ${count} registers` };
    }
    return complete(bytes, 8, () => ({ kind: 'write_multiple', slave_id, start: u16(bytes, 2), count: u16(bytes, 4) }));
  }
  const base = fc & 0x7f;
  if (fc & 0x80 && [FC_READ_HOLDING, FC_READ_INPUT, FC_WRITE_SINGLE, FC_WRITE_MULTIPLE].includes(base)) {
    return complete(bytes, 5, () => ({ kind: 'exception', slave_id, function_code: base, exception_code: bytes[2] ?? 0 }));
  }
  return { kind: 'invalid', reason: `unsupported function code ${hex(fc)}` };
}

/**
 * A byte-stream parser for RTU frames. RTU delimits frames by silence, which a stream over USB and a
 * pty does not keep, so frames are found by their length rules and CRC, resynchronising byte by byte
 * after garbage. `direction` says which side's frames to expect: a slave parses requests, a master
 * parses responses (the two share function codes but not layouts).
 */
export function createModbusParser(direction: 'request'): FrameParser<ModbusRequest>;
export function createModbusParser(direction: 'response'): FrameParser<ModbusResponse>;
export function createModbusParser(direction: 'request' | 'response'): FrameParser<ModbusRequest> | FrameParser<ModbusResponse> {
  return direction === 'request'
    ? new ResyncFramer(judgeRequest, MAX_RTU_FRAME_BYTES)
    : new ResyncFramer(judgeResponse, MAX_RTU_FRAME_BYTES);
}
