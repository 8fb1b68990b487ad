import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { z } from 'zod';
import { StudioError } from '../../shared/api/errors';
import { readParquetFile } from '../export/parquet';
import { arrowTypeMatches, tasksIndexColumn } from '../export/validateLerobot';
import type { Table } from 'apache-arrow';

/**
 * A local LeRobot dataset (v2.1 or v3.0) as the import reads it: info.json, the tasks, the episodes
 * with where their frame rows and video segments are. Everything is checked before anything is
 * imported; every problem is a `StudioError` naming the file, what is wrong and what to do.
 */

export const IMPORTABLE_VERSIONS = ['v2.1', 'v3.0'] as const;
export type LerobotVersion = (typeof IMPORTABLE_VERSIONS)[number];

/** The five columns every LeRobot dataset has; they become the store's time axis, not streams. */
export const DEFAULT_FEATURES = ['timestamp', 'frame_index', 'episode_index', 'index', 'task_index'] as const;

/** Numeric dtypes a feature can carry into a store stream (values kept as little-endian bytes). */
export const NUMERIC_DTYPES = ['float32', 'float64', 'int64', 'int32', 'int16', 'int8', 'uint8', 'bool'] as const;
export type NumericDtype = (typeof NUMERIC_DTYPES)[number];

const featureSchema = z.object({
  dtype: z.string(),
  shape: z.array(z.number().int().nonnegative()),
  names: z.unknown().optional(),
  info: z.record(z.string(), z.unknown()).optional(),
});

const infoSchema = z.object({
  codebase_version: z.string(),
  robot_type: z.string().nullable().optional(),
  total_episodes: z.number().int().nonnegative(),
  total_frames: z.number().int().nonnegative(),
  total_tasks: z.number().int().nonnegative(),
  chunks_size: z.number().int().positive().optional(),
  fps: z.number().int().positive(),
  data_path: z.string(),
  video_path: z.string().nullable().optional(),
  features: z.record(z.string(), featureSchema),
});

export type LerobotFeatureJson = z.infer<typeof featureSchema>;

/** A camera: a `video` feature (frames in MP4 files) or an `image` feature (PNG bytes in the parquet). */
export interface CameraFeature {
  key: string;
  storage: 'video' | 'image';
  width: number;
  height: number;
  info: Record<string, unknown> | null;
}

/** A numeric feature of shape [N]: one store stream of N values per frame. */
export interface NumericFeature {
  key: string;
  dtype: NumericDtype;
  dim: number;
  /** Per-dimension names when the feature gives them (a list, or a dict holding one list). */
  names: string[] | null;
  /** The feature's `names` exactly as info.json has them. */
  rawNames: unknown;
}

export interface LerobotEpisode {
  index: number;
  length: number;
  tasks: string[];
  /** The frame rows' parquet file, relative to the dataset root. */
  dataFile: string;
  /** Per video key: the MP4 (relative) and where the episode is in it. */
  videos: Map<string, { file: string; from_s: number; to_s: number }>;
}

export interface LerobotDataset {
  root: string;
  name: string;
  version: LerobotVersion;
  fps: number;
  robotType: string | null;
  totalFrames: number;
  info: z.infer<typeof infoSchema>;
  cameras: CameraFeature[];
  numeric: NumericFeature[];
  /** Features the store cannot hold (strings, language, arrays of 2+ dimensions, depth maps), with why. */
  skipped: { key: string; why: string }[];
  tasks: string[];
  episodes: LerobotEpisode[];
}

export function inputError(message: string, fix: string): StudioError {
  return new StudioError({ code: 'failed_precondition', message, fix });
}

function readJson(path: string, rel: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch (error) {
    throw inputError(
      `${rel} is not readable JSON: ${(error as Error).message}`,
      "Restore the file from the dataset's source (e.g. download it again).",
    );
  }
}

function readTable(root: string, rel: string): Table {
  const path = join(root, rel);
  if (!existsSync(path))
    throw inputError(
      `${rel} is missing from ${root}`,
      "Restore the file from the dataset's source (e.g. download it again); the import needs the complete dataset.",
    );
  try {
    return readParquetFile(path);
  } catch (error) {
    throw inputError(
      `${rel} is not a readable Parquet file: ${(error as Error).message}`,
      "The file is damaged or incomplete (a writer that never called finalize()?); restore it from the dataset's source.",
    );
  }
}

function numbers(table: Table, name: string, rel: string): number[] {
  const child = table.getChild(name);
  if (child === null)
    throw inputError(`${rel} has no "${name}" column`, "This is not a table LeRobot wrote; restore the file from the dataset's source.");
  return Array.from(child.toArray() as ArrayLike<number | bigint>, Number);
}

/** Fills a `{name}` / `{name:03d}` path template like Python's `str.format`. */
export function formatPath(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)(?::0(\d+)d)?\}/g, (whole, key: string, width: string | undefined) => {
    const v = values[key];
    if (v === undefined) return whole;
    return width === undefined ? String(v) : String(v).padStart(Number(width), '0');
  });
}

function parquetFilesUnder(root: string, dir: string): string[] {
  const base = join(root, dir);
  if (!existsSync(base)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.name.endsWith('.parquet')) out.push(relative(root, p));
    }
  };
  walk(base);
  return out.sort();
}

function namesList(names: unknown, dim: number): string[] | null {
  if (Array.isArray(names) && names.length === dim && names.every((n) => typeof n === 'string')) return names as string[];
  if (names !== null && typeof names === 'object' && !Array.isArray(names)) {
    const lists = Object.values(names as Record<string, unknown>).filter((v) => Array.isArray(v));
    if (lists.length === 1) return namesList(lists[0], dim);
  }
  return null;
}

function classifyFeatures(info: z.infer<typeof infoSchema>): Pick<LerobotDataset, 'cameras' | 'numeric' | 'skipped'> {
  const cameras: CameraFeature[] = [];
  const numeric: NumericFeature[] = [];
  const skipped: { key: string; why: string }[] = [];
  for (const name of DEFAULT_FEATURES) {
    if (info.features[name] === undefined)
      throw inputError(
        `meta/info.json: the default feature "${name}" is missing`,
        'Every LeRobot dataset declares timestamp, frame_index, episode_index, index and task_index; this file was not written by LeRobot or is damaged.',
      );
  }
  for (const [key, feature] of Object.entries(info.features)) {
    if ((DEFAULT_FEATURES as readonly string[]).includes(key)) continue;
    if (feature.dtype === 'video' || feature.dtype === 'image') {
      const [height, width, channels] = feature.shape;
      const depth = feature.info?.is_depth_map === true || feature.info?.['video.is_depth_map'] === true;
      if (depth) skipped.push({ key, why: 'a depth map (LeRobot 0.6 quantised depth video); the import brings colour cameras only' });
      else if (feature.shape.length !== 3 || channels !== 3 || height === undefined || width === undefined)
        skipped.push({ key, why: `shape ${JSON.stringify(feature.shape)} is not [height, width, 3]` });
      else cameras.push({ key, storage: feature.dtype, width, height, info: feature.info ?? null });
      continue;
    }
    if (!(NUMERIC_DTYPES as readonly string[]).includes(feature.dtype)) {
      skipped.push({ key, why: `dtype "${feature.dtype}" is not numeric` });
      continue;
    }
    if (feature.shape.length !== 1 || feature.shape[0] === 0) {
      skipped.push({ key, why: `shape ${JSON.stringify(feature.shape)}: the store keeps vectors (shape [N])` });
      continue;
    }
    const dim = feature.shape[0]!;
    numeric.push({ key, dtype: feature.dtype as NumericDtype, dim, names: namesList(feature.names, dim), rawNames: feature.names ?? null });
  }
  return { cameras, numeric, skipped };
}

function readTasks(root: string, version: LerobotVersion, total: number): string[] {
  if (version === 'v2.1') {
    const rel = 'meta/tasks.jsonl';
    const rows = readJsonl(root, rel) as { task_index?: unknown; task?: unknown }[];
    const tasks: string[] = [];
    for (const [i, row] of rows.entries()) {
      if (row.task_index !== i || typeof row.task !== 'string')
        throw inputError(
          `${rel}: line ${i + 1} is ${JSON.stringify(row)}; expected {"task_index": ${i}, "task": "…"}`,
          "Rows must list the tasks in task_index order; restore the file from the dataset's source.",
        );
      tasks.push(row.task);
    }
    if (tasks.length !== total)
      throw inputError(
        `${rel} lists ${tasks.length} tasks, meta/info.json total_tasks says ${total}`,
        "The metadata disagrees with itself; restore it from the dataset's source.",
      );
    return tasks;
  }
  if (total === 0) return [];
  const rel = 'meta/tasks.parquet';
  const table = readTable(root, rel);
  const found = tasksIndexColumn(table);
  // A plain `task` column is accepted too: it holds the strings even where pandas would not index them.
  const column = 'column' in found ? found.column : table.getChild('task') !== null ? 'task' : null;
  if (column === null)
    throw inputError(
      `${rel}: ${'problem' in found ? found.problem : 'no task strings'}`,
      "Rewrite it with pandas, the task strings as the index (DataFrame.to_parquet), or restore it from the dataset's source.",
    );
  const strings = Array.from(table.getChild(column)!.toArray() as ArrayLike<unknown>, String);
  const order = numbers(table, 'task_index', rel);
  const tasks = new Array<string>(strings.length);
  for (const [row, taskIndex] of order.entries()) {
    if (!(taskIndex >= 0 && taskIndex < strings.length) || tasks[taskIndex] !== undefined)
      throw inputError(
        `${rel}: row ${row} has task_index ${taskIndex}; task indices must be 0..${strings.length - 1}, each once`,
        "Restore the file from the dataset's source.",
      );
    tasks[taskIndex] = strings[row]!;
  }
  if (tasks.length !== total)
    throw inputError(
      `${rel} holds ${tasks.length} tasks, meta/info.json total_tasks says ${total}`,
      "The metadata disagrees with itself; restore it from the dataset's source.",
    );
  return tasks;
}

function readJsonl(root: string, rel: string): unknown[] {
  const path = join(root, rel);
  if (!existsSync(path))
    throw inputError(
      `${rel} is missing from ${root}`,
      "Restore the file from the dataset's source; the import needs the complete metadata.",
    );
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, i) => {
      try {
        return JSON.parse(line) as unknown;
      } catch {
        throw inputError(`${rel}: line ${i + 1} is not JSON`, "Restore the file from the dataset's source.");
      }
    });
}

function readEpisodesV21(root: string, info: z.infer<typeof infoSchema>, videoKeys: string[]): LerobotEpisode[] {
  const rel = 'meta/episodes.jsonl';
  const rows = readJsonl(root, rel) as { episode_index?: unknown; length?: unknown; tasks?: unknown }[];
  const chunks = info.chunks_size ?? 1000;
  return rows.map((row, i) => {
    if (row.episode_index !== i || typeof row.length !== 'number' || !(row.length > 0))
      throw inputError(
        `${rel}: line ${i + 1} is ${JSON.stringify(row)}; expected episode_index ${i} and a positive length`,
        "Episodes must be listed in order, 0..N-1; restore the file from the dataset's source.",
      );
    const chunk = Math.floor(i / chunks);
    const videos = new Map(
      videoKeys.map((key) => [
        key,
        {
          file: formatPath(info.video_path ?? '', { episode_chunk: chunk, video_key: key, episode_index: i }),
          from_s: 0,
          to_s: (row.length as number) / info.fps,
        },
      ]),
    );
    return {
      index: i,
      length: row.length,
      tasks: Array.isArray(row.tasks) ? row.tasks.map(String) : [],
      dataFile: formatPath(info.data_path, { episode_chunk: chunk, episode_index: i }),
      videos,
    };
  });
}

function readEpisodesV3(root: string, info: z.infer<typeof infoSchema>, videoKeys: string[]): LerobotEpisode[] {
  const files = parquetFilesUnder(root, 'meta/episodes');
  if (files.length === 0 && info.total_episodes > 0)
    throw inputError(
      `meta/episodes/chunk-000/file-000.parquet is missing from ${root}`,
      "Restore meta/episodes/ from the dataset's source (a dataset written without finalize() has no episode metadata).",
    );
  const episodes: LerobotEpisode[] = [];
  for (const rel of files) {
    const table = readTable(root, rel);
    const index = numbers(table, 'episode_index', rel);
    const length = numbers(table, 'length', rel);
    const dataChunk = numbers(table, 'data/chunk_index', rel);
    const dataFile = numbers(table, 'data/file_index', rel);
    const tasks = table.getChild('tasks');
    const videos = videoKeys.map((key) => ({
      key,
      chunk: numbers(table, `videos/${key}/chunk_index`, rel),
      file: numbers(table, `videos/${key}/file_index`, rel),
      from: numbers(table, `videos/${key}/from_timestamp`, rel),
      to: numbers(table, `videos/${key}/to_timestamp`, rel),
    }));
    for (let i = 0; i < index.length; i++) {
      const taskList = tasks?.get(i) as { toArray(): unknown[] } | null | undefined;
      episodes.push({
        index: index[i]!,
        length: length[i]!,
        tasks: taskList === null || taskList === undefined ? [] : Array.from(taskList.toArray(), String),
        dataFile: formatPath(info.data_path, { chunk_index: dataChunk[i]!, file_index: dataFile[i]! }),
        videos: new Map(
          videos.map((v) => [
            v.key,
            {
              file: formatPath(info.video_path ?? '', { video_key: v.key, chunk_index: v.chunk[i]!, file_index: v.file[i]! }),
              from_s: v.from[i]!,
              to_s: v.to[i]!,
            },
          ]),
        ),
      });
    }
  }
  episodes.sort((a, b) => a.index - b.index);
  episodes.forEach((e, position) => {
    if (e.index !== position)
      throw inputError(
        `meta/episodes: episode indices must run 0..${episodes.length - 1}; position ${position} holds episode ${e.index}`,
        "Restore meta/episodes/ from the dataset's source.",
      );
    if (!(e.length > 0))
      throw inputError(
        `meta/episodes: episode ${e.index} has length ${e.length}`,
        'Leave the episode out of the dataset (lerobot-edit-dataset --operation.type delete_episodes) or restore it.',
      );
  });
  return episodes;
}

/**
 * Opens and checks a LeRobot dataset directory: what it is, its features, tasks and episodes, and
 * that every data and video file the episodes point at exists. Throws before anything is imported.
 */
export function openLerobotDataset(dir: string): LerobotDataset {
  const root = resolve(dir);
  if (!existsSync(root) || !statSync(root).isDirectory())
    throw new StudioError({
      code: 'not_found',
      message: `${root} is not a directory`,
      fix: 'Pass the folder of a local LeRobot dataset (the one holding meta/info.json).',
    });
  const infoPath = join(root, 'meta/info.json');
  if (!existsSync(infoPath)) {
    throw inputError(
      `${root} is not a LeRobot dataset: meta/info.json is missing`,
      "Pass the dataset's root folder (it holds meta/, data/ and videos/). A Hub dataset must be downloaded first, e.g. `hf download --repo-type dataset OWNER/NAME --local-dir DIR`.",
    );
  }
  const raw = readJson(infoPath, 'meta/info.json');
  const version = (raw as { codebase_version?: unknown } | null)?.codebase_version;
  if (typeof version !== 'string' || !(IMPORTABLE_VERSIONS as readonly string[]).includes(version)) {
    throw inputError(
      `meta/info.json: codebase_version ${JSON.stringify(version)} is not a LeRobot format the studio imports (${IMPORTABLE_VERSIONS.join(', ')})`,
      version === 'v2.0' || version === 'v1.6'
        ? 'Convert it with LeRobot first (v2.0 → v2.1: `python -m lerobot.datasets.v21.convert_dataset_v20_to_v21`).'
        : 'Convert it to v3.0 with LeRobot (`python -m lerobot.datasets.v30.convert_dataset_v21_to_v30 --root DIR`) or v2.1, then import that.',
    );
  }
  const parsed = infoSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw inputError(
      `meta/info.json: "${issue.path.join('.')}" ${issue.message}`,
      "The file is not what LeRobot writes; restore it from the dataset's source.",
    );
  }
  const info = parsed.data;
  const features = classifyFeatures(info);
  const videoKeys = features.cameras.filter((c) => c.storage === 'video').map((c) => c.key);
  if (videoKeys.length > 0 && typeof info.video_path !== 'string')
    throw inputError('meta/info.json: there are video features but no "video_path"', "Restore meta/info.json from the dataset's source.");
  const typed = version as LerobotVersion;
  const tasks = readTasks(root, typed, info.total_tasks);
  const episodes = typed === 'v2.1' ? readEpisodesV21(root, info, videoKeys) : readEpisodesV3(root, info, videoKeys);
  if (episodes.length !== info.total_episodes)
    throw inputError(
      `the episode metadata lists ${episodes.length} episodes, meta/info.json total_episodes says ${info.total_episodes}`,
      "The metadata disagrees with itself; restore it from the dataset's source.",
    );
  const frames = episodes.reduce((n, e) => n + e.length, 0);
  if (frames !== info.total_frames)
    throw inputError(
      `the episodes hold ${frames} frames, meta/info.json total_frames says ${info.total_frames}`,
      "The metadata disagrees with itself; restore it from the dataset's source.",
    );
  for (const e of episodes) {
    if (!existsSync(join(root, e.dataFile)))
      throw inputError(
        `${e.dataFile} is missing (frame rows of episode ${e.index})`,
        "Restore the file from the dataset's source; the import needs every episode's data.",
      );
    for (const [key, v] of e.videos) {
      if (!existsSync(join(root, v.file)))
        throw inputError(
          `${v.file} is missing (camera ${key} of episode ${e.index})`,
          "Restore the video from the dataset's source (e.g. download the dataset again, videos included).",
        );
    }
    for (const task of e.tasks)
      if (!tasks.includes(task))
        throw inputError(
          `episode ${e.index} lists task "${task}", which is not in the tasks table`,
          "Restore the metadata from the dataset's source.",
        );
  }
  return {
    root,
    name: basename(root),
    version: typed,
    fps: info.fps,
    robotType: info.robot_type ?? null,
    totalFrames: frames,
    info,
    ...features,
    tasks,
    episodes,
  };
}

/** One episode's frame rows, checked against info.json: the typed columns the import needs. */
export interface EpisodeRows {
  length: number;
  taskIndex: Int32Array;
  /** Per numeric feature: `dim` values per frame, as the little-endian bytes of its dtype. */
  numeric: Map<string, Uint8Array>;
  /** Per image feature: the encoded image of every frame. */
  images: Map<string, Uint8Array[]>;
}

const BYTES: Record<NumericDtype, number> = { float32: 4, float64: 8, int64: 8, int32: 4, int16: 2, int8: 1, uint8: 1, bool: 1 };

/** The flat little-endian bytes of rows [from, to) of a numeric column (scalar or fixed_size_list). */
function columnBytes(table: Table, feature: NumericFeature, from: number, to: number, rel: string): Uint8Array {
  const child = table.getChild(feature.key)!;
  const width = BYTES[feature.dtype];
  const out = new Uint8Array((to - from) * feature.dim * width);
  if (feature.dtype === 'bool') {
    for (let r = from; r < to; r++) {
      const row = child.get(r) as boolean | { toArray(): ArrayLike<boolean> } | null;
      if (row === null)
        throw inputError(
          `${rel}: "${feature.key}" is null at row ${r}`,
          "LeRobot never writes nulls; restore the file from the dataset's source.",
        );
      const values = typeof row === 'boolean' ? [row] : Array.from(row.toArray());
      values.forEach((v, d) => (out[(r - from) * feature.dim + d] = v ? 1 : 0));
    }
    return out;
  }
  if (child.nullCount > 0)
    throw inputError(
      `${rel}: "${feature.key}" has ${child.nullCount} null values`,
      "LeRobot never writes nulls; restore the file from the dataset's source.",
    );
  // Walk the Arrow chunks: each holds its values contiguously (a list's child values, or the scalars).
  let row = 0;
  let written = 0;
  for (const data of child.data) {
    const chunkRows = data.length;
    const lo = Math.max(from, row);
    const hi = Math.min(to, row + chunkRows);
    if (lo < hi) {
      const values = feature.dim === 1 && data.children.length === 0 ? data : data.children[0]!;
      const base = feature.dim === 1 && data.children.length === 0 ? data.offset : values.offset + data.offset * feature.dim;
      const typed = values.values as ArrayLike<number> & { buffer: ArrayBufferLike; byteOffset: number; BYTES_PER_ELEMENT: number };
      if (typed.BYTES_PER_ELEMENT !== width)
        throw inputError(
          `${rel}: "${feature.key}" holds ${typed.BYTES_PER_ELEMENT}-byte values, info.json says ${feature.dtype}`,
          "The data disagrees with meta/info.json; restore it from the dataset's source.",
        );
      const start = base + (lo - row) * feature.dim;
      const count = (hi - lo) * feature.dim;
      out.set(new Uint8Array(typed.buffer, typed.byteOffset + start * width, count * width), written);
      written += count * width;
    }
    row += chunkRows;
  }
  return out;
}

/** Reads data files for the import, one at a time (episodes are read in order, many per v3 file). */
export class EpisodeRowReader {
  private cached: { rel: string; table: Table; episodeRows: Map<number, [number, number]> } | null = null;

  constructor(private readonly dataset: LerobotDataset) {}

  private load(rel: string): NonNullable<EpisodeRowReader['cached']> {
    if (this.cached?.rel === rel) return this.cached;
    const table = readTable(this.dataset.root, rel);
    for (const [key, feature] of Object.entries(this.dataset.info.features)) {
      if (feature.dtype === 'video') continue;
      const field = table.schema.fields.find((f) => f.name === key);
      if (field === undefined)
        throw inputError(
          `${rel}: column "${key}" (declared in meta/info.json) is missing`,
          "The data disagrees with meta/info.json; restore it from the dataset's source.",
        );
      const mismatch = arrowTypeMatches(field.type, { dtype: feature.dtype, shape: feature.shape });
      if (mismatch !== null)
        throw inputError(
          `${rel}: column "${key}" is ${mismatch}, as meta/info.json declares it`,
          "The data disagrees with meta/info.json; restore it from the dataset's source.",
        );
    }
    const episodeIndex = numbers(table, 'episode_index', rel);
    const episodeRows = new Map<number, [number, number]>();
    for (let r = 0; r < episodeIndex.length; r++) {
      const e = episodeIndex[r]!;
      const span = episodeRows.get(e);
      if (span === undefined) episodeRows.set(e, [r, r + 1]);
      else if (span[1] === r) span[1] = r + 1;
      else
        throw inputError(
          `${rel}: the rows of episode ${e} are not contiguous (row ${r})`,
          "LeRobot writes each episode's rows together; restore the file from the dataset's source.",
        );
    }
    this.cached = { rel, table, episodeRows };
    return this.cached;
  }

  /** The frame rows of `episode`, checked: count, frame_index order, timestamps on the fps grid, tasks. */
  read(episode: LerobotEpisode): EpisodeRows {
    const rel = episode.dataFile;
    const { table, episodeRows } = this.load(rel);
    const span = episodeRows.get(episode.index);
    if (span === undefined)
      throw inputError(
        `${rel} has no rows for episode ${episode.index}`,
        "The data disagrees with the episode metadata; restore it from the dataset's source.",
      );
    const [from, to] = span;
    if (to - from !== episode.length)
      throw inputError(
        `${rel}: episode ${episode.index} has ${to - from} frame rows, its metadata says length ${episode.length}`,
        "The data disagrees with the episode metadata; restore it from the dataset's source.",
      );
    const frameIndex = numbers(table, 'frame_index', rel);
    const timestamp = numbers(table, 'timestamp', rel);
    const taskIndex = numbers(table, 'task_index', rel);
    const fps = this.dataset.fps;
    for (let k = 0; k < episode.length; k++) {
      const r = from + k;
      if (frameIndex[r] !== k)
        throw inputError(
          `${rel}: row ${r} (episode ${episode.index}) has frame_index ${frameIndex[r]}, expected ${k}`,
          "Frames must be in order; restore the file from the dataset's source.",
        );
      // LeRobot's own tolerance: frames are found at timestamp ± 1e-4 s in the videos.
      if (Math.abs(timestamp[r]! - k / fps) > 1e-4)
        throw inputError(
          `${rel}: episode ${episode.index} frame ${k} has timestamp ${timestamp[r]!.toFixed(6)} s, expected frame_index / fps = ${(k / fps).toFixed(6)} s (fps ${fps}, tolerance 1e-4 s)`,
          "LeRobot's loader refuses such timestamps too; re-export the dataset at a constant frame rate.",
        );
      if (!(taskIndex[r]! >= 0 && taskIndex[r]! < this.dataset.tasks.length))
        throw inputError(
          `${rel}: episode ${episode.index} frame ${k} has task_index ${taskIndex[r]}, but there are ${this.dataset.tasks.length} tasks`,
          "The data disagrees with the tasks table; restore it from the dataset's source.",
        );
    }
    const numeric = new Map(this.dataset.numeric.map((f) => [f.key, columnBytes(table, f, from, to, rel)]));
    const images = new Map<string, Uint8Array[]>();
    for (const camera of this.dataset.cameras.filter((c) => c.storage === 'image')) {
      const bytes = table.getChild(camera.key)!.getChild('bytes');
      if (bytes === null)
        throw inputError(`${rel}: image column "${camera.key}" has no "bytes" field`, "Restore the file from the dataset's source.");
      const list: Uint8Array[] = [];
      for (let r = from; r < to; r++) {
        const value = bytes.get(r) as Uint8Array | null;
        if (value === null || value.length === 0)
          throw inputError(
            `${rel}: image "${camera.key}" of episode ${episode.index} frame ${r - from} is empty (its file was never embedded)`,
            'Re-save the dataset with its images embedded (LeRobot embeds them on save_episode), or restore it.',
          );
        if (!(value[0] === 0x89 && value[1] === 0x50 && value[2] === 0x4e && value[3] === 0x47))
          throw inputError(
            `${rel}: image "${camera.key}" of episode ${episode.index} frame ${r - from} is not a PNG file`,
            "LeRobot stores image features as PNG; restore the file from the dataset's source.",
          );
        list.push(value);
      }
      images.set(camera.key, list);
    }
    return { length: episode.length, taskIndex: Int32Array.from(taskIndex.slice(from, to)), numeric, images };
  }
}
