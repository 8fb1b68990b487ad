/**
 * Dropped and late samples per source, with the likely cause, for the Record panel (live take) and
 * the episode player (a recorded one). One number for a whole take ("172 dropped") says neither
 * what was lost nor why; it also counted a camera three times (colour, depth and segmentation are
 * three streams of one capture). Streams are grouped by the source that produced them and each
 * group is judged by its measured rate against its nominal one.
 */

export interface StreamCounts {
  samples: number;
  dropped: number;
  late: number;
  nominal_hz: number | null;
}

export interface SourceHealth {
  /** Stable key, e.g. `camera.front`, `state`. */
  key: string;
  /** What the operator calls it, e.g. "camera front", "robot state". */
  label: string;
  samples: number;
  dropped: number;
  late: number;
  nominal_hz: number | null;
  /** Samples per second over the take; null for takes too short to measure. */
  rate_hz: number | null;
  /** The likely cause, in words; null when nothing was dropped or late. */
  cause: string | null;
}

/** Samples older than this on arrival count as late (main/recording/recorder.ts `late_after_ms`). */
const LATE_AFTER_MS = 250;
/** Below this a rate is noise: a take must run a little before "3 of 15 fps" means anything. */
const MIN_MEASURED_S = 0.5;

function sourceOf(stream: string): { key: string; label: string; kind: 'camera' | 'state' | 'other' } {
  const camera = /^camera\.([^.]+)\.(color|depth|segmentation|ir)$/.exec(stream);
  if (camera !== null) return { key: `camera.${camera[1]}`, label: `camera ${camera[1]}`, kind: 'camera' };
  if (stream.startsWith('arm.') || stream.startsWith('gripper.') || /^camera\.[^.]+\.world_from_camera$/.test(stream))
    return { key: 'state', label: 'robot state', kind: 'state' };
  if (stream.startsWith('action.')) return { key: 'actions', label: 'actions', kind: 'state' };
  if (stream.startsWith('sim.')) return { key: 'sim', label: 'simulator ground truth', kind: 'state' };
  return { key: stream, label: stream, kind: 'other' };
}

function rate(value: number): string {
  return value >= 10 ? value.toFixed(0) : value.toFixed(1);
}

function causeOf(kind: 'camera' | 'state' | 'other', health: Omit<SourceHealth, 'cause'>, simulated: boolean): string | null {
  const parts: string[] = [];
  if (health.dropped > 0) {
    const measured =
      health.rate_hz !== null && health.nominal_hz !== null
        ? `${rate(health.rate_hz)} of ${rate(health.nominal_hz)} ${kind === 'camera' ? 'fps' : 'Hz'}`
        : null;
    const prefix = measured === null ? '' : `${measured}: `;
    if (kind === 'camera') {
      parts.push(
        simulated
          ? `${prefix}the simulator's renderer is behind real time (a busy CPU; fewer or smaller cameras help)`
          : `${prefix}the camera skipped frames (USB bandwidth, a long exposure in low light, or a busy CPU)`,
      );
    } else if (simulated) {
      parts.push(`${prefix}the simulation ran behind real time (a busy CPU)`);
    } else {
      parts.push(
        `${prefix}${kind === 'state' ? 'messages from the arm were missed (network or the real-time PC)' : 'the source delivered fewer samples than declared'}`,
      );
    }
  }
  // Late samples are stored; when drops already named the cause, the late ones only need counting.
  if (health.late > 0) {
    const why =
      parts.length > 0
        ? ''
        : simulated
          ? ': the simulation ran behind real time'
          : ": the studio's process is behind (a busy CPU or a slow disk)";
    parts.push(`${health.late} arrived over ${LATE_AFTER_MS} ms after capture (stored)${why}`);
  }
  return parts.length === 0 ? null : parts.join('; ');
}

/**
 * Groups per-stream counts by source (the largest count in a group stands for it: the streams of one
 * camera lose the same captures) and names the likely cause of any loss. `simulated` is whether a
 * simulator produced the take (its renderer and physics fall behind on a busy machine; real devices
 * lose data for other reasons).
 */
export function sourceHealth(streams: Readonly<Record<string, StreamCounts>>, elapsed_s: number, simulated: boolean): SourceHealth[] {
  const groups = new Map<
    string,
    { label: string; kind: 'camera' | 'state' | 'other'; samples: number; dropped: number; late: number; nominal_hz: number | null }
  >();
  for (const [name, counts] of Object.entries(streams)) {
    if (name === 'events') continue; // operator events are irregular by nature: nothing to drop
    const { key, label, kind } = sourceOf(name);
    const group = groups.get(key) ?? { label, kind, samples: 0, dropped: 0, late: 0, nominal_hz: null };
    group.samples = Math.max(group.samples, counts.samples);
    group.dropped = Math.max(group.dropped, counts.dropped);
    group.late = Math.max(group.late, counts.late);
    if (counts.nominal_hz !== null && (group.nominal_hz === null || counts.nominal_hz > group.nominal_hz))
      group.nominal_hz = counts.nominal_hz;
    groups.set(key, group);
  }
  return [...groups.entries()].map(([key, { kind, ...group }]) => {
    const health = { key, ...group, rate_hz: elapsed_s >= MIN_MEASURED_S ? group.samples / elapsed_s : null };
    return { ...health, cause: causeOf(kind, health, simulated) };
  });
}

/** Whether a take came from the simulator: it records the simulator's ground truth (`sim.*`). */
export function isSimulatedTake(streamNames: Iterable<string>): boolean {
  for (const name of streamNames) if (name.startsWith('sim.')) return true;
  return false;
}

/** Totals over sources (not streams), so one lost camera capture counts once. */
export function sourceTotals(sources: readonly SourceHealth[]): { dropped: number; late: number } {
  return sources.reduce((a, s) => ({ dropped: a.dropped + s.dropped, late: a.late + s.late }), { dropped: 0, late: 0 });
}
