import type { EpisodeOutcome, EpisodeSummary } from '../store/episodeStore';

/**
 * The export's types in one module with no imports from the rest of export/ (so nothing here can
 * form an import cycle): options, selection, the plan, the grid, what a format writer is given and does.
 */

export const EXPORT_FORMATS = ['lerobot', 'lerobot-v2.1', 'robomimic', 'gwm'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const VIDEO_CODECS = ['libsvtav1', 'h264'] as const;
export type VideoCodec = (typeof VIDEO_CODECS)[number];

/** Which recorded episodes go into an export. Every filter narrows; unset filters keep everything. */
export interface Selection {
  /** Explicit episode ids (still filtered by the others). */
  episode_ids?: number[];
  outcomes?: EpisodeOutcome[];
  /** Episodes carrying at least one of these tags. */
  tags?: string[];
  /** Episodes carrying none of these tags. */
  exclude_tags?: string[];
  /** Exact task strings. */
  tasks?: string[];
  operators?: string[];
  /** Wall-clock start, inclusive bounds (Unix ms). */
  from_unix_ms?: number;
  to_unix_ms?: number;
  /** Include interrupted episodes too (saved ones always are; discarded never). */
  include_interrupted?: boolean;
}

export interface ExportOptions {
  format: ExportFormat;
  dataDir: string;
  /** The dataset directory (LeRobot, GWM) or `.hdf5` file (robomimic) to create. Must not exist. */
  out: string;
  selection?: Selection;
  /** Camera names (`front`, not `camera.front.color`); default every camera of the first episode. */
  cameras?: string[];
  /** Dataset frame rate; default the first episode's target fps (rounded). */
  fps?: number;
  /** Fraction of episodes for validation, by a deterministic shuffle (default 0 = none). */
  valid_fraction?: number;
  /** Fraction of episodes held out for testing, from the same shuffle (default 0 = none). */
  test_fraction?: number;
  /** Seed of the train/valid/test shuffle. */
  split_seed?: number;
  /** Only plan: list what would be exported; nothing is written. */
  dry_run?: boolean;
  /** `action` feature source: what the arm received (default) or what the operator asked for. */
  action_source?: 'executed' | 'requested';
  robot_type?: string;
  // ---- LeRobot ----
  vcodec?: VideoCodec;
  /** Constant rate factor for the video encoder (default 30, LeRobot's). */
  crf?: number;
  /** libx264 preset for `h264` (default superfast; veryfast is smaller and ~20 % slower, ultrafast ~35 % faster and ~50 % larger). */
  h264_preset?: 'ultrafast' | 'superfast' | 'veryfast' | 'faster' | 'fast' | 'medium';
  /** Keyframe interval (default 2, LeRobot's: fast random access). */
  gop?: number;
  /** Also export depth (`camera.<name>.depth`) as 12-bit lossless HEVC per LeRobot 0.6 (v3 only). */
  depth?: boolean;
  data_file_size_mb?: number;
  video_file_size_mb?: number;
  chunks_size?: number;
  /** ffmpeg threads per encoder (default: let ffmpeg decide). */
  encoder_threads?: number;
  // ---- robomimic ----
  /** Image size for robomimic obs, e.g. [84, 84] (width, height); default 84×84. */
  image_size?: [number, number];
  // ---- GWM ----
  gwm?: { control_hz?: number; chunk_length?: number; frame_hz?: number; include_moving_cameras?: boolean };
}

export interface ExportProgress {
  phase: 'planning' | 'episodes' | 'finalizing' | 'done';
  /** Frames written so far and in total (dataset frames at the export fps). */
  done_frames: number;
  total_frames: number;
  done_episodes: number;
  total_episodes: number;
  elapsed_s: number;
  /** Estimated seconds left; null until something has been measured. */
  eta_s: number | null;
  /** The episode being written (store id). */
  episode_id: number | null;
}

export interface PlannedEpisode {
  id: number;
  task: string;
  outcome: EpisodeOutcome;
  operator: string;
  tags: string[];
  started_at_unix_ms: number;
  split: DatasetSplit;
  /** Frames on the export grid. */
  frames: number;
  duration_s: number;
}

export interface ExportSummary {
  format: ExportFormat;
  out: string;
  dry_run: boolean;
  fps: number;
  cameras: string[];
  episodes: PlannedEpisode[];
  total_frames: number;
  tasks: string[];
  /** Bytes written (0 for a dry run). */
  bytes: number;
  elapsed_s: number;
  /** Dataset frames per second of wall time. */
  frames_per_s: number;
  /** Seconds of recording exported per second of wall time. */
  real_time_factor: number;
  warnings: string[];
  /** The written dataset checked as its loader would (`validateDataset`); absent for a dry run. */
  validation?: { ok: boolean; episodes: number; frames: number; problems: string[] };
}

export interface ExportHandlers {
  onProgress?: (progress: ExportProgress) => void;
  signal?: AbortSignal;
}

/** Episodes are split by episode, never by frame; datasets list train, then valid, then test. */
export type DatasetSplit = 'train' | 'valid' | 'test';
export const DATASET_SPLITS: readonly DatasetSplit[] = ['train', 'valid', 'test'];

export interface EpisodeGrid {
  /** First grid instant: the latest first sample over the streams the export needs. */
  t0_ns: bigint;
  length: number;
  fps: number;
}

/** The streams an export reads, by role; names are recorder stream names. */
export interface StreamPlan {
  state: string[];
  eePose: string | null;
  action: string;
  cameras: string[];
  depth: boolean;
  /**
   * Episodes imported from a LeRobot dataset have no arm streams: their features go back out as they
   * came in (`importedStreams.ts`), the stream of each by feature key. Absent for recorded episodes.
   */
  imported?: { feature: string; stream: string }[];
}

/** One episode as a format writer receives it: its place in the dataset, its grid and task. */
export interface EpisodeInput {
  index: number;
  summary: EpisodeSummary;
  grid: EpisodeGrid;
  taskIndex: number;
}

/** What every format writer does: episodes in order, then a finish that makes the output complete. */
export interface FormatWriter {
  bytes: number;
  prepare?(inputs: readonly EpisodeInput[], signal: AbortSignal | undefined): Promise<void>;
  addEpisode(input: EpisodeInput, signal: AbortSignal | undefined, onFrames: (frames: number) => void): Promise<void>;
  finish(signal: AbortSignal | undefined): Promise<void>;
  abort(): void;
}
