import type Database from 'better-sqlite3';
import { StudioError } from '../../shared/api/errors';
import { STREAMS } from '../recording/streamNames';
import { actionsOverSteps, requireCartesianActions, type ActionSteps } from './actionSteps';
import { EpisodeStore, type EpisodeSummary, type StreamRow } from '../store/episodeStore';
import { importedFeatureOf } from './importedStreams';
import type { DatasetSplit, EpisodeGrid, PlannedEpisode, Selection, StreamPlan } from './types';

/**
 * Reads recorded episodes for export: selection, the fixed time grid of each episode, low-dimensional
 * streams resampled onto it (observations: the newest sample at or before each grid instant — what
 * was known then; actions: the motion of every recorded action in each step, `actionsOnSteps`), and
 * camera frames fetched in small batches so memory stays flat however long an episode is.
 */

export function gridTime(grid: EpisodeGrid, k: number): bigint {
  return grid.t0_ns + BigInt(Math.round((k * 1e9) / grid.fps));
}

export function selectEpisodes(store: EpisodeStore, selection: Selection = {}): EpisodeSummary[] {
  const statuses: ('saved' | 'interrupted')[] = selection.include_interrupted === true ? ['saved', 'interrupted'] : ['saved'];
  const ids = selection.episode_ids === undefined ? null : new Set(selection.episode_ids);
  return store
    .summaries({ status: statuses })
    .filter((e) => !e.delete_requested)
    .filter((e) => ids === null || ids.has(e.id))
    .filter((e) => selection.outcomes === undefined || selection.outcomes.includes(e.outcome))
    .filter((e) => selection.tags === undefined || selection.tags.some((tag) => e.tags.includes(tag)))
    .filter((e) => selection.exclude_tags === undefined || !selection.exclude_tags.some((tag) => e.tags.includes(tag)))
    .filter((e) => selection.tasks === undefined || selection.tasks.includes(e.task))
    .filter((e) => selection.operators === undefined || selection.operators.includes(e.operator))
    .filter((e) => selection.from_unix_ms === undefined || e.started_at_unix_ms >= selection.from_unix_ms)
    .filter((e) => selection.to_unix_ms === undefined || e.started_at_unix_ms <= selection.to_unix_ms);
}

/** Deterministic train/valid split: a seeded shuffle of the episode ids, the first `fraction` to valid. */
/**
 * Splits episodes by a deterministic shuffle of their ids (xorshift from `seed`): the first share of the
 * shuffle is validation, the next test, the rest training. A non-zero fraction gets at least one
 * episode when there are two or more.
 */
export function splitEpisodes(
  ids: readonly number[],
  fractions: { valid?: number; test?: number },
  seed: number,
): Map<number, DatasetSplit> {
  const valid = fractions.valid ?? 0;
  const test = fractions.test ?? 0;
  for (const [name, fraction] of [
    ['valid', valid],
    ['test', test],
  ] as const) {
    if (!(fraction >= 0 && fraction < 1))
      throw new StudioError({ code: 'invalid_params', message: `${name} fraction must be in [0, 1), got ${fraction}` });
  }
  if (valid + test >= 1)
    throw new StudioError({
      code: 'invalid_params',
      message: `valid (${valid}) and test (${test}) fractions leave no training episodes`,
      fix: 'Keep valid + test below 1.',
    });
  const order = [...ids];
  let state = seed >>> 0 || 0x9e3779b9;
  const next = () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 2 ** 32;
  };
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const share = (fraction: number) => (fraction > 0 && ids.length > 1 ? Math.max(1, Math.round(ids.length * fraction)) : 0);
  const validCount = share(valid);
  const testCount = Math.min(share(test), Math.max(0, ids.length - validCount - 1));
  return new Map(order.map((id, i) => [id, i < validCount ? 'valid' : i < validCount + testCount ? 'test' : 'train']));
}

export class EpisodeReader {
  readonly store: EpisodeStore;

  constructor(readonly db: Database.Database) {
    this.store = new EpisodeStore(db);
  }

  streamsOf(episodeId: number): Map<string, StreamRow> {
    return new Map(this.store.streams(episodeId).map((s) => [s.name, s]));
  }

  requireStream(episodeId: number, streams: Map<string, StreamRow>, name: string): StreamRow {
    const stream = streams.get(name);
    if (stream === undefined || stream.sample_count === 0 || stream.first_t_ns === null || stream.last_t_ns === null) {
      throw new StudioError({
        code: 'failed_precondition',
        message: `episode ${episodeId} has no ${stream === undefined ? '' : 'samples in '}stream "${name}", which the other exported episodes have`,
        fix: `Leave episode ${episodeId} out (e.g. select by --episodes or tag it and use --exclude-tag), or export without that stream (--cameras, --no-depth).`,
      });
    }
    return stream;
  }

  /** The grid over the span every needed stream covers. */
  grid(episodeId: number, names: readonly string[], fps: number): EpisodeGrid {
    const streams = this.streamsOf(episodeId);
    let t0: bigint | null = null;
    let t1: bigint | null = null;
    for (const name of names) {
      const s = this.requireStream(episodeId, streams, name);
      if (t0 === null || s.first_t_ns! > t0) t0 = s.first_t_ns!;
      if (t1 === null || s.last_t_ns! < t1) t1 = s.last_t_ns!;
    }
    if (t0 === null || t1 === null || t1 < t0) {
      throw new StudioError({
        code: 'failed_precondition',
        message: `episode ${episodeId}: its streams do not overlap in time`,
        fix: 'Check the recording with `studio db info`; leave the episode out.',
      });
    }
    const length = Math.floor((Number(t1 - t0) * fps) / 1e9 + 1e-6) + 1;
    return { t0_ns: t0, length, fps };
  }

  /** The grid's instants. */
  gridTimes(grid: EpisodeGrid): bigint[] {
    return Array.from({ length: grid.length }, (_, k) => gridTime(grid, k));
  }

  /**
   * A low-dimensional stream on the grid: values (float64, `dim` per frame) and, per frame, the
   * capture time of the sample used.
   */
  lowdimOnGrid(stream: StreamRow, grid: EpisodeGrid): { values: Float64Array; dim: number; capture_ns: BigInt64Array } {
    return this.lowdimAt(stream, this.gridTimes(grid));
  }

  /** A low-dimensional stream at ascending instants: the newest sample at or before each. */
  lowdimAt(stream: StreamRow, instants: readonly bigint[]): { values: Float64Array; dim: number; capture_ns: BigInt64Array } {
    const dim = stream.shape.reduce((a, b) => a * b, 1);
    if (stream.dtype !== 'float64' && stream.dtype !== 'float32') {
      throw new StudioError({
        code: 'failed_precondition',
        message: `stream "${stream.name}" has dtype ${stream.dtype}; the exporter reads float32/float64 low-dimensional streams`,
      });
    }
    const n = instants.length;
    const last = instants[n - 1] ?? 0n;
    const samples = this.store.range(stream, stream.first_t_ns ?? 0n, last);
    const values = new Float64Array(n * dim);
    const capture = new BigInt64Array(n);
    let j = -1;
    for (let k = 0; k < n; k++) {
      const t = instants[k]!;
      while (j + 1 < samples.length && samples[j + 1]!.t_ns <= t) j++;
      if (j < 0)
        throw new StudioError({
          code: 'failed_precondition',
          message: `stream "${stream.name}" has no sample at or before ${t} ns (the start of the exported window)`,
        });
      const sample = samples[j]!;
      const bytes = sample.value.slice();
      const decoded = stream.dtype === 'float64' ? new Float64Array(bytes.buffer) : new Float32Array(bytes.buffer);
      if (decoded.length !== dim)
        throw new StudioError({
          code: 'failed_precondition',
          message: `stream "${stream.name}" sample at ${sample.t_ns} ns has ${decoded.length} values, expected ${dim}`,
        });
      values.set(decoded, k * dim);
      capture[k] = sample.t_ns;
    }
    return { values, dim, capture_ns: capture };
  }

  /**
   * The recorded actions over export steps that start at `instants` and last `step_ns` each: the
   * motion of every recorded action in a step (`actionsOverSteps`), never the one command in force at
   * its instant. Refuses a stream that does not hold Cartesian actions.
   */
  /** Refuses an episode whose action stream `name` does not hold Cartesian actions (see `requireCartesianActions`). */
  requireCartesianActions(episodeId: number, name: string): void {
    const stream = this.requireStream(episodeId, this.streamsOf(episodeId), name);
    requireCartesianActions(stream, episodeId, this.store.sessionRigConfig(episodeId));
  }

  actionsOnSteps(episodeId: number, stream: StreamRow, instants: readonly bigint[], step_ns: bigint): ActionSteps {
    requireCartesianActions(stream, episodeId, this.store.sessionRigConfig(episodeId));
    if (stream.dtype !== 'float64' && stream.dtype !== 'float32') {
      throw new StudioError({
        code: 'failed_precondition',
        message: `stream "${stream.name}" has dtype ${stream.dtype}; the exporter reads float32/float64 actions`,
      });
    }
    if (instants.length === 0) return { values: new Float64Array(0), capture_ns: new BigInt64Array(0), counts: new Int32Array(0) };
    const samples = this.store.range(stream, stream.first_t_ns ?? 0n, instants[instants.length - 1]! + step_ns).map((sample) => {
      const bytes = sample.value.slice();
      return { t_ns: sample.t_ns, values: stream.dtype === 'float64' ? new Float64Array(bytes.buffer) : new Float32Array(bytes.buffer) };
    });
    const hz = stream.nominal_rate_hz;
    const period = hz !== null && hz > 0 ? BigInt(Math.round(1e9 / hz)) : step_ns;
    return actionsOverSteps(samples, instants, step_ns, period, stream.name);
  }

  /** For every grid frame, the index of the camera frame shown then, plus the capture times. */
  imageIndexOnGrid(stream: StreamRow, grid: EpisodeGrid): { pick: Int32Array; times: bigint[]; capture_ns: BigInt64Array } {
    return this.imageIndexAt(stream, this.gridTimes(grid));
  }

  imageIndexAt(stream: StreamRow, instants: readonly bigint[]): { pick: Int32Array; times: bigint[]; capture_ns: BigInt64Array } {
    const times = this.store.frameTimes(stream);
    const pick = new Int32Array(instants.length);
    const capture = new BigInt64Array(instants.length);
    let j = -1;
    for (let k = 0; k < instants.length; k++) {
      const t = instants[k]!;
      while (j + 1 < times.length && times[j + 1]! <= t) j++;
      if (j < 0)
        throw new StudioError({
          code: 'failed_precondition',
          message: `camera stream "${stream.name}" has no frame at or before ${t} ns (the start of the exported window)`,
        });
      pick[k] = j;
      capture[k] = times[j]!;
    }
    return { pick, times, capture_ns: capture };
  }

  /**
   * The encoded frames for the grid, in grid order (a frame repeats when the camera was slower than the
   * grid), read from SQLite in batches: one batch in memory at a time.
   */
  async *framesOnGrid(stream: StreamRow, pick: Int32Array, times: readonly bigint[], batch = 32): AsyncGenerator<Uint8Array> {
    let cache = new Map<number, Uint8Array>();
    let cacheStart = -1;
    let cacheEnd = -1;
    for (let k = 0; k < pick.length; k++) {
      const index = pick[k]!;
      if (index < cacheStart || index > cacheEnd) {
        const rows = this.store.framesFrom(stream, times[index]!, batch);
        cache = new Map(rows.map((row, i) => [index + i, row.value]));
        cacheStart = index;
        cacheEnd = index + rows.length - 1;
      }
      yield cache.get(index)!;
    }
  }

  /** Events and JSON streams: every value in the window. */
  jsonSamples(stream: StreamRow, t0: bigint, t1: bigint): { t_ns: bigint; value: unknown }[] {
    return this.store.range(stream, t0, t1).map((s) => ({ t_ns: s.t_ns, value: JSON.parse(new TextDecoder().decode(s.value)) as unknown }));
  }
}

export function cameraNamesOf(streams: Iterable<StreamRow>): string[] {
  const names: string[] = [];
  for (const s of streams) {
    const match = /^camera\.(.+)\.color$/.exec(s.name);
    if (match !== null && s.kind === 'image') names.push(match[1]!);
  }
  return names;
}

/** The stream plan of an export from its first episode (the others must match it). */
export function planStreams(
  reader: EpisodeReader,
  firstEpisode: number,
  options: { cameras?: string[]; depth?: boolean; action_source?: 'executed' | 'requested' },
): StreamPlan {
  const streams = reader.streamsOf(firstEpisode);
  const has = (name: string) => (streams.get(name)?.sample_count ?? 0) > 0;
  const imported = [...streams.values()]
    .filter((s) => s.kind === 'lowdim' && s.sample_count > 0)
    .flatMap((s) => {
      const feature = importedFeatureOf(s);
      return feature === null ? [] : [{ feature: feature.lerobot_feature, stream: s.name }];
    });
  if (!has(STREAMS.armQ) && imported.length > 0) {
    // An imported LeRobot episode: its features go back out as they came in, every camera it has.
    if (options.depth === true)
      throw new StudioError({
        code: 'invalid_params',
        message: `episode ${firstEpisode} was imported from a LeRobot dataset and has no depth streams`,
        fix: 'Export it without --depth.',
      });
    const available = cameraNamesOf(streams.values()).filter((c) => has(STREAMS.cameraColor(c)));
    const cameras = options.cameras ?? available;
    for (const camera of cameras) {
      if (!available.includes(camera))
        throw new StudioError({
          code: 'invalid_params',
          message: `camera "${camera}" is not in episode ${firstEpisode}`,
          fix: `Cameras imported there: ${available.join(', ') || 'none'}.`,
        });
    }
    return { state: [], eePose: null, action: '', cameras, depth: false, imported };
  }
  if (!has(STREAMS.armQ)) {
    throw new StudioError({
      code: 'failed_precondition',
      message: `episode ${firstEpisode} has no "${STREAMS.armQ}" samples: there is no robot state to export`,
      fix: 'Select episodes recorded with an arm.',
    });
  }
  const action = options.action_source === 'requested' ? STREAMS.actionRequested : STREAMS.actionExecuted;
  if (!has(action))
    throw new StudioError({
      code: 'failed_precondition',
      message: `episode ${firstEpisode} has no "${action}" samples: there is no action to export`,
      fix: 'Select episodes recorded with actions, or pick the other --action source.',
    });
  const available = cameraNamesOf(streams.values()).filter((c) => has(STREAMS.cameraColor(c)));
  const cameras = options.cameras ?? available;
  for (const camera of cameras) {
    if (!available.includes(camera)) {
      throw new StudioError({
        code: 'invalid_params',
        message: `camera "${camera}" is not in episode ${firstEpisode}`,
        fix: `Cameras recorded there: ${available.join(', ') || 'none'}.`,
      });
    }
  }
  if (options.depth === true) {
    for (const camera of cameras) {
      if (!has(STREAMS.cameraDepth(camera)))
        throw new StudioError({
          code: 'invalid_params',
          message: `camera "${camera}" has no depth stream in episode ${firstEpisode}`,
          fix: 'Export without depth, or choose cameras with depth (--cameras).',
        });
    }
  }
  return {
    state: has(STREAMS.gripperWidth) ? [STREAMS.armQ, STREAMS.gripperWidth] : [STREAMS.armQ],
    eePose: has(STREAMS.armEePose) ? STREAMS.armEePose : null,
    action,
    cameras,
    depth: options.depth === true,
  };
}

export function requiredStreams(plan: StreamPlan, withImages = true): string[] {
  const names = [...plan.state, ...(plan.action !== '' ? [plan.action] : []), ...(plan.imported ?? []).map((f) => f.stream)];
  if (plan.eePose !== null) names.push(plan.eePose);
  if (withImages) {
    for (const camera of plan.cameras) {
      names.push(STREAMS.cameraColor(camera));
      if (plan.depth) names.push(STREAMS.cameraDepth(camera));
    }
  }
  return names;
}

export function plannedEpisode(summary: EpisodeSummary, grid: EpisodeGrid, split: DatasetSplit): PlannedEpisode {
  return {
    id: summary.id,
    task: summary.task,
    outcome: summary.outcome,
    operator: summary.operator,
    tags: summary.tags,
    started_at_unix_ms: summary.started_at_unix_ms,
    split,
    frames: grid.length,
    duration_s: grid.length / grid.fps,
  };
}
