import { existsSync, readdirSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { StudioError } from '../../shared/api/errors';
import { APP_VERSION } from '../appInfo';
import { ExportCancelled, throwIfAborted } from '../export/ffmpeg';
import { openStore } from '../store/database';
import { addStagingSegment, mergeStagingStore, setStagingNotes } from '../store/importMerge';
import { discardDeadImports, discardImportRows, ImportRowWriter, reserveImportStreams, type ImportReservation } from '../store/importRows';
import { StoreWriter } from '../store/storeWriter';
import type { StreamDecl, WriterOp } from '../store/writeOps';
import type Database from 'better-sqlite3';
import { EpisodeRowReader, openLerobotDataset, type CameraFeature, type LerobotDataset, type LerobotEpisode } from './lerobotDataset';
import { importedCameraStream, importedNumericStream, IMPORT_TAGS } from '../export/importedStreams';
import { JpegFrameDecoder, probeCameraVideo, segmentFrames, type ProbedVideo } from './videoFrames';

/**
 * `studio import --format lerobot DIR`: a local LeRobot dataset (v2.1 or v3.0) becomes one session of
 * saved episodes in the store — every numeric feature a stream with its names, every camera a JPEG
 * frame stream (video decoded; image features kept as the PNGs they are), tasks, fps, frame times
 * `frame_index / fps` on the dataset's grid.
 *
 * Atomic: the dataset is checked first (metadata, every file present, every video probed and every
 * episode's frames found at `from_timestamp + i / fps`), then written: samples and frames straight into
 * the store's tables in short transactions under stream ids reserved for the import, which no stream
 * row names yet (`store/importRows.ts`), the rows naming them (session, episodes, streams, tags) into a
 * staging store beside the studio's (`DATA_DIR/.import-*`). When everything is written, one tiny
 * transaction moves those in and the import appears whole. A failure or a cancel removes what was
 * written; a kill leaves rows nothing can see, which the next import removes with the staging folder.
 */

export const IMPORT_FORMATS = ['lerobot'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

export interface ImportOptions {
  format: ImportFormat;
  dataDir: string;
  /** The dataset directory (holds meta/info.json). */
  source: string;
  operator?: string;
  /** Tags added to every imported episode (besides `imported` and `lerobot`). */
  tags?: string[];
}

export interface ImportProgress {
  phase: 'checking' | 'episodes' | 'committing' | 'done';
  done_frames: number;
  total_frames: number;
  done_episodes: number;
  total_episodes: number;
  elapsed_s: number;
  eta_s: number | null;
}

export interface ImportSummary {
  source: string;
  codebase_version: string;
  fps: number;
  session_id: number;
  episode_ids: number[];
  frames: number;
  /** Seconds of dataset imported per second of wall time. */
  real_time_factor: number;
  elapsed_s: number;
  /** How long the store was locked for the final move. */
  commit_ms: number;
  /** The longest the import locked the store at once (a batch of rows or the final move), ms. */
  longest_lock_ms: number;
  cameras: { feature: string; stream: string; storage: 'video' | 'image' }[];
  streams: { feature: string; stream: string }[];
  warnings: string[];
}

export interface ImportHandlers {
  onProgress?: (progress: ImportProgress) => void;
  signal?: AbortSignal;
}

const STAGING_PREFIX = '.import-';

/** Staging folders of imports whose process is gone (killed mid-import): never part of the store. */
function removeStaleStaging(dataDir: string): void {
  if (!existsSync(dataDir)) return;
  for (const name of readdirSync(dataDir)) {
    const match = new RegExp(`^\\${STAGING_PREFIX}(\\d+)-`).exec(name);
    if (match === null) continue;
    const pid = Number(match[1]);
    let alive = pid !== process.pid;
    if (alive) {
      try {
        process.kill(pid, 0);
      } catch (error) {
        alive = (error as NodeJS.ErrnoException).code === 'EPERM';
      }
    }
    if (!alive) rmSync(join(dataDir, name), { recursive: true, force: true });
  }
}

interface CameraPlan {
  camera: CameraFeature;
  stream: StreamDecl;
  /** Per video file: its probe. */
  probes: Map<string, ProbedVideo>;
  /** Per episode: decoded frame indices in its file. */
  frames: Map<number, number[]>;
}

/**
 * What a failure means once the import was cancelled: a cancel (an aborted ffprobe or decoder fails with
 * its own error, e.g. "ffprobe cannot read …", which would otherwise be reported as a bad dataset).
 */
function cancelledIfAborted(error: unknown, signal: AbortSignal | undefined): unknown {
  return signal?.aborted === true && !(error instanceof ExportCancelled) ? new ExportCancelled() : error;
}

async function checkVideos(dataset: LerobotDataset, cameras: CameraPlan[], signal: AbortSignal | undefined): Promise<void> {
  for (const plan of cameras) {
    if (plan.camera.storage !== 'video') continue;
    for (const episode of dataset.episodes) {
      throwIfAborted(signal);
      const segment = episode.videos.get(plan.camera.key)!;
      let probe = plan.probes.get(segment.file);
      if (probe === undefined) {
        probe = await probeCameraVideo(
          dataset.root,
          segment.file,
          { width: plan.camera.width, height: plan.camera.height, key: plan.camera.key },
          signal,
        );
        plan.probes.set(segment.file, probe);
      }
      plan.frames.set(
        episode.index,
        segmentFrames(probe, { episode: episode.index, from_s: segment.from_s, length: episode.length }, dataset.fps, plan.camera.key),
      );
    }
  }
}

const tNs = (frame: number, fps: number) => BigInt(Math.round((frame * 1e9) / fps));

/** Writes one episode into the staging store: its streams, samples and frames, then marks it saved. */
async function stageEpisode(
  db: Database.Database,
  writer: StoreWriter,
  rowWriter: ImportRowWriter,
  sessionId: number,
  dataset: LerobotDataset,
  episode: LerobotEpisode,
  rows: EpisodeRowReader,
  cameras: CameraPlan[],
  decoders: Map<string, JpegFrameDecoder>,
  options: ImportOptions,
  signal: AbortSignal | undefined,
  onFrames: (frames: number) => void,
): Promise<void> {
  const data = rows.read(episode);
  const fps = dataset.fps;
  const streams: StreamDecl[] = [...dataset.numeric.map((f) => importedNumericStream(f, fps)), ...cameras.map((c) => c.stream)];
  const firstTask = dataset.tasks[data.taskIndex[0]!] ?? '';
  const started = writer.call({
    call: 'startEpisode',
    session_id: sessionId,
    task: firstTask,
    started_at_unix_ms: Date.now(),
    start_ns: 0n,
    tags: [...IMPORT_TAGS, ...(options.tags ?? [])],
    target_fps_hz: fps,
    max_duration_s: null,
    streams,
  }) as { episode_id: number; stream_ids: Record<string, number> };
  const id = started.episode_id;
  const ops: WriterOp[] = [];
  for (const feature of dataset.numeric) {
    const streamId = started.stream_ids[importedNumericStream(feature, fps).name]!;
    const bytes = data.numeric.get(feature.key)!;
    const per = bytes.length / data.length;
    for (let k = 0; k < data.length; k++)
      ops.push({ op: 'sample', stream_id: streamId, t_ns: tNs(k, fps), value: bytes.subarray(k * per, (k + 1) * per) });
  }
  rowWriter.apply(ops);
  // Frames: every camera, in frame order, committed in batches so memory stays flat.
  let written = 0;
  for (const plan of cameras) {
    const streamId = started.stream_ids[plan.stream.name]!;
    let batch: WriterOp[] = [];
    const flush = () => {
      if (batch.length > 0) rowWriter.apply(batch);
      batch = [];
    };
    if (plan.camera.storage === 'image') {
      for (const [k, image] of data.images.get(plan.camera.key)!.entries())
        batch.push({ op: 'frame', stream_id: streamId, t_ns: tNs(k, fps), data: image });
      flush();
      written += data.length;
      onFrames(Math.floor(written / cameras.length));
      continue;
    }
    const segment = episode.videos.get(plan.camera.key)!;
    const wanted = plan.frames.get(episode.index)!;
    let decoder = decoders.get(plan.camera.key);
    if (decoder !== undefined && (decoder.path !== join(dataset.root, segment.file) || decoder.position > wanted[0]!)) {
      decoder.kill();
      decoder = undefined;
    }
    if (decoder === undefined) {
      decoder = new JpegFrameDecoder(join(dataset.root, segment.file), signal);
      decoders.set(plan.camera.key, decoder);
    }
    for (const [k, index] of wanted.entries()) {
      throwIfAborted(signal);
      await decoder.skipTo(index);
      batch.push({ op: 'frame', stream_id: streamId, t_ns: tNs(k, fps), data: await decoder.next() });
      if (batch.length >= 64) {
        flush();
        onFrames(Math.floor((written + k + 1) / cameras.length));
      }
    }
    flush();
    written += data.length;
  }
  // Episodes with several tasks: the first is the episode's task, each task run is a segment.
  const taskRuns: { task: string; from: number; to: number }[] = [];
  for (let k = 0; k < data.length; k++) {
    const task = dataset.tasks[data.taskIndex[k]!]!;
    const last = taskRuns.at(-1);
    if (last !== undefined && last.task === task) last.to = k;
    else taskRuns.push({ task, from: k, to: k });
  }
  if (taskRuns.length > 1) for (const run of taskRuns) addStagingSegment(db, id, run.task, tNs(run.from, fps), tNs(run.to, fps));
  setStagingNotes(db, id, `imported from LeRobot ${dataset.version} dataset ${dataset.root}, episode ${episode.index}`);
  writer.call({ call: 'endEpisode', episode_id: id, end_ns: tNs(data.length - 1, fps) });
  writer.call({ call: 'setStatus', episode_id: id, status: 'saved' });
  onFrames(data.length);
}

export async function runImport(options: ImportOptions, handlers: ImportHandlers = {}): Promise<ImportSummary> {
  if (!(IMPORT_FORMATS as readonly string[]).includes(options.format)) {
    throw new StudioError({
      code: 'invalid_params',
      message: `unknown import format "${options.format}"`,
      fix: `Use one of ${IMPORT_FORMATS.join(', ')}.`,
    });
  }
  const { signal, onProgress } = handlers;
  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  const emit = (p: Omit<ImportProgress, 'elapsed_s' | 'eta_s'>) => {
    const t = elapsed();
    onProgress?.({
      ...p,
      elapsed_s: t,
      eta_s: p.done_frames > 0 && p.total_frames >= p.done_frames ? (t / p.done_frames) * (p.total_frames - p.done_frames) : null,
    });
  };

  // ---- check everything before writing anything ----
  const dataset = openLerobotDataset(options.source);
  emit({ phase: 'checking', done_frames: 0, total_frames: dataset.totalFrames, done_episodes: 0, total_episodes: dataset.episodes.length });
  if (dataset.episodes.length === 0)
    throw new StudioError({
      code: 'failed_precondition',
      message: `${dataset.root} holds no episodes`,
      fix: 'There is nothing to import.',
    });
  const cameras: CameraPlan[] = dataset.cameras.map((camera) => ({
    camera,
    stream: importedCameraStream(camera, dataset.fps),
    probes: new Map(),
    frames: new Map(),
  }));
  await checkVideos(dataset, cameras, signal).catch((error: unknown) => {
    throw cancelledIfAborted(error, signal);
  });
  const warnings = dataset.skipped.map((s) => `feature "${s.key}" is not imported: ${s.why}`);

  // ---- stage ----
  removeStaleStaging(options.dataDir);
  const stagingDir = join(options.dataDir, `${STAGING_PREFIX}${process.pid}-${Date.now().toString(36)}`);
  const decoders = new Map<string, JpegFrameDecoder>();
  let staging: ReturnType<typeof openStore> | null = null;
  let store: ReturnType<typeof openStore> | null = null;
  let reservation: ImportReservation | null = null;
  let merged: ReturnType<typeof mergeStagingStore> | null = null;
  try {
    store = openStore({ dataDir: options.dataDir, appVersion: APP_VERSION });
    // Rows are written before the streams that own them exist in the store (ImportRowWriter).
    store.db.pragma('foreign_keys = OFF');
    discardDeadImports(store.db);
    reservation = reserveImportStreams(store.db, dataset.episodes.length * (dataset.numeric.length + cameras.length));
    staging = openStore({ dataDir: stagingDir, appVersion: APP_VERSION });
    const writer = new StoreWriter(staging.db, staging.path);
    const rowWriter = new ImportRowWriter(store.db, staging.db, reservation);
    const sessionId = writer.call({
      call: 'startSession',
      started_at_unix_ms: Date.now(),
      operator: options.operator ?? '',
      rig_name: `lerobot:${dataset.name}`,
      rig_config_json: JSON.stringify({
        imported: {
          format: 'lerobot',
          codebase_version: dataset.version,
          source: dataset.root,
          robot_type: dataset.robotType,
          fps: dataset.fps,
          features: dataset.info.features,
        },
      }),
      app_version: APP_VERSION,
      writer_pid: process.pid,
      writer_host: hostname(),
    }) as number;
    const rows = new EpisodeRowReader(dataset);
    let done = 0;
    let lastEmit = 0;
    for (const episode of dataset.episodes) {
      throwIfAborted(signal);
      const base = done;
      await stageEpisode(staging.db, writer, rowWriter, sessionId, dataset, episode, rows, cameras, decoders, options, signal, (frames) => {
        const now = performance.now();
        if (now - lastEmit < 100) return;
        lastEmit = now;
        emit({
          phase: 'episodes',
          done_frames: base + frames,
          total_frames: dataset.totalFrames,
          done_episodes: episode.index,
          total_episodes: dataset.episodes.length,
        });
      });
      done += episode.length;
      emit({
        phase: 'episodes',
        done_frames: done,
        total_frames: dataset.totalFrames,
        done_episodes: episode.index + 1,
        total_episodes: dataset.episodes.length,
      });
    }
    writer.call({ call: 'endSession', session_id: sessionId, ended_at_unix_ms: Date.now() });
    for (const d of decoders.values()) d.kill();
    decoders.clear();
    staging.close();
    throwIfAborted(signal);

    // ---- one tiny transaction makes it visible ----
    emit({
      phase: 'committing',
      done_frames: done,
      total_frames: dataset.totalFrames,
      done_episodes: dataset.episodes.length,
      total_episodes: dataset.episodes.length,
    });
    merged = mergeStagingStore(store.db, staging.path, reservation);
    emit({
      phase: 'done',
      done_frames: done,
      total_frames: dataset.totalFrames,
      done_episodes: dataset.episodes.length,
      total_episodes: dataset.episodes.length,
    });
    const t = elapsed();
    return {
      source: dataset.root,
      codebase_version: dataset.version,
      fps: dataset.fps,
      session_id: merged.session_id,
      episode_ids: merged.episode_ids,
      frames: dataset.totalFrames,
      real_time_factor: dataset.totalFrames / dataset.fps / Math.max(t, 1e-9),
      elapsed_s: t,
      commit_ms: merged.duration_ms,
      longest_lock_ms: Math.max(rowWriter.longestLockMs, merged.duration_ms),
      cameras: cameras.map((c) => ({ feature: c.camera.key, stream: c.stream.name, storage: c.camera.storage })),
      streams: dataset.numeric.map((f) => ({ feature: f.key, stream: importedNumericStream(f, dataset.fps).name })),
      warnings,
    };
  } catch (error) {
    throw cancelledIfAborted(error, signal);
  } finally {
    for (const d of decoders.values()) d.kill();
    staging?.close();
    rmSync(stagingDir, { recursive: true, force: true });
    if (store !== null) {
      // Not moved in: remove what was written. If that fails too, the reservation stays and an import
      // run after this process ends removes the rows; the error the caller sees is the one that stopped the import.
      if (merged === null && reservation !== null) {
        try {
          discardImportRows(store.db, reservation);
        } catch {
          /* left for an import in a later process (discardDeadImports) */
        }
      }
      store.close();
    }
  }
}
