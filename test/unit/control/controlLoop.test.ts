import { afterEach, describe, expect, test } from 'vitest';
import { rigConfigSchema } from '../../../shared/rig/rigConfig';
import { ControlLoop } from '../../../main/control/controlLoop';
import { createDeviceRegistry } from '../../../main/devices/catalog';
import type { KeyboardTeleop } from '../../../main/devices/keyboard/keyboardTeleop';
import { createRigDevices, type RigDevices } from '../../../main/devices/rigDevices';
import type { SimArm } from '../../../main/devices/sim/simArm';
import simRig from '../../../rigs/sim.json';
import { ManualClock } from '../../support/manualClock';

/** The sim rig in this thread, advancing only when told: every step of the loop is exact. */
function manualRig() {
  const rig = rigConfigSchema.parse({
    ...simRig,
    arm: { type: 'sim-arm', pacing: 'manual', run_in: 'in-process', control_hz: 100 },
    cameras: [],
  });
  return rig;
}

describe('control loop on the simulated arm', () => {
  let devices: RigDevices | undefined;
  afterEach(async () => {
    await devices?.disconnect();
    devices = undefined;
  });

  async function setup() {
    const clock = new ManualClock();
    const rig = manualRig();
    devices = createRigDevices(rig, createDeviceRegistry(), clock);
    await devices.connect();
    const arm = devices.arm as SimArm;
    await arm.session.request('advance', 0);
    const keyboard = devices.teleop[0] as KeyboardTeleop;
    const loop = new ControlLoop({
      arm,
      ...(devices.gripper !== undefined ? { gripper: devices.gripper } : {}),
      teleop: keyboard,
      safety: rig.safety,
      rate_hz: 100,
      clock,
    });
    /** One 10 ms period: the clock, then physics. */
    const tick = async () => {
      clock.advance_ms(10);
      await arm.session.request('advance', 0.01);
    };
    return { clock, arm, keyboard, loop, tick };
  }

  test('held keys move the end effector at the mapped speed, within the safety limits', async () => {
    const { arm, keyboard, loop, tick } = await setup();
    const x0 = arm.latest()!.ee_position_m[0];
    for (let i = 0; i < 50; i++) {
      keyboard.setHeldKeys(['KeyW']);
      const record = await loop.cycle();
      expect(record?.executed.sent).toMatchObject({ kind: 'ee_delta' });
      await tick();
    }
    const moved = arm.latest()!.ee_position_m[0] - x0;
    // 0.5 s at the mapper's 0.15 m/s, tracked by the impedance controller with some lag.
    expect(moved).toBeGreaterThan(0.04);
    expect(moved).toBeLessThan(0.08);
  });

  test('stale teleop input and the e-stop give zero motion, with the reason recorded', async () => {
    const { clock, keyboard, loop, tick } = await setup();
    keyboard.setHeldKeys(['KeyW']);
    clock.advance_ms(150);
    const stale = await loop.cycle();
    expect(stale?.executed.sent).toEqual({ kind: 'ee_delta', translation_m: [0, 0, 0], rotation_axis_angle_rad: [0, 0, 0] });
    expect(stale?.executed.clip_reasons[0]).toMatch(/teleop input 150 ms old/);

    keyboard.setHeldKeys(['KeyW', 'Space']);
    await loop.estop();
    const held = await loop.cycle();
    expect(held?.estopped).toBe(true);
    expect(held?.executed.clip_reasons).toContain('e-stop engaged');
    expect(held?.gripper?.sent).toEqual({ kind: 'stop' });
    loop.releaseEstop();
    await tick();
    keyboard.setHeldKeys(['KeyW']);
    const released = await loop.cycle();
    expect((released?.executed.sent as { translation_m: number[] }).translation_m[0]).toBeGreaterThan(0);
  });

  test('a command still on its way is not queued behind: the newest one replaces a waiting one', async () => {
    const { keyboard, loop } = await setup();
    keyboard.setHeldKeys(['KeyW']);
    const results = await Promise.all([loop.cycle(), loop.cycle(), loop.cycle()]);
    expect(results.map((r) => r === null)).toEqual([false, true, false]);
    expect(loop.stats()).toMatchObject({ cycles: 2, superseded: 1 });
  });

  test('a stopped loop sends nothing more: the command waiting behind one in flight is dropped', async () => {
    const { arm, keyboard, loop } = await setup();
    let sends = 0;
    const counted = Object.assign(Object.create(arm) as typeof arm, {
      sendAction: (command: Parameters<typeof arm.sendAction>[0]) => {
        sends++;
        return arm.sendAction(command);
      },
    });
    const watched = new ControlLoop({ arm: counted, teleop: keyboard, safety: manualRig().safety, rate_hz: 100, clock: new ManualClock() });
    keyboard.setHeldKeys(['KeyW']);
    const inFlight = watched.cycle();
    const waiting = watched.cycle();
    watched.stop();
    expect(await waiting).toBeNull();
    expect(await inFlight).not.toBeNull();
    await watched.drained();
    expect(sends).toBe(1);
    expect(await watched.cycle()).toBeNull();
    expect(sends).toBe(1);
    loop.stop();
  });
});
