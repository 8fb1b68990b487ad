import { StudioError } from '../../shared/api/errors';
import { ACTION_NAMES, EE_POSE_NAMES, JOINT_NAMES, STREAMS } from '../recording/streamNames';
import type { StreamRow } from '../store/episodeStore';
import type { EpisodeReader } from './episodeSource';
import type { EpisodeGrid, StreamPlan } from './types';

/** One episode's low-dimensional data on the export grid, as float32 feature vectors. */
export interface LowdimFrames {
  length: number;
  state: Float32Array;
  stateNames: string[];
  eePose: Float32Array | null;
  action: Float32Array;
  actionNames: string[];
  /** Capture time (monotonic ns) of the sample used at each frame, per source. */
  capture: { name: string; ns: BigInt64Array }[];
}

export function namesOf(stream: StreamRow, fallback: readonly string[]): string[] {
  const dim = stream.shape.reduce((a, b) => a * b, 1);
  if (stream.names !== null && stream.names.length === dim) return [...stream.names];
  if (fallback.length === dim) return [...fallback];
  return Array.from({ length: dim }, (_, i) => `${stream.name}.${i}`);
}

function concatRows(parts: { values: Float64Array; dim: number }[], length: number): Float32Array {
  const dim = parts.reduce((n, p) => n + p.dim, 0);
  const out = new Float32Array(length * dim);
  for (let k = 0; k < length; k++) {
    let o = k * dim;
    for (const p of parts) {
      for (let d = 0; d < p.dim; d++) out[o++] = p.values[k * p.dim + d]!;
    }
  }
  return out;
}

export function readLowdim(reader: EpisodeReader, episodeId: number, plan: StreamPlan, grid: EpisodeGrid): LowdimFrames {
  const streams = reader.streamsOf(episodeId);
  const stateStreams = plan.state.map((name) => reader.requireStream(episodeId, streams, name));
  const stateParts = stateStreams.map((s) => reader.lowdimOnGrid(s, grid));
  const stateNames = stateStreams.flatMap((s) =>
    s.name === STREAMS.armQ ? namesOf(s, JOINT_NAMES) : s.name === STREAMS.gripperWidth ? ['gripper_width_m'] : namesOf(s, []),
  );
  const actionStream = reader.requireStream(episodeId, streams, plan.action);
  // Each frame's action is the motion commanded from that frame to the next (summed over the recorded cycles).
  const action = {
    ...reader.actionsOnSteps(episodeId, actionStream, reader.gridTimes(grid), BigInt(Math.round(1e9 / grid.fps))),
    dim: ACTION_NAMES.length,
  };
  let eePose: Float32Array | null = null;
  if (plan.eePose !== null)
    eePose = concatRows([reader.lowdimOnGrid(reader.requireStream(episodeId, streams, plan.eePose), grid)], grid.length);
  if (stateParts.length === 0) throw new StudioError({ code: 'internal', message: 'no state streams planned' });
  return {
    length: grid.length,
    state: concatRows(stateParts, grid.length),
    stateNames,
    eePose,
    action: concatRows([action], grid.length),
    actionNames: namesOf(actionStream, ACTION_NAMES),
    capture: [
      { name: 'state', ns: stateParts[0]!.capture_ns },
      { name: 'action', ns: action.capture_ns },
    ],
  };
}

export const EE_POSE_FEATURE_NAMES: string[] = [...EE_POSE_NAMES];

/** Camera stream geometry from the recorded declaration (`shape` = [H, W, C]). */
export function cameraGeometry(stream: StreamRow): { width: number; height: number; encoding: 'mjpeg' | 'png' } {
  const [height, width] = stream.shape;
  if (height === undefined || width === undefined || !(height > 0 && width > 0)) {
    throw new StudioError({
      code: 'failed_precondition',
      message: `camera stream "${stream.name}" has no image size in its declaration (shape ${JSON.stringify(stream.shape)})`,
      fix: 'Record cameras with shape [height, width, channels].',
    });
  }
  const encoding = stream.encoding === 'jpeg' ? 'mjpeg' : stream.encoding === 'png' || stream.encoding === 'png16' ? 'png' : null;
  if (encoding === null)
    throw new StudioError({
      code: 'failed_precondition',
      message: `camera stream "${stream.name}" has encoding "${stream.encoding}"; the exporter reads jpeg and png frames`,
    });
  return { width, height, encoding };
}
