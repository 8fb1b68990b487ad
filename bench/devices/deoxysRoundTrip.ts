/**
 * deoxys command → state round trip against the simulated NUC, for BENCHMARKS.md ("Devices"): the real
 * client (DeoxysArm) over loopback ZeroMQ to DeoxysSimServer, once with the kinematic Franka and once
 * with the MuJoCo rig (`studio sim bridge`). One sample = `sendAction(ee_delta 1 cm)` called → first
 * state received by the client whose TCP moved ≥ 1 mm in the commanded direction, each sent at a
 * random (seeded) phase of the NUC's 50 ms poll. Split into send → NUC poll picks it up, and poll →
 * state seen.
 *
 * Run (tsx cannot load the `?raw` .proto imports by itself; the loader registers tsx and serves them):
 *   node --require ./main/workers/sourceLoader.cjs bench/devices/deoxysRoundTrip.ts [--commands 100]
 * Prints one JSON object on stdout.
 */
import { loadavg } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { mulberry32 } from '../../main/sim/math3d';
import { DeoxysArm } from '../../main/devices/deoxys/deoxysArm';
import { deoxysArmOptionsSchema } from '../../main/devices/deoxys/options';
import { findFreePortBase } from '../../main/devices/deoxys/ports';
import { KinematicFrankaBackend } from '../../main/devices/deoxys/simBackend';
import { startSimBridge } from '../../main/devices/deoxys/simBridge';
import { DeoxysSimServer } from '../../main/devices/deoxys/simServer';
import { systemClock, type ArmState, type Vec3 } from '../../main/devices/types';

interface Summary {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  min: number;
  max: number;
}

function summarise(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
  const round = (x: number): number => Math.round(x * 10) / 10;
  return {
    n: sorted.length,
    p50: round(at(0.5)),
    p90: round(at(0.9)),
    p99: round(at(0.99)),
    min: round(sorted[0] ?? NaN),
    max: round(sorted[sorted.length - 1] ?? NaN),
  };
}

function nextState(arm: DeoxysArm, accept: (state: ArmState) => boolean, timeout_ms = 5000): Promise<ArmState> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no matching arm state within ${timeout_ms} ms`));
    }, timeout_ms);
    const off = arm.onState((state) => {
      if (!accept(state)) return;
      clearTimeout(timer);
      off();
      resolve(state);
    });
  });
}

async function measure(backendName: 'kinematic' | 'mujoco', commands: number): Promise<Record<string, unknown>> {
  const port_base = await findFreePortBase();
  let server: DeoxysSimServer;
  let close: () => Promise<void>;
  let physics: () => Record<string, unknown> = () => ({});
  if (backendName === 'kinematic') {
    server = new DeoxysSimServer({ backend: new KinematicFrankaBackend(), port_base });
    await server.start();
    close = () => server.close();
  } else {
    const bridge = await startSimBridge({ port_base, seed: 0 });
    server = bridge.server;
    close = () => bridge.close();
    physics = () => {
      const stats = bridge.backend.stats();
      return {
        step_ms_p50: Math.round(stats.step_ms_p50 * 1000) / 1000,
        step_ms_max: Math.round(stats.step_ms_max * 10) / 10,
        dropped_s: Math.round(stats.dropped_s * 1000) / 1000,
      };
    };
  }
  const arm = new DeoxysArm(
    'arm',
    deoxysArmOptionsSchema.parse({ nuc_ip: '127.0.0.1', bind_ip: '127.0.0.1', port_base, controller_switch_messages: 3 }),
    systemClock,
  );
  const connectStarted = performance.now();
  await arm.connect();
  const connect_ms = performance.now() - connectStarted;

  let polled_at: number | undefined;
  server.on('arm_command', (command) => {
    if (command.kind === 'osc' && command.goal.translation_m.some((v) => v !== 0)) polled_at ??= performance.now();
  });

  // Warm-up: the NO_CONTROL burst and the controller start are not part of the round trip.
  await arm.sendAction({ kind: 'ee_delta', translation_m: [0, 0, 0.005], rotation_axis_angle_rad: [0, 0, 0] });
  let settled = 0;
  await nextState(arm, () => ++settled >= 30);

  const roundTrip: number[] = [];
  const pollWait: number[] = [];
  const pollToState: number[] = [];
  let lost = 0;
  // A seeded random phase against the NUC's 50 ms poll, so the settle wait does not lock onto it.
  const random = mulberry32(1234);
  for (let i = 0; i < commands; i++) {
    await delay(50 * random());
    const sign = i % 2 === 0 ? 1 : -1;
    const direction: Vec3 = [sign, 0, 0];
    const start = arm.latest()?.ee_position_m ?? [0, 0, 0];
    polled_at = undefined;
    const sent_at = performance.now();
    const seen = nextState(arm, (state) => sign * ((state.ee_position_m[0] ?? 0) - (start[0] ?? 0)) >= 0.001, 1000);
    await arm.sendAction({ kind: 'ee_delta', translation_m: [0.01 * direction[0], 0, 0], rotation_axis_angle_rad: [0, 0, 0] });
    try {
      await seen;
    } catch {
      lost++; // replaced by a keep-alive in the NUC's conflated queue on a stalled machine
      continue;
    }
    const seen_at = performance.now();
    roundTrip.push(seen_at - sent_at);
    if (polled_at !== undefined) {
      pollWait.push(polled_at - sent_at);
      pollToState.push(seen_at - polled_at);
    }
    // Let it settle (a keep-alive re-anchors the goal) before the next command.
    let count = 0;
    await nextState(arm, () => ++count >= 15);
  }
  const state_hz = arm.stats().state_hz;
  await arm.disconnect();
  const result = {
    connect_ms: Math.round(connect_ms),
    round_trip_ms: summarise(roundTrip),
    send_to_poll_ms: summarise(pollWait),
    poll_to_state_ms: summarise(pollToState),
    lost_commands: lost,
    state_hz: Math.round(state_hz * 10) / 10,
    ...physics(),
  };
  await close();
  return result;
}

async function main(): Promise<void> {
  const flag = process.argv.indexOf('--commands');
  const commands = flag > 0 ? Number(process.argv[flag + 1]) : 100;
  const kinematic = await measure('kinematic', commands);
  const mujoco = await measure('mujoco', commands);
  const [load1 = 0] = loadavg();
  process.stdout.write(
    `${JSON.stringify({
      bench: 'deoxys_round_trip',
      command: 'ee_delta 1 cm, OSC_POSE, policy 20 Hz, state 100 Hz, loopback',
      commands,
      load_average_1m: Math.round(load1 * 100) / 100,
      kinematic,
      mujoco,
    })}\n`,
  );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
