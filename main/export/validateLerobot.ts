import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { DataType, type Table } from 'apache-arrow';
import { parseRate, probeVideo } from './ffmpeg';
import { readParquetFile } from './parquet';
import { QUANTILE_KEYS } from './stats';
import { TOLERANCE_S, type FormatValidator, type Problems, type ValidationReport } from './validation';

/**
 * LeRobot v3.0 and v2.1, checked the way LeRobot's loader reads them and more strictly: metadata,
 * contiguous indices, the timestamp grid, per-camera frame counts and pts within 1e-4 s of
 * `from_timestamp + timestamp`, the feature schema, stats shapes; videos probed with ffprobe.
 */

export interface FeatureJson {
  dtype: string;
  shape: number[];
  names?: unknown;
  info?: Record<string, unknown>;
}

interface InfoJson {
  codebase_version?: string;
  fps?: number;
  total_episodes?: number;
  total_frames?: number;
  total_tasks?: number;
  chunks_size?: number;
  data_files_size_in_mb?: number;
  video_files_size_in_mb?: number;
  total_videos?: number;
  data_path?: string;
  video_path?: string | null;
  features?: Record<string, FeatureJson>;
}

const DEFAULT_FEATURES: Record<string, string> = {
  timestamp: 'float32',
  frame_index: 'int64',
  episode_index: 'int64',
  index: 'int64',
  task_index: 'int64',
};

function filesUnder(root: string, dir: string, ext: string): string[] {
  const base = join(root, dir);
  if (!existsSync(base)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.name.endsWith(ext)) out.push(p);
    }
  };
  walk(base);
  return out.sort();
}

function format(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)(?::0(\d+)d)?\}/g, (_, key: string, width: string | undefined) => {
    const v = values[key];
    if (v === undefined) return `{${key}}`;
    return width === undefined ? String(v) : String(v).padStart(Number(width), '0');
  });
}

export function arrowTypeMatches(type: DataType, feature: FeatureJson): string | null {
  const scalar = (t: DataType, dtype: string): boolean => {
    if (dtype === 'float32') return DataType.isFloat(t) && t.toString() === 'Float32';
    if (dtype === 'float64') return DataType.isFloat(t) && t.toString() === 'Float64';
    if (dtype === 'int64') return DataType.isInt(t) && t.toString() === 'Int64';
    if (dtype === 'int32') return DataType.isInt(t) && t.toString() === 'Int32';
    if (dtype === 'bool') return DataType.isBool(t);
    if (dtype === 'string') return DataType.isUtf8(t) || DataType.isLargeUtf8(t);
    return true;
  };
  if (feature.dtype === 'image') {
    // HF datasets' Image(): struct<bytes: binary, path: string> with the encoded file in `bytes`.
    const bytes = DataType.isStruct(type) ? type.children.find((c) => c.name === 'bytes') : undefined;
    return bytes !== undefined && (DataType.isBinary(bytes.type) || DataType.isLargeBinary(bytes.type))
      ? null
      : `${type} (expected an image: struct<bytes: binary, path: string>)`;
  }
  const shape = feature.shape;
  if (shape.length === 1 && shape[0] === 1) return scalar(type, feature.dtype) ? null : `${type} (expected scalar ${feature.dtype})`;
  if (shape.length === 1) {
    if (!DataType.isFixedSizeList(type)) return `${type} (expected fixed_size_list<${feature.dtype}>[${shape[0]}])`;
    if (type.listSize !== shape[0]) return `fixed_size_list of ${type.listSize} (expected ${shape[0]})`;
    return scalar(type.children[0]!.type as DataType, feature.dtype) ? null : `${type} (expected items ${feature.dtype})`;
  }
  return null;
}

function column(table: Table, name: string): number[] {
  const child = table.getChild(name);
  if (child === null) return [];
  return Array.from(child.toArray() as ArrayLike<number | bigint>, Number);
}

async function checkVideoFile(
  path: string,
  root: string,
  expected: { width: number; height: number; fps: number; segments: { episode: number; from: number; length: number }[] },
  problems: Problems,
): Promise<void> {
  const rel = relative(root, path);
  let probe;
  try {
    probe = await probeVideo(path, { packets: true });
  } catch (error) {
    problems.add(`${rel}: ${(error as Error).message}`);
    return;
  }
  const s = probe.stream;
  if (s.width !== expected.width || s.height !== expected.height)
    problems.add(`${rel}: video is ${s.width}×${s.height}, info.json says ${expected.width}×${expected.height}`);
  const rate = parseRate(s.r_frame_rate);
  if (Math.abs(rate - expected.fps) > 1e-3)
    problems.add(
      `${rel}: video frame rate is ${s.r_frame_rate} (${rate.toFixed(3)} fps), the dataset fps is ${expected.fps}: frames would not be found at from_timestamp + timestamp`,
    );
  const pts = probe.pts_s;
  const needed = expected.segments.reduce((n, seg) => n + seg.length, 0);
  if (pts.length !== needed)
    problems.add(
      `${rel}: has ${pts.length} frames, the episodes stored in it need ${needed} (episodes ${expected.segments.map((g) => `${g.episode}: ${g.length}`).join(', ')})`,
    );
  let offset = 0;
  for (const seg of expected.segments) {
    for (let i = 0; i < seg.length; i++) {
      const want = seg.from + i / expected.fps;
      const got = pts[offset + i];
      if (got === undefined || Math.abs(got - want) > TOLERANCE_S) {
        // The loader looks for a frame within tolerance of the query time.
        const nearest = pts.reduce((best, p) => (Math.abs(p - want) < Math.abs(best - want) ? p : best), Number.POSITIVE_INFINITY);
        if (Math.abs(nearest - want) > TOLERANCE_S) {
          problems.add(
            `${rel}: episode ${seg.episode} frame ${i} should be at ${want.toFixed(4)} s; the nearest frame is at ${Number.isFinite(nearest) ? nearest.toFixed(4) : 'none'} s (tolerance ${TOLERANCE_S} s)`,
          );
          break;
        }
      }
    }
    offset += seg.length;
  }
}

function checkStats(
  stats: Record<string, Record<string, unknown>>,
  features: Record<string, FeatureJson>,
  withQuantiles: boolean,
  where: string,
  problems: Problems,
): void {
  for (const [key, feature] of Object.entries(features)) {
    if (feature.dtype === 'string' || feature.dtype === 'language') continue;
    const s = stats[key];
    if (s === undefined) {
      problems.add(`${where}: no stats for feature "${key}"`);
      continue;
    }
    const keys = ['min', 'max', 'mean', 'std', 'count', ...(withQuantiles ? QUANTILE_KEYS : [])];
    for (const stat of keys) {
      const value = s[stat];
      if (!Array.isArray(value)) {
        problems.add(`${where}: "${key}" has no "${stat}"`);
        continue;
      }
      if (stat === 'count') {
        if (value.length !== 1) problems.add(`${where}: "${key}".count has shape (${value.length},), expected (1,)`);
        continue;
      }
      if (feature.dtype === 'video' || feature.dtype === 'image') {
        const channels = feature.shape[2] ?? 3;
        const ok =
          value.length === channels &&
          value.every((c) => Array.isArray(c) && c.length === 1 && Array.isArray(c[0]) && (c[0] as unknown[]).length === 1);
        if (!ok) problems.add(`${where}: "${key}".${stat} must have shape (${channels},1,1)`);
      } else {
        const dim = feature.shape.reduce((a, b) => a * b, 1);
        if (value.length !== dim) problems.add(`${where}: "${key}".${stat} has ${value.length} values, expected ${dim}`);
      }
    }
  }
}

function checkFeatures(info: InfoJson, problems: Problems): Record<string, FeatureJson> {
  const features = info.features ?? {};
  if (info.features === undefined) problems.add('meta/info.json: no "features"');
  for (const [name, dtype] of Object.entries(DEFAULT_FEATURES)) {
    const f = features[name];
    if (f === undefined) problems.add(`meta/info.json: default feature "${name}" is missing`);
    else if (f.dtype !== dtype || JSON.stringify(f.shape) !== '[1]')
      problems.add(`meta/info.json: "${name}" must be ${dtype} shape [1], is ${f.dtype} ${JSON.stringify(f.shape)}`);
  }
  for (const [name, f] of Object.entries(features)) {
    if (name.includes('/')) problems.add(`meta/info.json: feature name "${name}" contains "/"`);
    if (!Array.isArray(f.shape)) problems.add(`meta/info.json: feature "${name}" has no shape`);
    if (
      f.dtype === 'video' &&
      (f.shape.length !== 3 || !Array.isArray(f.names) || !['channel', 'channels'].includes(String((f.names as unknown[])[2])))
    ) {
      problems.add(`meta/info.json: video feature "${name}" must have shape [H, W, C] and names ["height", "width", "channels"]`);
    }
  }
  return features;
}

/** The frame rows of every data file, in file order, checked against the schema. */
function checkFrames(
  root: string,
  files: string[],
  info: InfoJson,
  features: Record<string, FeatureJson>,
  problems: Problems,
): { index: number[]; episode: number[]; frame: number[]; timestamp: number[]; task: number[] } {
  const out = { index: [] as number[], episode: [] as number[], frame: [] as number[], timestamp: [] as number[], task: [] as number[] };
  const expected = Object.entries(features).filter(([, f]) => f.dtype !== 'video');
  for (const file of files) {
    const rel = relative(root, file);
    let table: Table;
    try {
      table = readParquetFile(file);
    } catch (error) {
      problems.add(`${rel}: not a readable Parquet file: ${(error as Error).message}`);
      continue;
    }
    const names = table.schema.fields.map((f) => f.name);
    for (const [name, feature] of expected) {
      const field = table.schema.fields.find((f) => f.name === name);
      if (field === undefined) {
        problems.add(`${rel}: column "${name}" (declared in info.json) is missing`);
        continue;
      }
      const mismatch = arrowTypeMatches(field.type as DataType, feature);
      if (mismatch !== null) problems.add(`${rel}: column "${name}" is ${mismatch}`);
    }
    for (const name of names)
      if (features[name] === undefined) problems.add(`${rel}: column "${name}" is not declared in meta/info.json features`);
    out.index.push(...column(table, 'index'));
    out.episode.push(...column(table, 'episode_index'));
    out.frame.push(...column(table, 'frame_index'));
    out.timestamp.push(...column(table, 'timestamp'));
    out.task.push(...column(table, 'task_index'));
  }
  const fps = info.fps ?? 1;
  const firstGap = out.index.findIndex((v, i) => v !== i);
  if (firstGap >= 0)
    problems.add(
      `data: "index" must run 0..${out.index.length - 1} without gaps in file order; row ${firstGap} has ${out.index[firstGap]}`,
    );
  if (info.total_frames !== undefined && out.index.length !== info.total_frames)
    problems.add(`data: ${out.index.length} frame rows, meta/info.json total_frames says ${info.total_frames}`);
  for (let i = 0; i < out.timestamp.length; i++) {
    const want = out.frame[i]! / fps;
    if (Math.abs(out.timestamp[i]! - want) > TOLERANCE_S) {
      problems.add(
        `data: row ${i} (episode ${out.episode[i]}, frame ${out.frame[i]}) has timestamp ${out.timestamp[i]!.toFixed(6)}, expected frame_index / fps = ${want.toFixed(6)} (fps ${fps})`,
      );
      break;
    }
  }
  for (let i = 0; i < out.task.length; i++) {
    if (!(out.task[i]! >= 0 && out.task[i]! < (info.total_tasks ?? 0))) {
      problems.add(`data: row ${i} has task_index ${out.task[i]}, but there are ${info.total_tasks} tasks`);
      break;
    }
  }
  return out;
}

function checkEpisodeRows(
  frames: ReturnType<typeof checkFrames>,
  episodes: { index: number; length: number; from: number; to: number }[],
  problems: Problems,
): void {
  let expectedFrom = 0;
  for (const [position, e] of episodes.entries()) {
    if (e.index !== position)
      problems.add(`meta: episode row ${position} has episode_index ${e.index}; episode_index must equal the row position`);
    if (e.from !== expectedFrom)
      problems.add(`meta: episode ${e.index} starts at dataset index ${e.from}, expected ${expectedFrom} (contiguous)`);
    if (e.to - e.from !== e.length) problems.add(`meta: episode ${e.index} spans [${e.from}, ${e.to}) but its length is ${e.length}`);
    expectedFrom = e.to;
    for (let k = 0; k < e.length; k++) {
      const row = e.from + k;
      if (frames.episode[row] !== e.index || frames.frame[row] !== k) {
        problems.add(
          `data: row ${row} should be episode ${e.index} frame ${k}; it is episode ${frames.episode[row]} frame ${frames.frame[row]}${frames.episode[row] === undefined ? ' (missing)' : ''}`,
        );
        break;
      }
    }
  }
  const present = new Set(frames.episode);
  for (const e of episodes) if (!present.has(e.index)) problems.add(`data: episode ${e.index} has no frame rows`);
}

/**
 * `meta/tasks.parquet` must give the task string back as the pandas index (LeRobot reads it with
 * `pd.read_parquet` and looks tasks up by index). pandas restores an index from the schema's pandas
 * metadata: `index_columns` names one string column — `task` when the frame's index is named (the
 * studio's writer), `__index_level_0__` when it is not (LeRobot's own writer). A RangeIndex (a
 * `{kind: "range"}` entry) or no metadata would give row numbers instead of task strings.
 */
export function tasksIndexColumn(tasks: Table): { column: string } | { problem: string } {
  const pandas = tasks.schema.metadata.get('pandas');
  if (pandas === undefined)
    return {
      problem:
        'no pandas metadata: pandas would give the row number instead of the task string (write it with DataFrame.to_parquet, the tasks as the index)',
    };
  let indexColumns: unknown;
  try {
    indexColumns = (JSON.parse(pandas) as { index_columns?: unknown }).index_columns;
  } catch {
    return { problem: 'its pandas metadata is not JSON' };
  }
  if (!Array.isArray(indexColumns) || indexColumns.length !== 1 || typeof indexColumns[0] !== 'string') {
    return {
      problem: `pandas index_columns is ${JSON.stringify(indexColumns)}, not one string column: pandas would give the row number instead of the task string`,
    };
  }
  const name = indexColumns[0];
  const field = tasks.schema.fields.find((f) => f.name === name);
  if (field === undefined) return { problem: `the pandas index column "${name}" is not in the file` };
  if (!DataType.isUtf8(field.type) && !DataType.isLargeUtf8(field.type))
    return { problem: `the pandas index column "${name}" is ${field.type}, not a string: the tasks must be the index` };
  return { column: name };
}

function tasksIndexProblem(tasks: Table): string | null {
  const found = tasksIndexColumn(tasks);
  return 'problem' in found ? found.problem : null;
}

async function validateV3(root: string, info: InfoJson, report: ValidationReport, problems: Problems): Promise<void> {
  const features = checkFeatures(info, problems);
  for (const key of ['chunks_size', 'data_files_size_in_mb', 'video_files_size_in_mb'] as const) {
    if (!(typeof info[key] === 'number' && info[key]! > 0)) problems.add(`meta/info.json: "${key}" must be a positive number`);
  }
  // tasks.parquet: the task string must come back as the pandas index.
  const tasksPath = join(root, 'meta/tasks.parquet');
  if ((info.total_tasks ?? 0) > 0) {
    if (!existsSync(tasksPath)) problems.add('meta/tasks.parquet is missing');
    else {
      const tasks = readParquetFile(tasksPath);
      const problem = tasksIndexProblem(tasks);
      if (problem !== null) problems.add(`meta/tasks.parquet: ${problem}`);
      const ti = column(tasks, 'task_index');
      if (ti.length !== info.total_tasks)
        problems.add(`meta/tasks.parquet: ${ti.length} tasks, info.json total_tasks says ${info.total_tasks}`);
      ti.forEach((v, i) => {
        if (v !== i) problems.add(`meta/tasks.parquet: row ${i} has task_index ${v}; rows must be ordered by task_index`);
      });
    }
  }
  const episodeFiles = filesUnder(root, 'meta/episodes', '.parquet');
  if (episodeFiles.length === 0 && (info.total_episodes ?? 0) > 0) problems.add('meta/episodes/*/*.parquet is missing');
  const tables = episodeFiles.map((f) => readParquetFile(f));
  const videoKeys = Object.entries(features)
    .filter(([, f]) => f.dtype === 'video')
    .map(([k]) => k);
  const episodes: {
    index: number;
    length: number;
    from: number;
    to: number;
    data: [number, number];
    videos: Record<string, { chunk: number; file: number; from: number; to: number }>;
  }[] = [];
  for (const t of tables) {
    const idx = column(t, 'episode_index');
    const length = column(t, 'length');
    const from = column(t, 'dataset_from_index');
    const to = column(t, 'dataset_to_index');
    const dc = column(t, 'data/chunk_index');
    const df = column(t, 'data/file_index');
    const vids = Object.fromEntries(
      videoKeys.map((k) => [
        k,
        {
          c: column(t, `videos/${k}/chunk_index`),
          f: column(t, `videos/${k}/file_index`),
          from: column(t, `videos/${k}/from_timestamp`),
          to: column(t, `videos/${k}/to_timestamp`),
        },
      ]),
    );
    for (let i = 0; i < idx.length; i++) {
      episodes.push({
        index: idx[i]!,
        length: length[i]!,
        from: from[i]!,
        to: to[i]!,
        data: [dc[i]!, df[i]!],
        videos: Object.fromEntries(
          videoKeys.map((k) => [k, { chunk: vids[k]!.c[i]!, file: vids[k]!.f[i]!, from: vids[k]!.from[i]!, to: vids[k]!.to[i]! }]),
        ),
      });
    }
    for (const k of videoKeys) if (vids[k]!.from.length !== idx.length) problems.add(`meta/episodes: no videos/${k}/* columns`);
  }
  if (episodes.length !== info.total_episodes)
    problems.add(`meta/episodes: ${episodes.length} episode rows, info.json total_episodes says ${info.total_episodes}`);
  report.episodes = episodes.length;
  const dataFiles = filesUnder(root, 'data', '.parquet');
  const frames = checkFrames(root, dataFiles, info, features, problems);
  report.frames = frames.index.length;
  checkEpisodeRows(frames, episodes, problems);
  for (const e of episodes) {
    const path = format(info.data_path ?? '', { chunk_index: e.data[0], file_index: e.data[1] });
    if (!existsSync(join(root, path))) problems.add(`meta/episodes: episode ${e.index} points at ${path}, which does not exist`);
  }
  // Videos: per file, the episodes it holds, in order; from/to must chain and match lengths.
  const fps = info.fps ?? 1;
  for (const key of videoKeys) {
    const feature = features[key]!;
    const byFile = new Map<string, { episode: number; from: number; length: number }[]>();
    for (const e of episodes) {
      const v = e.videos[key];
      if (v === undefined) continue;
      const path = format(info.video_path ?? '', { video_key: key, chunk_index: v.chunk, file_index: v.file });
      if (Math.abs(v.to - v.from - e.length / fps) > TOLERANCE_S)
        problems.add(
          `meta/episodes: episode ${e.index} ${key} spans ${v.from}..${v.to} s (${(v.to - v.from).toFixed(6)} s) but length ${e.length} at ${fps} fps is ${(e.length / fps).toFixed(6)} s`,
        );
      const list = byFile.get(path) ?? [];
      const prevEnd = list.length === 0 ? 0 : list[list.length - 1]!.from + list[list.length - 1]!.length / fps;
      if (Math.abs(v.from - prevEnd) > TOLERANCE_S)
        problems.add(
          `meta/episodes: episode ${e.index} ${key} from_timestamp is ${v.from}, expected ${prevEnd.toFixed(6)} (where the previous episode in ${path} ends)`,
        );
      list.push({ episode: e.index, from: v.from, length: e.length });
      byFile.set(path, list);
    }
    for (const [path, segments] of byFile) {
      const full = join(root, path);
      if (!existsSync(full)) {
        problems.add(`${path} is missing (episodes ${segments.map((s) => s.episode).join(', ')} of ${key})`);
        continue;
      }
      await checkVideoFile(full, root, { width: feature.shape[1]!, height: feature.shape[0]!, fps, segments }, problems);
      report.videos_probed += 1;
    }
  }
  const statsPath = join(root, 'meta/stats.json');
  if (!existsSync(statsPath)) problems.add('meta/stats.json is missing (loading works, but training normalisation needs it)');
  else
    checkStats(
      JSON.parse(readFileSync(statsPath, 'utf8')) as Record<string, Record<string, unknown>>,
      features,
      true,
      'meta/stats.json',
      problems,
    );
}

function readJsonl<T>(path: string, problems: Problems): T[] {
  if (!existsSync(path)) {
    problems.add(`${path.split('/').slice(-2).join('/')} is missing`);
    return [];
  }
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
}

async function validateV21(root: string, info: InfoJson, report: ValidationReport, problems: Problems): Promise<void> {
  const features = checkFeatures(info, problems);
  const tasks = readJsonl<{ task_index: number; task: string }>(join(root, 'meta/tasks.jsonl'), problems);
  if (tasks.length !== info.total_tasks)
    problems.add(`meta/tasks.jsonl: ${tasks.length} tasks, info.json total_tasks says ${info.total_tasks}`);
  const episodesJson = readJsonl<{ episode_index: number; length: number }>(join(root, 'meta/episodes.jsonl'), problems);
  const chunks = info.chunks_size ?? 1000;
  const fps = info.fps ?? 1;
  let from = 0;
  const episodes = episodesJson.map((e) => {
    const row = { index: e.episode_index, length: e.length, from, to: from + e.length };
    from += e.length;
    return row;
  });
  report.episodes = episodes.length;
  if (episodes.length !== info.total_episodes)
    problems.add(`meta/episodes.jsonl: ${episodes.length} episodes, info.json total_episodes says ${info.total_episodes}`);
  const files = episodes.map((e) =>
    join(root, format(info.data_path ?? '', { episode_chunk: Math.floor(e.index / chunks), episode_index: e.index })),
  );
  for (const f of files) if (!existsSync(f)) problems.add(`${relative(root, f)} is missing`);
  const frames = checkFrames(
    root,
    files.filter((f) => existsSync(f)),
    info,
    features,
    problems,
  );
  report.frames = frames.index.length;
  checkEpisodeRows(frames, episodes, problems);
  // v2.1's init-time check_timestamps_sync: consecutive timestamps 1/fps apart within the episode.
  for (let i = 1; i < frames.timestamp.length; i++) {
    if (frames.episode[i] !== frames.episode[i - 1]) continue;
    if (Math.abs(frames.timestamp[i]! - frames.timestamp[i - 1]! - 1 / fps) > TOLERANCE_S) {
      problems.add(
        `data: timestamps of episode ${frames.episode[i]} violate the 1/fps tolerance between frames ${frames.frame[i - 1]} and ${frames.frame[i]}`,
      );
      break;
    }
  }
  for (const [key, feature] of Object.entries(features).filter(([, f]) => f.dtype === 'video')) {
    for (const e of episodes) {
      const path = join(
        root,
        format(info.video_path ?? '', { episode_chunk: Math.floor(e.index / chunks), video_key: key, episode_index: e.index }),
      );
      if (!existsSync(path)) {
        problems.add(`${relative(root, path)} is missing`);
        continue;
      }
      await checkVideoFile(
        path,
        root,
        { width: feature.shape[1]!, height: feature.shape[0]!, fps, segments: [{ episode: e.index, from: 0, length: e.length }] },
        problems,
      );
      report.videos_probed += 1;
    }
  }
  const stats = readJsonl<{ episode_index: number; stats: Record<string, Record<string, unknown>> }>(
    join(root, 'meta/episodes_stats.jsonl'),
    problems,
  );
  if (stats.length !== episodes.length) problems.add(`meta/episodes_stats.jsonl: ${stats.length} rows for ${episodes.length} episodes`);
  for (const s of stats) checkStats(s.stats, features, false, `meta/episodes_stats.jsonl episode ${s.episode_index}`, problems);
}

function readInfo(path: string): InfoJson | null {
  const file = join(path, 'meta/info.json');
  if (!existsSync(file) || !statSync(path).isDirectory()) return null;
  return JSON.parse(readFileSync(file, 'utf8')) as InfoJson;
}

function lerobotValidator(kind: 'lerobot-v3.0' | 'lerobot-v2.1', version: 'v3.0' | 'v2.1', check: typeof validateV3): FormatValidator {
  return {
    kind,
    detect: (path) => readInfo(path)?.codebase_version === version,
    async validate(path, report, problems) {
      const info = readInfo(path)!;
      if (!(Number.isInteger(info.fps) && info.fps! > 0)) problems.add(`meta/info.json: fps must be a positive integer, is ${info.fps}`);
      await check(path, info, report, problems);
    },
  };
}

export const lerobotV3Validator = lerobotValidator('lerobot-v3.0', 'v3.0', validateV3);
export const lerobotV21Validator = lerobotValidator('lerobot-v2.1', 'v2.1', validateV21);
