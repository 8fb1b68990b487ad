import { STREAMS } from '../recording/streamNames';
import type { StreamRow } from '../store/episodeStore';
import type { EpisodeReader } from './episodeSource';
import type { GwmActions, GwmArray, GwmEpisode } from './gwm';

/**
 * The labels a GWM export carries besides observations and actions: what the actions mean, the
 * scripted policy's phase, exploration and target at every step, and the place target. They come from
 * streams the expert recording declares (`expert.*`, `sim.target_pose`); other recordings have none.
 */

export interface LabelArray {
  name: string;
  dtype: GwmArray['dtype'];
  shape: number[];
  data: ArrayBufferView;
}

const LAYOUT =
  "Δxyz (m), Δrotation axis-angle (rad), gripper (0 open … 1 closed); per control step, the motion of every recorded command in it (a leader arm's joint targets as the TCP motion they ask for)";

/**
 * index.json `actions`, with the meaning and per-step bounds the recording declared on its action
 * stream. Recorded faster than `control_hz`, a step sums several recorded steps: its bounds are the
 * recorded ones times how many recorded steps it spans.
 */
export function actionsDeclaration(
  source: string,
  recorded_hz: number | null,
  control_hz: number,
  meta: Record<string, unknown>,
): GwmActions {
  const steps = recorded_hz !== null && recorded_hz > control_hz ? recorded_hz / control_hz : 1;
  const bound = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value * steps : null);
  return {
    source,
    frame: 'base',
    layout: LAYOUT,
    recorded_hz,
    semantics: meta.semantics === 'delta_from_measured' ? 'delta_from_measured' : null,
    max_translation_m: bound(meta.max_translation_m),
    max_rotation_rad: bound(meta.max_rotation_rad),
  };
}

/** Samples of a stream that covers the whole window (its first sample at or before its start), else null. */
function covering(reader: EpisodeReader, stream: StreamRow | undefined, instants: readonly bigint[]): Float64Array | null {
  if (
    stream === undefined ||
    stream.sample_count === 0 ||
    stream.first_t_ns === null ||
    instants.length === 0 ||
    stream.first_t_ns > instants[0]!
  )
    return null;
  return reader.lowdimAt(stream, instants).values;
}

/**
 * `phase` (T,) at the frames; `action_explore` (K, L), `chunk_explore` (K,) and `expert_target_pose`
 * (K, L, 7) at the action instants. Empty when the episode was not recorded from a scripted policy.
 */
export function expertLabels(
  reader: EpisodeReader,
  streams: Map<string, StreamRow>,
  frames: readonly bigint[],
  t0: bigint,
  chunks: number,
  L: number,
  control_hz: number,
): LabelArray[] {
  const phase = covering(reader, streams.get(STREAMS.expertPhase), frames);
  if (phase === null) return [];
  const out: LabelArray[] = [{ name: 'phase', dtype: '<i4', shape: [frames.length], data: Int32Array.from(phase, (v) => Math.round(v)) }];
  const steps = Array.from({ length: chunks * L }, (_, i) => t0 + BigInt(Math.round((i / control_hz) * 1e9)));
  const exploring = covering(reader, streams.get(STREAMS.expertExploring), steps.length > 0 ? steps : frames);
  if (exploring !== null) {
    const perStep = steps.length > 0 ? Uint8Array.from(exploring, (v) => (v > 0.5 ? 1 : 0)) : new Uint8Array(0);
    out.push({ name: 'action_explore', dtype: '|u1', shape: [chunks, L], data: perStep });
    out.push({
      name: 'chunk_explore',
      dtype: '|u1',
      shape: [chunks],
      data: Uint8Array.from({ length: chunks }, (_, k) => (perStep.subarray(k * L, (k + 1) * L).every((v) => v === 1) ? 1 : 0)),
    });
  }
  const target = covering(reader, streams.get(STREAMS.expertTargetPose), steps.length > 0 ? steps : frames);
  if (target !== null)
    out.push({
      name: 'expert_target_pose',
      dtype: '<f4',
      shape: [chunks, L, 7],
      data: steps.length > 0 ? Float32Array.from(target) : new Float32Array(0),
    });
  return out;
}

/** The place target as the episode starts: its pose and, from the stream's meta, its half extent. */
export function targetOf(reader: EpisodeReader, stream: StreamRow, at: bigint): GwmEpisode['target'] {
  const first = stream.first_t_ns !== null && stream.first_t_ns > at ? stream.first_t_ns : at;
  const pose = Array.from(reader.lowdimAt(stream, [first]).values);
  const half = stream.meta?.half_extent_m;
  return { position_m: pose.slice(0, 3), quaternion_wxyz: pose.slice(3, 7), half_extent_m: typeof half === 'number' ? half : null };
}
