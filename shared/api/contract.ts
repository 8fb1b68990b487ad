import { z } from 'zod';
import { rigConfigSchema } from '../rig/rigConfig';

/**
 * StudioApi: every call, event and stream the UI uses, in one place. The main-side router, the Electron
 * preload, the IPC transport and the WebSocket client are all derived from these tables, and a contract
 * test fails if any of them lacks an entry. Payloads are validated with these schemas where they enter
 * the core; the renderer trusts the core.
 *
 * Naming: methods are `namespace.verb`; events are `namespace.noun`; fields carry units (`_ns`, `_m`).
 */

const empty = z.strictObject({});

function method<P extends z.ZodType, R extends z.ZodType>(def: { summary: string; params: P; result: R }) {
  return def;
}

// ---- payload schemas ------------------------------------------------------------------------------

export const appInfoSchema = z.object({
  name: z.string(),
  version: z.string(),
  /** Which front door this core was started from. */
  mode: z.enum(['electron', 'web', 'cli']),
  platform: z.string(),
  node_version: z.string(),
  data_dir: z.string(),
  database_path: z.string(),
  schema_version: z.number().int(),
  started_at_unix_ms: z.number(),
});
export type AppInfo = z.infer<typeof appInfoSchema>;

export const rigSnapshotSchema = z.object({
  /** Where the config came from: a file path, or `built-in:<name>` for the shipped default. */
  source: z.string(),
  config: rigConfigSchema,
});
export type RigSnapshot = z.infer<typeof rigSnapshotSchema>;

export const rigValidationSchema = z.object({
  ok: z.boolean(),
  issues: z.array(z.object({ path: z.string(), message: z.string() })),
});
export type RigValidation = z.infer<typeof rigValidationSchema>;

export const coreStatusSchema = z.object({
  state: z.enum(['starting', 'ready', 'stopping']),
  message: z.string().optional(),
});
export type CoreStatus = z.infer<typeof coreStatusSchema>;

// ---- episodes ------------------------------------------------------------------------------------

/** Monotonic nanoseconds as a decimal string: JSON numbers cannot hold them exactly. */
export const nsSchema = z.string().regex(/^-?\d+$/, { message: 'expected integer nanoseconds as a decimal string' });
const episodeId = z.number().int().positive();
const outcomeSchema = z.enum(['success', 'failure', 'unknown']);
const statusSchema = z.enum(['recording', 'saved', 'discarded', 'interrupted']);

export const episodeSummarySchema = z.object({
  id: z.number().int(),
  session_id: z.number().int(),
  task: z.string(),
  status: statusSchema,
  outcome: outcomeSchema,
  operator: z.string(),
  started_at_unix_ms: z.number(),
  duration_s: z.number(),
  frames: z.number().int(),
  dropped: z.number().int(),
  late: z.number().int(),
  tags: z.array(z.string()),
  delete_requested: z.boolean(),
});
export type EpisodeSummary = z.infer<typeof episodeSummarySchema>;

export const episodeFilterSchema = z.strictObject({
  status: z.array(statusSchema).optional(),
  outcome: z.array(outcomeSchema).optional(),
  task_contains: z.string().optional(),
  tag: z.string().optional(),
  operator: z.string().optional(),
  since_unix_ms: z.number().optional(),
  until_unix_ms: z.number().optional(),
  min_duration_s: z.number().optional(),
  max_duration_s: z.number().optional(),
});
export type EpisodeFilter = z.infer<typeof episodeFilterSchema>;

export const streamInfoSchema = z.object({
  name: z.string(),
  kind: z.enum(['lowdim', 'image', 'event']),
  dtype: z.string(),
  shape: z.array(z.number().int()),
  names: z.array(z.string()).nullable(),
  unit: z.string().nullable(),
  encoding: z.string().nullable(),
  nominal_rate_hz: z.number().nullable(),
  sample_count: z.number().int(),
  dropped: z.number().int(),
  late: z.number().int(),
  first_t_ns: nsSchema.nullable(),
  last_t_ns: nsSchema.nullable(),
  /** What the recorder declared with the stream (camera calibration, simulated objects' size and colour...). */
  meta: z.record(z.string(), z.unknown()).nullable(),
});

export const segmentSchema = z.object({ id: z.number().int(), label: z.string(), start_ns: nsSchema, end_ns: nsSchema });
export type SegmentInfo = z.infer<typeof segmentSchema>;

export const episodeDetailSchema = z.object({
  episode: episodeSummarySchema,
  notes: z.string(),
  streams: z.array(streamInfoSchema),
  segments: z.array(segmentSchema),
});
export type EpisodeDetail = z.infer<typeof episodeDetailSchema>;

// ---- live rig: devices, control, recording ----------------------------------------------------

const vec3Schema = z.tuple([z.number(), z.number(), z.number()]);
const quatSchema = z.tuple([z.number(), z.number(), z.number(), z.number()]);

export const deviceStatusSchema = z.object({
  name: z.string(),
  kind: z.enum(['arm', 'gripper', 'teleop', 'camera']),
  type: z.string(),
  connected: z.boolean(),
  error: z.object({ message: z.string(), fix: z.string().optional() }).optional(),
});

export const rigStatusSchema = z.object({
  /** `stopped` until the rig's devices are connected; `failed` with `error` when they could not be. */
  state: z.enum(['stopped', 'starting', 'running', 'failed']),
  error: z.object({ message: z.string(), fix: z.string().optional() }).optional(),
  simulated: z.boolean(),
  devices: z.array(deviceStatusSchema),
  control: z.object({
    rate_hz: z.number(),
    estopped: z.boolean(),
    /** Why the e-stop engaged by itself (a command the arm did not take), until it is released. */
    fault: z.string().nullable(),
    cycles: z.number().int(),
    jitter_ms_p99: z.number(),
    overruns: z.number().int(),
  }),
});
export type RigStatus = z.infer<typeof rigStatusSchema>;

/** Robot state at display rate, for the 3D view and live plots. */
export const robotStateSchema = z.object({
  t_ns: nsSchema,
  q_rad: z.array(z.number()),
  ee_position_m: vec3Schema,
  ee_quaternion_wxyz: quatSchema,
  gripper_width_m: z.number().nullable(),
  /** The last commanded end-effector motion (Δ per control period) after safety. */
  commanded_translation_m: vec3Schema,
  clip_reasons: z.array(z.string()),
  estopped: z.boolean(),
  teleop_age_ms: z.number().nullable(),
  /** Simulator ground truth for drawing the scene (sim rigs only). */
  objects: z.array(
    z.object({ name: z.string(), position_m: vec3Schema, quaternion_wxyz: quatSchema, rgb: vec3Schema, size_m: z.number() }),
  ),
  target: z.object({ center_m: vec3Schema, half_extent_m: z.number() }).nullable(),
});
export type RobotState = z.infer<typeof robotStateSchema>;

export const recordingStatusSchema = z.object({
  phase: z.enum(['idle', 'recording', 'stopped', 'resetting', 'failed']),
  session_id: z.number().int().nullable(),
  episode_id: z.number().int().nullable(),
  saved_count: z.number().int(),
  task: z.string(),
  /** Recording: time since the start; stopped: the take's length (the clock freezes at Stop). */
  elapsed_s: z.number(),
  max_duration_s: z.number().nullable(),
  reset_remaining_s: z.number().nullable(),
  /**
   * Why the take stopped while it waits to be saved or discarded (`estop`: the e-stop latched mid-take;
   * `rig_stopped`: the rig stopped under it and the take is being saved with that tag; what was recorded is kept).
   */
  stop_reason: z.enum(['operator', 'max_duration', 'estop', 'rig_stopped']).nullable(),
  /**
   * The take in hand (recording or stopped), per stream, with the rate it was declared at; empty
   * between takes (counts are per take; a saved take's stay with it in episodes.get).
   */
  streams: z.record(
    z.string(),
    z.object({ samples: z.number().int(), dropped: z.number().int(), late: z.number().int(), nominal_hz: z.number().nullable() }),
  ),
  durable_lag_ms: z.number().nullable(),
  queued_ops: z.number().int(),
  failure: z.object({ message: z.string(), fix: z.string().optional() }).nullable(),
});
export type RecordingStatus = z.infer<typeof recordingStatusSchema>;

const optionalString = z.string().optional();
export const discoverySchema = z.object({
  hid: z.array(
    z.object({
      kind: z.enum(['spacemouse', 'game-controller']),
      name: z.string(),
      vendor_id: z.string(),
      product_id: z.string(),
      path: optionalString,
      teleop_type: optionalString,
    }),
  ),
  serial: z.array(
    z.object({
      path: z.string(),
      manufacturer: optionalString,
      serial_number: optionalString,
      vendor_id: optionalString,
      product_id: optionalString,
      by_id: optionalString,
    }),
  ),
  cameras: z.array(
    z.object({
      path: z.string(),
      name: optionalString,
      index: z.number().optional(),
      vendor_id: optionalString,
      product_id: optionalString,
      by_id: z.array(z.string()),
      camera_type: z.enum(['uvc', 'realsense']).optional(),
    }),
  ),
  problems: z.array(z.string()),
});
export type Discovery = z.infer<typeof discoverySchema>;

// ---- export -----------------------------------------------------------------------------------

export const exportFormats = ['lerobot', 'lerobot-v2.1', 'robomimic', 'gwm'] as const;

export const exportRequestSchema = z.strictObject({
  format: z.enum(exportFormats),
  /** The dataset directory (or robomimic .hdf5 file) to create; must not exist yet. */
  out: z.string().min(1),
  selection: z
    .strictObject({
      episode_ids: z.array(z.number().int()).optional(),
      outcomes: z.array(outcomeSchema).optional(),
      tags: z.array(z.string()).optional(),
      exclude_tags: z.array(z.string()).optional(),
      tasks: z.array(z.string()).optional(),
      operators: z.array(z.string()).optional(),
      from_unix_ms: z.number().optional(),
      to_unix_ms: z.number().optional(),
      include_interrupted: z.boolean().optional(),
    })
    .optional(),
  cameras: z.array(z.string()).optional(),
  fps: z.number().positive().max(1000).optional(),
  valid_fraction: z.number().min(0).max(0.9).optional(),
  test_fraction: z.number().min(0).max(0.9).optional(),
  vcodec: z.enum(['libsvtav1', 'h264']).optional(),
  depth: z.boolean().optional(),
  dry_run: z.boolean().optional(),
});
export type ExportRequest = z.infer<typeof exportRequestSchema>;

export const exportJobSchema = z.object({
  id: z.number().int(),
  format: z.enum(exportFormats),
  out: z.string(),
  state: z.enum(['running', 'done', 'failed', 'cancelled']),
  progress: z
    .object({
      phase: z.enum(['planning', 'episodes', 'finalizing', 'done']),
      done_frames: z.number(),
      total_frames: z.number(),
      done_episodes: z.number(),
      total_episodes: z.number(),
      elapsed_s: z.number(),
      eta_s: z.number().nullable(),
      episode_id: z.number().nullable(),
    })
    .nullable(),
  summary: z
    .object({
      dry_run: z.boolean(),
      fps: z.number(),
      cameras: z.array(z.string()),
      episodes: z.array(
        z.object({
          id: z.number(),
          task: z.string(),
          outcome: z.string(),
          split: z.enum(['train', 'valid', 'test']),
          frames: z.number(),
          duration_s: z.number(),
        }),
      ),
      total_frames: z.number(),
      tasks: z.array(z.string()),
      bytes: z.number(),
      elapsed_s: z.number(),
      real_time_factor: z.number(),
      warnings: z.array(z.string()),
      /** The written dataset checked as its loader would, before the job reports done; null for a plan. */
      validation: z
        .object({ ok: z.boolean(), episodes: z.number().int(), frames: z.number().int(), problems: z.array(z.string()) })
        .nullable(),
    })
    .nullable(),
  error: z.object({ code: z.string(), message: z.string(), fix: z.string().optional() }).nullable(),
});
export type ExportJob = z.infer<typeof exportJobSchema>;

// ---- dataset statistics ---------------------------------------------------------------------------

export const statsGroupings = ['task', 'operator', 'tag', 'policy'] as const;

export const statsRequestSchema = z.strictObject({
  by: z.enum(statsGroupings).default('task'),
  /** Only these groups (and the total over them); every group when absent. */
  groups: z.array(z.string()).optional(),
  /** Minutes to add to UTC for the days a user reads: the browser's `-new Date().getTimezoneOffset()`. */
  utc_offset_min: z.number().int().min(-840).max(840).default(0),
});

const statsGroupSchema = z.object({
  key: z.string(),
  episodes: z.number().int(),
  success: z.number().int(),
  failure: z.number().int(),
  unknown: z.number().int(),
  /** success / (success + failure); null when none is labelled. */
  success_rate: z.number().nullable(),
  total_duration_s: z.number(),
  median_duration_s: z.number().nullable(),
  total_dropped: z.number(),
  /** Per bin of `length_edges_s` / `drop_edges`. */
  length_counts: z.array(z.number().int()),
  drop_counts: z.array(z.number().int()),
  /** One entry per day of `days`. */
  per_day: z.array(
    z.object({
      day: z.string(),
      episodes: z.number().int(),
      success: z.number().int(),
      failure: z.number().int(),
      success_rate: z.number().nullable(),
    }),
  ),
});

export const datasetStatsSchema = z.object({
  by: z.enum(statsGroupings),
  /** Every group of this grouping, largest first (what a filter offers). */
  available: z.array(z.object({ key: z.string(), episodes: z.number().int() })),
  groups: z.array(statsGroupSchema),
  /** The shown episodes once each. */
  total: statsGroupSchema,
  /** Shared bin edges: bin i is [edges[i], edges[i+1]). */
  length_edges_s: z.array(z.number()),
  drop_edges: z.array(z.number()),
  /** `YYYY-MM-DD`, every day from the first shown episode's to the last's. */
  days: z.array(z.string()),
});
export type DatasetStats = z.infer<typeof datasetStatsSchema>;
export type StatsGroupStats = z.infer<typeof statsGroupSchema>;

// ---- import ---------------------------------------------------------------------------------------

export const importRequestSchema = z.strictObject({
  format: z.enum(['lerobot']).default('lerobot'),
  /** The dataset folder on the machine running the core (it holds meta/info.json). */
  source: z.string().min(1).max(4096),
  operator: z.string().max(200).optional(),
  tags: z.array(z.string().min(1).max(100)).max(20).optional(),
});

export const importJobSchema = z.object({
  id: z.number().int(),
  source: z.string(),
  state: z.enum(['running', 'done', 'failed', 'cancelled']),
  progress: z
    .object({
      phase: z.enum(['checking', 'episodes', 'committing', 'done']),
      done_frames: z.number(),
      total_frames: z.number(),
      done_episodes: z.number(),
      total_episodes: z.number(),
      elapsed_s: z.number(),
      eta_s: z.number().nullable(),
    })
    .nullable(),
  summary: z
    .object({
      codebase_version: z.string(),
      fps: z.number(),
      session_id: z.number().int(),
      episode_ids: z.array(z.number().int()),
      frames: z.number().int(),
      elapsed_s: z.number(),
      warnings: z.array(z.string()),
    })
    .nullable(),
  error: z.object({ code: z.string(), message: z.string(), fix: z.string().optional() }).nullable(),
});
export type ImportJob = z.infer<typeof importJobSchema>;

// ---- streams -------------------------------------------------------------------------------------

/**
 * Streams carry bulk data (camera previews, robot state at display rate, Gaussian clouds) as binary
 * frames: a small JSON header validated by the schema below plus raw bytes. They are best-effort for
 * the UI: a slow consumer gets the newest frame, not a queue (see `shared/api/streamFrame.ts`).
 */
export const studioStreams = {
  'camera.preview': {
    summary: 'Preview frames of one camera, at display rate.',
    header: z.object({
      camera: z.string(),
      width_px: z.number().int().positive(),
      height_px: z.number().int().positive(),
      /** rgb8: packed RGB; depth_mm16: little-endian uint16 millimetres; jpeg: a JPEG file. */
      encoding: z.enum(['rgb8', 'depth_mm16', 'jpeg']),
      capture_ns: z.string().regex(/^\d+$/),
    }),
  },
} as const;
export type StreamName = keyof typeof studioStreams;
export const streamNames = Object.keys(studioStreams) as StreamName[];
export type StreamHeader<S extends StreamName> = z.infer<(typeof studioStreams)[S]['header']>;
const streamNameSchema = z.enum(streamNames as [StreamName, ...StreamName[]]);

// ---- foresight ------------------------------------------------------------------------------------

/**
 * Raw bytes in a result. They cross every transport as bytes, never as text: Electron IPC clones the
 * Uint8Array, WebSocket sends the whole response as one binary frame (shared/api/binaryResult.ts).
 */
export const bytesSchema = z.instanceof(Uint8Array);

/** One decision the world model informed, as stored (main/store/foresightStore.ts). */
export const foresightRunSchema = z.object({
  id: z.number().int(),
  episode_id: z.number().int().nullable(),
  created_at_unix_ms: z.number(),
  t_ns: nsSchema,
  model: z.object({ name: z.string(), version: z.string(), dir: z.string() }),
  pack_sha256: z.string(),
  provider: z.string(),
  mode: z.string(),
  decision: z.string(),
  horizon: z.number().int(),
  latency_ms: z.number(),
  input_hash: z.string(),
  candidates: z.array(
    z.object({ source: z.string(), success_prob: z.number(), progress: z.array(z.number()), chunk: z.array(z.array(z.number())) }),
  ),
  chosen_index: z.number().int().nullable(),
  chosen_success_prob: z.number().nullable(),
  real: z.record(z.string(), z.unknown()).nullable(),
  episode_outcome: z.string().nullable(),
  operator: z.string().nullable(),
});
export type ForesightRunView = z.infer<typeof foresightRunSchema>;

const foresightFilterSchema = z.strictObject({
  episode_id: episodeId.optional(),
  pack_sha256: z.string().optional(),
  mode: z.string().optional(),
  limit: z.number().int().min(1).max(100_000).optional(),
});

export const calibrationSummarySchema = z.object({
  runs: z.number().int(),
  episodes: z.number().int(),
  positives: z.number().int(),
  auroc: z.number().nullable(),
  brier: z.number().nullable(),
  ece: z.number().nullable(),
  reliability: z.array(
    z.object({
      lo: z.number(),
      hi: z.number(),
      n: z.number().int(),
      mean_predicted: z.number().nullable(),
      observed_rate: z.number().nullable(),
    }),
  ),
  groups: z.array(z.object({ group: z.string(), episodes: z.number().int(), predicted: z.number(), real: z.number() })),
  pearson: z.number().nullable(),
  spearman: z.number().nullable(),
});

export const packListingSchema = z.object({
  dir: z.string(),
  model_name: z.string(),
  model_version: z.string(),
  problem: z.string().nullable(),
});

export const packInfoSchema = z.object({
  dir: z.string(),
  model_name: z.string(),
  model_version: z.string(),
  manifest_sha256: z.string(),
  provider: z.object({
    provider: z.enum(['cuda', 'webgpu', 'cpu']),
    requested: z.enum(['auto', 'cuda', 'webgpu', 'cpu']),
    skipped: z.array(z.object({ provider: z.enum(['cuda', 'webgpu', 'cpu']), reason: z.string() })),
    intra_op_threads: z.number().int(),
    inter_op_threads: z.number().int(),
    /** Per graph, where a GPU provider ran its nodes (absent on CPU). */
    placement: z
      .record(
        z.string(),
        z.object({
          gpu_nodes: z.number().int(),
          cpu_shape_nodes: z.number().int(),
          cpu_compute_ops: z.array(z.string()),
          gpu_time_fraction: z.number(),
        }),
      )
      .optional(),
  }),
  has_policy: z.boolean(),
  chunk_length: z.number().int(),
  action_names: z.array(z.string()),
  control_hz: z.number(),
  max_horizon: z.number().int(),
  success_horizon: z.number().int(),
  success_threshold: z.number(),
  test_auroc: z.number().nullable(),
  cameras: z.array(z.string()),
  num_gaussians: z.number().int(),
  open_ms: z.number(),
});

export const previewSchema = z.object({
  preview_id: z.number().int(),
  t_ns: nsSchema,
  K: z.number().int(),
  H: z.number().int(),
  provider: z.string(),
  latency_ms: z.number(),
  timings_ms: z.record(z.string(), z.number()),
  test_auroc: z.number().nullable(),
  num_gaussians: z.number().int(),
  /** The candidate with the best predicted success. */
  best: z.number().int(),
  candidates: z.array(
    z.object({
      index: z.number().int(),
      source: z.string(),
      success_prob: z.number(),
      progress: z.array(z.number()),
      chunk: z.array(z.array(z.number())),
      ee_path_m: z.array(z.tuple([z.number(), z.number(), z.number()])),
    }),
  ),
});

export const policyStatusSchema = z.object({
  running: z.boolean(),
  mode: z.enum(['off', 'rank', 'gate', 'approve']).nullable(),
  /** What proposes the chunks: `pack <name>@<version>` or `remote <url>`; null before the first run. */
  policy: z.string().nullable(),
  chunks: z.number().int(),
  last_preview: previewSchema.nullable(),
  waiting_for_approval: z.boolean(),
  /** Why the last run ended: operator, rejected, success, timeout, e-stop, closed, or error: … */
  stopped_reason: z.string().nullable(),
  episode_id: z.number().int().nullable(),
});

// ---- methods -------------------------------------------------------------------------------------

export const studioMethods = {
  'app.info': method({
    summary: 'Version, front door, data directory and database of the running core.',
    params: empty,
    result: appInfoSchema,
  }),
  'rig.get': method({
    summary: 'The rig config in use and where it came from.',
    params: empty,
    result: rigSnapshotSchema,
  }),
  'rig.validate': method({
    summary: 'Check a candidate rig config (JSON text) and list every problem; applies nothing.',
    params: z.strictObject({ text: z.string().max(1_000_000) }),
    result: rigValidationSchema,
  }),
  'foresight.runs': method({
    summary:
      'Stored imagination runs (every decision the world model informed) with their candidates, choice, real outcome and episode outcome.',
    params: foresightFilterSchema,
    result: z.object({ runs: z.array(foresightRunSchema) }),
  }),
  'foresight.calibration': method({
    summary:
      'How the chosen candidates’ predicted success compares with the episodes’ real outcomes: AUROC, Brier, ECE, reliability bins, predicted vs real per policy.',
    params: foresightFilterSchema.omit({ episode_id: true }),
    result: calibrationSummarySchema,
  }),
  'foresight.packs': method({
    summary: 'World-model packs found (the shipped ones, then <data dir>/models), each with its problem if it cannot be used.',
    params: empty,
    result: z.object({ packs: z.array(packListingSchema) }),
  }),
  'foresight.open': method({
    summary:
      'Open a pack (default: the shipped reference pack) on an execution provider: auto tries CUDA, then WebGPU, then CPU and says why each was skipped.',
    params: z.strictObject({
      dir: z.string().optional(),
      provider: z.enum(['auto', 'cuda', 'webgpu', 'cpu']).default('auto'),
      threads: z.number().int().min(1).max(256).optional(),
    }),
    result: packInfoSchema,
  }),
  'foresight.status': method({
    summary: 'The open pack, if any.',
    params: empty,
    result: z.object({ pack: packInfoSchema.nullable() }),
  }),
  'foresight.preview': method({
    summary:
      'Imagine K candidate chunks H chunks ahead from what the rig sees now (policy samples, the operator’s motion held, or perturbations of the policy’s chunk), each with its predicted success.',
    params: z.strictObject({
      K: z.number().int().min(1).max(32).default(8),
      H: z.number().int().min(1).max(16).default(4),
      source: z.enum(['policy', 'teleop', 'perturb']).default('policy'),
      seed: z.number().int().min(0).max(0xffffffff).optional(),
      temperature: z.number().min(0).max(10).optional(),
    }),
    result: previewSchema,
  }),
  'foresight.splats': method({
    summary:
      'Imagined Gaussians of one candidate (H×N×14 float32, little-endian bytes: x y z, scale xyz, quaternion wxyz, rgb, opacity), or with candidate −1 the observed ones (N×14) and the mask (N float32); for a re-imagined run, −2 gives the real scenes lifted from the recording at the same times.',
    params: z.strictObject({ preview_id: z.number().int(), candidate: z.number().int().min(-2) }),
    result: z.object({ H: z.number().int(), N: z.number().int(), fields: z.literal(14), gaussians: bytesSchema, mask: bytesSchema }),
  }),
  'foresight.approve': method({
    summary:
      'Run candidate k’s first chunk (or "auto": the best predicted) through the control worker under every safety limit; answers when it has played or the e-stop cut it short.',
    params: z.strictObject({ preview_id: z.number().int(), candidate: z.union([z.number().int().min(0), z.literal('auto')]) }),
    result: z.object({
      run_id: z.number().int(),
      candidate: z.number().int(),
      played: z.number().int(),
      clipped: z.number().int(),
      estopped: z.boolean(),
    }),
  }),
  'foresight.reimagine': method({
    summary:
      'A stored run re-imagined from its recording (frames at the run’s time, the actions that really ran next) beside the real scenes lifted at the same future times (splats candidate −2); the open pack must be the run’s.',
    params: z.strictObject({ run_id: z.number().int() }),
    result: previewSchema.extend({
      real_steps: z.number().int(),
      predicted_at_run: z.number().nullable(),
      episode_outcome: z.string().nullable(),
    }),
  }),
  'foresight.reject': method({
    summary: 'Reject every candidate of a preview (stored as such).',
    params: z.strictObject({ preview_id: z.number().int() }),
    result: z.object({ run_id: z.number().int() }),
  }),
  'foresight.policyStart': method({
    summary:
      'The open pack’s policy — or a remote policy server (openpi websocket protocol), imagined by the open pack — drives the rig chunk by chunk, recorded as a take: off (as proposed), rank (best of K imagined), gate (only above the threshold, else it waits for approve/reject), approve (each chunk waits for the operator).',
    params: z.strictObject({
      mode: z.enum(['off', 'rank', 'gate', 'approve']),
      /** A policy server instead of the pack's policy: ws://HOST:PORT and, optionally, the rest of its mapping (docs/remote-policy.md). */
      remote: z.strictObject({ url: z.string().min(1).max(2000), config: z.record(z.string(), z.unknown()).optional() }).optional(),
      K: z.number().int().min(1).max(32).default(8),
      /** Default: the open pack's success horizon (shorter horizons make its success estimates read low). */
      H: z.number().int().min(1).max(16).optional(),
      threshold: z.number().min(0).max(1).default(0.5),
      temperature: z.number().min(0).max(10).optional(),
      max_duration_s: z.number().positive().max(3600).default(60),
      task: z.string().max(2000).optional(),
    }),
    result: policyStatusSchema,
  }),
  'foresight.policyStop': method({
    summary: 'Stop the policy run after the chunk in progress (the e-stop stops it at once); its take is saved.',
    params: empty,
    result: policyStatusSchema,
  }),
  'foresight.policyStatus': method({
    summary: 'The policy run, if any: mode, chunks run, the last preview, whether it waits for the operator, why it stopped.',
    params: empty,
    result: policyStatusSchema,
  }),
  'episodes.list': method({
    summary: 'Episodes matching a filter (default: everything but discarded), oldest first.',
    params: episodeFilterSchema,
    result: z.object({ episodes: z.array(episodeSummarySchema) }),
  }),
  'episodes.get': method({
    summary: 'One episode with its notes, streams (with counters) and segments.',
    params: z.strictObject({ id: episodeId }),
    result: episodeDetailSchema,
  }),
  'episodes.samples': method({
    summary: 'Values of a low-dimensional stream in a time window, decimated to at most max_points for plotting.',
    params: z.strictObject({
      id: episodeId,
      stream: z.string(),
      t0_ns: nsSchema.optional(),
      t1_ns: nsSchema.optional(),
      max_points: z.number().int().min(2).max(100_000).default(2000),
    }),
    result: z.object({ t_ns: z.array(nsSchema), values: z.array(z.array(z.number())) }),
  }),
  'episodes.frame': method({
    summary: 'The image of a stream at or before t_ns (latest-at), base64-encoded as stored.',
    params: z.strictObject({ id: episodeId, stream: z.string(), t_ns: nsSchema }),
    result: z.object({ t_ns: nsSchema, encoding: z.string(), data_base64: z.string() }).nullable(),
  }),
  'episodes.label': method({
    summary: 'Set outcome, task or notes, and add or remove tags.',
    params: z.strictObject({
      id: episodeId,
      outcome: outcomeSchema.optional(),
      task: z.string().max(2000).optional(),
      notes: z.string().max(100_000).optional(),
      add_tags: z.array(z.string().min(1).max(100)).optional(),
      remove_tags: z.array(z.string()).optional(),
    }),
    result: z.object({ episode: episodeSummarySchema }),
  }),
  'episodes.putSegment': method({
    summary: 'Create a sub-task segment, or rename/resize one when its id is given.',
    params: z.strictObject({
      id: episodeId,
      segment: z.strictObject({ id: z.number().int().optional(), label: z.string().min(1).max(200), start_ns: nsSchema, end_ns: nsSchema }),
    }),
    result: z.object({ segment_id: z.number().int() }),
  }),
  'episodes.deleteSegment': method({
    summary: 'Remove a segment.',
    params: z.strictObject({ id: episodeId, segment_id: z.number().int() }),
    result: z.object({}),
  }),
  'episodes.edit': method({
    summary: 'Destructive edits, two-step: request (undoable) then confirm; or resolve an interrupted episode.',
    params: z.discriminatedUnion('action', [
      z.strictObject({
        id: episodeId,
        action: z.enum(['requestDelete', 'cancelDelete', 'confirmDelete', 'cancelTrim', 'confirmTrim', 'save', 'discard']),
      }),
      z.strictObject({ id: episodeId, action: z.literal('requestTrim'), start_ns: nsSchema, end_ns: nsSchema }),
      z.strictObject({ id: episodeId, action: z.literal('split'), t_ns: nsSchema }),
    ]),
    result: z.object({ episode_id: z.number().int().nullable() }),
  }),
  'rig.apply': method({
    summary: 'Validate a rig config (JSON text), save it as DATA_DIR/rig.json and restart the rig with it; an invalid one changes nothing.',
    params: z.strictObject({ text: z.string().max(1_000_000) }),
    result: z.object({ snapshot: rigSnapshotSchema, status: rigStatusSchema }),
  }),
  'devices.discover': method({
    summary: 'SpaceMice, game controllers, serial ports and cameras plugged into this machine, with the rig-config type that drives each.',
    params: empty,
    result: discoverySchema,
  }),
  'rig.status': method({
    summary: 'Devices (connected, errors with fixes), control loop health and e-stop state.',
    params: empty,
    result: rigStatusSchema,
  }),
  'rig.start': method({
    summary: 'Connect the rig devices and start the control loop (the studio starts them by itself at launch).',
    params: empty,
    result: rigStatusSchema,
  }),
  'rig.stop': method({
    summary: 'Stop the control loop and disconnect the devices (an episode being recorded is stopped first).',
    params: empty,
    result: rigStatusSchema,
  }),
  'sim.reset': method({
    summary: 'A new simulated scene (cube pose and colour, target) from a seed; sim rigs only.',
    params: z.strictObject({ seed: z.number().int().min(0).max(0xffffffff).optional() }),
    result: z.object({ seed: z.number().int() }),
  }),
  'teleop.keys': method({
    summary:
      "The keyboard keys held right now (KeyboardEvent.code values): send on every change and every 50 ms while any is held; input older than the rig's teleop_timeout_ms stops the arm.",
    params: z.strictObject({ keys: z.array(z.string().max(32)).max(32) }),
    result: z.object({}),
  }),
  'teleop.gamepad': method({
    summary:
      'One poll of a gamepad (standard layout: axes in [-1, 1], button values in [0, 1]), sent at 20 Hz or more while one is connected.',
    params: z.strictObject({ axes: z.array(z.number().min(-1).max(1)).max(16), buttons: z.array(z.number().min(0).max(1)).max(32) }),
    result: z.object({}),
  }),
  'control.estop': method({
    summary: 'Emergency stop: zero motion within one control cycle, latched until released.',
    params: empty,
    result: z.object({ estopped: z.boolean() }),
  }),
  'control.release': method({
    summary: 'Release the e-stop.',
    params: empty,
    result: z.object({ estopped: z.boolean() }),
  }),
  'recording.status': method({
    summary: 'Where the recording lifecycle is, with per-stream sample, dropped and late counts.',
    params: empty,
    result: recordingStatusSchema,
  }),
  'recording.start': method({
    summary: 'Start recording an episode (opens a session on the first one).',
    params: z.strictObject({ task: z.string().max(2000).optional(), operator: z.string().max(200).optional() }),
    result: z.object({ episode_id: z.number().int() }),
  }),
  'recording.stop': method({
    summary: 'Stop recording; the episode then waits to be saved or discarded.',
    params: empty,
    result: recordingStatusSchema,
  }),
  'recording.save': method({
    summary: 'Save the stopped (or still recording) episode with an outcome; starts the reset phase.',
    params: z.strictObject({ outcome: outcomeSchema.optional() }),
    result: z.object({ episode_id: z.number().int() }),
  }),
  'recording.discard': method({
    summary: 'Discard the current episode.',
    params: empty,
    result: z.object({ episode_id: z.number().int() }),
  }),
  'recording.rerecord': method({
    summary: 'Discard the current episode and start again with the same task.',
    params: empty,
    result: z.object({ episode_id: z.number().int() }),
  }),
  'export.start': method({
    summary: 'Start an export (or a dry run that only plans it) in the background; progress comes as export.progress events.',
    params: exportRequestSchema,
    result: exportJobSchema,
  }),
  'export.cancel': method({
    summary: 'Cancel a running export; nothing that looks complete is left behind.',
    params: z.strictObject({ id: z.number().int() }),
    result: exportJobSchema,
  }),
  'export.list': method({
    summary: 'Exports started since the studio launched, with their state.',
    params: empty,
    result: z.object({ exports: z.array(exportJobSchema) }),
  }),
  'stats.dataset': method({
    summary:
      'Dataset statistics of the saved episodes per task, operator, tag or policy: counts, success rate, length and drop histograms, episodes and success rate per day.',
    params: statsRequestSchema,
    result: datasetStatsSchema,
  }),
  'import.start': method({
    summary:
      'Import a local LeRobot dataset folder as saved episodes of a new session, atomically, in the background; progress comes as import.progress events.',
    params: importRequestSchema,
    result: importJobSchema,
  }),
  'import.cancel': method({
    summary: 'Cancel a running import; nothing is added to the store.',
    params: z.strictObject({ id: z.number().int() }),
    result: importJobSchema,
  }),
  'import.list': method({
    summary: 'Imports started since the studio launched, with their state.',
    params: empty,
    result: z.object({ imports: z.array(importJobSchema) }),
  }),
  'stream.subscribe': method({
    summary: 'Start receiving binary frames of a stream on this connection.',
    params: z.strictObject({ stream: streamNameSchema }),
    result: z.object({ stream: streamNameSchema }),
  }),
  'stream.unsubscribe': method({
    summary: 'Stop receiving a stream on this connection.',
    params: z.strictObject({ stream: streamNameSchema }),
    result: z.object({ stream: streamNameSchema }),
  }),
} as const;

export type StudioMethods = typeof studioMethods;
export type MethodName = keyof StudioMethods;
export const methodNames = Object.keys(studioMethods) as MethodName[];
/** What a caller passes (before defaults are applied). */
export type ParamsIn<M extends MethodName> = z.input<StudioMethods[M]['params']>;
/** What a handler receives (after validation and defaults). */
export type Params<M extends MethodName> = z.output<StudioMethods[M]['params']>;
export type Result<M extends MethodName> = z.output<StudioMethods[M]['result']>;

// ---- events --------------------------------------------------------------------------------------

export const studioEvents = {
  'core.status': coreStatusSchema,
  /** At display rate (about 30 Hz) while the rig runs. */
  'robot.state': robotStateSchema,
  /** On every change, and about 4 Hz while recording. */
  'recording.status': recordingStatusSchema,
  /** On every change of device or control state. */
  'rig.status': rigStatusSchema,
  /** Progress (about every episode and frame batch) and the end of an export. */
  'export.progress': exportJobSchema,
  /** Progress (about every frame batch) and the end of an import. */
  'import.progress': importJobSchema,
  /** Every change of a policy run: a new preview, waiting for the operator, a chunk done, stopped. */
  'foresight.policy': policyStatusSchema,
} as const;
export type StudioEvents = typeof studioEvents;
export type EventName = keyof StudioEvents;
export const eventNames = Object.keys(studioEvents) as EventName[];
export type EventPayload<E extends EventName> = z.output<StudioEvents[E]>;

export function isMethodName(value: unknown): value is MethodName {
  return typeof value === 'string' && Object.hasOwn(studioMethods, value);
}
export function isEventName(value: unknown): value is EventName {
  return typeof value === 'string' && Object.hasOwn(studioEvents, value);
}
export function isStreamName(value: unknown): value is StreamName {
  return typeof value === 'string' && Object.hasOwn(studioStreams, value);
}
