/**
 * Export throughput and memory: episodes with three 640×480 cameras at 30 fps (real JPEG frames) are
 * recorded through the real recorder into SQLite, then exported as LeRobot v3.0 with libsvtav1 and
 * with h264 (superfast by default; veryfast and ultrafast to compare). Prints JSON: dataset frames per second, the multiple of real time, and the export
 * process's peak RSS for a small and a larger number of episodes (flat = streaming works).
 *   npx tsx bench/export/exportBench.ts [--episodes 2,6] [--seconds 10] [--codecs h264,libsvtav1]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { H264_PRESET } from '../../main/export/ffmpeg';
import { runExport } from '../../main/export/runExport';
import type { VideoCodec } from '../../main/export/types';
import { validateDataset } from '../../main/export/validate';
import { makeJpegFrames, recordEpisodes } from '../../test/support/recordedEpisodes';

const { values } = parseArgs({
  options: {
    episodes: { type: 'string', default: '2,6' },
    seconds: { type: 'string', default: '10' },
    codecs: { type: 'string', default: 'h264,h264-ultrafast,libsvtav1' },
  },
});
const counts = values.episodes.split(',').map(Number);
const seconds = Number(values.seconds);
const codecs = values.codecs.split(',');

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'studio-bench-export-'));
  const results: Record<string, unknown>[] = [];
  try {
    const jpegs = makeJpegFrames(60, 640, 480);
    const maxEpisodes = Math.max(...counts);
    const started = performance.now();
    const fixture = await recordEpisodes(join(root, 'data'), {
      jpegFrames: jpegs,
      cameras: ['front', 'side', 'wrist'],
      width: 640,
      height: 480,
      camera_hz: 30,
      arm_hz: 30,
      target_fps: 30,
      episodes: Array.from({ length: maxEpisodes }, (_, i) => ({
        task: 'pick the cube',
        duration_s: seconds,
        outcome: i % 2 === 0 ? ('success' as const) : ('failure' as const),
      })),
    });
    const recordS = (performance.now() - started) / 1000;
    for (const variant of codecs) {
      const [vcodec, preset] = variant.split('-') as [VideoCodec, 'ultrafast' | 'superfast' | undefined];
      for (const n of counts) {
        const out = join(root, `${variant}-${n}`);
        const baseline = process.memoryUsage().rss;
        let peak = baseline;
        const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
        const summary = await runExport({
          format: 'lerobot',
          dataDir: fixture.dataDir,
          out,
          vcodec,
          ...(preset !== undefined ? { h264_preset: preset } : {}),
          selection: { episode_ids: fixture.ids.slice(0, n) },
        });
        clearInterval(sampler);
        const report = await validateDataset(out);
        results.push({
          vcodec,
          preset: vcodec === 'h264' ? (preset ?? H264_PRESET) : 12,
          episodes: n,
          cameras: 3,
          resolution: '640x480',
          fps: summary.fps,
          frames: summary.total_frames,
          camera_images: summary.total_frames * 3,
          elapsed_s: Number(summary.elapsed_s.toFixed(2)),
          frames_per_s: Number(summary.frames_per_s.toFixed(1)),
          real_time_factor: Number(summary.real_time_factor.toFixed(2)),
          mb: Number((summary.bytes / 1e6).toFixed(1)),
          peak_rss_mb: Number((peak / 1e6).toFixed(0)),
          rss_growth_mb: Number(((peak - baseline) / 1e6).toFixed(0)),
          valid: report.ok,
        });
        rmSync(out, { recursive: true, force: true });
        if (global.gc !== undefined) global.gc();
      }
    }
    console.log(
      JSON.stringify(
        { bench: 'export', cores: cpus().length, seconds_per_episode: seconds, record_s: Number(recordS.toFixed(1)), results },
        null,
        1,
      ),
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

void main();
