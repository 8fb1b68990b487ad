import { afterEach, describe, expect, test } from 'vitest';
import { StudioError } from '../../../shared/api/errors';
import { DynamixelBusSim } from '../../../main/devices/dynamixel/dynamixelBusSim';
import { gelloFactory } from '../../../main/devices/gello/gelloFactory';
import type { GelloLeader, GelloReading } from '../../../main/devices/gello/gelloLeader';
import { MODEL_XL330_M288 } from '../../../main/devices/dynamixel/controlTable';
import { usePtyPairs } from '../../support/pty';

const ids = [1, 2, 3, 4, 5, 6, 7, 8];
const TICKS_PER_RAD = 2048 / Math.PI;

describe('GELLO leader against a simulated Dynamixel bus on a pty pair', () => {
  const ptyPair = usePtyPairs();
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function rig(options: Record<string, unknown> = {}) {
    const pair = await ptyPair();
    const bus = new DynamixelBusSim(pair.b, ids, { reconnect_interval_ms: 20 });
    await bus.open();
    cleanups.push(() => bus.close());
    const parsed = gelloFactory.options.parse({
      port: pair.a,
      joint_offsets_rad: [0, Math.PI / 2, Math.PI, Math.PI, Math.PI, 1.5 * Math.PI, 0],
      joint_signs: [1, -1, 1, -1, 1, 1, 1],
      gripper_open_rad: 2.0,
      gripper_closed_rad: 3.2,
      poll_hz: 200,
      reconnect_interval_ms: 20,
      ...options,
    });
    const gello = gelloFactory.create(parsed, { clock: { now_ns: () => 42n }, name: 'leader', resolve: () => undefined }) as GelloLeader;
    cleanups.push(() => gello.disconnect());
    return { pair, bus, gello };
  }

  const nextReading = (gello: GelloLeader) =>
    new Promise<GelloReading>((resolve) => {
      const off = gello.onReading((reading) => {
        off();
        resolve(reading);
      });
    });

  test('reads every servo in one sync read; offsets, signs and the trigger map to q_rad and gripper', async () => {
    const { bus, gello } = await rig();
    const q = [0.1, -0.4, 0.05, -2.0, 0.0, 1.8, 0.7];
    const offsets = [0, Math.PI / 2, Math.PI, Math.PI, Math.PI, 1.5 * Math.PI, 0];
    const signs = [1, -1, 1, -1, 1, 1, 1];
    q.forEach((joint, index) =>
      bus.setPosition(index + 1, Math.round((joint * (signs[index] ?? 1) + (offsets[index] ?? 0)) * TICKS_PER_RAD)),
    );
    bus.setPosition(8, Math.round(2.6 * TICKS_PER_RAD));
    const seen: number[] = [];
    bus.on('packet', (packet) => seen.push(packet.instruction));
    await gello.connect();
    const state = gello.latest();
    expect(state?.capture_ns).toBe(42n);
    expect(state?.q_rad).toHaveLength(7);
    // One tick is 1.5 mrad.
    state?.q_rad?.forEach((joint, index) => expect(Math.abs(joint - (q[index] ?? 0))).toBeLessThan(1 / TICKS_PER_RAD));
    expect(state?.gripper).toBeCloseTo(0.5, 2);
    expect(state).toMatchObject({ translation: [0, 0, 0], rotation: [0, 0, 0], buttons: {} });
    expect(seen).toEqual([0x82]);
    expect(gello.status()).toEqual({ connected: true });
    expect(gello.features()).toMatchObject({ q_rad: { shape: [7], unit: 'rad' }, gripper: { shape: [1] } });

    bus.setPosition(1, Math.round(-1.2 * TICKS_PER_RAD));
    bus.setPosition(8, Math.round(3.5 * TICKS_PER_RAD));
    const moved = await nextReading(gello);
    expect(Math.abs((moved.state.q_rad?.[0] ?? 0) + 1.2)).toBeLessThan(1 / TICKS_PER_RAD);
    expect(moved.state.gripper).toBe(1);
  });

  test('start_joints_rad shifts offsets by whole turns; stuffed position bytes survive the link', async () => {
    const { bus, gello } = await rig({
      joint_offsets_rad: [0, 0, 0, 0, 0, 0, 0],
      joint_signs: [1, 1, 1, 1, 1, 1, 1],
      start_joints_rad: [0, 0, 0, -1.57, 0, 1.57, 0],
    });
    for (const id of ids) bus.setPosition(id, 4096 + 10);
    // Little-endian FF FF FD FF: the status packet needs byte stuffing.
    bus.setPosition(4, -131073);
    await gello.connect();
    const q = gello.latest()?.q_rad ?? [];
    expect(q[0]).toBeCloseTo(10 / TICKS_PER_RAD, 9);
    expect(q[5]).toBeCloseTo(10 / TICKS_PER_RAD, 9);
    const raw4 = -131073 / TICKS_PER_RAD;
    expect(q[3]).toBeCloseTo(raw4 - 2 * Math.PI * Math.round((raw4 + 1.57) / (2 * Math.PI)), 9);
    expect(Math.abs((q[3] ?? 0) + 1.57)).toBeLessThan(Math.PI);
    expect(gello.bus.discarded_bytes).toBe(0);
  });

  test('ping answers with the model number', async () => {
    const { gello } = await rig();
    await gello.connect();
    expect(await gello.bus.ping(3)).toEqual({ model_number: MODEL_XL330_M288, firmware: 52 });
  });

  test('a servo missing from the chain is named, with what to check', async () => {
    const { bus, gello } = await rig({ timeout_ms: 60 });
    bus.removeServo(5);
    const error = await gello.connect().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StudioError);
    expect((error as StudioError).message).toMatch(
      /^GELLO leader arm: servo 5 did not answer the sync read of 4 bytes at 132 on .*A within 60 ms \(1, 2, 3, 4, 6, 7, 8 did\)$/,
    );
    expect((error as StudioError).fix).toMatch(/cable into servo 5.*57600 baud/);
  });

  test('a silent bus and inconsistent config are explained', async () => {
    const { bus, gello } = await rig({ timeout_ms: 60 });
    for (const id of ids) bus.removeServo(id);
    await expect(gello.connect()).rejects.toMatchObject({ fix: expect.stringMatching(/U2D2\/OpenRB power.*Protocol 2.0 at 57600 baud/) });
    const parsed = gelloFactory.options.parse({ port: '/dev/null', joint_offsets_rad: [0, 0, 0, 0, 0, 0, 0], joint_signs: [1, 1, 1] });
    expect(() => gelloFactory.create(parsed, { clock: { now_ns: () => 0n }, name: 'leader', resolve: () => undefined })).toThrow(
      /joint_signs has 3 entries for 7 joint_ids/,
    );
  });

  test('the line drops and comes back: polling resumes', async () => {
    const { pair, bus, gello } = await rig();
    await gello.connect();
    const dropped = new Promise<void>((resolve) => gello.onLine((event) => event === 'drop' && resolve()));
    await pair.stop();
    await dropped;
    expect(gello.status().connected).toBe(false);
    const busBack = new Promise<void>((resolve) => bus.once('open', () => resolve()));
    await pair.restart();
    await busBack;
    bus.setPosition(1, 1000);
    const reading = await new Promise<GelloReading>((resolve) => {
      const off = gello.onReading((r) => {
        if (r.raw_rad.get(1) !== 1000 / TICKS_PER_RAD) return;
        off();
        resolve(r);
      });
    });
    expect(reading.state.q_rad?.[0]).toBeCloseTo(1000 / TICKS_PER_RAD, 9);
    expect(gello.status()).toEqual({ connected: true });
  });
});
