import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { decodeFrames, ExportCancelled } from '../../../main/export/ffmpeg';
import { runExport } from '../../../main/export/runExport';
import type { ExportProgress } from '../../../main/export/types';
import { validateDataset } from '../../../main/export/validate';
import { openStore } from '../../../main/store/database';
import { EpisodeReader, splitEpisodes } from '../../../main/export/episodeSource';
import {
  episodeStartNs,
  expectedStepAction,
  gripperAt,
  jointsAt,
  makeJpegFrames,
  recordedActions,
  recordEpisodes,
  type RecordedFixture,
} from '../../support/recordedEpisodes';
import { requirePython, runPython } from './python';

let root: string;
let fixture: RecordedFixture;

beforeAll(async () => {
  requirePython(['pyarrow', 'pandas', 'numpy']);
  root = mkdtempSync(join(tmpdir(), 'studio-export-'));
  fixture = await recordEpisodes(join(root, 'data'), {
    jpegFrames: makeJpegFrames(16),
    depth: true,
    episodes: [
      { task: 'pick the red cube', duration_s: 2.0, outcome: 'success', operator: 'ada', tags: ['good'] },
      { task: 'place it in the bin', duration_s: 1.6, outcome: 'failure', operator: 'ada', drop_camera_frames: 3 },
      { task: 'pick the red cube', duration_s: 1.2, outcome: 'success', operator: 'bob', tags: ['good', 'slow'] },
    ],
  });
}, 60_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

const PY_READ_V3 = `
import sys, json, glob
import pandas as pd, pyarrow.parquet as pq
root = sys.argv[1]
tasks = pd.read_parquet(root + '/meta/tasks.parquet')
data = pq.read_table(sorted(glob.glob(root + '/data/*/*.parquet'))[0])
eps = pq.read_table(sorted(glob.glob(root + '/meta/episodes/*/*.parquet'))[0])
print(json.dumps({
  'task_index_name': tasks.index.name,
  'tasks': [tasks.iloc[i].name for i in range(len(tasks))],
  'schema': {f.name: str(f.type) for f in data.schema},
  'compression': pq.ParquetFile(sorted(glob.glob(root + '/data/*/*.parquet'))[0]).metadata.row_group(0).column(0).compression,
  'rows': data.select(['observation.state', 'action', 'capture.state_ns', 'capture.action_ns', 'capture.front_ns', 'timestamp', 'frame_index', 'episode_index', 'index', 'task_index']).to_pylist(),
  'episodes': eps.drop([c for c in eps.column_names if c.startswith('stats/')]).to_pylist(),
  'stats_cols': [c for c in eps.column_names if c.startswith('stats/observation.state/')],
}, default=str))
`;

interface V3Read {
  task_index_name: string;
  tasks: string[];
  schema: Record<string, string>;
  compression: string;
  rows: {
    'observation.state': number[];
    action: number[];
    'capture.state_ns': number;
    'capture.action_ns': number;
    'capture.front_ns': number;
    timestamp: number;
    frame_index: number;
    episode_index: number;
    index: number;
    task_index: number;
  }[];
  episodes: Record<string, unknown>[];
  stats_cols: string[];
}

describe('LeRobot export', () => {
  test('v3.0 (h264, with depth): the validator passes and pyarrow/pandas read back the recorded values', async () => {
    const out = join(root, 'v3-h264');
    const progress: ExportProgress[] = [];
    const summary = await runExport(
      { format: 'lerobot', dataDir: fixture.dataDir, out, vcodec: 'h264', depth: true },
      { onProgress: (p) => progress.push(p) },
    );
    expect(summary.episodes.map((e) => e.id)).toEqual(fixture.ids);
    expect(summary.fps).toBe(10);
    expect(summary.warnings.some((w) => w.includes(`episode ${fixture.ids[1]}`))).toBe(true);
    expect(progress.at(-1)).toMatchObject({
      phase: 'done',
      done_frames: summary.total_frames,
      total_frames: summary.total_frames,
      eta_s: 0,
    });
    expect(progress.some((p) => p.phase === 'episodes' && p.eta_s !== null)).toBe(true);

    const report = await validateDataset(out);
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ ok: true, format: 'lerobot-v3.0', episodes: 3, frames: summary.total_frames, videos_probed: 4 });

    const read = runPython<V3Read>(PY_READ_V3, [out]);
    expect(read.task_index_name).toBe('task');
    expect(read.tasks).toEqual(['pick the red cube', 'place it in the bin']);
    expect(read.compression).toBe('SNAPPY');
    expect(read.schema['observation.state']).toBe('fixed_size_list<item: float>[8]');
    expect(read.schema.action).toBe('fixed_size_list<item: float>[7]');
    expect(read.schema.timestamp).toBe('float');
    expect(read.schema.index).toBe('int64');
    expect(read.stats_cols).toContain('stats/observation.state/q99');
    expect(read.rows.map((r) => r.index)).toEqual(read.rows.map((_, i) => i));
    const info = JSON.parse(readFileSync(join(out, 'meta/info.json'), 'utf8'));
    expect(info.features['observation.images.front'].info['video.codec']).toBe('h264');
    expect(info.features['observation.images.front_depth'].info).toMatchObject({
      is_depth_map: true,
      'video.codec': 'hevc',
      'video.pix_fmt': 'gray12le',
    });
    const stats = JSON.parse(readFileSync(join(out, 'meta/stats.json'), 'utf8'));
    expect(stats['observation.images.front'].mean).toHaveLength(3);
    expect(stats['observation.state'].q01).toHaveLength(8);

    // Values against the database: state is the recorded sample at its capture time, action the motion of the step.
    const actions = new Map(fixture.ids.map((id) => [id, recordedActions(fixture.dataDir, id)]));
    for (const [e, id] of fixture.ids.entries()) {
      const start = episodeStartNs(fixture.dataDir, id);
      const rows = read.rows.filter((r) => r.episode_index === e);
      expect(rows.length).toBe(summary.episodes[e]!.frames);
      const t0 = BigInt(rows[0]!['capture.front_ns']);
      for (const row of rows) {
        expect(row.timestamp).toBeCloseTo(row.frame_index / 10, 6);
        const ts = Number(BigInt(row['capture.state_ns']) - start) / 1e9;
        const expected = [...jointsAt(ts), gripperAt(ts)];
        row['observation.state'].forEach((v, d) => expect(v).toBeCloseTo(expected[d]!, 5));
        // The action of a frame is the motion of the recorded cycles up to its capture.action_ns
        // (the newest one it holds), back to the previous frame's: two 20 Hz cycles per 10 Hz frame.
        if (row.frame_index > 0) {
          const previous = rows[row.frame_index - 1]!;
          const expectedAction = expectedStepAction(
            actions.get(id)!,
            BigInt(previous['capture.action_ns']) + 1n,
            BigInt(row['capture.action_ns']) + 1n,
          );
          row.action.forEach((v, d) => expect(v).toBeCloseTo(expectedAction[d]!, 5));
        }
        expect(BigInt(row['capture.front_ns'])).toBeGreaterThanOrEqual(t0);
      }
      // Real capture times lag the grid by less than a camera period, except across the dropped frames.
      const lags = rows.map((r) => Number(BigInt(r['capture.state_ns']) - t0) / 1e9 - r.timestamp);
      for (const lag of lags) expect(lag).toBeLessThanOrEqual(1e-9);
      for (const lag of lags) expect(lag).toBeGreaterThan(-0.06);
    }
    const ep1 = read.episodes[1]!;
    expect(ep1).toMatchObject({
      episode_index: 1,
      length: summary.episodes[1]!.frames,
      dataset_from_index: summary.episodes[0]!.frames,
      'data/chunk_index': 0,
      'data/file_index': 0,
      tasks: ['place it in the bin'],
    });
    expect(ep1['videos/observation.images.front/from_timestamp']).toBeCloseTo(summary.episodes[0]!.frames / 10, 9);

    // Video frames are the recorded JPEGs: decode episode 0 of the front camera and compare with the DB frames.
    const store = openStore({ dataDir: fixture.dataDir, appVersion: 'test' });
    try {
      const reader = new EpisodeReader(store.db);
      const stream = reader.store.stream(fixture.ids[0]!, 'camera.front.color');
      const n = summary.episodes[0]!.frames;
      const db = await decodeFrames(
        read.rows.filter((r) => r.episode_index === 0).map((r) => reader.store.latestAt(stream, BigInt(r['capture.front_ns']))!.value),
        { codec: 'mjpeg', pix_fmt: 'rgb24' },
      );
      const video = execFileSync(
        'ffmpeg',
        [
          '-loglevel',
          'error',
          '-i',
          join(out, 'videos/observation.images.front/chunk-000/file-000.mp4'),
          '-frames:v',
          String(n),
          '-pix_fmt',
          'rgb24',
          '-f',
          'rawvideo',
          'pipe:1',
        ],
        { maxBuffer: 1 << 26 },
      );
      const size = 96 * 72 * 3;
      expect(video.length).toBe(n * size);
      for (let k = 0; k < n; k++) {
        let same = 0,
          other = 0;
        const next = (k + 1) % n;
        for (let i = 0; i < size; i += 7) {
          same += Math.abs(video[k * size + i]! - db[k * size + i]!);
          other += Math.abs(video[k * size + i]! - db[next * size + i]!);
        }
        const px = size / 7;
        expect(same / px).toBeLessThan(12);
        if (!db.subarray(k * size, (k + 1) * size).equals(db.subarray(next * size, (next + 1) * size))) expect(same).toBeLessThan(other);
      }
    } finally {
      store.close();
    }
  }, 60_000);

  test('v3.0 with libsvtav1 (the LeRobot default) validates', async () => {
    const out = join(root, 'v3-av1');
    await runExport({ format: 'lerobot', dataDir: fixture.dataDir, out, selection: { episode_ids: [fixture.ids[0]!, fixture.ids[2]!] } });
    const report = await validateDataset(out);
    expect(report.problems).toEqual([]);
    const info = JSON.parse(readFileSync(join(out, 'meta/info.json'), 'utf8'));
    expect(info.features['observation.images.side'].info).toMatchObject({
      'video.codec': 'av1',
      'video.pix_fmt': 'yuv420p',
      'video.fps': 10,
      'video.g': 2,
      'video.crf': 30,
    });
  }, 60_000);

  test('v3.0 rolls data and video files over by size', async () => {
    const out = join(root, 'v3-rollover');
    await runExport({
      format: 'lerobot',
      dataDir: fixture.dataDir,
      out,
      vcodec: 'h264',
      video_file_size_mb: 0.000001,
      data_file_size_mb: 0.000001,
      cameras: ['front'],
    });
    expect(readdirSync(join(out, 'data/chunk-000')).sort()).toEqual(['file-000.parquet', 'file-001.parquet', 'file-002.parquet']);
    expect(readdirSync(join(out, 'videos/observation.images.front/chunk-000')).length).toBe(3);
    const report = await validateDataset(out);
    expect(report.problems).toEqual([]);
  }, 60_000);

  test('v2.1: per-episode files and JSONL metadata, read back by pyarrow', async () => {
    const out = join(root, 'v21');
    const summary = await runExport({ format: 'lerobot-v2.1', dataDir: fixture.dataDir, out, vcodec: 'h264' });
    const report = await validateDataset(out);
    expect(report.problems).toEqual([]);
    expect(report.format).toBe('lerobot-v2.1');
    const info = JSON.parse(readFileSync(join(out, 'meta/info.json'), 'utf8'));
    expect(info).toMatchObject({ codebase_version: 'v2.1', total_videos: 6, total_chunks: 1, total_episodes: 3 });
    expect(info.features['observation.images.front'].info['video.is_depth_map']).toBe(false);
    expect(
      readFileSync(join(out, 'meta/tasks.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual([
      { task_index: 0, task: 'pick the red cube' },
      { task_index: 1, task: 'place it in the bin' },
    ]);
    const read = runPython<{ rows: number; first_index: number; ts: number[] }>(
      `import sys, json, pyarrow.parquet as pq
t = pq.read_table(sys.argv[1] + '/data/chunk-000/episode_000001.parquet')
print(json.dumps({'rows': t.num_rows, 'first_index': t.column('index')[0].as_py(), 'ts': t.column('timestamp').to_pylist()}))`,
      [out],
    );
    expect(read.rows).toBe(summary.episodes[1]!.frames);
    expect(read.first_index).toBe(summary.episodes[0]!.frames);
    read.ts.forEach((t, i) => expect(t).toBeCloseTo(i / 10, 6));
    expect(existsSync(join(out, 'videos/chunk-000/observation.images.side/episode_000002.mp4'))).toBe(true);
  }, 60_000);

  test('selection, split and dry run', async () => {
    const base = { format: 'lerobot' as const, dataDir: fixture.dataDir, out: join(root, 'never'), dry_run: true };
    const byOutcome = await runExport({ ...base, selection: { outcomes: ['success'] } });
    expect(byOutcome.episodes.map((e) => e.id)).toEqual([fixture.ids[0], fixture.ids[2]]);
    expect((await runExport({ ...base, selection: { tags: ['slow'] } })).episodes.map((e) => e.id)).toEqual([fixture.ids[2]]);
    expect((await runExport({ ...base, selection: { exclude_tags: ['good'] } })).episodes.map((e) => e.id)).toEqual([fixture.ids[1]]);
    expect((await runExport({ ...base, selection: { operators: ['bob'] } })).episodes.map((e) => e.id)).toEqual([fixture.ids[2]]);
    expect((await runExport({ ...base, selection: { tasks: ['place it in the bin'] } })).episodes).toHaveLength(1);
    expect(await runExport({ ...base, selection: { to_unix_ms: 0 } }).catch((e: Error) => e.message)).toMatch(/no saved episodes match/);
    const split = await runExport({ ...base, valid_fraction: 0.34, split_seed: 3, fps: 5, cameras: ['side'] });
    expect(split.episodes.filter((e) => e.split === 'valid')).toHaveLength(1);
    expect(split.episodes.at(-1)!.split).toBe('valid');
    // A held-out test share comes from the same shuffle, listed after validation.
    const three = await runExport({ ...base, valid_fraction: 0.34, test_fraction: 0.34, split_seed: 3 });
    expect(three.episodes.map((e) => e.split)).toEqual(['train', 'valid', 'test']);
    await expect(runExport({ ...base, valid_fraction: 0.5, test_fraction: 0.5 })).rejects.toThrow(/leave no training episodes/);
    expect(split.cameras).toEqual(['side']);
    expect(split.fps).toBe(5);
    expect(existsSync(base.out)).toBe(false);
    await expect(runExport({ ...base, cameras: ['ceiling'] })).rejects.toThrow(/camera "ceiling" is not in episode/);
  });

  test('a cancelled export leaves nothing behind; an existing output is refused', async () => {
    const parent = mkdtempSync(join(root, 'cancel-'));
    const out = join(parent, 'dataset');
    const controller = new AbortController();
    const run = runExport(
      { format: 'lerobot', dataDir: fixture.dataDir, out, vcodec: 'h264' },
      { signal: controller.signal, onProgress: (p) => p.phase === 'episodes' && controller.abort() },
    );
    await expect(run).rejects.toBeInstanceOf(ExportCancelled);
    expect(readdirSync(parent)).toEqual([]);
    writeFileSync(out, 'x');
    await expect(runExport({ format: 'lerobot', dataDir: fixture.dataDir, out })).rejects.toThrow(/already exists/);
  }, 30_000);

  describe('the validator catches broken datasets', () => {
    let good: string;
    beforeAll(async () => {
      good = join(root, 'v3-good');
      await runExport({ format: 'lerobot', dataDir: fixture.dataDir, out: good, vcodec: 'h264', cameras: ['front'] });
    }, 60_000);
    const broken = (name: string) => {
      const dir = join(root, `broken-${name}`);
      cpSync(good, dir, { recursive: true });
      return dir;
    };

    test('a missing video frame', async () => {
      const dir = broken('frame');
      const video = join(dir, 'videos/observation.images.front/chunk-000/file-000.mp4');
      execFileSync('ffmpeg', [
        '-loglevel',
        'error',
        '-y',
        '-i',
        video,
        '-vf',
        "select='not(eq(n\\,5))',setpts=N/10/TB",
        '-r',
        '10',
        '-c:v',
        'libx264',
        '-bf',
        '0',
        join(dir, 'tmp.mp4'),
      ]);
      cpSync(join(dir, 'tmp.mp4'), video);
      rmSync(join(dir, 'tmp.mp4'));
      const report = await validateDataset(dir);
      expect(report.ok).toBe(false);
      expect(report.problems.join('\n')).toMatch(/file-000\.mp4: has \d+ frames, the episodes stored in it need \d+/);
    });

    test('wrong fps', async () => {
      const dir = broken('fps');
      const info = JSON.parse(readFileSync(join(dir, 'meta/info.json'), 'utf8'));
      info.fps = 15;
      writeFileSync(join(dir, 'meta/info.json'), JSON.stringify(info));
      const report = await validateDataset(dir);
      expect(report.problems.join('\n')).toMatch(/timestamp .* expected frame_index \/ fps/);
      expect(report.problems.join('\n')).toMatch(/video frame rate is 10\/1 .* the dataset fps is 15/);
    });

    test('a gap in index', async () => {
      const dir = broken('index');
      runPython(
        `import sys, glob, json, pyarrow as pa, pyarrow.parquet as pq
p = sorted(glob.glob(sys.argv[1] + '/data/*/*.parquet'))[0]
t = pq.read_table(p)
idx = t.column('index').to_pylist()
idx = idx[:7] + [v + 1 for v in idx[7:]]
t = t.set_column(t.schema.get_field_index('index'), pa.field('index', pa.int64()), pa.array(idx, pa.int64()))
pq.write_table(t, p, compression='snappy')
print('{}')`,
        [dir],
      );
      const report = await validateDataset(dir);
      expect(report.problems.join('\n')).toMatch(/"index" must run 0\.\.\d+ without gaps in file order; row 7 has 8/);
    });

    test('a bad from_timestamp', async () => {
      const dir = broken('from');
      runPython(
        `import sys, glob, pyarrow as pa, pyarrow.parquet as pq
p = sorted(glob.glob(sys.argv[1] + '/meta/episodes/*/*.parquet'))[0]
t = pq.read_table(p)
name = 'videos/observation.images.front/from_timestamp'
v = t.column(name).to_pylist()
v[1] += 0.05
t = t.set_column(t.schema.get_field_index(name), pa.field(name, pa.float64()), pa.array(v, pa.float64()))
pq.write_table(t, p)
print('{}')`,
        [dir],
      );
      const report = await validateDataset(dir);
      const text = report.problems.join('\n');
      expect(text).toMatch(/episode 1 observation.images.front from_timestamp is 2\.05, expected 2\.000000/);
    });
  });
});

describe('splitting by episode', () => {
  test('200 episodes at 0.1 / 0.1 give the 160 / 20 / 20 a world-model run expects, the same for the same seed', () => {
    const ids = Array.from({ length: 200 }, (_, i) => i + 1);
    const split = splitEpisodes(ids, { valid: 0.1, test: 0.1 }, 7);
    const count = (name: string) => [...split.values()].filter((s) => s === name).length;
    expect([count('train'), count('valid'), count('test')]).toEqual([160, 20, 20]);
    expect(splitEpisodes(ids, { valid: 0.1, test: 0.1 }, 7)).toEqual(split);
    expect(splitEpisodes(ids, { valid: 0.1, test: 0.1 }, 8)).not.toEqual(split);
  });
});
