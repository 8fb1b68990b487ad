/**
 * The control loop in its worker, while an episode records: start jitter of the fixed-rate ticks, and
 * device report → command latency (a teleop report reaching the core → the arm's sendAction resolving,
 * i.e. the command on the wire for deoxys, applied and acknowledged for the MuJoCo sim).
 *
 *   node --require ./main/workers/sourceLoader.cjs bench/control/loopJitter.ts [--seconds 30] [--rig sim|deoxys]
 *
 * `sim`: the default rig (MuJoCo arm at 100 Hz, three RGB-D cameras recorded). `deoxys`: the real deoxys
 * client at 100 Hz against the simulated real-time PC on loopback (kinematic Franka), with the Franka
 * Hand. The operator is the UI's keyboard heartbeat (every 50 ms), alternating direction every 2 s.
 * Prints one JSON object.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { CycleRecord } from '../../main/control/controlLoop';
import { startCore } from '../../main/core/core';
import { createStderrLogger } from '../../main/core/logger';
import { findFreePortBase } from '../../main/devices/deoxys/ports';
import { KinematicFrankaBackend } from '../../main/devices/deoxys/simBackend';
import { DeoxysSimServer } from '../../main/devices/deoxys/simServer';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '30' }, rig: { type: 'string', default: 'sim' } } });
const seconds = Number(values.seconds);
const rigKind = values.rig === 'deoxys' ? 'deoxys' : 'sim';

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? Number.NaN;
}
const round2 = (x: number) => Math.round(x * 100) / 100;

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'studio-bench-loop-'));
  let server: DeoxysSimServer | undefined;
  let rigPath: string | undefined;
  if (rigKind === 'deoxys') {
    const port_base = await findFreePortBase();
    server = new DeoxysSimServer({ backend: new KinematicFrankaBackend(), port_base });
    await server.start();
    const link = { nuc_ip: '127.0.0.1', bind_ip: '127.0.0.1', port_base };
    rigPath = join(dataDir, 'deoxys-bench.json');
    // The default rig's safety limits and recording settings, with the deoxys arm and hand instead of the sim.
    const { safety, recording } = JSON.parse(readFileSync(join(__dirname, '../../rigs/sim.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(
      rigPath,
      JSON.stringify({
        schema_version: 1,
        name: 'deoxys on loopback (bench)',
        safety,
        recording,
        arm: { type: 'deoxys', control_hz: 100, ...link },
        gripper: { type: 'franka-hand', ...link },
        teleop: [{ type: 'keyboard' }],
        cameras: [],
      }),
    );
  }
  const core = startCore({ dataDir, mode: 'cli', rigPath, log: createStderrLogger('bench', () => undefined) });
  const connection = core.connect({ transport: 'in-process' });
  const call = async (method: string, params: unknown = {}) => {
    const outcome = await connection.call(method, params);
    if (!outcome.ok) throw new Error(`${method}: ${outcome.error.message}`);
    return outcome.result as Record<string, unknown>;
  };
  const started = (await call('rig.start')) as { state: string; error?: { message: string } };
  if (started.state !== 'running') throw new Error(`the rig did not start: ${started.error?.message ?? started.state}`);
  await call('recording.start', { task: 'bench' });
  const cycles: CycleRecord[] = [];
  const off = core.runtime.onCycle((cycle) => cycles.push(cycle));
  let direction = 'KeyW';
  const flip = setInterval(() => (direction = direction === 'KeyW' ? 'KeyS' : 'KeyW'), 2000);
  const hold = setInterval(() => void call('teleop.keys', { keys: [direction] }), 50);
  const cpuStart = process.cpuUsage();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const cpu = process.cpuUsage(cpuStart);
  clearInterval(hold);
  clearInterval(flip);
  off();
  // The worker's snapshot is at most 250 ms old.
  await new Promise((resolve) => setTimeout(resolve, 300));
  const status = (await call('rig.status')) as { control: { cycles: number; jitter_ms_p99: number; overruns: number } };
  const recording = (await call('recording.status')) as { streams: Record<string, { samples: number; dropped: number; late: number }> };
  await call('recording.save', { outcome: 'unknown' });
  await core.close();
  await server?.close();
  rmSync(dataDir, { recursive: true, force: true });

  // Report → command: input-triggered cycles carry the report that started them.
  const reacted = cycles.filter((cycle) => cycle.trigger === 'input' && cycle.teleop_age_ms !== null);
  const latency = reacted.map((cycle) => cycle.teleop_age_ms! + Number(cycle.sent_ns - cycle.t_ns) / 1e6).sort((a, b) => a - b);
  const sendMs = cycles.map((cycle) => Number(cycle.sent_ns - cycle.t_ns) / 1e6).sort((a, b) => a - b);
  const ticks = cycles.filter((cycle) => cycle.trigger === 'tick').length;
  // Jitter of the ticks while recording (the loop's own figure also covers start-up).
  const jitter = cycles.flatMap((cycle) => (cycle.tick_jitter_ms === null ? [] : [cycle.tick_jitter_ms])).sort((a, b) => a - b);
  process.stdout.write(
    `${JSON.stringify({
      bench: 'control.loop',
      rig: rigKind,
      seconds,
      rate_hz: 100,
      cycles: cycles.length,
      tick_cycles_per_s: round2(ticks / seconds),
      input_cycles: reacted.length,
      jitter_ms_p50: round2(percentile(jitter, 0.5)),
      jitter_ms_p99: round2(percentile(jitter, 0.99)),
      jitter_ms_max: round2(jitter.at(-1) ?? Number.NaN),
      jitter_ms_p99_since_start: round2(status.control.jitter_ms_p99),
      overruns: status.control.overruns,
      report_to_command_ms_p50: round2(percentile(latency, 0.5)),
      report_to_command_ms_p99: round2(percentile(latency, 0.99)),
      send_ms_p50: round2(percentile(sendMs, 0.5)),
      send_ms_p99: round2(percentile(sendMs, 0.99)),
      recorded_dropped: Object.fromEntries(
        Object.entries(recording.streams)
          .filter(([, s]) => s.dropped > 0)
          .map(([name, s]) => [name, s.dropped]),
      ),
      cpu_cores_core_process: round2((cpu.user + cpu.system) / 1e6 / seconds),
      loadavg_1m: round2(loadavg()[0] ?? 0),
    })}\n`,
  );
}

void main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
