import { afterEach, describe, expect, test } from 'vitest';
import { DynamixelBusSim } from '../../../main/devices/dynamixel/dynamixelBusSim';
import {
  createDynamixelParser,
  encodePacket,
  encodeStatus,
  syncReadPacket,
  type DynamixelPacket,
} from '../../../main/devices/dynamixel/dynamixelPacket';
import { gelloFactory } from '../../../main/devices/gello/gelloFactory';
import type { GelloLeader } from '../../../main/devices/gello/gelloLeader';
import {
  createModbusParser,
  encodeRequest,
  encodeResponse,
  type ModbusRequest,
  type ModbusResponse,
} from '../../../main/devices/robotiq/modbusRtuFrame';
import { robotiqFactory } from '../../../main/devices/robotiq/robotiqFactory';
import type { RobotiqGripper } from '../../../main/devices/robotiq/robotiqGripper';
import { RobotiqSimModel } from '../../../main/devices/robotiq/robotiqSimModel';
import { RobotiqSimPeer } from '../../../main/devices/robotiq/robotiqSimPeer';
import type { FrameParser, StreamEvent } from '../../../main/devices/serial/frameStream';
import { systemClock } from '../../../main/devices/types';
import { usePtyPairs } from '../../support/pty';

/** mulberry32: small, seeded, reproducible. */
function prng(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => int(256));
  return { next, int, bytes };
}
type Rng = ReturnType<typeof prng>;

const CASES = 10_000;

/** Garbage of one of the kinds a line produces: random bytes, a truncated frame, a corrupted frame, a valid one. */
function mangle(rng: Rng, frame: Uint8Array): { bytes: Uint8Array; kind: string } {
  switch (rng.int(5)) {
    case 0:
      return { bytes: rng.bytes(rng.int(48)), kind: 'random' };
    case 1:
      return { bytes: frame.slice(0, rng.int(frame.length)), kind: 'truncated' };
    case 2: {
      const bytes = frame.slice();
      for (let flips = 1 + rng.int(3); flips > 0; flips--) {
        const at = rng.int(bytes.length);
        bytes[at] = (bytes[at] ?? 0) ^ (1 << rng.int(8));
      }
      return { bytes, kind: 'bit flips' };
    }
    case 3: {
      const at = rng.int(frame.length + 1);
      const insert = rng.bytes(1 + rng.int(4));
      const drop = rng.int(3);
      return { bytes: Uint8Array.from([...frame.subarray(0, at), ...insert, ...frame.subarray(at + drop)]), kind: 'insert/delete' };
    }
    default:
      return { bytes: frame, kind: 'valid' };
  }
}

/** Pushes `bytes` in random chunk sizes, as a serial port delivers them. */
function pushChunked<F>(rng: Rng, parser: FrameParser<F>, bytes: Uint8Array): StreamEvent<F>[] {
  const events: StreamEvent<F>[] = [];
  let at = 0;
  while (at < bytes.length) {
    const size = 1 + rng.int(12);
    events.push(...parser.push(bytes.subarray(at, at + size)));
    at += size;
  }
  return events;
}

function fuzz<F>(seed: number, parser: FrameParser<F>, randomFrame: (rng: Rng) => { bytes: Uint8Array; frame: F }) {
  const rng = prng(seed);
  const counts = { frames: 0, discards: 0, discarded_bytes: 0, ambiguous: 0 };
  for (let index = 0; index < CASES; index++) {
    const garbage = mangle(rng, randomFrame(rng).bytes);
    const sentinel = randomFrame(rng);
    const before = pushChunked(rng, parser, garbage.bytes);
    let after = pushChunked(rng, parser, sentinel.bytes);
    const lastOf = (events: StreamEvent<F>[]) => events.filter((event) => event.kind === 'frame').at(-1);
    const first = lastOf(after);
    if (first?.kind === 'frame' && JSON.stringify(first.frame) !== JSON.stringify(sentinel.frame)) {
      // The garbage's tail and the frame's head formed a CRC-valid frame (a truncated frame completed by
      // the next byte, ~1/256 × 1/65536 odds per offset). Without RTU's silent gap no stream parser can
      // tell; the next frame must still come through.
      counts.ambiguous++;
      after = [...after, ...pushChunked(rng, parser, sentinel.bytes)];
    }
    for (const event of [...before, ...after]) {
      if (event.kind === 'discard') {
        counts.discards++;
        counts.discarded_bytes += event.bytes;
        if (!(event.bytes > 0 && event.reason.length > 10)) throw new Error(`case ${index}: unclear discard ${JSON.stringify(event)}`);
      } else counts.frames++;
    }
    // Recovery: the valid frame after the garbage is parsed, and it is the last thing the parser saw.
    const last = lastOf(after);
    if (last?.kind !== 'frame') throw new Error(`case ${index} (${garbage.kind}): the valid frame after the garbage was not parsed`);
    expect(last.frame, `case ${index} (${garbage.kind})`).toEqual(sentinel.frame);
  }
  return counts;
}

function randomRequest(rng: Rng): { bytes: Uint8Array; frame: ModbusRequest } {
  const slave_id = 1 + rng.int(247);
  const kind = rng.int(3);
  const frame: ModbusRequest =
    kind === 0
      ? { kind: 'read', slave_id, function_code: rng.int(2) === 0 ? 3 : 4, start: rng.int(65536), count: 1 + rng.int(125) }
      : kind === 1
        ? { kind: 'write_single', slave_id, address: rng.int(65536), value: rng.int(65536) }
        : { kind: 'write_multiple', slave_id, start: rng.int(65536), values: Array.from({ length: 1 + rng.int(6) }, () => rng.int(65536)) };
  return { bytes: encodeRequest(frame), frame };
}

function randomResponse(rng: Rng): { bytes: Uint8Array; frame: ModbusResponse } {
  const slave_id = 1 + rng.int(247);
  const kind = rng.int(4);
  const frame: ModbusResponse =
    kind === 0
      ? {
          kind: 'read',
          slave_id,
          function_code: rng.int(2) === 0 ? 3 : 4,
          values: Array.from({ length: 1 + rng.int(6) }, () => rng.int(65536)),
        }
      : kind === 1
        ? { kind: 'write_single', slave_id, address: rng.int(65536), value: rng.int(65536) }
        : kind === 2
          ? { kind: 'write_multiple', slave_id, start: rng.int(65536), count: 1 + rng.int(123) }
          : { kind: 'exception', slave_id, function_code: [3, 4, 6, 16][rng.int(4)] ?? 3, exception_code: 1 + rng.int(4) };
  return { bytes: encodeResponse(frame), frame };
}

function randomDynamixel(rng: Rng): { bytes: Uint8Array; frame: DynamixelPacket } {
  if (rng.int(2) === 0) {
    const ids = Array.from({ length: 1 + rng.int(8) }, (_, index) => index + 1);
    const packet = syncReadPacket(rng.int(2) === 0 ? 132 : 128, 4, ids);
    return { bytes: encodePacket(packet), frame: packet };
  }
  const id = rng.int(253);
  // Bias towards FF FF FD runs so stuffing is exercised.
  const data = Uint8Array.from({ length: rng.int(10) }, () => (rng.int(3) === 0 ? ([0xff, 0xfd][rng.int(2)] ?? 0) : rng.int(256)));
  const error = rng.int(4) === 0 ? 0x80 : 0;
  return { bytes: encodeStatus(id, error, data), frame: { id, instruction: 0x55, params: Uint8Array.from([error, ...data]) } };
}

describe('parser fuzz: random, truncated and corrupted frames (seeded)', () => {
  test(`Modbus RTU request parser: ${CASES} cases`, () => {
    const counts = fuzz(0x5eed01, createModbusParser('request'), randomRequest);
    expect(counts.frames).toBeGreaterThanOrEqual(CASES);
    expect(counts.discards).toBeGreaterThan(CASES / 4);
    expect(counts.ambiguous).toBeLessThan(CASES / 1000);
  });

  test(`Modbus RTU response parser: ${CASES} cases`, () => {
    const counts = fuzz(0x5eed02, createModbusParser('response'), randomResponse);
    expect(counts.frames).toBeGreaterThanOrEqual(CASES);
    expect(counts.discards).toBeGreaterThan(CASES / 4);
    expect(counts.ambiguous).toBeLessThan(CASES / 1000);
  });

  test(`Dynamixel packet parser: ${CASES} cases`, () => {
    const counts = fuzz(0x5eed03, createDynamixelParser(), randomDynamixel);
    expect(counts.frames).toBeGreaterThanOrEqual(CASES);
    expect(counts.discards).toBeGreaterThan(CASES / 4);
    expect(counts.ambiguous).toBeLessThan(CASES / 1000);
  });
});

describe('links recover from line noise (pty pair)', () => {
  const ptyPair = usePtyPairs();
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  test('Robotiq: every status read succeeds with random bytes ahead of every reply', async () => {
    const pair = await ptyPair();
    const rng = prng(0x5eed04);
    let now_ns = 0n;
    const peer = new RobotiqSimPeer(new RobotiqSimModel({ clock: { now_ns: () => now_ns } }), pair.b);
    peer.on('request', () => (now_ns += 50_000_000n));
    peer.noise = () => rng.bytes(rng.int(24));
    await peer.open();
    cleanups.push(() => peer.close());
    const gripper = robotiqFactory.create(
      robotiqFactory.options.parse({ port: pair.a, activate_on_connect: false, poll_hz: 1, timeout_ms: 2000 }),
      { clock: systemClock, name: 'g', resolve: () => undefined },
    ) as RobotiqGripper;
    cleanups.push(() => gripper.disconnect());
    await gripper.connect();
    for (let index = 0; index < 200; index++) expect((await gripper.readStatus()).gSTA).toBe(0);
    expect(gripper.master.discarded_bytes).toBeGreaterThan(1000);
  });

  test('Dynamixel: every sync read succeeds with random bytes ahead of the status packets', async () => {
    const pair = await ptyPair();
    const rng = prng(0x5eed05);
    const bus = new DynamixelBusSim(pair.b, [1, 2, 3, 4, 5, 6, 7, 8]);
    bus.noise = () => rng.bytes(rng.int(24));
    await bus.open();
    cleanups.push(() => bus.close());
    const gello = gelloFactory.create(
      gelloFactory.options.parse({
        port: pair.a,
        joint_offsets_rad: [0, 0, 0, 0, 0, 0, 0],
        joint_signs: [1, 1, 1, 1, 1, 1, 1],
        poll_hz: 1,
        timeout_ms: 2000,
      }),
      { clock: systemClock, name: 'l', resolve: () => undefined },
    ) as GelloLeader;
    cleanups.push(() => gello.disconnect());
    await gello.connect();
    for (let index = 0; index < 200; index++) {
      bus.setPosition(1 + (index % 8), index);
      const reading = await gello.read();
      expect(reading.raw_rad.get(1 + (index % 8))).toBeCloseTo((index * Math.PI) / 2048, 12);
    }
    expect(gello.bus.discarded_bytes).toBeGreaterThan(1000);
  });
});
