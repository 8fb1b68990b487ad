import { MessageChannel } from 'node:worker_threads';
import { afterEach, describe, expect, test } from 'vitest';
import { ControlClient } from '../../../main/control/controlClient';
import type { ControlEvent } from '../../../main/control/controlProtocol';
import { findFreePortBase } from '../../../main/devices/deoxys/ports';
import { simSessionFor } from '../../../main/devices/sim/register';
import type { SimSession } from '../../../main/devices/sim/simSession';
import { systemClock } from '../../../main/devices/types';
import { rigConfigSchema } from '../../../shared/rig/rigConfig';
import simRig from '../../../rigs/sim.json';

const ZERO = { kind: 'ee_delta', translation_m: [0, 0, 0], rotation_axis_angle_rad: [0, 0, 0] };
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Resolves with the first event that matches; the timeout only guards against a hang. */
function nextEvent<E extends ControlEvent>(
  control: ControlClient,
  accept: (event: ControlEvent) => event is E,
  timeout_ms = 10_000,
): Promise<E> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error('no matching event from the control worker'));
    }, timeout_ms);
    const off = control.onEvent((event) => {
      if (!accept(event)) return;
      clearTimeout(timer);
      off();
      resolve(event);
    });
  });
}

/** The simulated rig with a keyboard (no cameras) and a control worker attached to it; `start` starts the loop. */
async function simulatedControl() {
  const rig = rigConfigSchema.parse({ ...simRig, cameras: [], teleop: [{ type: 'keyboard' }] });
  const sim: SimSession = simSessionFor(rig.arm, systemClock);
  await sim.acquire();
  cleanups.push(() => sim.release());
  const { port1, port2 } = new MessageChannel();
  await sim.attach(port1);
  const control = new ControlClient();
  cleanups.push(() => control.close());
  return { control, start: () => control.request('start', { rig, wake: control.wake, sim_port: port2 }, [port2]) };
}

const isCycle = (event: ControlEvent): event is Extract<ControlEvent, { event: 'cycle' }> => event.event === 'cycle';

describe('control worker', () => {
  test(
    'drives the simulated arm from its own thread: input-triggered cycles, e-stop buttons act in the worker, other buttons go to the core',
    { timeout: 60_000 },
    async () => {
      const rig = rigConfigSchema.parse({
        ...simRig,
        cameras: [],
        teleop: [{ type: 'keyboard', button_actions: { KeyX: 'estop', KeyZ: 'release_estop', KeyR: 'toggle_recording' } }],
      });
      // The core's side: the simulation it owns, with a port attached for the worker.
      const sim: SimSession = simSessionFor(rig.arm, systemClock);
      await sim.acquire();
      cleanups.push(() => sim.release());
      const { port1, port2 } = new MessageChannel();
      await sim.attach(port1);
      const control = new ControlClient();
      cleanups.push(() => control.close());
      const firstArmState = nextEvent(control, (event): event is Extract<ControlEvent, { event: 'arm' }> => event.event === 'arm');
      const started = await control.request('start', { rig, wake: control.wake, sim_port: port2 }, [port2]);
      expect(started).toMatchObject({
        rate_hz: 100,
        arm: { name: 'arm', type: 'sim-arm' },
        gripper: { type: 'sim-gripper' },
        teleop: [{ type: 'keyboard' }],
      });
      expect((await firstArmState).state.q_rad).toHaveLength(7);

      // A report starts a cycle at once, and that cycle carries it. (One whose command found the sim busy
      // can be superseded by the next tick, as the newest command wins; the UI's heartbeat sends the held
      // keys again every 50 ms, and so does this operator.)
      const reacted = nextEvent(
        control,
        (event): event is Extract<ControlEvent, { event: 'cycle' }> => isCycle(event) && event.record.trigger === 'input',
      );
      const press = () => control.input({ input: 'keys', keys: ['KeyW'], capture_ns: systemClock.now_ns() });
      press();
      const heartbeat = setInterval(press, 50);
      const cycle = await reacted.finally(() => clearInterval(heartbeat)).then((event) => event.record);
      expect(cycle.intent?.arm.translation_m[0]).toBeGreaterThan(0);
      expect(cycle.teleop_age_ms).not.toBeNull();
      expect(cycle.sent_ns).toBeGreaterThanOrEqual(cycle.t_ns);

      // The e-stop button stops motion in the worker: from the next cycle on, zero motion with the reason.
      const estopped = nextEvent(
        control,
        (event): event is Extract<ControlEvent, { event: 'snapshot' }> => event.event === 'snapshot' && event.snapshot.estopped,
      );
      control.input({ input: 'keys', keys: ['KeyW', 'KeyX'], capture_ns: systemClock.now_ns() });
      await estopped;
      const held = await nextEvent(
        control,
        (event): event is Extract<ControlEvent, { event: 'cycle' }> => isCycle(event) && event.record.estopped,
      );
      expect(held.record.executed.sent).toEqual(ZERO);
      expect(held.record.executed.clip_reasons).toContain('e-stop engaged');

      // A recording button is the core's business: it arrives as an action.
      const action = nextEvent(control, (event): event is Extract<ControlEvent, { event: 'action' }> => event.event === 'action');
      control.input({ input: 'keys', keys: ['KeyR'], capture_ns: systemClock.now_ns() });
      expect(await action).toMatchObject({ action: 'toggle_recording', device: 'keyboard', button: 'KeyR' });

      // Release and e-stop as requests (the UI's buttons): the reply is the new state.
      expect((await control.request('release', null)).estopped).toBe(false);
      const moving = await nextEvent(
        control,
        (event): event is Extract<ControlEvent, { event: 'cycle' }> => isCycle(event) && !event.record.estopped,
      );
      expect(moving.record.estopped).toBe(false);
      expect((await control.request('estop', null)).estopped).toBe(true);
      const next = await nextEvent(control, isCycle);
      expect(next.record.estopped).toBe(true);
      expect(next.record.executed.sent).toEqual(ZERO);

      // A command the arm cannot take (here the simulation dies) latches the e-stop and says why.
      const fault = nextEvent(
        control,
        (event): event is Extract<ControlEvent, { event: 'log' }> => event.event === 'log' && /control cycle failed/.test(event.message),
      );
      const latched = nextEvent(
        control,
        (event): event is Extract<ControlEvent, { event: 'snapshot' }> =>
          event.event === 'snapshot' && event.snapshot.estopped && event.snapshot.fault !== null,
      );
      expect((await control.request('release', null)).estopped).toBe(false);
      await sim.request('injectFault', null);
      expect((await fault).message).toMatch(/e-stop engaged.*injected fault/);
      // The snapshot says why, for the UI, until the operator releases.
      expect((await latched).snapshot.fault).toMatch(/injected fault/);
      expect((await control.request('release', null)).fault).toBeNull();

      await control.request('stop', null);
    },
  );

  test(
    'an e-stop that arrives while the loop is still starting is held, not refused, and the loop starts stopped',
    { timeout: 60_000 },
    async () => {
      const { control, start } = await simulatedControl();
      // Sent together: the worker reads the e-stop while the start is still connecting its devices.
      const starting = start();
      expect((await control.request('estop', null)).estopped).toBe(true);
      const started = await starting;
      expect(started.snapshot.estopped).toBe(true);
      const held = await nextEvent(control, (event): event is Extract<ControlEvent, { event: 'cycle' }> => isCycle(event));
      expect(held.record.estopped).toBe(true);
      await control.request('stop', null);
    },
  );

  test(
    'an approved chunk plays one action per cycle under the same safety, then the arm is the operator’s again; the e-stop cuts a chunk short and it never resumes',
    { timeout: 60_000 },
    async () => {
      const { control, start } = await simulatedControl();
      await start();
      const chunkCycles: Extract<ControlEvent, { event: 'cycle' }>['record'][] = [];
      control.onEvent((event) => {
        if (event.event === 'cycle' && event.record.source === 'chunk') chunkCycles.push(event.record);
      });
      // 5 steps of 2 cm: beyond the speed limit at 100 Hz, so every step is clipped, with the reason.
      const step = {
        translation_m: [0.02, 0, 0] as [number, number, number],
        rotation_axis_angle_rad: [0, 0, 0] as [number, number, number],
        gripper: 0,
      };
      const run = await control.request('runChunk', { actions: Array.from({ length: 5 }, () => step), kind: 'chunk' });
      expect(run).toMatchObject({ played: 5, clipped: 5, estopped: false });
      expect(run.first_t_ns).not.toBeNull();
      expect(chunkCycles).toHaveLength(5);
      for (const record of chunkCycles) {
        expect(record.executed.clipped).toBe(true);
        expect(record.executed.clip_reasons.join(' ')).toMatch(/speed/);
      }
      // Back to the operator: the next cycles are teleop's.
      expect((await nextEvent(control, isCycle)).record.source).toBe('teleop');

      // A long chunk, e-stopped midway: it ends at once, short, and after release the operator drives.
      const long = control.request('runChunk', {
        actions: Array.from({ length: 2000 }, () => ({ ...step, translation_m: [0.0001, 0, 0] as [number, number, number] })),
        kind: 'policy',
      });
      await nextEvent(
        control,
        (event): event is Extract<ControlEvent, { event: 'cycle' }> => isCycle(event) && event.record.source === 'policy',
      );
      await control.request('estop', null);
      const cut = await long;
      expect(cut.estopped).toBe(true);
      expect(cut.played).toBeLessThan(2000);
      await expect(control.request('runChunk', { actions: [step], kind: 'chunk' })).rejects.toThrow(/E-stop is latched/);
      await control.request('release', null);
      const after = await nextEvent(
        control,
        (event): event is Extract<ControlEvent, { event: 'cycle' }> => isCycle(event) && !event.record.estopped,
      );
      expect(after.record.source).toBe('teleop');
      await control.request('stop', null);
    },
  );

  test(
    'an arm that cannot connect fails the start with the reason and its fix; the worker closes cleanly',
    { timeout: 30_000 },
    async () => {
      const port_base = await findFreePortBase();
      const rig = rigConfigSchema.parse({
        ...simRig,
        arm: { type: 'deoxys', nuc_ip: '127.0.0.1', bind_ip: '127.0.0.1', port_base, connect_timeout_ms: 300, control_hz: 20 },
        gripper: undefined,
        cameras: [],
        teleop: [{ type: 'keyboard' }],
      });
      const control = new ControlClient();
      cleanups.push(() => control.close());
      const error = (await control.request('start', { rig, wake: control.wake }).then(
        () => new Error('the start succeeded'),
        (e: unknown) => e,
      )) as Error & { fix?: string };
      expect(error).toBeInstanceOf(Error);
      expect(error.message).toMatch(/deoxys/);
      expect(error.fix).toEqual(expect.any(String));
      expect(control.failed).toBeUndefined();
    },
  );
});

describe('control worker failure', () => {
  test('a crash in the worker is reported once, with the reason; later requests fail instead of hanging', { timeout: 30_000 }, async () => {
    const control = new ControlClient();
    cleanups.push(() => control.close());
    const failed = new Promise<Error>((resolve) => control.onFailure(resolve));
    // The reply and the crash race each other across the thread boundary: either order is fine.
    const injected = control.request('injectFault', null).catch((e: unknown) => e);
    const error = await failed;
    await injected;
    expect(error.message).toMatch(/control worker crashed: injected fault/);
    await expect(control.request('estop', null)).rejects.toThrow(/injected fault/);
    expect(control.failed).toBe(error);
  });
});
