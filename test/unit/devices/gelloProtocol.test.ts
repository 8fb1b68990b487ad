import { describe, expect, test } from 'vitest';
import { crc16Dynamixel } from '../../../main/devices/dynamixel/crc16Dynamixel';
import {
  INST_PING,
  createDynamixelParser,
  encodePacket,
  encodeStatus,
  stuff,
  syncReadPacket,
  unstuff,
} from '../../../main/devices/dynamixel/dynamixelPacket';
import { alignOffsets, gripperFraction, jointFromRaw, ticksToRad } from '../../../main/devices/gello/gelloMapping';

const show = (bytes: Uint8Array) => [...bytes].map((byte) => byte.toString(16).padStart(2, '0').toUpperCase()).join(' ');

describe('Dynamixel Protocol 2.0 packets (device-protocols §5.3 vectors)', () => {
  test('CRC table matches the DynamixelSDK literal table at spot entries', () => {
    // First entries of `crc_table` in DynamixelSDK protocol2_packet_handler.
    const first = [0x0000, 0x8005, 0x800f, 0x000a, 0x801b, 0x001e, 0x0014, 0x8011];
    expect(first.map((_, index) => crc16Dynamixel(Uint8Array.of(index), 0) === first[index])).toEqual(first.map(() => true));
  });

  test('sync read and ping encode byte for byte', () => {
    expect(show(encodePacket(syncReadPacket(132, 4, [1, 2])))).toBe('FF FF FD 00 FE 09 00 82 84 00 04 00 01 02 CE FA');
    expect(show(encodePacket(syncReadPacket(128, 8, [1, 2, 3, 4, 5, 6, 7, 8])))).toBe(
      'FF FF FD 00 FE 0F 00 82 80 00 08 00 01 02 03 04 05 06 07 08 9B 48',
    );
    expect(show(encodePacket({ id: 1, instruction: INST_PING, params: new Uint8Array() }))).toBe('FF FF FD 00 01 03 00 01 19 4E');
  });

  test('byte stuffing: FF FF FD in the params gets an extra FD, counted in LEN and undone by the parser', () => {
    const data = Uint8Array.from([0xff, 0xff, 0xfd, 0x00]);
    const frame = encodeStatus(3, 0, data);
    // 55 00 FF FF FD FD 00 → LEN = 7 + 2.
    expect(show(frame.subarray(4, 16))).toBe('03 09 00 55 00 FF FF FD FD 00 ' + show(frame.subarray(14, 16)));
    const events = createDynamixelParser().push(frame);
    expect(events).toEqual([{ kind: 'frame', frame: { id: 3, instruction: 0x55, params: Uint8Array.from([0, 0xff, 0xff, 0xfd, 0x00]) } }]);
    expect(unstuff(stuff(Uint8Array.from([1, 0xff, 0xff, 0xfd, 0xfd, 0xff, 0xff, 0xfd]), [0, 0]))).toEqual(
      Uint8Array.from([1, 0xff, 0xff, 0xfd, 0xfd, 0xff, 0xff, 0xfd]),
    );
  });

  test('a corrupted packet is reported and the next one still parses', () => {
    const good = encodeStatus(1, 0, Uint8Array.of(1, 2, 3, 4));
    const bad = good.slice();
    bad[9] = (bad[9] ?? 0) ^ 0x40;
    const events = createDynamixelParser().push(Uint8Array.from([...bad, ...good]));
    expect(events[0]).toMatchObject({ kind: 'discard', reason: expect.stringMatching(/CRC mismatch in a packet for id 1/) });
    expect(events.at(-1)).toMatchObject({ kind: 'frame', frame: { id: 1 } });
  });
});

describe('GELLO joint mapping (§5.4)', () => {
  test('ticks to radians, offsets and signs, gripper fraction', () => {
    expect(ticksToRad(2048)).toBeCloseTo(Math.PI, 12);
    expect(ticksToRad(-1024)).toBeCloseTo(-Math.PI / 2, 12);
    expect(jointFromRaw(Math.PI, Math.PI / 2, -1)).toBeCloseTo(-Math.PI / 2, 12);
    expect(gripperFraction(2.0, 2.0, 3.22)).toBe(0);
    expect(gripperFraction(2.61, 2.0, 3.22)).toBeCloseTo(0.5, 12);
    expect(gripperFraction(4, 2.0, 3.22)).toBe(1);
    expect(gripperFraction(3.4, 3.4, 2.66)).toBe(0);
  });

  test('offsets shift by whole turns to match the start pose', () => {
    const raw = [0.1 + 2 * Math.PI, 4 * Math.PI - 1.5];
    const aligned = alignOffsets(raw, [0, 0], [1, -1], [0, 1.57]);
    expect(aligned[0]).toBeCloseTo(2 * Math.PI, 12);
    expect(jointFromRaw(raw[0] ?? 0, aligned[0] ?? 0, 1)).toBeCloseTo(0.1, 12);
    expect(jointFromRaw(raw[1] ?? 0, aligned[1] ?? 0, -1)).toBeCloseTo(1.5, 12);
  });
});
