/**
 * The machine's own timing floor, for reading the control-loop figures: a worker thread that does
 * nothing but wake on a 100 Hz grid, with the control loop's wait (a timer, then Atomics.wait for the
 * last 1.5 ms) and, for comparison, a busy spin for the last 1.5 ms. Whatever lateness this shows
 * comes from the OS or the hypervisor, not from the studio. Prints one JSON object.
 *   node --require ./main/workers/sourceLoader.cjs bench/control/timerFloor.ts [--seconds 15]
 */
import { parseArgs } from 'node:util';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

interface Floor {
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  ticks: number;
}

function measure(seconds: number, mode: 'wait' | 'spin'): Promise<Floor> {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  const period_ns = 10_000_000n;
  const jitters: number[] = [];
  let next = process.hrtime.bigint();
  const end = next + BigInt(seconds * 1e9);
  return new Promise((resolve) => {
    const fire = () => {
      if (mode === 'wait') {
        const early_ms = Number(next - process.hrtime.bigint()) / 1e6;
        if (early_ms > 0) Atomics.wait(cell, 0, 0, early_ms);
      } else {
        while (process.hrtime.bigint() < next);
      }
      const now = process.hrtime.bigint();
      jitters.push(Math.abs(Number(now - next)) / 1e6);
      next += period_ns;
      if (now > end) {
        jitters.sort((a, b) => a - b);
        const at = (p: number) =>
          Math.round((jitters[Math.min(jitters.length - 1, Math.ceil(p * jitters.length) - 1)] ?? Number.NaN) * 100) / 100;
        resolve({ p50_ms: at(0.5), p99_ms: at(0.99), max_ms: at(1), ticks: jitters.length });
        return;
      }
      setTimeout(fire, Math.max(0, Number(next - process.hrtime.bigint()) / 1e6 - 1.5));
    };
    fire();
  });
}

if (isMainThread) {
  const { values } = parseArgs({ options: { seconds: { type: 'string', default: '15' } } });
  const seconds = Number(values.seconds);
  const run = (mode: 'wait' | 'spin') =>
    new Promise<Floor>((resolve, reject) => {
      const worker = new Worker(__filename, { workerData: { seconds, mode }, execArgv: process.execArgv });
      worker.once('message', resolve);
      worker.once('error', reject);
    });
  void (async () => {
    const wait = await run('wait');
    const spin = await run('spin');
    process.stdout.write(
      `${JSON.stringify({ bench: 'control.timer_floor', seconds, rate_hz: 100, atomics_wait: wait, busy_spin: spin })}\n`,
    );
    process.exit(0);
  })();
} else {
  const { seconds, mode } = workerData as { seconds: number; mode: 'wait' | 'spin' };
  void measure(seconds, mode).then((floor) => parentPort?.postMessage(floor));
}
