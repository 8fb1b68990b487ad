/**
 * Control-loop jitter at 100 Hz on the simulated rig while an episode records (all three cameras at
 * the default rig's size, the writer thread committing), and how old the teleop input is when its
 * command goes out (device report → command sent). Prints one JSON object.
 *   node --require ./bench/support/rawLoader.cjs bench/control/loopJitter.ts [--seconds 30]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startCore } from '../../main/core/core';
import { createStderrLogger } from '../../main/core/logger';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '30' } } });
const seconds = Number(values.seconds);

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'studio-bench-loop-'));
  const core = startCore({ dataDir, mode: 'cli', log: createStderrLogger('bench', () => undefined) });
  const connection = core.connect({ transport: 'in-process' });
  const call = async (method: string, params: unknown = {}) => {
    const outcome = await connection.call(method, params);
    if (!outcome.ok) throw new Error(`${method}: ${outcome.error.message}`);
    return outcome.result as Record<string, unknown>;
  };
  await call('rig.start');
  await call('recording.start', { task: 'bench' });
  // An operator holding a key: the UI's 50 ms heartbeat, alternating directions so the arm stays in the box.
  const ages: number[] = [];
  let direction = 'KeyW';
  const flip = setInterval(() => (direction = direction === 'KeyW' ? 'KeyS' : 'KeyW'), 2000);
  const hold = setInterval(() => void call('teleop.keys', { keys: [direction] }), 50);
  const off = core.events.subscribe((name, payload) => {
    if (name === 'robot.state') {
      const age = (payload as { teleop_age_ms: number | null }).teleop_age_ms;
      if (age !== null) ages.push(age);
    }
  });
  const cpuStart = process.cpuUsage();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const cpu = process.cpuUsage(cpuStart);
  clearInterval(hold);
  clearInterval(flip);
  off();
  const status = (await call('rig.status')) as { control: { cycles: number; jitter_ms_p99: number; overruns: number } };
  const recording = (await call('recording.status')) as { streams: Record<string, { samples: number; dropped: number; late: number }> };
  await call('recording.save', { outcome: 'unknown' });
  await core.close();
  rmSync(dataDir, { recursive: true, force: true });
  ages.sort((a, b) => a - b);
  const at = (p: number) => ages[Math.min(ages.length - 1, Math.floor(p * ages.length))] ?? Number.NaN;
  const dropped = Object.values(recording.streams).reduce((n, s) => n + s.dropped, 0);
  process.stdout.write(
    `${JSON.stringify({
      bench: 'control.loop_jitter',
      seconds,
      rate_hz: 100,
      cycles: status.control.cycles,
      cycles_per_s: Number((status.control.cycles / seconds).toFixed(1)),
      jitter_ms_p99: Number(status.control.jitter_ms_p99.toFixed(2)),
      overruns: status.control.overruns,
      teleop_input_age_ms_p50: Number(at(0.5).toFixed(1)),
      teleop_input_age_ms_p99: Number(at(0.99).toFixed(1)),
      recorded_dropped: dropped,
      dropped_per_stream: Object.fromEntries(Object.entries(recording.streams).filter(([, s]) => s.dropped > 0).map(([name, s]) => [name, s.dropped])),
      cpu_cores_main_process: Number(((cpu.user + cpu.system) / 1e6 / seconds).toFixed(2)),
    })}\n`,
  );
}

void main();
