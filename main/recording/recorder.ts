import { hostname } from 'node:os';
import { StudioError } from '../../shared/api/errors';
import type { Unsubscribe } from '../../shared/api/transport';
import { Emitter } from '../../shared/base/emitter';
import type { Clock } from '../devices/types';
import type { StreamDef } from './streamDef';
import type { WriterClient } from './writerClient';
import type { CommitInfo, WriterFailure, WriterOp } from '../store/writeOps';

export type RecorderPhase = 'idle' | 'recording' | 'stopped' | 'resetting' | 'failed';
export type Outcome = 'success' | 'failure' | 'unknown';
/**
 * Why a take stopped: the operator, its maximum duration, the e-stop latching mid-take, or the rig
 * stopping under it (rig.stop, a new rig config applied, the studio closing).
 */
export type StopReason = 'operator' | 'max_duration' | 'estop' | 'rig_stopped';

/** The tag a take saved without the operator carries: why it stopped (e.g. `stop_reason:rig_stopped`). */
export const stopReasonTag = (reason: StopReason): string => `stop_reason:${reason}`;

export interface StreamStats {
  samples: number;
  dropped: number;
  late: number;
}

/** What the UI shows live: nothing about dropped or late data is hidden. */
export interface RecorderStatus {
  phase: RecorderPhase;
  session_id: number | null;
  episode_id: number | null;
  /** Episodes saved in this session so far. */
  saved_count: number;
  task: string;
  elapsed_s: number;
  reset_remaining_s: number | null;
  /** Why the current take stopped, while it waits to be saved or discarded; null otherwise. */
  stop_reason: StopReason | null;
  streams: Record<string, StreamStats>;
  /** Capture → committed, of the most recent commit's oldest sample. */
  durable_lag_ms: number | null;
  /** Ops handed to the writer and not yet committed. */
  queued_ops: number;
  failure: WriterFailure | null;
}

export interface EpisodeOptions {
  task: string;
  target_fps_hz: number;
  max_duration_s?: number;
  streams: StreamDef[];
  /** Tags stored with the episode from its start (e.g. the policy variant that produced it). */
  tags?: readonly string[];
  /**
   * Where the episode starts on its sources' capture clock, when that is not the studio clock now: a
   * simulation run faster than real time stamps samples ahead of the wall clock, and an episode
   * measured from the wall clock would last as long as every episode before it together.
   */
  origin_ns?: bigint;
}

export interface SessionOptions {
  operator: string;
  rig_name: string;
  rig_config_json: string;
  app_version: string;
}

interface StreamState {
  id: number;
  def: StreamDef;
  period_ns: bigint | null;
  last_t_ns: bigint | null;
  stats: StreamStats;
  unflushed_dropped: number;
  unflushed_late: number;
}

export interface RecorderOptions {
  writer: WriterClient;
  clock: Clock;
  /** Samples older than this on arrival count as late (they are still stored). */
  late_after_ms?: number;
  /** How much the recorder batches before handing ops to the writer. */
  flush_interval_ms?: number;
  /** A flush happens early when this many bytes are pending. */
  flush_bytes?: number;
}

/**
 * Records episodes: the session and episode lifecycle (start, stop, save, discard, re-record, reset
 * phase, maximum duration) around a stream of timestamped samples. Samples keep their capture times;
 * nothing is resampled or dropped here (a sample whose time does not advance is refused and counted
 * as late). Batches go to the one store writer every `flush_interval_ms`, so a crash costs at most
 * the last flush. The owner calls `tick()` from its loop; timers are not used, which keeps tests exact.
 */
export class Recorder {
  private phase: RecorderPhase = 'idle';
  private sessionId: number | null = null;
  private episodeId: number | null = null;
  private episode: EpisodeOptions | null = null;
  private episodeStartNs = 0n;
  /** When the take in hand stopped (studio clock): its length is what the clock shows after Stop. */
  private episodeStopNs: bigint | null = null;
  private resetUntilNs: bigint | null = null;
  private stopReason: StopReason | null = null;
  private savedCount = 0;
  private streams = new Map<string, StreamState>();
  private pending: WriterOp[] = [];
  private pendingBytes = 0;
  private lastFlushNs = 0n;
  private sentOps = 0;
  private committedOps = 0;
  private durableLagMs: number | null = null;
  private failure: WriterFailure | null = null;
  private readonly statusChanged = new Emitter<RecorderStatus>();
  private readonly committed = new Emitter<{ info: CommitInfo; committedAtNs: bigint }>();
  private readonly offWriter: Unsubscribe[];
  private readonly lateAfterNs: bigint;
  private readonly flushIntervalNs: bigint;
  private readonly flushBytes: number;

  constructor(private readonly options: RecorderOptions) {
    this.lateAfterNs = BigInt(Math.round((options.late_after_ms ?? 250) * 1e6));
    this.flushIntervalNs = BigInt(Math.round((options.flush_interval_ms ?? 50) * 1e6));
    this.flushBytes = options.flush_bytes ?? 8 * 1024 * 1024;
    this.offWriter = [
      options.writer.onCommit((info) => {
        const now = options.clock.now_ns();
        this.committedOps += info.ops;
        if (info.oldest_capture_ns !== null) this.durableLagMs = Number(now - info.oldest_capture_ns) / 1e6;
        this.committed.fire({ info, committedAtNs: now });
      }),
      options.writer.onFatal((failure) => {
        this.failure = failure;
        this.phase = 'failed';
        this.pending = [];
        this.emit();
      }),
    ];
  }

  // ---- session --------------------------------------------------------------------------------

  async startSession(options: SessionOptions): Promise<number> {
    this.sessionId = await this.options.writer.call({
      call: 'startSession',
      started_at_unix_ms: Date.now(),
      ...options,
      writer_pid: process.pid,
      writer_host: hostname(),
    });
    this.savedCount = 0;
    this.emit();
    return this.sessionId;
  }

  /** Continues an earlier session (e.g. after a restart); its interrupted episodes stay for the user to decide. */
  async resumeSession(sessionId: number): Promise<void> {
    this.sessionId = await this.options.writer.call({
      call: 'resumeSession',
      session_id: sessionId,
      writer_pid: process.pid,
      writer_host: hostname(),
    });
    this.emit();
  }

  /**
   * Ends the session. A take still recording, or stopped and waiting to be saved or discarded, is kept:
   * saved by `keepEpisode` (`reason` is why a take still recording stops). Nothing recorded is thrown
   * away without the operator saying so.
   */
  async endSession(reason: StopReason = 'rig_stopped'): Promise<void> {
    await this.keepEpisode(reason);
    if (this.sessionId !== null)
      await this.options.writer.call({ call: 'endSession', session_id: this.sessionId, ended_at_unix_ms: Date.now() });
    this.sessionId = null;
    this.phase = 'idle';
    this.emit();
  }

  // ---- episode lifecycle ----------------------------------------------------------------------

  async startEpisode(episode: EpisodeOptions): Promise<number> {
    this.ensureNotFailed();
    if (this.sessionId === null)
      throw new StudioError({ code: 'failed_precondition', message: 'no recording session is open', fix: 'Start a session first.' });
    if (this.phase === 'recording' || this.phase === 'stopped') {
      throw new StudioError({
        code: 'failed_precondition',
        message: `episode ${this.episodeId} is still ${this.phase === 'recording' ? 'recording' : 'waiting to be saved or discarded'}`,
      });
    }
    const names = new Set<string>();
    for (const stream of episode.streams) {
      if (names.has(stream.name)) throw new StudioError({ code: 'invalid_params', message: `stream "${stream.name}" is declared twice` });
      names.add(stream.name);
    }
    const startNs = this.options.clock.now_ns();
    const { episode_id, stream_ids } = await this.options.writer.call({
      call: 'startEpisode',
      session_id: this.sessionId,
      task: episode.task,
      started_at_unix_ms: Date.now(),
      start_ns: episode.origin_ns ?? startNs,
      tags: [...(episode.tags ?? [])],
      target_fps_hz: episode.target_fps_hz,
      max_duration_s: episode.max_duration_s ?? null,
      streams: episode.streams,
    });
    this.episodeId = episode_id;
    this.episode = episode;
    this.episodeStartNs = startNs;
    this.episodeStopNs = null;
    this.resetUntilNs = null;
    this.streams = new Map(
      episode.streams.map((def) => [
        def.name,
        {
          id: stream_ids[def.name]!,
          def,
          period_ns: def.nominal_rate_hz !== undefined && def.nominal_rate_hz > 0 ? BigInt(Math.round(1e9 / def.nominal_rate_hz)) : null,
          last_t_ns: null,
          stats: { samples: 0, dropped: 0, late: 0 },
          unflushed_dropped: 0,
          unflushed_late: 0,
        },
      ]),
    );
    this.lastFlushNs = startNs;
    this.phase = 'recording';
    this.emit();
    return episode_id;
  }

  /**
   * Stores one sample or frame (by stream kind). Never drops for load: if the writer cannot keep up,
   * memory grows and `queued_ops` shows it. Returns false only for samples that cannot be stored
   * (not recording, or a capture time that does not advance), which are counted.
   */
  record(streamName: string, t_ns: bigint, value: Uint8Array): boolean {
    if (this.phase !== 'recording') return false;
    const stream = this.streams.get(streamName);
    if (stream === undefined)
      throw new StudioError({
        code: 'invalid_params',
        message: `stream "${streamName}" was not declared when episode ${this.episodeId} started`,
      });
    const late =
      stream.last_t_ns !== null && t_ns <= stream.last_t_ns
        ? 'refused'
        : this.options.clock.now_ns() - t_ns > this.lateAfterNs
          ? 'stored'
          : null;
    if (late !== null) {
      stream.stats.late += 1;
      stream.unflushed_late += 1;
      if (late === 'refused') return false;
    }
    if (stream.last_t_ns !== null) {
      // A gap of more than 1.5 periods means frames the source never delivered.
      if (stream.period_ns !== null && (t_ns - stream.last_t_ns) * 2n > stream.period_ns * 3n) {
        const missing = Number((t_ns - stream.last_t_ns + stream.period_ns / 2n) / stream.period_ns) - 1;
        stream.stats.dropped += missing;
        stream.unflushed_dropped += missing;
      }
    }
    stream.last_t_ns = t_ns;
    stream.stats.samples += 1;
    this.pending.push(
      stream.def.kind === 'image'
        ? { op: 'frame', stream_id: stream.id, t_ns, data: value }
        : { op: 'sample', stream_id: stream.id, t_ns, value },
    );
    this.pendingBytes += value.byteLength;
    if (this.pendingBytes >= this.flushBytes) this.flush();
    return true;
  }

  /** For sources that know they missed frames (a camera's sequence numbers). */
  markDropped(streamName: string, count: number): void {
    const stream = this.streams.get(streamName);
    if (stream === undefined || count <= 0) return;
    stream.stats.dropped += count;
    stream.unflushed_dropped += count;
  }

  async stopEpisode(reason: StopReason = 'operator'): Promise<void> {
    if (this.phase !== 'recording') return;
    this.flush();
    const endNs = this.maxRecordedNs() ?? this.options.clock.now_ns();
    this.phase = 'stopped';
    this.stopReason = reason;
    this.episodeStopNs = this.options.clock.now_ns();
    await this.options.writer.call({ call: 'endEpisode', episode_id: this.episodeId!, end_ns: endNs });
    this.emit();
  }

  async saveEpisode(outcome: Outcome = 'unknown'): Promise<number> {
    const id = await this.finishEpisode('saved', outcome);
    this.savedCount += 1;
    this.emit();
    return id;
  }

  /**
   * Keeps the take in progress without the operator: a take still recording is stopped with `reason`,
   * then saved with outcome `unknown` and the tag `stop_reason:<why it stopped>` (so it can be found,
   * labelled or deleted later). Returns its id, or null when there was no take to keep.
   */
  async keepEpisode(reason: StopReason): Promise<number | null> {
    if (this.phase === 'recording') await this.stopEpisode(reason);
    if (this.phase !== 'stopped') return null;
    const id = await this.finishEpisode('saved', 'unknown', [stopReasonTag(this.stopReason ?? reason)]);
    this.savedCount += 1;
    this.emit();
    return id;
  }

  async discardEpisode(): Promise<number> {
    return this.finishEpisode('discarded');
  }

  /** Throws the current take away and starts a new one with the same task and streams. */
  async rerecordEpisode(): Promise<number> {
    const episode = this.episode;
    if (episode === null) throw new StudioError({ code: 'failed_precondition', message: 'there is no episode to re-record' });
    await this.discardEpisode();
    return this.startEpisode(episode);
  }

  /** The unrecorded reset phase between episodes, with a countdown. */
  startReset(duration_s: number): void {
    if (this.phase === 'recording' || this.phase === 'stopped')
      throw new StudioError({ code: 'failed_precondition', message: 'save or discard the episode before the reset phase' });
    this.phase = 'resetting';
    this.resetUntilNs = this.options.clock.now_ns() + BigInt(Math.round(duration_s * 1e9));
    this.emit();
  }

  /**
   * Call from the owner's loop: flushes on schedule, stops an episode at its maximum duration, ends
   * the reset phase. Returns what happened so the owner can react (e.g. start the next episode).
   */
  async tick(): Promise<'max-duration' | 'reset-done' | null> {
    const now = this.options.clock.now_ns();
    if (this.phase === 'recording') {
      if (now - this.lastFlushNs >= this.flushIntervalNs) this.flush();
      const max = this.episode?.max_duration_s;
      if (max !== undefined && now - this.episodeStartNs >= BigInt(Math.round(max * 1e9))) {
        await this.stopEpisode('max_duration');
        return 'max-duration';
      }
    } else if (this.phase === 'resetting' && this.resetUntilNs !== null && now >= this.resetUntilNs) {
      this.phase = 'idle';
      this.resetUntilNs = null;
      this.emit();
      return 'reset-done';
    }
    return null;
  }

  /** Hands everything pending to the writer now. */
  flush(): void {
    const counts: WriterOp[] = [];
    for (const stream of this.streams.values()) {
      if (stream.unflushed_dropped === 0 && stream.unflushed_late === 0) continue;
      counts.push({ op: 'counts', stream_id: stream.id, dropped: stream.unflushed_dropped, late: stream.unflushed_late });
      stream.unflushed_dropped = 0;
      stream.unflushed_late = 0;
    }
    const ops = this.pending.concat(counts);
    this.pending = [];
    this.pendingBytes = 0;
    this.lastFlushNs = this.options.clock.now_ns();
    if (ops.length === 0 || this.phase === 'failed') return;
    this.sentOps += ops.length;
    this.options.writer.write(ops);
  }

  /** Resolves when everything recorded so far is committed. */
  async sync(): Promise<void> {
    this.flush();
    await this.options.writer.call({ call: 'sync' });
  }

  status(): RecorderStatus {
    const streams: Record<string, StreamStats> = {};
    for (const [name, stream] of this.streams) streams[name] = { ...stream.stats };
    const now = this.options.clock.now_ns();
    return {
      phase: this.phase,
      session_id: this.sessionId,
      episode_id: this.episodeId,
      saved_count: this.savedCount,
      task: this.episode?.task ?? '',
      elapsed_s:
        this.phase === 'recording'
          ? Number(now - this.episodeStartNs) / 1e9
          : this.phase === 'stopped' && this.episodeStopNs !== null
            ? Number(this.episodeStopNs - this.episodeStartNs) / 1e9
            : 0,
      reset_remaining_s: this.resetUntilNs === null ? null : Math.max(0, Number(this.resetUntilNs - now) / 1e9),
      stop_reason: this.phase === 'stopped' ? this.stopReason : null,
      streams,
      durable_lag_ms: this.durableLagMs,
      queued_ops: this.sentOps - this.committedOps + this.pending.length,
      failure: this.failure,
    };
  }

  /** The rate each stream of the current (or last) take was declared at, by name; null where none was. */
  declaredRates(): Map<string, number | null> {
    return new Map([...this.streams].map(([name, stream]) => [name, stream.def.nominal_rate_hz ?? null]));
  }

  onStatus(listener: (status: RecorderStatus) => void): Unsubscribe {
    return this.statusChanged.event(listener);
  }

  /** Every commit with the time it was observed: benches turn this into capture → durable latency. */
  onCommit(listener: (info: CommitInfo, committedAtNs: bigint) => void): Unsubscribe {
    return this.committed.event(({ info, committedAtNs }) => listener(info, committedAtNs));
  }

  dispose(): void {
    for (const off of this.offWriter) off();
    this.statusChanged.dispose();
    this.committed.dispose();
  }

  private async finishEpisode(status: 'saved' | 'discarded', outcome?: Outcome, tags?: string[]): Promise<number> {
    if (this.phase !== 'recording' && this.phase !== 'stopped' && !(this.phase === 'failed' && this.episodeId !== null)) {
      throw new StudioError({
        code: 'failed_precondition',
        message: 'there is no episode to save or discard',
        fix: 'Start an episode first.',
      });
    }
    if (this.phase === 'recording') await this.stopEpisode();
    const id = this.episodeId!;
    await this.options.writer.call({
      call: 'setStatus',
      episode_id: id,
      status,
      ...(outcome !== undefined ? { outcome } : {}),
      ...(tags !== undefined ? { tags } : {}),
    });
    if (this.phase !== 'failed') this.phase = 'idle';
    this.episodeId = null;
    this.emit();
    return id;
  }

  private maxRecordedNs(): bigint | null {
    let max: bigint | null = null;
    for (const stream of this.streams.values())
      if (stream.last_t_ns !== null && (max === null || stream.last_t_ns > max)) max = stream.last_t_ns;
    return max;
  }

  private ensureNotFailed(): void {
    if (this.failure !== null)
      throw new StudioError({
        code: 'failed_precondition',
        message: this.failure.message,
        ...(this.failure.fix !== undefined ? { fix: this.failure.fix } : {}),
      });
  }

  private emit(): void {
    if (this.statusChanged.hasListeners) this.statusChanged.fire(this.status());
  }
}
