import type { StudioClient } from '../../../../shared/api/client';
import type { EpisodeDetail } from '../../../../shared/api/contract';

/** A low-dimensional stream with times in seconds from the episode start (plots and lookups want numbers). */
export interface Series {
  t_s: Float64Array;
  values: readonly (readonly number[])[];
  names: readonly string[] | null;
}

export interface EpisodeData {
  detail: EpisodeDetail;
  /** The earliest sample of any stream: time zero of the player. */
  t0_ns: bigint;
  duration_s: number;
  series: ReadonlyMap<string, Series>;
  /** Camera names with a colour stream, in stream order. */
  cameras: readonly string[];
  depthCameras: ReadonlySet<string>;
  /** When each camera's first frame was taken: before it, the tile shows that first frame. */
  firstFrame_s: ReadonlyMap<string, number>;
  /** One frame step: the fastest camera's period, else the control period. */
  frameStep_s: number;
  /** The simulated objects whose poses were recorded, as they looked (one per row of `sim.object_poses`). */
  objects: readonly ObjectLook[];
}

export interface ObjectLook {
  name: string;
  size_m: number;
  rgb: [number, number, number];
}

const isLook = (value: unknown): value is ObjectLook => {
  const look = value as Partial<ObjectLook> | null;
  return (
    typeof look?.name === 'string' &&
    typeof look.size_m === 'number' &&
    Array.isArray(look.rgb) &&
    look.rgb.length === 3 &&
    look.rgb.every((c) => typeof c === 'number')
  );
};

/** The objects the recorder declared with `sim.object_poses` (older recordings declared none). */
export function objectLooks(detail: EpisodeDetail): ObjectLook[] {
  const declared = detail.streams.find((s) => s.name === 'sim.object_poses')?.meta?.objects;
  return Array.isArray(declared) ? declared.filter(isLook) : [];
}

/** The streams the player draws; anything else stays in the store until asked for. */
export const REPLAY_STREAMS = ['arm.q_rad', 'arm.ee_pose', 'gripper.width_m', 'action.executed', 'sim.object_poses'] as const;

export function secondsFrom(t0_ns: bigint, t_ns: string): number {
  return Number(BigInt(t_ns) - t0_ns) / 1e9;
}

export function nsAt(t0_ns: bigint, t_s: number): string {
  return (t0_ns + BigInt(Math.round(t_s * 1e9))).toString();
}

/** Index of the last sample at or before t (latest-at, like the store), or −1 before the first. */
export function indexAt(t_s: Float64Array, t: number): number {
  let lo = 0;
  let hi = t_s.length - 1;
  if (hi < 0 || t < t_s[0]!) return -1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (t_s[mid]! <= t) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

export function sampleAt(series: Series | undefined, t: number): readonly number[] | undefined {
  if (series === undefined) return undefined;
  return series.values[Math.max(0, indexAt(series.t_s, t))];
}

export async function loadEpisodeData(studio: StudioClient, id: number): Promise<EpisodeData> {
  const detail = await studio.api.episodes.get({ id });
  const starts = detail.streams.flatMap((s) => (s.first_t_ns === null ? [] : [BigInt(s.first_t_ns)]));
  const ends = detail.streams.flatMap((s) => (s.last_t_ns === null ? [] : [BigInt(s.last_t_ns)]));
  const t0_ns = starts.length > 0 ? starts.reduce((a, b) => (b < a ? b : a)) : 0n;
  const t1_ns = ends.length > 0 ? ends.reduce((a, b) => (b > a ? b : a)) : t0_ns;
  const present = new Set(detail.streams.filter((s) => s.sample_count > 0).map((s) => s.name));
  const entries = await Promise.all(
    REPLAY_STREAMS.filter((name) => present.has(name)).map(async (name) => {
      // The whole stream at full rate: an episode is minutes at ≤ 1 kHz, and the player needs every sample.
      const { t_ns, values } = await studio.api.episodes.samples({ id, stream: name, max_points: 100_000 });
      const info = detail.streams.find((s) => s.name === name);
      const series: Series = { t_s: Float64Array.from(t_ns, (t) => secondsFrom(t0_ns, t)), values, names: info?.names ?? null };
      return [name, series] as const;
    }),
  );
  const colour = detail.streams.filter((s) => /^camera\.[^.]+\.color$/.test(s.name) && s.sample_count > 0);
  const cameras = colour.map((s) => s.name.split('.')[1]!);
  const depthCameras = new Set(
    detail.streams.filter((s) => /^camera\.[^.]+\.depth$/.test(s.name) && s.sample_count > 0).map((s) => s.name.split('.')[1]!),
  );
  // A "frame" is a camera frame when there are cameras (what people step through), else a control step.
  const rates = (colour.length > 0 ? colour : detail.streams.filter((s) => s.name === 'arm.q_rad'))
    .map((s) => s.nominal_rate_hz ?? 0)
    .filter((r) => r > 0);
  return {
    detail,
    t0_ns,
    duration_s: Number(t1_ns - t0_ns) / 1e9,
    series: new Map(entries),
    cameras,
    depthCameras,
    firstFrame_s: new Map(colour.map((s) => [s.name.split('.')[1]!, s.first_t_ns === null ? 0 : secondsFrom(t0_ns, s.first_t_ns)])),
    frameStep_s: rates.length > 0 ? 1 / Math.max(...rates) : 1 / 15,
    objects: objectLooks(detail),
  };
}
