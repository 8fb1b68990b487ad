/**
 * Import speed and memory: the committed LeRobot fixtures (written by LeRobot itself), and a dataset
 * made by `studio export` — episodes with three 640×480 cameras at 30 fps recorded through the real
 * recorder, exported as LeRobot v3.0 (h264) — imported back with `runImport`. Prints JSON: seconds of
 * dataset per second of wall time (× real time), frames per second, the time the store was locked
 * for the final move and the longest it was locked at once (a batch of rows or the final move, as the
 * import timed its transactions), and the import process's peak RSS (ffmpeg decoders are separate processes).
 * While the exported dataset is imported, a second connection in a worker thread commits one tiny
 * write every 20 ms, as a recorder would; its longest wait is how long the import kept the store
 * locked against other writers, measured from outside the import.
 *   npx tsx bench/import/importBench.ts [--episodes 2] [--seconds 30] [--dataset DIR] [--skip-fixtures]
 * `--dataset DIR`: the exported dataset lives there — made if DIR is absent, imported as it is if
 * present, never deleted (so a long dataset is made once for several runs; delete it yourself).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { runExport } from '../../main/export/runExport';
import { runImport, type ImportSummary } from '../../main/import/runImport';
import { DATABASE_FILE, openStore } from '../../main/store/database';
import { makeJpegFrames, recordEpisodes } from '../../test/support/recordedEpisodes';

const { values } = parseArgs({
  options: {
    episodes: { type: 'string', default: '2' },
    seconds: { type: 'string', default: '30' },
    'skip-fixtures': { type: 'boolean', default: false },
    dataset: { type: 'string' },
  },
});
const episodes = Number(values.episodes);
const seconds = Number(values.seconds);

interface ProbeResult {
  commits: number;
  longest_wait_ms: number;
  p99_wait_ms: number;
}

/**
 * Another writer on the same store (a worker thread: the import blocks this thread while it writes).
 * Plain JS evaluated in the worker, so it needs no TypeScript loader. Waits are what BEGIN IMMEDIATE
 * took under SQLite's busy handler, whose sleeps grow to 100 ms: long waits are known to ~100 ms.
 */
const PROBE_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.sqlite);
const db = new Database(workerData.path, { timeout: 600000 });
const write = db.prepare("INSERT OR REPLACE INTO store_meta (key, value) VALUES ('bench.lock_probe', ?)");
const waits = [];
let n = 0;
const timer = setInterval(() => {
  const t0 = performance.now();
  db.exec('BEGIN IMMEDIATE');
  write.run(String(n++));
  db.exec('COMMIT');
  waits.push(performance.now() - t0);
}, 20);
parentPort.once('message', () => {
  clearInterval(timer);
  db.close();
  waits.sort((a, b) => a - b);
  parentPort.postMessage({
    commits: waits.length,
    longest_wait_ms: waits.at(-1) ?? 0,
    p99_wait_ms: waits[Math.floor(0.99 * (waits.length - 1))] ?? 0,
  });
});
parentPort.postMessage('ready');
`;

async function startProbe(dataDir: string): Promise<() => Promise<ProbeResult>> {
  openStore({ dataDir, appVersion: 'bench' }).close(); // the store (and its schema) exists before the import
  const sqlite = createRequire(resolve('package.json')).resolve('better-sqlite3');
  const worker = new Worker(PROBE_SOURCE, { eval: true, workerData: { sqlite, path: join(dataDir, DATABASE_FILE) } });
  await new Promise((done) => worker.once('message', done));
  return async () => {
    const result = new Promise<ProbeResult>((done) => worker.once('message', done));
    worker.postMessage('stop');
    const probe = await result;
    await worker.terminate();
    return { ...probe, longest_wait_ms: Number(probe.longest_wait_ms.toFixed(1)), p99_wait_ms: Number(probe.p99_wait_ms.toFixed(1)) };
  };
}

async function measured(dataDir: string, source: string, probe = false): Promise<Record<string, unknown>> {
  const stopProbe = probe ? await startProbe(dataDir) : null;
  const load = loadavg()[0]!;
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  let summary: ImportSummary;
  let writer: ProbeResult | null = null;
  try {
    summary = await runImport({ format: 'lerobot', dataDir, source });
  } finally {
    clearInterval(sampler);
    if (stopProbe !== null) writer = await stopProbe();
  }
  return {
    source: source.split('/').pop(),
    codebase_version: summary.codebase_version,
    episodes: summary.episode_ids.length,
    frames: summary.frames,
    cameras: summary.cameras.length,
    dataset_s: Number((summary.frames / summary.fps).toFixed(2)),
    elapsed_s: Number(summary.elapsed_s.toFixed(2)),
    real_time_factor: Number(summary.real_time_factor.toFixed(2)),
    camera_frames_per_s: Number(((summary.frames * summary.cameras.length) / summary.elapsed_s).toFixed(1)),
    commit_ms: Number(summary.commit_ms.toFixed(1)),
    longest_lock_ms: Number(summary.longest_lock_ms.toFixed(1)),
    peak_rss_mb: Math.round(peak / 1e6),
    rss_growth_mb: Math.round((peak - baseline) / 1e6),
    ...(writer !== null ? { other_writer: writer } : {}),
    load_average: [Number(load.toFixed(2)), Number(loadavg()[0]!.toFixed(2))],
  };
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'studio-bench-import-'));
  const results: Record<string, unknown>[] = [];
  try {
    if (values['skip-fixtures'] !== true) {
      for (const name of ['lerobot-v30-h264', 'lerobot-v30-av1-img', 'lerobot-v21'])
        results.push(await measured(join(root, `fixture-${name}`), resolve('test/fixtures/lerobot', name)));
    }
    const exported = values.dataset !== undefined ? resolve(values.dataset) : join(root, 'exported');
    let madeBy = `an earlier run of this bench (${exported})`;
    if (!existsSync(exported)) madeBy = await makeDataset(root, exported);
    results.push({ ...(await measured(join(root, 'reimported'), exported, true)), made_by: madeBy });
    process.stdout.write(`${JSON.stringify({ bench: 'import', cpus: cpus().length, results }, null, 2)}\n`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** Records the episodes through the real recorder and exports them with `studio export`'s code. */
async function makeDataset(root: string, exported: string): Promise<string> {
  const recorded = join(root, 'recorded');
  try {
    const fixture = await recordEpisodes(recorded, {
      jpegFrames: makeJpegFrames(60, 640, 480),
      cameras: ['front', 'side', 'wrist'],
      width: 640,
      height: 480,
      camera_hz: 30,
      arm_hz: 30,
      target_fps: 30,
      episodes: Array.from({ length: episodes }, () => ({ task: 'pick the cube', duration_s: seconds, outcome: 'success' as const })),
    });
    const exportSummary = await runExport({ format: 'lerobot', dataDir: fixture.dataDir, out: exported, vcodec: 'h264' });
    return `studio export --format lerobot --vcodec h264 (${exportSummary.real_time_factor.toFixed(2)}× real time)`;
  } finally {
    rmSync(recorded, { recursive: true, force: true }); // the recorded store is not needed for the import
  }
}

void main();
