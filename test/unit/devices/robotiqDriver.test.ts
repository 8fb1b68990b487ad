import { afterEach, describe, expect, test } from 'vitest';
import { StudioError } from '../../../shared/api/errors';
import { robotiqFactory } from '../../../main/devices/robotiq/robotiqFactory';
import type { RobotiqGripper, RobotiqReading } from '../../../main/devices/robotiq/robotiqGripper';
import { countToWidth, defaultCalibration } from '../../../main/devices/robotiq/robotiqModels';
import { RobotiqSimModel } from '../../../main/devices/robotiq/robotiqSimModel';
import { RobotiqSimPeer } from '../../../main/devices/robotiq/robotiqSimPeer';
import { systemClock } from '../../../main/devices/types';
import { usePtyPairs } from '../../support/pty';

/** Simulated time moves 50 ms per request the slave hears: motion is a function of traffic, not of wall time. */
const SIM_STEP_NS = 50_000_000n;

describe('Robotiq driver against the simulated slave on a pty pair', () => {
  const ptyPair = usePtyPairs();
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function rig(options: Record<string, unknown> = {}, sim: { object_at_count?: number; model?: '2f-85' | 'hand-e' } = {}) {
    const pair = await ptyPair();
    let now_ns = 0n;
    const model = new RobotiqSimModel({ clock: { now_ns: () => now_ns }, activation_duration_s: 1, ...sim });
    const peer = new RobotiqSimPeer(model, pair.b, { reconnect_interval_ms: 20 });
    peer.on('request', () => (now_ns += SIM_STEP_NS));
    await peer.open();
    cleanups.push(() => peer.close());
    const parsed = robotiqFactory.options.parse({ port: pair.a, poll_hz: 200, reconnect_interval_ms: 20, timeout_ms: 1000, ...options });
    const gripper = robotiqFactory.create(parsed, { clock: systemClock, name: 'gripper', resolve: () => undefined }) as RobotiqGripper;
    cleanups.push(() => gripper.disconnect());
    return { pair, model, peer, gripper };
  }

  const settled = (rPR: number) => (reading: RobotiqReading) =>
    reading.status.gPR === rPR && reading.status.gGTO && reading.status.gOBJ !== 0;

  test('connect activates; move reaches the width; a grasp stops on the object', async () => {
    const { gripper, model } = await rig();
    await gripper.connect();
    expect(gripper.latest()?.detail).toMatchObject({ gSTA: 3, activation: 'activated' });
    expect(gripper.status()).toEqual({ connected: true });

    const sent = await gripper.sendAction({ kind: 'move', width_m: 0.04, speed_m_s: 0.15 });
    expect(sent.clipped).toBe(false);
    const rPR = 135; // round((1 - 0.04/0.085) * 255)
    const moved = await gripper.waitFor(settled(rPR), 5000, 'the end of the move');
    expect(moved.status).toMatchObject({ gOBJ: 3, gPO: rPR });
    expect(moved.state.width_m).toBeCloseTo(0.04, 3);
    expect(moved.state.is_grasped).toBe(false);

    model.object_at_count = 180;
    await gripper.sendAction({ kind: 'grasp', width_m: 0, speed_m_s: 0.1, force_n: 100 });
    const grasped = await gripper.waitFor(settled(255), 5000, 'contact');
    expect(grasped.status).toMatchObject({ gOBJ: 2, gPO: 180 });
    expect(grasped.state).toMatchObject({ is_grasped: true, max_width_m: 0.085 });
    expect(grasped.state.width_m).toBeCloseTo(countToWidth(180, 0.085, defaultCalibration), 9);
    expect(grasped.state.detail?.object).toMatch(/closing/);
  });

  test('sendAction clips width, speed and force to the model and says why', async () => {
    const { gripper } = await rig({ model: 'hand-e' }, { model: 'hand-e' });
    await gripper.connect();
    const move = await gripper.sendAction({ kind: 'move', width_m: 0.2, speed_m_s: 0.001 });
    expect(move.clipped).toBe(true);
    expect(move.clip_reasons).toEqual([
      'width 0.2 m above the Robotiq Hand-E maximum 0.05 m',
      'speed 0.001 m/s below the Robotiq Hand-E minimum 0.02 m/s',
    ]);
    expect(move.sent).toEqual({ kind: 'move', width_m: 0.05, speed_m_s: 0.02 });
    const grasp = await gripper.sendAction({ kind: 'grasp', width_m: -0.01, speed_m_s: 0.05, force_n: 500 });
    expect(grasp.clip_reasons).toEqual([
      'width -0.01 m below the Robotiq Hand-E minimum 0 m',
      'force 500 N above the Robotiq Hand-E maximum 185 N',
    ]);
    expect(grasp.sent).toMatchObject({ kind: 'grasp', width_m: 0, force_n: 185 });
    const fine = await gripper.sendAction({ kind: 'move', width_m: 0.025, speed_m_s: 0.05 });
    expect(fine).toMatchObject({ clipped: false, clip_reasons: [] });
    await expect(gripper.sendAction({ kind: 'move', width_m: Number.NaN, speed_m_s: 0.05 })).rejects.toThrow(/finite number/);
  });

  test('stop drops rGTO and the fingers stay where they are', async () => {
    const { gripper } = await rig();
    await gripper.connect();
    await gripper.sendAction({ kind: 'move', width_m: 0, speed_m_s: 0.02 });
    const partWay = await gripper.waitFor((r) => r.status.gPO > 20, 5000, 'motion');
    expect(partWay.status.gOBJ).toBe(0);
    await gripper.sendAction({ kind: 'stop' });
    const first = await gripper.waitFor((r) => !r.status.gGTO, 5000, 'the stop');
    const later = await new Promise<RobotiqReading>((resolve) => {
      let count = 0;
      const off = gripper.onReading((reading) => {
        if (++count < 5) return;
        off();
        resolve(reading);
      });
    });
    expect(later.status.gPO).toBe(first.status.gPO);
    expect(later.status.gPO).toBeLessThan(255);
  });

  test('faults are decoded with text and a fix; reactivation clears a major fault', async () => {
    const { gripper, model } = await rig();
    await gripper.connect();
    model.injectFault(14);
    const faulted = await gripper.waitFor((r) => r.status.gFLT === 14, 5000, 'the fault');
    expect(faulted.state.detail?.fault).toBe('over-current');
    expect(gripper.status().error).toEqual({
      message: 'Robotiq 2F-85: fault 14: over-current',
      fix: expect.stringMatching(/jammed finger.*activate again/),
    });
    await gripper.activate();
    await gripper.waitFor((r) => r.status.gFLT === 0, 5000, 'the fault to clear');
    expect(gripper.status()).toEqual({ connected: true });
  });

  test('without activation, motion is refused with the fix', async () => {
    const { gripper } = await rig({ activate_on_connect: false });
    await gripper.connect();
    await expect(gripper.sendAction({ kind: 'move', width_m: 0.01, speed_m_s: 0.1 })).rejects.toThrow(/not activated/);
    await gripper.sendAction({ kind: 'homing' });
    expect(gripper.latest()?.detail?.gSTA).toBe(3);
  });

  test('a silent slave gives an error naming the slave and what to check', async () => {
    const { gripper } = await rig({ slave_id: 10, timeout_ms: 60 });
    const error = await gripper.connect().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StudioError);
    expect((error as StudioError).message).toMatch(/^no answer from Robotiq 2F-85 \(Modbus slave 10\) on .*A within 60 ms$/);
    expect((error as StudioError).fix).toMatch(/wiring.*baud.*slave id.*24 V/);
  });

  test('a missing port is explained', async () => {
    const parsed = robotiqFactory.options.parse({ port: '/dev/does-not-exist-ttyUSB9' });
    const gripper = robotiqFactory.create(parsed, { clock: systemClock, name: 'gripper', resolve: () => undefined });
    await expect(gripper.connect()).rejects.toMatchObject({
      message: 'no serial port at /dev/does-not-exist-ttyUSB9 (Robotiq 2F-85 (slave 9))',
      fix: expect.stringMatching(/by-id/),
    });
  });

  test('the line drops (socat killed) and comes back: the driver reopens and carries on', async () => {
    const { gripper, pair, peer } = await rig();
    await gripper.connect();
    const dropped = new Promise<void>((resolve) => {
      const off = gripper.onLine((event) => {
        if (event !== 'drop') return;
        off();
        resolve();
      });
    });
    await pair.stop();
    await dropped;
    expect(gripper.status()).toMatchObject({
      connected: false,
      error: { message: expect.stringMatching(/^the line to Robotiq 2F-85 \(slave 9\) on .*A dropped$/) },
    });
    await expect(gripper.sendAction({ kind: 'move', width_m: 0.01, speed_m_s: 0.1 })).rejects.toThrow();

    const peerBack = new Promise<void>((resolve) => peer.once('open', () => resolve()));
    await pair.restart();
    await peerBack;
    const fresh = await new Promise<RobotiqReading>((resolve) => {
      const off = gripper.onReading((reading) => {
        off();
        resolve(reading);
      });
    });
    expect(fresh.status.gSTA).toBe(3);
    expect(gripper.status()).toEqual({ connected: true });
    await gripper.sendAction({ kind: 'move', width_m: 0.085, speed_m_s: 0.15 });
    await gripper.waitFor(settled(0), 5000, 'the move after reconnecting');
  });
});
