import { describe, expect, test } from 'vitest';
import { crc16Modbus } from '../../../main/devices/robotiq/crc16Modbus';
import { createModbusParser, encodeRequest, encodeResponse } from '../../../main/devices/robotiq/modbusRtuFrame';
import { countToWidth, widthToCount, defaultCalibration } from '../../../main/devices/robotiq/robotiqModels';
import {
  COMMAND_REGISTER,
  STATUS_REGISTER,
  decodeStatus,
  describeFault,
  encodeCommand,
  encodeStatus,
} from '../../../main/devices/robotiq/robotiqRegisters';

const hex = (text: string) => Uint8Array.from(text.split(' ').map((byte) => parseInt(byte, 16)));
const show = (bytes: Uint8Array) => [...bytes].map((byte) => byte.toString(16).padStart(2, '0').toUpperCase()).join(' ');

describe('Robotiq Modbus RTU frames (device-protocols §4.3 vectors)', () => {
  test('CRC-16/MODBUS of the spec frames', () => {
    expect(crc16Modbus(hex('09 03 07 D0 00 01'))).toBe(0xcf85);
  });

  test('requests encode byte for byte', () => {
    const write = (action: number, rPR: number, rSP: number, rFR: number) =>
      show(
        encodeRequest({
          kind: 'write_multiple',
          slave_id: 9,
          start: COMMAND_REGISTER,
          values: encodeCommand({ rACT: (action & 1) !== 0, rGTO: (action & 8) !== 0, rATR: false, rARD: false, rPR, rSP, rFR }),
        }),
      );
    expect(write(0, 0, 0, 0)).toBe('09 10 03 E8 00 03 06 00 00 00 00 00 00 73 30');
    expect(write(1, 0, 0, 0)).toBe('09 10 03 E8 00 03 06 01 00 00 00 00 00 72 E1');
    expect(write(9, 255, 255, 255)).toBe('09 10 03 E8 00 03 06 09 00 00 FF FF FF 42 29');
    expect(write(9, 0, 255, 255)).toBe('09 10 03 E8 00 03 06 09 00 00 00 FF FF 72 19');
    expect(show(encodeRequest({ kind: 'read', slave_id: 9, function_code: 3, start: STATUS_REGISTER, count: 1 }))).toBe(
      '09 03 07 D0 00 01 85 CF',
    );
    expect(show(encodeRequest({ kind: 'read', slave_id: 9, function_code: 3, start: STATUS_REGISTER, count: 3 }))).toBe(
      '09 03 07 D0 00 03 04 0E',
    );
    expect(show(encodeRequest({ kind: 'read', slave_id: 9, function_code: 4, start: STATUS_REGISTER, count: 3 }))).toBe(
      '09 04 07 D0 00 03 B1 CE',
    );
  });

  test('responses encode and parse byte for byte', () => {
    expect(show(encodeResponse({ kind: 'write_multiple', slave_id: 9, start: COMMAND_REGISTER, count: 3 }))).toBe(
      '09 10 03 E8 00 03 01 30',
    );
    const parser = createModbusParser('response');
    const events = parser.push(hex('09 03 02 11 00 55 D5 09 03 02 31 00 4C 15 09 03 06 B9 00 00 FF BD 00 1D 7C'));
    const frames = events.flatMap((event) => (event.kind === 'frame' ? [event.frame] : []));
    expect(frames).toEqual([
      { kind: 'read', slave_id: 9, function_code: 3, values: [0x1100] },
      { kind: 'read', slave_id: 9, function_code: 3, values: [0x3100] },
      { kind: 'read', slave_id: 9, function_code: 3, values: [0xb900, 0x00ff, 0xbd00] },
    ]);
    const last = frames[2];
    if (last?.kind !== 'read') throw new Error('expected a read');
    expect(decodeStatus(last.values)).toEqual({ gACT: true, gGTO: true, gSTA: 3, gOBJ: 2, gFLT: 0, kFLT: 0, gPR: 0xff, gPO: 0xbd, gCU: 0 });
    expect(encodeStatus(decodeStatus(last.values))).toEqual(last.values);
  });

  test('a request split across chunks is parsed once whole; a bad CRC is reported, not thrown', () => {
    const parser = createModbusParser('request');
    const frame = hex('09 10 03 E8 00 03 06 09 00 00 FF FF FF 42 29');
    expect(parser.push(frame.subarray(0, 5))).toEqual([]);
    expect(parser.push(frame.subarray(5))).toEqual([
      { kind: 'frame', frame: { kind: 'write_multiple', slave_id: 9, start: 1000, values: [0x0900, 0x00ff, 0xffff] } },
    ]);
    const bad = hex('09 03 07 D0 00 01 85 CE');
    const events = parser.push(bad);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ kind: 'discard', reason: expect.stringMatching(/CRC mismatch/) });
  });

  test('fault codes carry a message and a fix; major faults are marked', () => {
    expect(describeFault(0)).toBeUndefined();
    expect(describeFault(14)).toMatchObject({ message: 'over-current', major: true });
    expect(describeFault(7)?.major).toBe(false);
    expect(describeFault(10)?.fix).toMatch(/24 V/);
    expect(describeFault(6)?.message).toMatch(/unknown fault code 6/);
  });

  test('widths map to position counts with the stroke', () => {
    expect(widthToCount(0.085, 0.085, defaultCalibration)).toBe(0);
    expect(widthToCount(0, 0.085, defaultCalibration)).toBe(255);
    expect(widthToCount(0.025, 0.05, defaultCalibration)).toBe(128);
    expect(countToWidth(230, 0.085, { open_count: 3, closed_count: 230 })).toBe(0);
    expect(countToWidth(3, 0.085, { open_count: 3, closed_count: 230 })).toBeCloseTo(0.085, 9);
  });
});
