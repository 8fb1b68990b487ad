/**
 * A stream as the store declares it when an episode starts (`recording/streamDef.ts`'s `StreamDef`
 * narrows the types). Low-dimensional values are stored as raw little-endian bytes, events as UTF-8
 * JSON, images as encoded files.
 */
export interface StreamDecl {
  name: string;
  kind: 'lowdim' | 'image' | 'event';
  dtype: string;
  shape: readonly number[];
  names?: readonly string[];
  unit?: string;
  encoding?: string;
  nominal_rate_hz?: number;
  meta?: Record<string, unknown>;
}

/**
 * What the store writer applies, the one writer of recordings. Everything is structured-clone
 * safe so the same messages go to a worker thread or to an in-thread writer. Ops and calls are applied
 * in the order they were sent.
 */
export type WriterOp =
  | { op: 'sample'; stream_id: number; t_ns: bigint; value: Uint8Array }
  | { op: 'frame'; stream_id: number; t_ns: bigint; data: Uint8Array }
  | { op: 'counts'; stream_id: number; dropped: number; late: number };

export type WriterCall =
  | {
      call: 'startSession';
      started_at_unix_ms: number;
      operator: string;
      rig_name: string;
      rig_config_json: string;
      app_version: string;
      writer_pid: number;
      writer_host: string;
    }
  | { call: 'resumeSession'; session_id: number; writer_pid: number; writer_host: string }
  | { call: 'endSession'; session_id: number; ended_at_unix_ms: number }
  | {
      call: 'startEpisode';
      session_id: number;
      task: string;
      started_at_unix_ms: number;
      start_ns: bigint;
      tags?: string[];
      target_fps_hz: number;
      max_duration_s: number | null;
      streams: StreamDecl[];
    }
  | { call: 'endEpisode'; episode_id: number; end_ns: bigint }
  /** `tags` are added to the episode in the same transaction (e.g. why a take kept without the operator stopped). */
  | { call: 'setStatus'; episode_id: number; status: 'saved' | 'discarded'; outcome?: 'success' | 'failure' | 'unknown'; tags?: string[] }
  /** Resolves once everything sent before it is committed. */
  | { call: 'sync' }
  /** Marks 'recording' episodes whose writer process is gone as 'interrupted'; returns their ids. */
  | { call: 'recoverInterrupted'; alive: number[] };

export interface StartEpisodeResult {
  episode_id: number;
  stream_ids: Record<string, number>;
}

export type WriterCallResult<C extends WriterCall> = C extends { call: 'startSession' | 'resumeSession' }
  ? number
  : C extends { call: 'startEpisode' }
    ? StartEpisodeResult
    : C extends { call: 'recoverInterrupted' }
      ? number[]
      : null;

/** What each commit made durable; the recorder turns it into latency figures. */
export interface CommitInfo {
  ops: number;
  /** Oldest and newest capture times among the committed samples and frames. */
  oldest_capture_ns: bigint | null;
  newest_capture_ns: bigint | null;
  bytes: number;
  duration_ms: number;
}

export interface WriterFailure {
  message: string;
  fix?: string;
}
