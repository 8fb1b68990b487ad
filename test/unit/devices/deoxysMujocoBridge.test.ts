import { Publisher } from 'zeromq';
import { afterEach, describe, expect, test } from 'vitest';
import { DeoxysArm } from '../../../main/devices/deoxys/deoxysArm';
import { FrankaHand } from '../../../main/devices/deoxys/frankaHand';
import { encodeOscPose } from '../../../main/devices/deoxys/controlMessages';
import { deoxysArmOptionsSchema, frankaHandOptionsSchema } from '../../../main/devices/deoxys/options';
import { findFreePortBase } from '../../../main/devices/deoxys/ports';
import { poseDistance } from '../../../main/devices/deoxys/simBackend';
import { startSimBridge, type SimBridge, type SimBridgeOptions } from '../../../main/devices/deoxys/simBridge';
import type { DeoxysSimServer, DeoxysSimServerEvents } from '../../../main/devices/deoxys/simServer';
import { FRANKA_Q_HOME_RAD, frankaForwardKinematics } from '../../../shared/robot/frankaKinematics';
import { mat4Translation } from '../../../shared/robot/rotation';
import { systemClock, type ArmState, type GripperState, type Quaternion, type Vec3 } from '../../../main/devices/types';
import { quaternionFromRotation, rotationFromQuaternion, rotationMultiply } from '../../../shared/robot/rotation';

/**
 * The real deoxys client (DeoxysArm, FrankaHand) over loopback TCP against the simulated NUC backed by
 * MuJoCo physics (`studio sim bridge`). Every wait resolves on a client or server event; GUARD_MS only
 * turns a hang into a failure.
 */
const GUARD_MS = 10_000;
const SEED = 7;

function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), GUARD_MS)));
  return Promise.race([promise, guard]).finally(() => clearTimeout(timer));
}

function serverEvent<K extends keyof DeoxysSimServerEvents>(
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

function armStateWhere(arm: DeoxysArm, accept: (state: ArmState) => boolean, what = 'an arm state'): Promise<ArmState> {
  return within(
    new Promise((resolve) => {
      const off = arm.onState((state) => {
        if (!accept(state)) return;
        off();
        resolve(state);
      });
    }),
    what,
  );
}

function gripperStateWhere(hand: FrankaHand, accept: (state: GripperState) => boolean, what = 'a gripper state'): Promise<GripperState> {
  return within(
    new Promise((resolve) => {
      const off = hand.onState((state) => {
        if (!accept(state)) return;
        off();
        resolve(state);
      });
    }),
    what,
  );
}

/** The next `count` arm states the client receives. */
function armStates(arm: DeoxysArm, count: number): Promise<ArmState> {
  let seen = 0;
  return armStateWhere(arm, () => ++seen >= count, `${count} arm states`);
}

const sub = (a: readonly number[], b: readonly number[]): Vec3 => [
  (a[0] ?? 0) - (b[0] ?? 0),
  (a[1] ?? 0) - (b[1] ?? 0),
  (a[2] ?? 0) - (b[2] ?? 0),
];
const dot = (a: readonly number[], b: readonly number[]): number =>
  (a[0] ?? 0) * (b[0] ?? 0) + (a[1] ?? 0) * (b[1] ?? 0) + (a[2] ?? 0) * (b[2] ?? 0);
const norm = (a: readonly number[]): number => Math.hypot(...a);

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function bridge(options: Partial<SimBridgeOptions> = {}): Promise<SimBridge> {
  const port_base = await findFreePortBase();
  const started = await startSimBridge({ seed: SEED, ...options, port_base, server: { restart_delay_ms: 50, ...options.server } });
  cleanups.push(() => started.close());
  return started;
}

async function connectArm(port_base: number, overrides: Record<string, unknown> = {}): Promise<DeoxysArm> {
  const arm = new DeoxysArm(
    'arm',
    deoxysArmOptionsSchema.parse({ nuc_ip: '127.0.0.1', bind_ip: '127.0.0.1', port_base, controller_switch_messages: 3, ...overrides }),
    systemClock,
  );
  await arm.connect();
  cleanups.push(() => arm.disconnect());
  return arm;
}

async function connectHand(port_base: number, overrides: Record<string, unknown> = {}): Promise<FrankaHand> {
  const hand = new FrankaHand(
    'hand',
    frankaHandOptionsSchema.parse({ nuc_ip: '127.0.0.1', bind_ip: '127.0.0.1', port_base, ...overrides }),
    systemClock,
  );
  await hand.connect();
  cleanups.push(() => hand.disconnect());
  return hand;
}

/**
 * A teleop loop: one OSC delta per NUC poll (each applied to the pose the NUC measures then) until
 * `done` holds. A delta the NUC's conflated SUB replaced by a keep-alive on a busy machine is just sent again.
 */
async function nudgeUntil(
  arm: DeoxysArm,
  server: DeoxysSimServer,
  translation_m: Vec3,
  done: (state: ArmState) => boolean,
  what: string,
  rotation_axis_angle_rad: Vec3 = [0, 0, 0],
): Promise<ArmState> {
  for (let attempt = 0; attempt < 40; attempt++) {
    const now = arm.latest();
    if (now !== undefined && done(now)) return now;
    const polled = serverEvent(server, 'arm_command', (command) => command.kind === 'osc');
    await arm.sendAction({ kind: 'ee_delta', translation_m, rotation_axis_angle_rad });
    await polled;
    await armStates(arm, 2);
  }
  throw new Error(`${what}: not reached after 40 deltas; TCP at ${arm.latest()?.ee_position_m.join(', ')}`);
}

/** Sends an absolute TCP goal at the policy rate (the client clips each step) until the TCP is within `tolerance_m`. */
async function moveTo(arm: DeoxysArm, position_m: Vec3, quaternion_wxyz: Quaternion, tolerance_m = 0.004): Promise<ArmState> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const now = arm.latest();
    if (now !== undefined && norm(sub(now.ee_position_m, position_m)) < tolerance_m) return now;
    await arm.sendAction({ kind: 'ee_pose', position_m, quaternion_wxyz });
    await armStates(arm, 5);
  }
  throw new Error(`the TCP did not reach ${position_m.join(', ')}: at ${arm.latest()?.ee_position_m.join(', ')}`);
}

describe('deoxys client ↔ MuJoCo-backed simulated NUC over loopback TCP', () => {
  test('connects; the state is physics (home pose = Franka FK), every state the client sees was published, physics time tracks the server clock', async () => {
    const { server, backend, ports } = await bridge();
    const arm = await connectArm(ports.SUB_PORT);
    const hand = await connectHand(ports.SUB_PORT);
    const state = arm.latest();
    state?.q_rad.forEach((q, i) => expect(q).toBeCloseTo(FRANKA_Q_HOME_RAD[i] ?? 0, 2));
    // O_T_EE from MuJoCo's TCP site agrees with the DH model + Franka Hand offset used by the client.
    expect(poseDistance(state?.base_from_ee ?? [], frankaForwardKinematics(state?.q_rad ?? [])).translation_m).toBeLessThan(1e-4);
    expect(poseDistance(state?.base_from_ee ?? [], frankaForwardKinematics(state?.q_rad ?? [])).rotation_rad).toBeLessThan(1e-3);
    expect(hand.latest()?.max_width_m).toBeCloseTo(0.08, 6);

    // A window of 20 published arm states, delimited by the server's own publish events. Physics
    // time is read inside those events (synchronously, at the publish), never after another await.
    const published = new Set<number>();
    const onPublished = (frame: number) => void published.add(frame);
    server.on('state_published', onPublished);
    const receivedFrames: number[] = [];
    const offArm = arm.onState(() => receivedFrames.push(Number(arm.latestRaw()?.frame ?? -1)));
    const physicsAt = () => {
      const { sim_time_s, dropped_s } = backend.stats();
      return sim_time_s + dropped_s;
    };
    let physics0_s = NaN;
    let physics1_s = NaN;
    const [frame0, t0_s] = await serverEvent(server, 'state_published', () => {
      physics0_s = physicsAt();
      return true;
    });
    receivedFrames.length = 0;
    const [frame1, t1_s] = await serverEvent(server, 'state_published', (frame) => {
      if (frame < frame0 + 20) return false;
      physics1_s = physicsAt();
      return true;
    });
    // The last one reaches the client (however busy the machine: conflation may merge others, never this one).
    await armStateWhere(arm, () => Number(arm.latestRaw()?.frame ?? -1) >= frame1, `frame ${frame1} at the client`);
    offArm();
    server.off('state_published', onPublished);
    const window_s = t1_s - t0_s;
    const count = frame1 - frame0;
    const stats = backend.stats();
    console.info(
      `MuJoCo bridge: ${count} arm states in ${window_s.toFixed(3)} s of server time; client received ${receivedFrames.length}; ` +
        `physics ${stats.step_ms_p50.toFixed(2)} ms per step call (p50), max ${stats.step_ms_max.toFixed(1)} ms, ${stats.dropped_s.toFixed(3)} s dropped (the state rate is measured by bench/devices/deoxysRoundTrip.ts)`,
    );
    // Every state the client received is one the server published, in publish order, none twice;
    // its SUB conflates, so on a busy machine some are merged, but the newest always arrives.
    expect(receivedFrames.length).toBeGreaterThan(0);
    expect(receivedFrames.every((frame, i) => published.has(frame) && (i === 0 || frame > receivedFrames[i - 1]!))).toBe(true);
    expect(receivedFrames.at(-1)).toBe(frame1);
    // Frame numbers count publishes: 20 states between the two events, one per physics tick.
    expect(count).toBe(20);
    // Publishing runs on a 10 ms schedule that skips (never bunches) late ticks: however slow the
    // machine, after the first tick every tick has its own 10 ms grid slot from one period before t0
    // on, so by the server's own clock no more than window/10 ms + 2 states.
    expect(count).toBeLessThanOrEqual(window_s / 0.01 + 2);
    // Physics advanced by exactly the server time between the two publishes (plus anything dropped
    // after a stall), up to the one timestep of stepping debt the backend carries.
    expect(Math.abs(physics1_s - physics0_s - window_s)).toBeLessThan(2 * backend.engine.timestep_s + 1e-6);
  }, 60_000);

  test('OSC_POSE deltas move the TCP in the commanded base-frame direction, in physics', async () => {
    const { server, ports } = await bridge();
    const arm = await connectArm(ports.SUB_PORT);
    const directions: Vec3[] = [
      [1, 0, 0],
      [0, -1, 0],
      [0, 0, -1],
      [-1, 1, 1],
    ];
    const report: string[] = [];
    for (const direction of directions) {
      const unit = direction.map((v) => v / norm(direction)) as Vec3;
      const start = arm.latest()?.ee_position_m ?? [0, 0, 0];
      const moved = await nudgeUntil(
        arm,
        server,
        unit.map((v) => 0.01 * v) as Vec3,
        (state) => dot(sub(state.ee_position_m, start), unit) > 0.02,
        `2 cm along ${direction.join(', ')}`,
      );
      const displacement = sub(moved.ee_position_m, start);
      const along = dot(displacement, unit);
      const across = norm(
        sub(
          displacement,
          unit.map((v) => v * along),
        ),
      );
      report.push(`${direction.join(',')}: ${(1000 * along).toFixed(1)} mm along, ${(1000 * across).toFixed(1)} mm across`);
      expect(across, report.join('; ')).toBeLessThan(0.3 * along);
    }
    console.info(`OSC deltas (1 cm each until 2 cm): ${report.join('; ')}`);
    // A base-frame rotation about z turns the TCP's x axis (column 0) by the same angle, left-multiplied.
    const before = arm.latest()?.base_from_ee ?? [];
    const yawOf = (m: readonly number[]) => Math.atan2(m[1] ?? 0, m[0] ?? 0) - Math.atan2(before[1] ?? 0, before[0] ?? 0);
    const turned = await nudgeUntil(
      arm,
      server,
      [0, 0, 0],
      (state) => poseDistance(state.base_from_ee, before).rotation_rad > 0.1,
      'a 0.1 rad turn',
      [0, 0, 0.05],
    );
    // All of the rotation is about base z (positive), and the TCP stays put.
    expect(yawOf(turned.base_from_ee)).toBeGreaterThan(0.095);
    expect(Math.abs(yawOf(turned.base_from_ee) - poseDistance(turned.base_from_ee, before).rotation_rad)).toBeLessThan(0.01);
    expect(poseDistance(turned.base_from_ee, before).translation_m).toBeLessThan(0.01);
  });

  test('a JOINT_POSITION target is reached and held', async () => {
    const { server, ports } = await bridge();
    const arm = await connectArm(ports.SUB_PORT);
    const target = FRANKA_Q_HOME_RAD.map((q, i) => q + (i % 2 === 0 ? 0.15 : -0.15));
    const sent = await arm.sendAction({ kind: 'joint_position', q_rad: target });
    expect(sent.clipped).toBe(false);
    await armStateWhere(arm, (state) => state.q_rad.every((q, i) => Math.abs(q - (target[i] ?? 0)) < 0.005), 'q to reach the target');
    expect(server.armController()).toBe('JOINT_POSITION');
    // Held through keep-alive messages: half a second later it is still there and still.
    const later = await armStates(arm, 50);
    later.q_rad.forEach((q, i) => expect(Math.abs(q - (target[i] ?? 0))).toBeLessThan(0.005));
    expect(Math.max(...later.dq_rad_s.map(Math.abs))).toBeLessThan(0.02);
  });

  test('the hand closes in air (not grasped) and on the cube (grasped, lifted with the arm)', async () => {
    const { backend, ports } = await bridge();
    const arm = await connectArm(ports.SUB_PORT, { limits: { max_translation_per_command_m: 0.05 } });
    const hand = await connectHand(ports.SUB_PORT);

    // In air: a grasp at 5 cm closes fully and reports no grasp (width outside 5 cm ± 1 cm).
    await hand.sendAction({ kind: 'grasp', width_m: 0.05, speed_m_s: 0.1, force_n: 20, epsilon_inner_m: 0.01, epsilon_outer_m: 0.01 });
    const empty = await gripperStateWhere(hand, (state) => state.width_m < 0.005, 'the fingers to close in air');
    expect(empty.is_grasped).toBe(false);
    await hand.sendAction({ kind: 'move', width_m: 0.08, speed_m_s: 0.1 });
    await gripperStateWhere(hand, (state) => state.width_m > 0.078, 'the hand to open');

    // Over the cube (its pose comes from the seed), hand turned to the nearest face, then down, grasp, lift.
    const layout = backend.engine.layout;
    const [cx, cy, cz] = layout.cube_position_m;
    const quarter = Math.PI / 2;
    const yaw = layout.cube_yaw_rad - quarter * Math.round(layout.cube_yaw_rad / quarter);
    const home = arm.latest()?.ee_quaternion_wxyz ?? [1, 0, 0, 0];
    const grip = quaternionFromRotation(
      rotationMultiply(rotationFromQuaternion([Math.cos(yaw / 2), 0, 0, Math.sin(yaw / 2)]), rotationFromQuaternion(home)),
    );
    await moveTo(arm, [cx, cy, cz + 0.12], grip);
    await moveTo(arm, [cx, cy, cz - 0.012], grip);
    await hand.sendAction({ kind: 'grasp', width_m: 0.05, speed_m_s: 0.1, force_n: 20, epsilon_inner_m: 0.01, epsilon_outer_m: 0.01 });
    // The fingers stop on the 5 cm cube; the grasp holds once they have settled there.
    const held = await gripperStateWhere(
      hand,
      (state) => state.is_grasped && Math.abs(state.width_m - 0.05) < 0.004,
      'the fingers to close on the cube',
    );
    expect(held.width_m).toBeGreaterThan(0.046);
    await moveTo(arm, [cx, cy, 0.15], grip, 0.01);
    const truth = backend.engine.privileged();
    expect(truth.grasped).toBe(true);
    expect(truth.objects[0]?.position_m[2]).toBeGreaterThan(0.1);
    expect(hand.latest()?.is_grasped).toBe(true);
  });

  test('a client that stops sending: the 20-empty-polls watchdog stops the arm mid-motion, the node restarts', async () => {
    // 100 Hz polls: 20 empty polls take 0.2 s, while the commanded 0.4 m move takes ≥ 0.4 s at 1 m/s.
    const { server, backend, ports } = await bridge({ server: { policy_rate_hz: 100 } });
    // A client that sends one goal and dies: a bare PUB on the command port.
    const publisher = new Publisher({ linger: 0 });
    await publisher.bind(`tcp://127.0.0.1:${ports.SUB_PORT}`);
    cleanups.push(async () => publisher.close());
    const start = mat4Translation(backend.state().arm.base_from_ee);
    const goal: Vec3 = [start[0] + 0.2, start[1] - 0.3, start[2] - 0.15];
    const message = encodeOscPose({ is_delta: false, translation_m: goal, rotation_axis_angle_rad: [Math.PI, 0, 0] });
    // Until the server's SUB has joined (ZeroMQ drops messages before that), then silence.
    const first = serverEvent(server, 'arm_command');
    const resend = setInterval(() => void publisher.send(message), 5);
    await first;
    clearInterval(resend);
    const [reason] = await serverEvent(server, 'arm_stopped');
    expect(reason).toBe('watchdog');
    const atStop = mat4Translation(backend.state().arm.base_from_ee);
    await serverEvent(server, 'arm_restarted');
    // A quarter second after the restart (server events, 25 states), the arm is where the watchdog stopped it.
    let states = 0;
    await serverEvent(server, 'state_published', () => ++states >= 25);
    const after = mat4Translation(backend.state().arm.base_from_ee);
    const dq_max_rad_s = Math.max(...backend.state().arm.dq_rad_s.map(Math.abs));
    console.info(
      `watchdog stop: moved ${(100 * norm(sub(atStop, start))).toFixed(1)} cm of ${(100 * norm(sub(goal, start))).toFixed(1)} cm, then ${(1000 * norm(sub(after, atStop))).toFixed(1)} mm`,
    );
    expect(norm(sub(atStop, start))).toBeGreaterThan(0.02);
    expect(norm(sub(goal, after))).toBeGreaterThan(0.1);
    // It brakes from up to 1 m/s under joint impedance: a few centimetres, then still.
    expect(norm(sub(after, atStop))).toBeLessThan(0.05);
    expect(dq_max_rad_s).toBeLessThan(0.05);
    expect(server.armController()).toBe('NO_CONTROL');
  });

  test('termination: the arm node exits and restarts in NO_CONTROL, the hand re-homes; a new client drives it again', async () => {
    const { server, ports } = await bridge();
    const arm = await connectArm(ports.SUB_PORT);
    const hand = await connectHand(ports.SUB_PORT, { terminate_on_disconnect: true });
    const polled = serverEvent(server, 'arm_command', (command) => command.kind === 'osc');
    await arm.sendAction({ kind: 'ee_delta', translation_m: [0, 0, -0.01], rotation_axis_angle_rad: [0, 0, 0] });
    await polled;
    expect(server.armController()).toBe('OSC_POSE');
    await hand.sendAction({ kind: 'move', width_m: 0.02, speed_m_s: 0.1 });
    await gripperStateWhere(hand, (state) => state.width_m < 0.021, 'the hand to close to 2 cm');

    const stopped = serverEvent(server, 'arm_stopped');
    const restarted = serverEvent(server, 'arm_restarted');
    const handTerminated = serverEvent(server, 'gripper_command', (command) => command.kind === 'terminate');
    cleanups.splice(0);
    await hand.disconnect();
    await handTerminated;
    await arm.disconnect();
    expect((await stopped)[0]).toBe('termination');
    await restarted;
    expect(server.armController()).toBe('NO_CONTROL');

    const again = await connectArm(ports.SUB_PORT);
    const observer = await connectHand(ports.SUB_PORT);
    await gripperStateWhere(observer, (state) => state.width_m > 0.078, 'the restarted gripper node to home the hand');
    const z0 = again.latest()?.ee_position_m[2] ?? 0;
    await nudgeUntil(again, server, [0, 0, 0.01], (state) => state.ee_position_m[2] > z0 + 0.01, 'the TCP to rise 1 cm after the restart');
  });
});
