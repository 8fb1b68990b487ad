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
