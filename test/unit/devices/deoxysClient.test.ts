import { afterEach, describe, expect, test } from 'vitest';
import { DeoxysArm } from '../../../main/devices/deoxys/deoxysArm';
import { FrankaHand } from '../../../main/devices/deoxys/frankaHand';
import { deoxysArmOptionsSchema, frankaHandOptionsSchema } from '../../../main/devices/deoxys/options';
import { findFreePortBase } from '../../../main/devices/deoxys/ports';
import { KinematicFrankaBackend, poseDistance } from '../../../main/devices/deoxys/simBackend';
import { DeoxysSimServer, type DeoxysSimServerEvents } from '../../../main/devices/deoxys/simServer';
import { FRANKA_Q_HOME_RAD, frankaForwardKinematics } from '../../../shared/robot/frankaKinematics';
import { systemClock, type ArmState, type DeviceStatus, type GripperState } from '../../../main/devices/types';

/** Failure guard only: every wait below resolves on an event. */
const GUARD_MS = 5000;

function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), GUARD_MS)));
  return Promise.race([promise, guard]).finally(() => clearTimeout(timer));
}

function nextEvent<K extends keyof DeoxysSimServerEvents>(
  server: DeoxysSimServer,
  event: K,
  accept: (...args: DeoxysSimServerEvents[K]) => boolean = () => true,
): Promise<DeoxysSimServerEvents[K]> {
  return within(
    new Promise((resolve) => {
      const listener = (...args: DeoxysSimServerEvents[K]) => {
        if (!accept(...args)) return;
        server.off(event, listener as never);
        resolve(args);
      };
      server.on(event, listener as never);
    }),
    `server event ${event}`,
  );
}

function armStateWhere(arm: DeoxysArm, accept: (state: ArmState) => boolean): Promise<ArmState> {
  return within(
    new Promise((resolve) => {
      const off = arm.onState((state) => {
        if (!accept(state)) return;
        off();
        resolve(state);
      });
    }),
    'an arm state',
  );
}

function gripperStateWhere(hand: FrankaHand, accept: (state: GripperState) => boolean): Promise<GripperState> {
  return within(
    new Promise((resolve) => {
      const off = hand.onState((state) => {
        if (!accept(state)) return;
        off();
        resolve(state);
      });
    }),
    'a gripper state',
  );
}

function statusWhere(arm: DeoxysArm, accept: (status: DeviceStatus) => boolean): Promise<DeviceStatus> {
  return within(
    new Promise((resolve) => {
      const off = arm.onStatusChange((status) => {
        if (!accept(status)) return;
        off();
        resolve(status);
      });
    }),
    'a status change',
  );
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A simulated NUC and a connected arm client on a fresh loopback port block. Fast rates keep tests short. */
async function rig(overrides: { arm?: Record<string, unknown>; server?: { policy_rate_hz?: number; restart_delay_ms?: number } } = {}) {
  const port_base = await findFreePortBase();
  const server = new DeoxysSimServer({ backend: new KinematicFrankaBackend(), port_base, restart_delay_ms: 20, ...overrides.server });
  await server.start();
  cleanups.push(() => server.close());
  const arm = new DeoxysArm(
    'arm',
    deoxysArmOptionsSchema.parse({ nuc_ip: '127.0.0.1', bind_ip: '127.0.0.1', port_base, controller_switch_messages: 3, ...overrides.arm }),
    systemClock,
  );
  await arm.connect();
  cleanups.push(() => arm.disconnect());
  return { server, arm, port_base };
}

describe('deoxys client ↔ simulated NUC over loopback TCP', () => {
  test('connect reads state: q, base_from_ee from O_T_EE, and every state after', async () => {
    const { arm } = await rig();
    const state = arm.latest();
    expect(state?.q_rad).toHaveLength(7);
    state?.q_rad.forEach((q, i) => expect(q).toBeCloseTo(FRANKA_Q_HOME_RAD[i] ?? 0, 6));
    expect(poseDistance(state?.base_from_ee ?? [], frankaForwardKinematics(FRANKA_Q_HOME_RAD)).translation_m).toBeLessThan(1e-9);
    expect(state?.ee_position_m[0]).toBeCloseTo(0.307, 3);
    expect(state?.ee_position_m[2]).toBeCloseTo(0.487, 3);
    // Twenty more states, counted by events rather than timed: each is counted once by the client and
    // is a newer frame than the one before it (the rate itself is a benchmark:
    // bench/devices/deoxysRoundTrip.ts).
    const received0 = arm.stats().states_received;
    const frames: number[] = [];
    await armStateWhere(arm, () => frames.push(Number(arm.latestRaw()?.frame ?? -1)) >= 20);
    expect(arm.stats().states_received - received0).toBe(20);
    expect(frames.every((frame, i) => frame > (i === 0 ? 0 : frames[i - 1]!))).toBe(true);
    expect(arm.stats().state_hz).toBeGreaterThan(0);
    expect(arm.status()).toEqual({ connected: true });
  });

  test('OSC_POSE delta: NO_CONTROL burst first, then the TCP moves +1 cm in x in the base frame', async () => {
    const { arm, server } = await rig();
    const seen: string[] = [];
    server.on('arm_command', (command) => seen.push(command.kind === 'osc' ? command.controller : command.kind));
    const start = arm.latest();
    const x0 = start?.ee_position_m[0] ?? 0;
    const sent = await arm.sendAction({ kind: 'ee_delta', translation_m: [0.01, 0, 0], rotation_axis_angle_rad: [0, 0, 0] });
    expect(sent.clipped).toBe(false);
    const t0 = performance.now();
    const moved = await armStateWhere(arm, (state) => state.ee_position_m[0] > x0 + 0.0095);
    const roundTrip_ms = performance.now() - t0;
    expect(moved.ee_position_m[0]).toBeCloseTo(x0 + 0.01, 3);
    expect(moved.ee_position_m[1]).toBeCloseTo(start?.ee_position_m[1] ?? 0, 3);
    expect(moved.ee_position_m[2]).toBeCloseTo(start?.ee_position_m[2] ?? 0, 3);
    expect(seen[0]).toBe('no_control');
    expect(seen).toContain('OSC_POSE');
    expect(server.armController()).toBe('OSC_POSE');
    console.info(`deoxys sim: command→state round trip ${roundTrip_ms.toFixed(1)} ms (policy poll 50 ms, state 100 Hz)`);
  });

  test('a base-frame rotation delta turns the TCP about the base z axis', async () => {
    const { arm } = await rig();
    const before = arm.latest()?.base_from_ee ?? [];
    await arm.sendAction({ kind: 'ee_delta', translation_m: [0, 0, 0], rotation_axis_angle_rad: [0, 0, 0.05] });
    const after = await armStateWhere(arm, (state) => poseDistance(state.base_from_ee, before).rotation_rad > 0.049);
    // Left-multiplied: the TCP x axis (column 0) turns by +0.05 rad about base z.
    expect(Math.atan2(after.base_from_ee[1] ?? 0, after.base_from_ee[0] ?? 0) - Math.atan2(before[1] ?? 0, before[0] ?? 0)).toBeCloseTo(
      0.05,
      3,
    );
    expect(poseDistance(after.base_from_ee, before).translation_m).toBeLessThan(1e-3);
  });

  test('idle keep-alive holds the controller: no watchdog stop across many policy periods', async () => {
    const { arm, server } = await rig({ arm: { policy_rate_hz: 100 }, server: { policy_rate_hz: 100 } });
    let stopped = false;
    server.on('arm_stopped', () => (stopped = true));
    await arm.sendAction({ kind: 'ee_delta', translation_m: [0, 0, 0.005], rotation_axis_angle_rad: [0, 0, 0] });
    // 60 parsed commands ≈ three watchdog windows (20 empty polls each) of idling.
    let commands = 0;
    await nextEvent(server, 'arm_command', () => ++commands >= 60);
    expect(stopped).toBe(false);
    expect(server.armController()).toBe('OSC_POSE');
  });

  test('the NUC watchdog stops the node after 20 empty polls and it restarts (like auto_arm.sh)', async () => {
    const { arm, server } = await rig({ arm: { policy_rate_hz: 100, terminate_on_disconnect: false }, server: { policy_rate_hz: 100 } });
    await arm.sendAction({ kind: 'ee_delta', translation_m: [0, 0, 0], rotation_axis_angle_rad: [0, 0, 0] });
    await nextEvent(server, 'arm_command', (command) => command.kind === 'osc');
    const stopped = nextEvent(server, 'arm_stopped');
    await arm.disconnect();
    expect(await stopped).toEqual(['watchdog']);
    await nextEvent(server, 'arm_restarted');
  });

  test('termination on disconnect stops the arm node', async () => {
    const { arm, server } = await rig();
    await arm.sendAction({ kind: 'joint_impedance', q_rad: [...FRANKA_Q_HOME_RAD] });
    await nextEvent(server, 'arm_command', (command) => command.kind === 'joint');
    const stopped = nextEvent(server, 'arm_stopped');
    await arm.disconnect();
    expect(await stopped).toEqual(['termination']);
  });

  test('no state for 200 ms is a device error that stops commands; it clears when state returns', async () => {
    const { arm, server } = await rig();
    const errored = statusWhere(arm, (status) => status.error !== undefined);
    server.pauseArmState(true);
    const status = await errored;
    expect(status.error?.message).toMatch(/arm "arm" \(deoxys\): no state from tcp:\/\/127\.0\.0\.1:\d+ for \d+ ms \(limit 200 ms\)/);
    expect(status.error?.fix).toMatch(/Teleop is stopped/);
    await expect(arm.sendAction({ kind: 'ee_delta', translation_m: [0.01, 0, 0], rotation_axis_angle_rad: [0, 0, 0] })).rejects.toThrow(
      /no state/,
    );
    const cleared = statusWhere(arm, (s) => s.error === undefined);
    server.pauseArmState(false);
    expect(await cleared).toEqual({ connected: true });
  });

  test('switching OSC → joint position sends the NO_CONTROL burst and reaches the joint target', async () => {
    const { arm, server } = await rig();
    await arm.sendAction({ kind: 'ee_delta', translation_m: [0, 0, 0.01], rotation_axis_angle_rad: [0, 0, 0] });
    const kinds: string[] = [];
    server.on('arm_command', (command) => kinds.push(command.kind));
    const target = FRANKA_Q_HOME_RAD.map((q, i) => (i === 0 ? q + 0.1 : q));
    const sent = await arm.sendAction({ kind: 'joint_position', q_rad: target });
    expect(sent.clipped).toBe(false);
    const reached = await armStateWhere(arm, (state) => Math.abs((state.q_rad[0] ?? 0) - 0.1) < 1e-3);
    expect(reached.q_rad[0]).toBeCloseTo(0.1, 3);
    expect(kinds.indexOf('no_control')).toBeLessThan(kinds.indexOf('joint'));
    expect(server.armController()).toBe('JOINT_POSITION');
  });

  test('sendAction clips to the configured limits and reports why', async () => {
    const { arm } = await rig({
      arm: { limits: { max_translation_per_command_m: 0.01, workspace_min_m: [0.2, -0.5, 0.48], workspace_max_m: [0.8, 0.5, 0.9] } },
    });
    const big = await arm.sendAction({ kind: 'ee_delta', translation_m: [0.05, 0, 0], rotation_axis_angle_rad: [0, 0, 0] });
    expect(big.clipped).toBe(true);
    expect(big.clip_reasons).toEqual(['delta translation 0.0500 m exceeds 0.01 m per command']);
    expect(big.sent.kind === 'ee_delta' && big.sent.translation_m[0]).toBeCloseTo(0.01, 12);
    const down = await arm.sendAction({ kind: 'ee_delta', translation_m: [0, 0, -0.01], rotation_axis_angle_rad: [0, 0, 0] });
    expect(down.clip_reasons).toEqual(['workspace z min (0.48 m)']);
    expect(down.sent.kind === 'ee_delta' && down.sent.translation_m[2]).toBeCloseTo(0.48 - (arm.latest()?.ee_position_m[2] ?? 0), 2);
    await expect(arm.sendAction({ kind: 'joint_position', q_rad: [0, 0, 0] })).rejects.toThrow(/needs 7 values/);
  });
});

describe('Franka Hand through the simulated gripper node', () => {
  async function handRig(homing_via: 'stop-message' | 'homing-message' = 'stop-message') {
    const port_base = await findFreePortBase();
    const server = new DeoxysSimServer({ backend: new KinematicFrankaBackend(), port_base });
    await server.start();
    cleanups.push(() => server.close());
    const hand = new FrankaHand(
      'gripper',
      frankaHandOptionsSchema.parse({ nuc_ip: '127.0.0.1', bind_ip: '127.0.0.1', port_base, homing_via }),
      systemClock,
    );
    await hand.connect();
    cleanups.push(() => hand.disconnect());
    return { server, hand };
  }

  test('move, grasp, and homing (sent as Stop, deoxys’s quirk) drive the hand; state at 40 Hz', async () => {
    const { hand, server } = await handRig();
    expect(hand.latest()?.max_width_m).toBe(0.08);
    const move = await hand.sendAction({ kind: 'move', width_m: 0.04, speed_m_s: 0.5 });
    expect(move.clip_reasons).toEqual(['speed above 0.1 m/s']);
    expect((await gripperStateWhere(hand, (s) => Math.abs(s.width_m - 0.04) < 1e-6)).is_grasped).toBe(false);
    await hand
      .sendAction({ kind: 'grasp', width_m: 0.0, speed_m_s: 0.1, force_n: 200 })
      .then((a) => expect(a.clip_reasons).toEqual(['force above 70 N']));
    expect((await gripperStateWhere(hand, (s) => s.is_grasped)).width_m).toBeCloseTo(0, 6);
    const received = nextEvent(server, 'gripper_command');
    await hand.sendAction({ kind: 'homing' });
    expect(await received).toEqual([{ kind: 'stop' }]);
    await gripperStateWhere(hand, (s) => s.width_m > 0.0799 && !s.is_grasped);
  });

  test('a real Homing message is refused by stock deoxys, and the refusal is visible', async () => {
    const { hand, server } = await handRig('homing-message');
    const refused = nextEvent(server, 'refused');
    await hand.sendAction({ kind: 'homing' });
    expect((await refused)[0]).toMatch(/Unpack failed/);
  });
});
