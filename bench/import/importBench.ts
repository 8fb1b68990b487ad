/**
 * Import speed and memory: the committed LeRobot fixtures (written by LeRobot itself), and a dataset
 * made by `studio export` — episodes with three 640×480 cameras at 30 fps recorded through the real
 * recorder, exported as LeRobot v3.0 (h264) — imported back with `runImport`. Prints JSON: seconds of
 * dataset per second of wall time (× real time), frames per second, the time the store was locked
 * for the final move, and the import process's peak RSS (ffmpeg decoders are separate processes).
 *   npx tsx bench/import/importBench.ts [--episodes 2] [--seconds 30]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runExport } from '../../main/export/runExport';
import { runImport, type ImportSummary } from '../../main/import/runImport';
import { makeJpegFrames, recordEpisodes } from '../../test/support/recordedEpisodes';

const { values } = parseArgs({
  options: {
    episodes: { type: 'string', default: '2' },
    seconds: { type: 'string', default: '30' },
    'skip-fixtures': { type: 'boolean', default: false },
  },
});
const episodes = Number(values.episodes);
const seconds = Number(values.seconds);

async function measured(dataDir: string, source: string): Promise<Record<string, unknown>> {
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  let summary: ImportSummary;
  try {
    summary = await runImport({ format: 'lerobot', dataDir, source });
  } finally {
    clearInterval(sampler);
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
    peak_rss_mb: Math.round(peak / 1e6),
    rss_growth_mb: Math.round((peak - baseline) / 1e6),
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
    const fixture = await recordEpisodes(join(root, 'recorded'), {
      jpegFrames: makeJpegFrames(60, 640, 480),
      cameras: ['front', 'side', 'wrist'],
      width: 640,
      height: 480,
      camera_hz: 30,
      arm_hz: 30,
      target_fps: 30,
      episodes: Array.from({ length: episodes }, () => ({ task: 'pick the cube', duration_s: seconds, outcome: 'success' as const })),
    });
    const exported = join(root, 'exported');
    const exportSummary = await runExport({ format: 'lerobot', dataDir: fixture.dataDir, out: exported, vcodec: 'h264' });
    results.push({
      ...(await measured(join(root, 'reimported'), exported)),
      made_by: `studio export --format lerobot --vcodec h264 (${exportSummary.real_time_factor.toFixed(2)}× real time)`,
    });
    process.stdout.write(`${JSON.stringify({ bench: 'import', cpus: cpus().length, results }, null, 2)}\n`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

void main();
