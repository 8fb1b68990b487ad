import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Float64, Int64, List, Field, Utf8, vectorFromArray, type Table } from 'apache-arrow';
import { StudioError } from '../../shared/api/errors';
import { STREAMS } from '../recording/streamNames';
import { gridTime, type EpisodeReader } from './episodeSource';
import { cameraGeometry, EE_POSE_FEATURE_NAMES, readLowdim, type LowdimFrames } from './episodeFrames';
import { importedBytesOnGrid, importedColumn, importedNumbers } from './importedColumns';
import { importedFeatureOf } from './importedStreams';
import { codecName, H264_PRESET, parseRate, probeVideo, SVTAV1_PRESET, throwIfAborted, VideoEncoder, type EncoderSettings } from './ffmpeg';
import { arrowTable, pandasIndexMetadata, writeParquetFile, type Column } from './parquet';
import { decodeGray16Png, DEPTH_QUANT, quantizeDepthMm } from './pngDecode';
import { aggregateStats, histogramStats, statsJson, vectorStats, type FeatureStats } from './stats';
import type { DatasetSplit, EpisodeInput, ExportOptions, FormatWriter, StreamPlan } from './types';

/**
 * LeRobotDataset writer, v3.0 (many episodes per file; videos concatenated per camera with
 * from/to timestamps) and v2.1 (one file per episode, JSONL metadata). Frames are on a fixed grid at
 * the dataset fps: `timestamp = frame_index / fps`; the real capture times ride along in
 * `capture.*_ns` columns. Each camera is one CFR MP4 stream with exactly `length` frames per episode.
 */

export const CODEBASE = { v3: 'v3.0', v21: 'v2.1' } as const;
export type LeRobotVersion = keyof typeof CODEBASE;

export const DEFAULT_FEATURE_NAMES = ['timestamp', 'frame_index', 'episode_index', 'index', 'task_index'] as const;

export interface FeatureSpec {
  dtype: string;
  shape: number[];
  names: string[] | null | Record<string, string[]>;
  info?: Record<string, unknown>;
}

/** A feature's `names` as info.json may hold them: a list, a dict of lists, or null. */
function featureNames(names: unknown): FeatureSpec['names'] {
  if (Array.isArray(names)) return names.map(String);
  if (names !== null && typeof names === 'object')
    return Object.fromEntries(Object.entries(names as Record<string, unknown>).map(([k, v]) => [k, Array.isArray(v) ? v.map(String) : []]));
  return null;
}

interface Location {
  chunk: number;
  file: number;
}

function nextLocation(loc: Location, chunksSize: number): Location {
  return loc.file >= chunksSize - 1 ? { chunk: loc.chunk + 1, file: 0 } : { chunk: loc.chunk, file: loc.file + 1 };
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');
export const v3DataPath = (loc: Location) => `data/chunk-${pad(loc.chunk, 3)}/file-${pad(loc.file, 3)}.parquet`;
export const v3VideoPath = (key: string, loc: Location) => `videos/${key}/chunk-${pad(loc.chunk, 3)}/file-${pad(loc.file, 3)}.mp4`;
export const v3EpisodesPath = (loc: Location) => `meta/episodes/chunk-${pad(loc.chunk, 3)}/file-${pad(loc.file, 3)}.parquet`;
export const v21DataPath = (episode: number, chunksSize: number) =>
  `data/chunk-${pad(Math.floor(episode / chunksSize), 3)}/episode_${pad(episode, 6)}.parquet`;
export const v21VideoPath = (key: string, episode: number, chunksSize: number) =>
  `videos/chunk-${pad(Math.floor(episode / chunksSize), 3)}/${key}/episode_${pad(episode, 6)}.mp4`;

/** A camera (colour or depth) as a LeRobot video feature. */
interface VideoKey {
  key: string;
  camera: string;
  depth: boolean;
  stream: string;
  width: number;
  height: number;
  encoding: 'mjpeg' | 'png';
}

interface OpenVideo {
  encoder: VideoEncoder;
  loc: Location;
  /** Seconds already in the file. */
  duration_s: number;
  /** Episodes waiting for their stats frames: [episode, frames still to come]. */
  statsQueue: { episode: number; remaining: number }[];
}

interface EpisodeRow {
  episode_index: number;
  tasks: string[];
  length: number;
  data: Location;
  from: number;
  to: number;
  videos: Record<string, { loc: Location; from_s: number; to_s: number }>;
  stats: Map<string, FeatureStats>;
}

const STATS_WIDTH = 32;

export class LeRobotWriter implements FormatWriter {
  readonly fps: number;
  private readonly chunksSize: number;
  private readonly dataLimit: number;
  private readonly videoLimit: number;
  private readonly settings: EncoderSettings;
  private features: Record<string, FeatureSpec> | null = null;
  private videoKeys: VideoKey[] = [];
  private readonly tasks: string[];
  private totalFrames = 0;
  private readonly rows: EpisodeRow[] = [];
  // v3 data file state
  private dataLoc: Location = { chunk: 0, file: 0 };
  private dataTables: Table[] = [];
  private dataBytes = 0;
  private readonly videos = new Map<string, OpenVideo>();
  /** Image stats per episode and video key, filled as the encoders return their small copies. */
  private readonly imageHist = new Map<string, { hist: Float64Array[]; frames: number }>();
  private readonly firstVideoFile = new Map<string, string>();
  bytes = 0;
  /** Episodes are ordered train first, then validation, then test. */
  /** Episodes per split, for LeRobot's `splits` index ranges. */
  readonly splits: Record<DatasetSplit, number>;

  constructor(
    readonly version: LeRobotVersion,
    readonly root: string,
    private readonly reader: EpisodeReader,
    private readonly plan: StreamPlan,
    private readonly options: ExportOptions & { fps: number },
    tasks: string[],
    splits: Record<DatasetSplit, number> = { train: 0, valid: 0, test: 0 },
  ) {
    this.splits = splits;
    this.fps = options.fps;
    this.tasks = tasks;
    this.chunksSize = options.chunks_size ?? 1000;
    this.dataLimit = (options.data_file_size_mb ?? 100) * 1e6;
    this.videoLimit = (options.video_file_size_mb ?? 200) * 1e6;
    this.settings = {
      vcodec: options.vcodec ?? 'libsvtav1',
      crf: options.crf ?? 30,
      gop: options.gop ?? 2,
      ...(options.h264_preset !== undefined ? { h264_preset: options.h264_preset } : {}),
      ...(options.encoder_threads !== undefined ? { threads: options.encoder_threads } : {}),
    };
    if (version === 'v21' && plan.depth)
      throw new StudioError({
        code: 'invalid_params',
        message: 'depth video is a LeRobot v3.0 (0.6) feature; v2.1 has no depth encoding',
        fix: 'Export depth with --format lerobot, or drop --depth.',
      });
  }

  private defineFeatures(first: EpisodeInput, lowdim: LowdimFrames | null): void {
    const streams = this.reader.streamsOf(first.summary.id);
    const features: Record<string, FeatureSpec> = {};
    if (lowdim !== null) {
      features['observation.state'] = { dtype: 'float32', shape: [lowdim.stateNames.length], names: lowdim.stateNames };
      if (lowdim.eePose !== null) features['observation.ee_pose'] = { dtype: 'float32', shape: [7], names: EE_POSE_FEATURE_NAMES };
      features.action = { dtype: 'float32', shape: [lowdim.actionNames.length], names: lowdim.actionNames };
    }
    // Imported LeRobot features: the same keys, dtypes, shapes and names as the dataset they came from.
    for (const f of this.plan.imported ?? []) {
      const meta = importedFeatureOf(this.reader.requireStream(first.summary.id, streams, f.stream))!;
      features[f.feature] = { dtype: meta.lerobot_dtype, shape: meta.lerobot_shape, names: featureNames(meta.lerobot_names) };
    }
    for (const camera of this.plan.cameras) {
      const color = this.reader.requireStream(first.summary.id, streams, STREAMS.cameraColor(camera));
      const g = cameraGeometry(color);
      this.videoKeys.push({
        key: importedFeatureOf(color)?.lerobot_feature ?? `observation.images.${camera}`,
        camera,
        depth: false,
        stream: color.name,
        ...g,
      });
      if (this.plan.depth) {
        const depth = this.reader.requireStream(first.summary.id, streams, STREAMS.cameraDepth(camera));
        const d = cameraGeometry(depth);
        this.videoKeys.push({ key: `observation.images.${camera}_depth`, camera, depth: true, stream: depth.name, ...d });
      }
    }
    for (const v of this.videoKeys)
      features[v.key] = { dtype: 'video', shape: [v.height, v.width, v.depth ? 1 : 3], names: ['height', 'width', 'channels'] };
    for (const c of this.captureNames()) features[c] = { dtype: 'int64', shape: [1], names: null };
    features.timestamp = { dtype: 'float32', shape: [1], names: null };
    features.frame_index = { dtype: 'int64', shape: [1], names: null };
    features.episode_index = { dtype: 'int64', shape: [1], names: null };
    features.index = { dtype: 'int64', shape: [1], names: null };
    features.task_index = { dtype: 'int64', shape: [1], names: null };
    this.features = features;
  }

  private captureNames(): string[] {
    // Imported episodes have no capture times of their own (their frames sit on the dataset's grid).
    if (this.plan.imported !== undefined) return [];
    return ['capture.state_ns', 'capture.action_ns', ...this.plan.cameras.map((c) => `capture.${c}_ns`)];
  }

  async addEpisode(input: EpisodeInput, signal: AbortSignal | undefined, onFrames: (frames: number) => void): Promise<void> {
    const lowdim = this.plan.imported === undefined ? readLowdim(this.reader, input.summary.id, this.plan, input.grid) : null;
    if (this.features === null) this.defineFeatures(input, lowdim);
    const features = this.features!;
    if (
      lowdim !== null &&
      (lowdim.stateNames.length !== features['observation.state']!.shape[0] || lowdim.actionNames.length !== features.action!.shape[0])
    ) {
      throw new StudioError({
        code: 'failed_precondition',
        message: `episode ${input.summary.id} has a different state or action size than the first exported episode`,
        fix: 'Export episodes recorded with the same rig together.',
      });
    }
    const length = input.grid.length;
    const from = this.totalFrames;
    const streams = this.reader.streamsOf(input.summary.id);

    // ---- videos: every camera concurrently, each into its own ffmpeg ----
    const cameraCapture = new Map<string, BigInt64Array>();
    const videos: EpisodeRow['videos'] = {};
    const written = new Map<string, number>();
    const report = () => onFrames(Math.min(...this.videoKeys.map((v) => written.get(v.key) ?? 0), length));
    await Promise.all(
      this.videoKeys.map(async (v) => {
        const stream = this.reader.requireStream(input.summary.id, streams, v.stream);
        const g = cameraGeometry(stream);
        if (g.width !== v.width || g.height !== v.height) {
          throw new StudioError({
            code: 'failed_precondition',
            message: `episode ${input.summary.id}: camera stream "${v.stream}" is ${g.width}×${g.height}, the first exported episode's is ${v.width}×${v.height}`,
            fix: 'Export episodes with the same camera resolution together (select by --episodes or tag).',
          });
        }
        const { pick, times, capture_ns } = this.reader.imageIndexOnGrid(stream, input.grid);
        if (!v.depth) cameraCapture.set(v.camera, capture_ns);
        const video = await this.videoFor(v, input.index, length, signal);
        const from_s = video.duration_s;
        video.statsQueue.push({ episode: input.index, remaining: length });
        let n = 0;
        for await (const frame of this.reader.framesOnGrid(stream, pick, times)) {
          throwIfAborted(signal);
          if (v.depth) {
            const decoded = decodeGray16Png(frame);
            const codes = quantizeDepthMm(decoded.data);
            this.depthStats(v.key, input.index, decoded.data, n, length);
            await video.encoder.write(new Uint8Array(codes.buffer, codes.byteOffset, codes.byteLength));
          } else {
            await video.encoder.write(frame);
          }
          n += 1;
          written.set(v.key, n);
          if (n % 16 === 0) report();
        }
        video.duration_s += length / this.fps;
        videos[v.key] = { loc: video.loc, from_s, to_s: video.duration_s };
        if (this.version === 'v21') await this.closeVideo(v.key, signal);
      }),
    );

    // ---- frame table ----
    const columns: Column[] = [];
    const stats = new Map<string, FeatureStats>();
    if (lowdim !== null) {
      columns.push({ name: 'observation.state', kind: 'float32_list', dim: lowdim.stateNames.length, data: lowdim.state });
      if (lowdim.eePose !== null) columns.push({ name: 'observation.ee_pose', kind: 'float32_list', dim: 7, data: lowdim.eePose });
      columns.push({ name: 'action', kind: 'float32_list', dim: lowdim.actionNames.length, data: lowdim.action });
      const captures = [lowdim.capture[0]!.ns, lowdim.capture[1]!.ns, ...this.plan.cameras.map((c) => cameraCapture.get(c)!)];
      this.captureNames().forEach((name, i) => columns.push({ name, kind: 'int64', data: captures[i]! }));
    }
    for (const f of this.plan.imported ?? []) {
      const stream = this.reader.requireStream(input.summary.id, streams, f.stream);
      const spec = features[f.feature]!;
      const dim = spec.shape.reduce((a, b) => a * b, 1);
      if (stream.dtype !== spec.dtype || stream.shape.reduce((a, b) => a * b, 1) !== dim) {
        throw new StudioError({
          code: 'failed_precondition',
          message: `episode ${input.summary.id}: "${f.stream}" is ${stream.dtype} ${JSON.stringify(stream.shape)}, the first exported episode's "${f.feature}" is ${spec.dtype} ${JSON.stringify(spec.shape)}`,
          fix: 'Export episodes imported from the same dataset together.',
        });
      }
      const bytes = importedBytesOnGrid(this.reader, stream, input.grid);
      columns.push(importedColumn(f.feature, spec.dtype, dim, bytes, length));
      stats.set(f.feature, vectorStats(importedNumbers(spec.dtype, bytes), length, dim));
    }
    const frameIndex = BigInt64Array.from({ length }, (_, k) => BigInt(k));
    columns.push(
      { name: 'timestamp', kind: 'float32', data: Float32Array.from({ length }, (_, k) => k / this.fps) },
      { name: 'frame_index', kind: 'int64', data: frameIndex },
      { name: 'episode_index', kind: 'int64', data: new BigInt64Array(length).fill(BigInt(input.index)) },
      { name: 'index', kind: 'int64', data: BigInt64Array.from({ length }, (_, k) => BigInt(from + k)) },
      { name: 'task_index', kind: 'int64', data: new BigInt64Array(length).fill(BigInt(input.taskIndex)) },
    );
    for (const c of columns) {
      if (c.kind === 'float32_list') stats.set(c.name, vectorStats(c.data, length, c.dim));
      else if (c.kind === 'float32' || c.kind === 'int64') stats.set(c.name, vectorStats(Array.from(c.data, Number), length, 1));
    }
    const table = arrowTable(columns);
    const dataLoc = this.writeData(table, input.index, length);

    this.rows.push({
      episode_index: input.index,
      tasks: [input.summary.task],
      length,
      data: dataLoc,
      from,
      to: from + length,
      videos,
      stats,
    });
    this.totalFrames += length;
    onFrames(length);
    // Sanity: the grid and the table agree.
    if (gridTime(input.grid, length - 1) < input.grid.t0_ns) throw new StudioError({ code: 'internal', message: 'grid went backwards' });
  }

  private depthStats(key: string, episode: number, mm: Uint16Array, n: number, length: number): void {
    // Depth stats in metres over a subsample of pixels of about 32 frames per episode.
    const every = Math.max(1, Math.floor(length / 32));
    if (n % every !== 0) return;
    const id = `${episode}/${key}`;
    let entry = this.imageHist.get(id);
    if (entry === undefined) {
      entry = { hist: [new Float64Array(4096)], frames: 0 };
      this.imageHist.set(id, entry);
    }
    const codes = quantizeDepthMm(mm);
    for (let i = 0; i < codes.length; i += 7) entry.hist[0]![codes[i]!]! += 1;
    entry.frames += 1;
  }

  private async videoFor(v: VideoKey, episode: number, length: number, signal: AbortSignal | undefined): Promise<OpenVideo> {
    let video = this.videos.get(v.key);
    if (video !== undefined && this.version === 'v3') {
      const size = video.encoder.size();
      const perFrame = (size > 0 ? size : video.encoder.inputBytes) / Math.max(video.encoder.frames, 1);
      if (size + perFrame * length >= this.videoLimit) {
        const loc = nextLocation(video.loc, this.chunksSize);
        await this.closeVideo(v.key, signal);
        video = this.openVideo(v, loc, signal);
      }
    }
    if (video === undefined) {
      const loc = this.version === 'v3' ? { chunk: 0, file: 0 } : { chunk: Math.floor(episode / this.chunksSize), file: episode };
      video = this.openVideo(v, loc, signal);
    }
    return video;
  }

  private openVideo(v: VideoKey, loc: Location, signal: AbortSignal | undefined): OpenVideo {
    const rel = this.version === 'v3' ? v3VideoPath(v.key, loc) : v21VideoPath(v.key, loc.file, this.chunksSize);
    const path = join(this.root, rel);
    mkdirSync(dirname(path), { recursive: true });
    if (!this.firstVideoFile.has(v.key)) this.firstVideoFile.set(v.key, path);
    const statsHeight = Math.max(2, 2 * Math.round((STATS_WIDTH * v.height) / v.width / 2));
    const statsQueue: OpenVideo['statsQueue'] = [];
    const encoder = v.depth
      ? new VideoEncoder(path, {
          input: { kind: 'raw', pix_fmt: 'gray12le', width: v.width, height: v.height },
          fps: this.fps,
          settings: 'depth-lossless',
          ...(signal !== undefined ? { signal } : {}),
        })
      : new VideoEncoder(path, {
          input: { kind: 'encoded', codec: v.encoding },
          fps: this.fps,
          settings: this.settings,
          statsSize: [STATS_WIDTH, statsHeight],
          onStatsFrame: (rgb) => this.imageStatsFrame(v.key, statsQueue, rgb),
          ...(signal !== undefined ? { signal } : {}),
        });
    const video: OpenVideo = { encoder, loc, duration_s: 0, statsQueue };
    this.videos.set(v.key, video);
    return video;
  }

  private imageStatsFrame(key: string, queue: OpenVideo['statsQueue'], rgb: Uint8Array): void {
    const head = queue[0];
    if (head === undefined) return;
    const id = `${head.episode}/${key}`;
    let entry = this.imageHist.get(id);
    if (entry === undefined) {
      entry = { hist: [new Float64Array(256), new Float64Array(256), new Float64Array(256)], frames: 0 };
      this.imageHist.set(id, entry);
    }
    const [r, g, b] = entry.hist as [Float64Array, Float64Array, Float64Array];
    for (let i = 0; i + 2 < rgb.length; i += 3) {
      r[rgb[i]!]! += 1;
      g[rgb[i + 1]!]! += 1;
      b[rgb[i + 2]!]! += 1;
    }
    entry.frames += 1;
    head.remaining -= 1;
    if (head.remaining <= 0) queue.shift();
  }

  private async closeVideo(key: string, signal: AbortSignal | undefined): Promise<void> {
    const video = this.videos.get(key);
    if (video === undefined) return;
    this.videos.delete(key);
    await video.encoder.close(signal);
    this.bytes += video.encoder.size();
  }

  private writeData(table: Table, episode: number, length: number): Location {
    if (this.version === 'v21') {
      const rel = v21DataPath(episode, this.chunksSize);
      mkdirSync(dirname(join(this.root, rel)), { recursive: true });
      this.bytes += writeParquetFile(join(this.root, rel), [table]);
      return { chunk: Math.floor(episode / this.chunksSize), file: episode };
    }
    // Rough on-disk estimate: Arrow bytes (snappy usually shrinks them).
    const estimate =
      table.batches.reduce(
        (n, b) => n + b.data.children.reduce((m, c) => m + (c.values?.byteLength ?? 0) + (c.children[0]?.values?.byteLength ?? 0), 0),
        0,
      ) || length * 64;
    if (this.dataTables.length > 0 && this.dataBytes + estimate >= this.dataLimit) {
      this.flushData();
      this.dataLoc = nextLocation(this.dataLoc, this.chunksSize);
    }
    this.dataTables.push(table);
    this.dataBytes += estimate;
    return this.dataLoc;
  }

  private flushData(): void {
    if (this.dataTables.length === 0) return;
    const path = join(this.root, v3DataPath(this.dataLoc));
    mkdirSync(dirname(path), { recursive: true });
    this.bytes += writeParquetFile(path, this.dataTables);
    this.dataTables = [];
    this.dataBytes = 0;
  }

  /** Closes every file and writes the metadata. Mandatory: nothing is a dataset before this. */
  async finish(signal: AbortSignal | undefined): Promise<void> {
    if (this.features === null) throw new StudioError({ code: 'failed_precondition', message: 'no episodes were exported' });
    for (const key of [...this.videos.keys()]) await this.closeVideo(key, signal);
    this.flushData();
    // Image stats per episode, now that every encoder has returned its small copies.
    for (const row of this.rows) {
      for (const v of this.videoKeys) {
        const entry = this.imageHist.get(`${row.episode_index}/${v.key}`);
        if (entry === undefined) continue;
        const stats = v.depth ? this.depthHistStats(entry.hist[0]!, entry.frames) : histogramStats(entry.hist, 1 / 255, entry.frames);
        stats.count = row.length;
        row.stats.set(v.key, stats);
      }
    }
    await this.fillVideoInfo(signal);
    mkdirSync(join(this.root, 'meta'), { recursive: true });
    if (this.version === 'v3') this.writeV3Meta();
    else this.writeV21Meta();
  }

  private depthHistStats(hist: Float64Array, frames: number): FeatureStats {
    // Dequantise the code histogram into metres.
    let total = 0,
      sum = 0,
      sumSq = 0;
    let min = Infinity,
      max = -Infinity;
    const values: [number, number][] = [];
    for (let c = 0; c < hist.length; c++) {
      const n = hist[c]!;
      if (n === 0) continue;
      const m =
        Math.exp(
          (c / 4095) * (Math.log(DEPTH_QUANT.depth_max + DEPTH_QUANT.shift) - Math.log(DEPTH_QUANT.depth_min + DEPTH_QUANT.shift)) +
            Math.log(DEPTH_QUANT.depth_min + DEPTH_QUANT.shift),
        ) - DEPTH_QUANT.shift;
      values.push([m, n]);
      total += n;
      sum += n * m;
      sumSq += n * m * m;
      min = Math.min(min, m);
      max = Math.max(max, m);
    }
    const mean = total > 0 ? sum / total : 0;
    const quant = (q: number) => {
      const target = q * Math.max(total - 1, 0);
      let acc = 0;
      for (const [m, n] of values) {
        acc += n;
        if (acc > target) return m;
      }
      return 0;
    };
    return {
      min: [min],
      max: [max],
      mean: [mean],
      std: [Math.sqrt(Math.max(0, sumSq / Math.max(total, 1) - mean * mean))],
      count: frames,
      quantiles: [0.01, 0.1, 0.5, 0.9, 0.99].map((q) => [quant(q)]),
    };
  }

  private async fillVideoInfo(signal: AbortSignal | undefined): Promise<void> {
    for (const v of this.videoKeys) {
      const path = this.firstVideoFile.get(v.key);
      if (path === undefined) continue;
      const probe = await probeVideo(path, signal !== undefined ? { signal } : {});
      const s = probe.stream;
      if (s.width !== v.width || s.height !== v.height) {
        throw new StudioError({
          code: 'internal',
          message: `${path} is ${s.width}×${s.height}, but camera "${v.camera}" was declared ${v.width}×${v.height}`,
          fix: 'The recorded camera declaration does not match its frames; re-check the camera driver.',
        });
      }
      const base = {
        'video.height': s.height,
        'video.width': s.width,
        'video.codec': s.codec_name,
        'video.pix_fmt': s.pix_fmt,
        'video.fps': Math.round(parseRate(s.r_frame_rate)),
        'video.channels': v.depth ? 1 : 3,
        has_audio: probe.has_audio,
      };
      const spec = this.features![v.key]!;
      if (this.version === 'v21') {
        spec.info = { ...base, 'video.is_depth_map': false };
      } else if (v.depth) {
        spec.info = {
          ...base,
          is_depth_map: true,
          depth_unit: 'mm',
          'video.g': 2,
          'video.crf': null,
          'video.preset': null,
          'video.fast_decode': 0,
          'video.video_backend': 'ffmpeg',
          'video.extra_options': { 'x265-params': 'lossless=1' },
          'video.depth_min': DEPTH_QUANT.depth_min,
          'video.depth_max': DEPTH_QUANT.depth_max,
          'video.shift': DEPTH_QUANT.shift,
          'video.use_log': DEPTH_QUANT.use_log,
        };
      } else {
        spec.info = {
          ...base,
          is_depth_map: false,
          'video.g': this.settings.gop,
          'video.crf': this.settings.crf,
          'video.preset': this.settings.vcodec === 'libsvtav1' ? SVTAV1_PRESET : (this.settings.h264_preset ?? H264_PRESET),
          'video.fast_decode': 0,
          'video.video_backend': 'ffmpeg',
          'video.extra_options': {},
        };
      }
      if (s.codec_name !== (v.depth ? 'hevc' : codecName(this.settings.vcodec)))
        throw new StudioError({ code: 'internal', message: `${path} has codec ${s.codec_name}` });
    }
  }

  private info(): Record<string, unknown> {
    const n = this.rows.length;
    const common = {
      codebase_version: CODEBASE[this.version],
      robot_type: this.options.robot_type ?? 'franka',
      total_episodes: n,
      total_frames: this.totalFrames,
      total_tasks: this.tasks.length,
    };
    const hasVideo = this.videoKeys.length > 0;
    if (this.version === 'v3') {
      return {
        ...common,
        chunks_size: this.chunksSize,
        data_files_size_in_mb: Math.max(1, Math.round(this.dataLimit / 1e6)),
        video_files_size_in_mb: Math.max(1, Math.round(this.videoLimit / 1e6)),
        fps: this.fps,
        splits: this.splitRanges(),
        data_path: 'data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet',
        video_path: hasVideo ? 'videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4' : null,
        features: this.features,
      };
    }
    return {
      ...common,
      total_videos: n * this.videoKeys.length,
      total_chunks: Math.max(1, Math.ceil(n / this.chunksSize)),
      chunks_size: this.chunksSize,
      fps: this.fps,
      splits: this.splitRanges(),
      data_path: 'data/chunk-{episode_chunk:03d}/episode_{episode_index:06d}.parquet',
      video_path: hasVideo ? 'videos/chunk-{episode_chunk:03d}/{video_key}/episode_{episode_index:06d}.mp4' : null,
      features: this.features,
    };
  }

  /** LeRobot's `splits`: episode index ranges, `train`, then `validation` and `test` when present. */
  private splitRanges(): Record<string, string> {
    const { train, valid, test } = this.splits;
    const ranges: Record<string, string> = { train: `0:${train}` };
    if (valid > 0) ranges.validation = `${train}:${train + valid}`;
    if (test > 0) ranges.test = `${train + valid}:${train + valid + test}`;
    return ranges;
  }

  private isImage(key: string): boolean {
    return this.features![key]?.dtype === 'video';
  }

  private datasetStats(withQuantiles: boolean): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const keys = [...(this.rows[0]?.stats.keys() ?? [])];
    for (const key of keys) {
      const parts = this.rows.map((r) => r.stats.get(key)).filter((s): s is FeatureStats => s !== undefined);
      if (parts.length === 0) continue;
      out[key] = statsJson(aggregateStats(parts), this.isImage(key), withQuantiles);
    }
    return out;
  }

  private writeJson(rel: string, value: unknown): void {
    const text = `${JSON.stringify(value, null, 4)}\n`;
    writeFileSync(join(this.root, rel), text);
    this.bytes += text.length;
  }

  private writeV3Meta(): void {
    this.writeJson('meta/info.json', this.info());
    this.writeJson('meta/stats.json', this.datasetStats(true));
    // tasks.parquet with pandas' index metadata: `pd.read_parquet` gives the task string as the index.
    const pandas = pandasIndexMetadata({ name: 'task', numpy: 'object', pandas: 'unicode' }, [
      { name: 'task_index', numpy: 'int64', pandas: 'int64' },
    ]);
    const tasksTable = arrowTable(
      [
        { name: 'task_index', kind: 'int64', data: BigInt64Array.from(this.tasks, (_, i) => BigInt(i)) },
        { name: 'task', kind: 'vector', vector: vectorFromArray(this.tasks, new Utf8()) },
      ],
      new Map([['pandas', pandas]]),
    );
    this.bytes += writeParquetFile(join(this.root, 'meta/tasks.parquet'), [tasksTable], new Map([['pandas', pandas]]));
    // Episodes table, 1000 rows per file.
    const perFile = 1000;
    for (
      let start = 0, loc: Location = { chunk: 0, file: 0 };
      start < this.rows.length;
      start += perFile, loc = nextLocation(loc, this.chunksSize)
    ) {
      const rows = this.rows.slice(start, start + perFile);
      const i64 = (f: (r: EpisodeRow) => number) => BigInt64Array.from(rows, (r) => BigInt(f(r)));
      const columns: Column[] = [
        { name: 'episode_index', kind: 'int64', data: i64((r) => r.episode_index) },
        {
          name: 'tasks',
          kind: 'vector',
          vector: vectorFromArray(
            rows.map((r) => r.tasks),
            new List(new Field('item', new Utf8(), true)),
          ),
        },
        { name: 'length', kind: 'int64', data: i64((r) => r.length) },
        { name: 'data/chunk_index', kind: 'int64', data: i64((r) => r.data.chunk) },
        { name: 'data/file_index', kind: 'int64', data: i64((r) => r.data.file) },
        { name: 'dataset_from_index', kind: 'int64', data: i64((r) => r.from) },
        { name: 'dataset_to_index', kind: 'int64', data: i64((r) => r.to) },
      ];
      for (const v of this.videoKeys) {
        columns.push(
          { name: `videos/${v.key}/chunk_index`, kind: 'int64', data: i64((r) => r.videos[v.key]!.loc.chunk) },
          { name: `videos/${v.key}/file_index`, kind: 'int64', data: i64((r) => r.videos[v.key]!.loc.file) },
          { name: `videos/${v.key}/from_timestamp`, kind: 'float64', data: Float64Array.from(rows, (r) => r.videos[v.key]!.from_s) },
          { name: `videos/${v.key}/to_timestamp`, kind: 'float64', data: Float64Array.from(rows, (r) => r.videos[v.key]!.to_s) },
        );
      }
      columns.push(
        { name: 'meta/episodes/chunk_index', kind: 'int64', data: new BigInt64Array(rows.length).fill(BigInt(loc.chunk)) },
        { name: 'meta/episodes/file_index', kind: 'int64', data: new BigInt64Array(rows.length).fill(BigInt(loc.file)) },
      );
      for (const key of rows[0]!.stats.keys()) {
        const image = this.isImage(key);
        for (const stat of ['min', 'max', 'mean', 'std', 'count', 'q01', 'q10', 'q50', 'q90', 'q99']) {
          const values = rows.map((r) => statsJson(r.stats.get(key)!, image)[stat]!);
          const type =
            image && stat !== 'count'
              ? new List(new Field('item', new List(new Field('item', new List(new Field('item', new Float64(), true)), true)), true))
              : new List(new Field('item', stat === 'count' ? new Int64() : new Float64(), true));
          const data = stat === 'count' ? values.map((v) => (v as number[]).map((x) => BigInt(x))) : values;
          columns.push({ name: `stats/${key}/${stat}`, kind: 'vector', vector: vectorFromArray(data as never, type as never) });
        }
      }
      const path = join(this.root, v3EpisodesPath(loc));
      mkdirSync(dirname(path), { recursive: true });
      this.bytes += writeParquetFile(path, [arrowTable(columns)]);
    }
  }

  private writeV21Meta(): void {
    this.writeJson('meta/info.json', this.info());
    const lines = (values: unknown[]) => values.map((v) => JSON.stringify(v)).join('\n') + '\n';
    const files: [string, string][] = [
      ['meta/tasks.jsonl', lines(this.tasks.map((task, task_index) => ({ task_index, task })))],
      ['meta/episodes.jsonl', lines(this.rows.map((r) => ({ episode_index: r.episode_index, tasks: r.tasks, length: r.length })))],
      [
        'meta/episodes_stats.jsonl',
        lines(
          this.rows.map((r) => ({
            episode_index: r.episode_index,
            stats: Object.fromEntries([...r.stats].map(([key, s]) => [key, statsJson(s, this.isImage(key), false)])),
          })),
        ),
      ],
    ];
    for (const [rel, text] of files) {
      writeFileSync(join(this.root, rel), text);
      this.bytes += text.length;
    }
  }

  /** Kills any encoder still running (after a failure or a cancel). */
  abort(): void {
    for (const video of this.videos.values()) video.encoder.kill();
    this.videos.clear();
  }
}
