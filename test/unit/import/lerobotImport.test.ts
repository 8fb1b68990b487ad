import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { decodeFrames, ExportCancelled } from '../../../main/export/ffmpeg';
import { runExport } from '../../../main/export/runExport';
import { validateDataset } from '../../../main/export/validate';
import { runImport, type ImportProgress, type ImportSummary } from '../../../main/import/runImport';
import { openStore } from '../../../main/store/database';
import { EpisodeStore } from '../../../main/store/episodeStore';
import { requirePython, runPython } from '../export/python';

/**
 * The fixtures in test/fixtures/lerobot/ were written by LeRobot's own writer (0.4.4: v3.0; 0.3.3:
 * v2.1) by scripts/make-lerobot-fixtures.sh, which also stored what LeRobot's own loader returns for
 * every frame (<name>.expected.json). These tests hold the validator, the import and a re-export of
 * the imported episodes to those values; LeRobot itself is not needed here.
 */

const FIXTURES = resolve('test/fixtures/lerobot');
const NAMES = ['lerobot-v30-h264', 'lerobot-v30-av1-img', 'lerobot-v21'] as const;

interface ExpectedFrame {
  index: number;
  episode_index: number;
  frame_index: number;
  timestamp: number;
  task: string;
  'observation.state': number[];
  action: number[];
  'next.reward': number;
  [camera: `observation.images.${string}`]: { mean: number[]; pixel_20_30: number[] };
}
interface Expected {
  codebase_version: string;
  fps: number;
  episodes: number;
  frames: ExpectedFrame[];
}

const expectedOf = (name: string): Expected => JSON.parse(readFileSync(join(FIXTURES, `${name}.expected.json`), 'utf8')) as Expected;
const cameraKeys = (frame: ExpectedFrame) =>
  Object.keys(frame).filter((k) => k.startsWith('observation.images.')) as `observation.images.${string}`[];

let root: string;
beforeAll(() => {
  requirePython(['pyarrow', 'pandas', 'numpy']);
  root = mkdtempSync(join(tmpdir(), 'studio-import-'));
}, 60_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Copies a fixture so a test can damage it. */
function copyFixture(name: string, as: string): string {
  const dir = join(root, as);
  cpSync(join(FIXTURES, name), dir, { recursive: true });
  return dir;
}

function storeEpisodes(dataDir: string): number {
  if (!existsSync(join(dataDir, 'studio.db'))) return 0;
  const store = openStore({ dataDir, appVersion: 'test' });
  try {
    return new EpisodeStore(store.db).summaries({ status: ['recording', 'saved', 'discarded', 'interrupted'] }).length;
  } finally {
    store.close();
  }
}

/** Mean RGB in [0, 1] and the pixel at (x 30, y 20) of each decoded frame, as LeRobot's expected.json has them. */
async function pixelsOf(
  frames: Uint8Array[],
  encoding: 'jpeg' | 'png',
  width: number,
  height: number,
): Promise<{ mean: number[]; pixel_20_30: number[] }[]> {
  const raw = await decodeFrames(frames, { codec: encoding === 'jpeg' ? 'mjpeg' : 'png', pix_fmt: 'rgb24' });
  const size = width * height * 3;
  expect(raw.length).toBe(size * frames.length);
  return frames.map((_, f) => {
    const frame = raw.subarray(f * size, (f + 1) * size);
    const mean = [0, 0, 0];
    for (let i = 0; i < size; i += 3) for (let c = 0; c < 3; c++) mean[c]! += frame[i + c]!;
    const at = (20 * width + 30) * 3;
    return { mean: mean.map((m) => m / (width * height) / 255), pixel_20_30: [0, 1, 2].map((c) => frame[at + c]! / 255) };
  });
}

describe('LeRobot datasets written by LeRobot itself', () => {
  test.each(NAMES)('%s: the validator accepts it', async (name) => {
    const expected = expectedOf(name);
    const report = await validateDataset(join(FIXTURES, name));
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({
      ok: true,
      format: `lerobot-${expected.codebase_version}`,
      episodes: expected.episodes,
      frames: expected.frames.length,
    });
    expect(report.videos_probed).toBeGreaterThan(0);
  });

  test('the validator still rejects a tasks.parquet pandas reads as row numbers, and a missing video', { timeout: 90_000 }, async () => {
    const noIndex = copyFixture('lerobot-v30-h264', 'bad-tasks');
    runPython<null>(
      `import sys, pyarrow as pa, pyarrow.parquet as pq
t = pq.read_table(sys.argv[1])
pq.write_table(pa.table({'task_index': t['task_index'], 'task': t['__index_level_0__']}), sys.argv[1])
print('null')`,
      [join(noIndex, 'meta/tasks.parquet')],
    );
    const tasks = await validateDataset(noIndex);
    expect(tasks.ok).toBe(false);
    expect(tasks.problems.join('\n')).toMatch(/meta\/tasks\.parquet: no pandas metadata/);

    const noVideo = copyFixture('lerobot-v30-h264', 'bad-video');
    rmSync(join(noVideo, 'videos/observation.images.wrist/chunk-000/file-001.mp4'));
    const video = await validateDataset(noVideo);
    expect(video.ok).toBe(false);
    expect(video.problems.join('\n')).toMatch(/videos\/observation\.images\.wrist\/chunk-000\/file-001\.mp4 is missing/);
  });
});

describe('studio import --format lerobot', () => {
  const imported = new Map<string, { dataDir: string; summary: ImportSummary; progress: ImportProgress[] }>();

  test.each(NAMES)(
    "%s: every frame comes in with the values LeRobot's loader reads",
    async (name) => {
      const expected = expectedOf(name);
      const dataDir = join(root, `store-${name}`);
      const progress: ImportProgress[] = [];
      const summary = await runImport(
        { format: 'lerobot', dataDir, source: join(FIXTURES, name), operator: 'ada' },
        { onProgress: (p) => progress.push(p) },
      );
      imported.set(name, { dataDir, summary, progress });
      expect(summary).toMatchObject({
        codebase_version: expected.codebase_version,
        fps: expected.fps,
        frames: expected.frames.length,
        warnings: [],
      });
      expect(summary.episode_ids).toHaveLength(expected.episodes);
      expect(progress.map((p) => p.phase)).toEqual(expect.arrayContaining(['checking', 'episodes', 'committing', 'done']));
      expect(progress.at(-1)).toMatchObject({ phase: 'done', done_frames: expected.frames.length, done_episodes: expected.episodes });
      // Nothing of the staging store is left beside the database.
      expect(readdirSync(dataDir).filter((f) => f.startsWith('.import-'))).toEqual([]);

      const store = openStore({ dataDir, appVersion: 'test' });
      try {
        const episodes = new EpisodeStore(store.db);
        const summaries = episodes.summaries();
        expect(summaries.map((e) => e.id)).toEqual(summary.episode_ids);
        for (const [e, id] of summary.episode_ids.entries()) {
          const rows = expected.frames.filter((f) => f.episode_index === e);
          const ep = summaries[e]!;
          expect(ep).toMatchObject({ status: 'saved', task: rows[0]!.task, operator: 'ada', frames: rows.length });
          expect(ep.tags).toEqual(['imported', 'lerobot']);
          expect(episodes.targetFps(id)).toBe(expected.fps);
          const state = episodes.stream(id, 'lerobot.observation.state');
          expect(state.names).toEqual([
            'shoulder_pan.pos',
            'shoulder_lift.pos',
            'elbow_flex.pos',
            'wrist_flex.pos',
            'wrist_roll.pos',
            'gripper.pos',
          ]);
          for (const [feature, stream] of [
            ['observation.state', 'lerobot.observation.state'],
            ['action', 'lerobot.action'],
            ['next.reward', 'lerobot.next.reward'],
          ] as const) {
            const samples = episodes.range(episodes.stream(id, stream), 0n, 10n ** 12n);
            expect(samples.map((s) => s.t_ns)).toEqual(rows.map((r) => BigInt(Math.round((r.frame_index * 1e9) / expected.fps))));
            samples.forEach((s, k) => {
              const values = Array.from(new Float32Array(s.value.slice().buffer));
              const want = rows[k]![feature];
              expect(values).toEqual(Array.isArray(want) ? want : [want]);
            });
          }
          for (const key of cameraKeys(rows[0]!)) {
            const stream = episodes.stream(id, `camera.${key.slice('observation.images.'.length)}.color`);
            const frames = episodes.range(stream, 0n, 10n ** 12n);
            expect(frames).toHaveLength(rows.length);
            const [height, width] = stream.shape as [number, number];
            const pixels = await pixelsOf(
              frames.map((f) => f.value),
              stream.encoding as 'jpeg' | 'png',
              width,
              height,
            );
            pixels.forEach((p, k) => {
              const want = rows[k]![key]!;
              // Video frames: the same decoded picture re-encoded as JPEG q 2; image features: the PNG itself.
              const tolerance = stream.encoding === 'png' ? 1e-6 : 0.02;
              p.mean.forEach((v, c) => expect(Math.abs(v - want.mean[c]!)).toBeLessThan(tolerance));
              p.pixel_20_30.forEach((v, c) =>
                expect(Math.abs(v - want.pixel_20_30[c]!)).toBeLessThan(stream.encoding === 'png' ? 1e-6 : 0.1),
              );
            });
          }
        }
      } finally {
        store.close();
      }
    },
    120_000,
  );

  test.each(NAMES)(
    '%s: a re-export of the imported episodes loads with the same features and values',
    async (name) => {
      const expected = expectedOf(name);
      const { dataDir } = imported.get(name)!;
      const out = join(root, `reexport-${name}`);
      await runExport({ format: 'lerobot', dataDir, out, vcodec: 'h264' });
      const report = await validateDataset(out);
      expect(report.problems).toEqual([]);
      expect(report).toMatchObject({ ok: true, format: 'lerobot-v3.0', episodes: expected.episodes, frames: expected.frames.length });

      const original = JSON.parse(readFileSync(join(FIXTURES, name, 'meta/info.json'), 'utf8')) as {
        features: Record<string, { dtype: string; shape: number[]; names: unknown }>;
      };
      const again = JSON.parse(readFileSync(join(out, 'meta/info.json'), 'utf8')) as {
        fps: number;
        features: Record<string, { dtype: string; shape: number[]; names: unknown }>;
      };
      expect(again.fps).toBe(expected.fps);
      expect(Object.keys(again.features).sort()).toEqual(Object.keys(original.features).sort());
      for (const [key, feature] of Object.entries(original.features)) {
        // Image features come back as video features (the studio writes every camera as video).
        const dtype = feature.dtype === 'image' ? 'video' : feature.dtype;
        expect({ key, dtype: again.features[key]!.dtype, shape: again.features[key]!.shape, names: again.features[key]!.names }).toEqual({
          key,
          dtype,
          shape: feature.shape,
          names: feature.names,
        });
      }
      // The values, read by pandas/pyarrow (the tasks as pandas' index, as LeRobot reads them).
      const read = runPython<{ tasks: string[]; rows: Record<string, unknown>[] }>(
        `import sys, glob, json, pandas as pd, pyarrow.parquet as pq, pyarrow as pa
root = sys.argv[1]
tasks = pd.read_parquet(root + '/meta/tasks.parquet')
data = pa.concat_tables([pq.read_table(f) for f in sorted(glob.glob(root + '/data/*/*.parquet'))])
print(json.dumps({'tasks': [str(tasks.iloc[i].name) for i in range(len(tasks))], 'rows': data.select(['index', 'episode_index', 'frame_index', 'timestamp', 'task_index', 'observation.state', 'action', 'next.reward']).to_pylist()}))`,
        [out],
      );
      expect(read.rows).toHaveLength(expected.frames.length);
      read.rows.forEach((row, i) => {
        const want = expected.frames[i]!;
        expect(row).toMatchObject({ index: want.index, episode_index: want.episode_index, frame_index: want.frame_index });
        expect(read.tasks[row.task_index as number]).toBe(want.task);
        expect(Math.abs((row.timestamp as number) - want.timestamp)).toBeLessThan(1e-6);
        expect(row['observation.state']).toEqual(want['observation.state']);
        expect(row.action).toEqual(want.action);
        expect(row['next.reward']).toBe(want['next.reward']);
      });
      // Decoded video pixels of the re-export against LeRobot's decode of the original (codec tolerance).
      for (const key of cameraKeys(expected.frames[0]!)) {
        const files = readdirSync(join(out, 'videos', key, 'chunk-000')).sort();
        expect(files).toEqual(['file-000.mp4']);
        const [height, width] = again.features[key]!.shape as [number, number];
        const raw = await decodeFramesOfVideo(join(out, 'videos', key, 'chunk-000', 'file-000.mp4'));
        const size = width * height * 3;
        expect(raw.length).toBe(size * expected.frames.length);
        expected.frames.forEach((want, f) => {
          const frame = raw.subarray(f * size, (f + 1) * size);
          const mean = [0, 0, 0];
          for (let i = 0; i < size; i += 3) for (let c = 0; c < 3; c++) mean[c]! += frame[i + c]!;
          mean.forEach((m, c) => expect(Math.abs(m / (width * height) / 255 - want[key]!.mean[c]!)).toBeLessThan(0.03));
        });
      }
    },
    120_000,
  );
});

async function decodeFramesOfVideo(path: string): Promise<Buffer> {
  const { execFileSync } = await import('node:child_process');
  return execFileSync(
    'ffmpeg',
    ['-hide_banner', '-loglevel', 'error', '-i', path, '-fps_mode', 'passthrough', '-pix_fmt', 'rgb24', '-f', 'rawvideo', 'pipe:1'],
    { maxBuffer: 256 * 1024 * 1024 },
  );
}

describe('bad input: a clear message naming the file, and nothing added to the store', () => {
  const refused = async (source: string, message: RegExp): Promise<void> => {
    const dataDir = join(root, `refused-${Math.random().toString(36).slice(2)}`);
    await expect(runImport({ format: 'lerobot', dataDir, source })).rejects.toThrow(message);
    expect(storeEpisodes(dataDir)).toBe(0);
    if (existsSync(dataDir)) expect(readdirSync(dataDir).filter((f) => f.startsWith('.import-'))).toEqual([]);
  };

  test('a folder that is not a LeRobot dataset', async () => {
    const dir = join(root, 'not-a-dataset');
    mkdirSync(join(dir, 'data'), { recursive: true });
    await refused(dir, /not-a-dataset is not a LeRobot dataset: meta\/info\.json is missing/);
  });

  test('a version the studio does not know', async () => {
    const dir = copyFixture('lerobot-v21', 'old-version');
    const info = JSON.parse(readFileSync(join(dir, 'meta/info.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(dir, 'meta/info.json'), JSON.stringify({ ...info, codebase_version: 'v1.6' }));
    await refused(dir, /meta\/info\.json: codebase_version "v1\.6" is not a LeRobot format the studio imports \(v2\.1, v3\.0\)/);
  });

  test('a missing video file', async () => {
    const dir = copyFixture('lerobot-v21', 'missing-video');
    rmSync(join(dir, 'videos/chunk-000/observation.images.front/episode_000001.mp4'));
    await refused(
      dir,
      /videos\/chunk-000\/observation\.images\.front\/episode_000001\.mp4 is missing \(camera observation\.images\.front of episode 1\)/,
    );
  });

  test('a parquet that disagrees with info.json', async () => {
    const dir = copyFixture('lerobot-v30-av1-img', 'wrong-shape');
    const info = JSON.parse(readFileSync(join(dir, 'meta/info.json'), 'utf8')) as { features: Record<string, { shape: number[] }> };
    info.features['observation.state']!.shape = [7];
    writeFileSync(join(dir, 'meta/info.json'), JSON.stringify(info));
    await refused(dir, /data\/chunk-000\/file-000\.parquet: column "observation\.state" is fixed_size_list of 6 \(expected 7\)/);
  });

  test('a damaged data file met half way leaves the store as it was', async () => {
    const dir = copyFixture('lerobot-v30-h264', 'damaged-late');
    // Episodes 0–2 stage fine; the last data file is cut short.
    const info = JSON.parse(readFileSync(join(dir, 'meta/info.json'), 'utf8')) as Record<string, unknown>;
    expect(info.total_episodes).toBe(4);
    const last = join(dir, 'data/chunk-001/file-001.parquet');
    truncateSync(last, 40);
    await refused(dir, /data\/chunk-001\/file-001\.parquet is not a readable Parquet file/);
  });

  test('a cancelled import adds nothing', async () => {
    const dataDir = join(root, 'cancelled');
    const controller = new AbortController();
    const episodesDone: number[] = [];
    await expect(
      runImport(
        { format: 'lerobot', dataDir, source: join(FIXTURES, 'lerobot-v30-h264') },
        {
          signal: controller.signal,
          onProgress: (p) => {
            if (p.phase === 'episodes' && p.done_episodes >= 2) {
              episodesDone.push(p.done_episodes);
              controller.abort();
            }
          },
        },
      ),
    ).rejects.toBeInstanceOf(ExportCancelled);
    expect(episodesDone.length).toBeGreaterThan(0);
    expect(storeEpisodes(dataDir)).toBe(0);
    expect(readdirSync(dataDir).filter((f) => f.startsWith('.import-'))).toEqual([]);
  });

  test('cancelled while ffprobe reads a video, the import says cancelled (not that the video is unreadable)', async () => {
    const dir = copyFixture('lerobot-v30-h264', 'stalled');
    // A video that never arrives: ffprobe blocks reading the FIFO until the cancel kills it.
    const video = join(dir, 'videos/observation.images.front/chunk-000/file-000.mp4');
    rmSync(video);
    execFileSync('mkfifo', [video]);
    const controller = new AbortController();
    // Opening a FIFO for writing completes when its reader (ffprobe) opens it: then the check is under way.
    const reading = open(video, 'w').then(async (handle) => {
      controller.abort();
      await handle.close();
    });
    const dataDir = join(root, 'stalled-store');
    await expect(runImport({ format: 'lerobot', dataDir, source: dir }, { signal: controller.signal })).rejects.toBeInstanceOf(
      ExportCancelled,
    );
    await reading;
    expect(storeEpisodes(dataDir)).toBe(0);
  });
});
