import { StudioError } from '../../shared/api/errors';
import { axisAngleFromRotation, rotationFromAxisAngle, rotationMultiply } from '../../shared/robot/rotation';
import { ACTION_NAMES, ACTION_SPACE } from '../recording/streamNames';
import type { StreamRow } from '../store/episodeStore';

/** The recorded action layout: Δxyz (m), Δrotation axis-angle (rad), gripper intent. */
export const ACTION_DIM = ACTION_NAMES.length;

export interface ActionSample {
  t_ns: bigint;
  /** ACTION_DIM values in the recorded layout. */
  values: ArrayLike<number>;
}

export interface ActionSteps {
  /** ACTION_DIM values per step. */
  values: Float64Array;
  /** The capture time of the newest recorded action used by each step. */
  capture_ns: BigInt64Array;
  /** How many recorded actions each step holds (0: nothing was commanded in that step). */
  counts: Int32Array;
}

/**
 * Recorded per-cycle actions onto export steps: step k runs from instant k to instant k + 1 (the last
 * one `step_ns` long), and its action is the motion of every recorded action in it — Δxyz summed,
 * Δrotations composed in order (each pre-multiplied in the base frame, so R = Rₙ ⋯ R₁), the gripper
 * intent in force at the step's end. A teleop recording at 100 Hz exported at 10 Hz gives each step
 * the whole motion of its ten cycles, not the one command in force at its instant.
 *
 * Step edges sit half a recorded period before the instants, so a recording at the export rate gives
 * each step exactly its own command, whatever the capture jitter. A step with no recorded action
 * (the export faster than the recording) moves nothing. `samples` are in time order.
 */
export function actionsOverSteps(
  samples: readonly ActionSample[],
  instants: readonly bigint[],
  step_ns: bigint,
  recorded_period_ns: bigint,
  name = 'action',
): ActionSteps {
  const n = instants.length;
  const values = new Float64Array(n * ACTION_DIM);
  const capture = new BigInt64Array(n);
  const counts = new Int32Array(n);
  const half = (recorded_period_ns < step_ns ? recorded_period_ns : step_ns) / 2n;
  const edge = (k: number) => (k < n ? instants[k]! : instants[n - 1]! + step_ns) - half;
  let j = 0;
  let newest = -1;
  for (let k = 0; k < n; k++) {
    const start = edge(k);
    const end = edge(k + 1);
    // Actions before the first step were commanded before the exported window: not part of its motion.
    while (j < samples.length && samples[j]!.t_ns < start) newest = j++;
    const first = j;
    while (j < samples.length && samples[j]!.t_ns < end) newest = j++;
    if (newest < 0)
      throw new StudioError({
        code: 'failed_precondition',
        message: `stream "${name}" has no action before ${end} ns (step ${k} of the exported window)`,
      });
    const out = values.subarray(k * ACTION_DIM, (k + 1) * ACTION_DIM);
    counts[k] = j - first;
    capture[k] = samples[newest]!.t_ns;
    if (j - first === 1) out.set(Array.from(samples[first]!.values).slice(0, 6));
    else if (j - first > 1) {
      let rotation = rotationFromAxisAngle([0, 0, 0]);
      for (let i = first; i < j; i++) {
        const a = samples[i]!.values;
        out[0]! += a[0]!;
        out[1]! += a[1]!;
        out[2]! += a[2]!;
        rotation = rotationMultiply(rotationFromAxisAngle([a[3]!, a[4]!, a[5]!]), rotation);
      }
      out.set(axisAngleFromRotation(rotation), 3);
    }
    out[6] = samples[newest]!.values[6]!;
  }
  return { values, capture_ns: capture, counts };
}

/** Teleop device types whose commands are joint targets (a leader arm). */
const JOINT_SPACE_TELEOP = new Set(['gello']);

/**
 * Refuses an action stream that does not hold Cartesian actions: exports write `action` under
 * Cartesian names (dx_m … gripper), so joint-space commands must never end up there. Recordings
 * declare their action space; one made before the declaration is accepted unless its session's rig
 * drove the arm with a joint-space device (those recorded joint deltas under Cartesian names).
 */
export function requireCartesianActions(stream: StreamRow, episodeId: number, rigConfig: unknown): void {
  const dim = stream.shape.reduce((a, b) => a * b, 1);
  const namesMatch =
    stream.names === null || (stream.names.length === ACTION_DIM && stream.names.every((name, i) => name === ACTION_NAMES[i]));
  const space = stream.meta?.action_space;
  if (dim !== ACTION_DIM || !namesMatch || (space !== undefined && space !== ACTION_SPACE)) {
    throw new StudioError({
      code: 'failed_precondition',
      message: `episode ${episodeId}: "${stream.name}" holds ${dim} values${stream.names !== null ? ` (${stream.names.join(', ')})` : ''}${typeof space === 'string' ? ` in action space "${space}"` : ''}, not the Cartesian actions (${ACTION_NAMES.join(', ')}) the export writes`,
      fix: 'Leave the episode out of this export.',
    });
  }
  if (space !== undefined) return;
  const teleop = (rigConfig as { teleop?: { type?: unknown }[] } | null)?.teleop ?? [];
  const joint = teleop
    .map((device) => device.type)
    .find((type): type is string => typeof type === 'string' && JOINT_SPACE_TELEOP.has(type));
  if (joint !== undefined) {
    throw new StudioError({
      code: 'failed_precondition',
      message: `episode ${episodeId} was recorded with a ${joint} leader arm before actions declared their space: its "${stream.name}" may hold joint-angle deltas under Cartesian names, and is not exported as Cartesian actions`,
      fix: "Leave the episode out (e.g. --episodes or --exclude-tag), or re-record it with this version, which records a leader arm's commands as the TCP motion they ask for.",
    });
  }
}
