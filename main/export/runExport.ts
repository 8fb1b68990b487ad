import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { StudioError } from '../../shared/api/errors';
import { APP_VERSION } from '../appInfo';
import { openStore } from '../store/database';
import { ExportLog } from '../store/exportLog';
import { EpisodeReader, plannedEpisode, planStreams, requiredStreams, selectEpisodes, splitEpisodes } from './episodeSource';
import { ExportCancelled, throwIfAborted } from './ffmpeg';
import { EXPORT_FORMAT_SPECS } from './formats';
import {
  DATASET_SPLITS,
  EXPORT_FORMATS,
  type EpisodeGrid,
  type EpisodeInput,
  type ExportHandlers,
  type ExportOptions,
  type ExportProgress,
  type ExportSummary,
  type FormatWriter,
  type PlannedEpisode,
} from './types';

function checkOptions(options: ExportOptions): void {
  if (!(EXPORT_FORMATS as readonly string[]).includes(options.format)) {
    throw new StudioError({
      code: 'invalid_params',
      message: `unknown export format "${options.format}"`,
      fix: `Use one of ${EXPORT_FORMATS.join(', ')}.`,
    });
  }
  if (options.fps !== undefined && !(Number.isInteger(options.fps) && options.fps > 0)) {
    throw new StudioError({
      code: 'invalid_params',
      message: `fps must be a positive integer (LeRobot stores it as an int), got ${options.fps}`,
    });
  }
  if (options.out.trim() === '') throw new StudioError({ code: 'invalid_params', message: 'no output path', fix: 'Pass --out PATH.' });
}

function bytesUnder(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.size;
  let total = 0;
  const walk = (dir: string) => {
    for (const name of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, name.name);
      if (name.isDirectory()) walk(p);
      else total += statSync(p).size;
    }
  };
  walk(path);
  return total;
}

/**
 * Exports recorded episodes. Reads the store, plans every episode first (so an inconsistent
 * selection fails before anything is written), writes into a temporary sibling of `out`, and renames
 * it into place only when complete: a cancelled or failed export leaves nothing that looks finished.
 * Streams episode by episode; video encoding runs in ffmpeg child processes.
 */
export async function runExport(options: ExportOptions, handlers: ExportHandlers = {}): Promise<ExportSummary> {
  checkOptions(options);
  const { signal, onProgress } = handlers;
  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  const out = resolve(options.out);
  const warnings: string[] = [];
  if (!options.dry_run && existsSync(out)) {
    throw new StudioError({
      code: 'failed_precondition',
      message: `${out} already exists`,
      fix: 'Choose a new --out path, or move the existing dataset away first.',
    });
  }
  if (!existsSync(join(options.dataDir, 'studio.db'))) {
    throw new StudioError({
      code: 'not_found',
      message: `no studio database in ${options.dataDir}`,
      fix: 'Pass the data directory you recorded into with --data-dir.',
    });
  }
  const store = openStore({ dataDir: options.dataDir, appVersion: APP_VERSION });
  const exportLog = new ExportLog(store.db);
  let writer: FormatWriter | null = null;
  const tmp = join(dirname(out), `.${basename(out)}.partial-${process.pid}-${Date.now().toString(36)}`);
  let exportRow: number | null = null;
  try {
    const reader = new EpisodeReader(store.db);
    const selected = selectEpisodes(reader.store, options.selection);
    if (selected.length === 0) {
      throw new StudioError({
        code: 'not_found',
        message: 'no saved episodes match the selection',
        fix: 'Check the filters (outcome, tag, task, operator, dates) against `studio db info`.',
      });
    }
    const emit = (progress: Omit<ExportProgress, 'elapsed_s' | 'eta_s'>) => {
      const t = elapsed();
      const eta =
        progress.done_frames > 0 && progress.total_frames > progress.done_frames
          ? (t / progress.done_frames) * (progress.total_frames - progress.done_frames)
          : progress.done_frames >= progress.total_frames && progress.total_frames > 0
            ? 0
            : null;
      onProgress?.({ ...progress, elapsed_s: t, eta_s: eta });
    };
    emit({ phase: 'planning', done_frames: 0, total_frames: 0, done_episodes: 0, total_episodes: selected.length, episode_id: null });

    const plan = planStreams(reader, selected[0]!.id, {
      ...(options.cameras !== undefined ? { cameras: options.cameras } : {}),
      depth: options.depth === true,
      action_source: options.action_source ?? 'executed',
    });
    const spec = EXPORT_FORMAT_SPECS[options.format];
    if (plan.imported !== undefined && options.format !== 'lerobot' && options.format !== 'lerobot-v2.1') {
      throw new StudioError({
        code: 'invalid_params',
        message: `episode ${selected[0]!.id} was imported from a LeRobot dataset: it has no Franka arm streams for ${options.format}`,
        fix: 'Re-export imported episodes with --format lerobot or lerobot-v2.1 (or select recorded episodes only).',
      });
    }
    const firstFps = reader.store.targetFps(selected[0]!.id);
    const fps = options.fps ?? Math.max(1, Math.round(firstFps));
    if (options.fps === undefined && Math.abs(firstFps - fps) > 1e-9)
      warnings.push(`recorded target fps ${firstFps} rounded to ${fps} (LeRobot fps is an integer)`);
    warnings.push(...cameraRateWarnings(reader.store.streams(selected[0]!.id), plan.cameras, fps, options.fps !== undefined));
    const imagesNeeded = !spec.imagesOptional || plan.cameras.length > 0;
    const needed = requiredStreams(plan, imagesNeeded);
    spec.planning?.({ reader, firstEpisode: selected[0]!.id, plan, options, needed, warnings });
    const grids = new Map<number, EpisodeGrid>();
    for (const episode of selected) {
      throwIfAborted(signal);
      grids.set(episode.id, reader.grid(episode.id, needed, fps));
      // Before anything is written (and in a dry run): only Cartesian actions go under Cartesian names.
      if (plan.imported === undefined) reader.requireCartesianActions(episode.id, plan.action);
    }
    const splitOf = splitEpisodes(
      selected.map((e) => e.id),
      { valid: options.valid_fraction ?? 0, test: options.test_fraction ?? 0 },
      options.split_seed ?? 0,
    );
    // Train episodes first, then validation, then test, so LeRobot's `splits` can be index ranges.
    const ordered = DATASET_SPLITS.flatMap((split) => selected.filter((e) => splitOf.get(e.id) === split));
    const planned: PlannedEpisode[] = ordered.map((e) => plannedEpisode(e, grids.get(e.id)!, splitOf.get(e.id)!));
    const tasks: string[] = [];
    for (const e of ordered) if (!tasks.includes(e.task)) tasks.push(e.task);
    const totalFrames = planned.reduce((n, e) => n + e.frames, 0);
    for (const e of selected) {
      const s = reader.store.episode(e.id);
      if (s.dropped > 0)
        warnings.push(`episode ${e.id}: ${s.dropped} samples/frames were dropped while recording (held frames fill the gaps)`);
    }
    const summary = (bytes: number, dry: boolean): ExportSummary => {
      const t = elapsed();
      const seconds = planned.reduce((n, e) => n + e.duration_s, 0);
      return {
        format: options.format,
        out,
        dry_run: dry,
        fps,
        cameras: plan.cameras,
        episodes: planned,
        total_frames: totalFrames,
        tasks,
        bytes,
        elapsed_s: t,
        frames_per_s: dry ? 0 : totalFrames / Math.max(t, 1e-9),
        real_time_factor: dry ? 0 : seconds / Math.max(t, 1e-9),
        warnings,
      };
    };
    if (options.dry_run === true) return summary(0, true);

    exportRow = exportLog.begin({
      format: options.format,
      path: out,
      selection: { selection: options.selection ?? {}, episodes: ordered.map((e) => e.id), cameras: plan.cameras, fps },
    });
    mkdirSync(dirname(out), { recursive: true });
    const fullOptions = { ...options, fps };
    const splits = {
      train: planned.filter((e) => e.split === 'train').length,
      valid: planned.filter((e) => e.split === 'valid').length,
      test: planned.filter((e) => e.split === 'test').length,
    };
    if (spec.output === 'directory') mkdirSync(tmp, { recursive: true });
    const formatWriter = spec.writer({ root: tmp, reader, plan, options: fullOptions, tasks, planned, splits });
    writer = formatWriter;
    const inputs: EpisodeInput[] = ordered.map((summary, index) => ({
      index,
      summary,
      grid: grids.get(summary.id)!,
      taskIndex: tasks.indexOf(summary.task),
    }));
    await formatWriter.prepare?.(inputs, signal);
    let doneFrames = 0;
    let lastEmit = 0;
    for (const input of inputs) {
      throwIfAborted(signal);
      const base = doneFrames;
      await formatWriter.addEpisode(input, signal, (frames) => {
        const now = performance.now();
        if (now - lastEmit < 100 && frames < input.grid.length) return;
        lastEmit = now;
        emit({
          phase: 'episodes',
          done_frames: base + frames,
          total_frames: totalFrames,
          done_episodes: input.index,
          total_episodes: inputs.length,
          episode_id: input.summary.id,
        });
      });
      doneFrames += input.grid.length;
      emit({
        phase: 'episodes',
        done_frames: doneFrames,
        total_frames: totalFrames,
        done_episodes: input.index + 1,
        total_episodes: inputs.length,
        episode_id: input.summary.id,
      });
    }
    emit({
      phase: 'finalizing',
      done_frames: doneFrames,
      total_frames: totalFrames,
      done_episodes: inputs.length,
      total_episodes: inputs.length,
      episode_id: null,
    });
    await formatWriter.finish(signal);
    throwIfAborted(signal);
    renameSync(tmp, out);
    const bytes = bytesUnder(out);
    exportLog.end(exportRow, 'done', `${inputs.length} episodes, ${totalFrames} frames`);
    emit({
      phase: 'done',
      done_frames: totalFrames,
      total_frames: totalFrames,
      done_episodes: inputs.length,
      total_episodes: inputs.length,
      episode_id: null,
    });
    return summary(bytes, false);
  } catch (error) {
    writer?.abort();
    rmSync(tmp, { recursive: true, force: true });
    const cancelled = error instanceof ExportCancelled || signal?.aborted === true;
    if (exportRow !== null) {
      exportLog.end(exportRow, cancelled ? 'cancelled' : 'failed', (error as Error).message);
    }
    if (cancelled && !(error instanceof ExportCancelled)) throw new ExportCancelled();
    throw error;
  } finally {
    store.close();
  }
}

/**
 * Cameras recorded at a rate other than the dataset's say so: the export takes the latest frame at
 * each step of the dataset's grid, so a 15 fps camera in a 10 fps dataset loses a third of its frames, and a
 * 10 fps camera in a 30 fps dataset repeats frames. Silence here made a 10 fps export of 15 fps cameras
 * look like a mistake nobody had been told about.
 */
export function cameraRateWarnings(
  streams: readonly { name: string; nominal_rate_hz: number | null }[],
  cameras: readonly string[],
  fps: number,
  fpsChosen: boolean,
): string[] {
  const warnings: string[] = [];
  for (const camera of cameras) {
    const hz = streams.find((stream) => stream.name === `camera.${camera}.color`)?.nominal_rate_hz ?? null;
    if (hz === null || Math.abs(hz - fps) < 1e-6) continue;
    const why = fpsChosen ? 'the fps chosen' : "the episodes' recording rate";
    warnings.push(
      hz > fps
        ? `camera ${camera} was recorded at ${hz} fps; the dataset is written at ${fps} fps (${why}), so it takes the latest frame at each step and skips the rest — set fps to ${hz} to keep every frame`
        : `camera ${camera} was recorded at ${hz} fps; the dataset is written at ${fps} fps (${why}), so frames repeat between captures`,
    );
  }
  return warnings;
}
