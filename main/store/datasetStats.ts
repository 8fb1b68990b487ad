import type Database from 'better-sqlite3';

/**
 * Dataset statistics: what a lab looks at daily while collecting — episodes, success rate, lengths and
 * drops per task / operator / tag / policy, and how they move from day to day. One query reads a row per
 * saved episode; the rest is plain arithmetic over those rows (`aggregateStats`), so it can be tested
 * against episodes whose numbers are known.
 */

export const STATS_GROUPINGS = ['task', 'operator', 'tag', 'policy'] as const;
export type StatsGrouping = (typeof STATS_GROUPINGS)[number];

/** One saved episode, as the statistics see it. */
export interface StatsEpisode {
  id: number;
  task: string;
  operator: string;
  outcome: 'success' | 'failure' | 'unknown';
  started_at_unix_ms: number;
  duration_s: number;
  /** Samples dropped, summed over the episode's streams (the episode list's "dropped"). */
  dropped: number;
  tags: string[];
}

export interface StatsRequest {
  by: StatsGrouping;
  /** Only these groups (and the total over them); all when absent. */
  groups?: readonly string[] | undefined;
  /** Minutes to add to UTC to get the day a user reads (the browser's `-getTimezoneOffset()`). */
  utc_offset_min: number;
}

export interface StatsDay {
  /** `YYYY-MM-DD` in the requested offset. */
  day: string;
  episodes: number;
  success: number;
  failure: number;
  /** success / (success + failure); null when none of that day's episodes is labelled. */
  success_rate: number | null;
}

export interface StatsGroup {
  key: string;
  episodes: number;
  success: number;
  failure: number;
  unknown: number;
  /** success / (success + failure): unlabelled episodes count as episodes, not in the rate. */
  success_rate: number | null;
  total_duration_s: number;
  median_duration_s: number | null;
  total_dropped: number;
  /** Counts per bin of `DatasetStats.length_edges_s`. */
  length_counts: number[];
  /** Counts per bin of `DatasetStats.drop_edges`. */
  drop_counts: number[];
  /** One entry per day of `DatasetStats.days`, empty days included (zero episodes). */
  per_day: StatsDay[];
}

export interface DatasetStats {
  by: StatsGrouping;
  /** Every group of this grouping in the store, largest first: what the filter offers. */
  available: { key: string; episodes: number }[];
  /** The groups asked for, largest first. */
  groups: StatsGroup[];
  /** All shown episodes once each (an episode with two tags is in two tag groups but once here). */
  total: StatsGroup;
  /** Bin edges shared by every group, so their histograms compare: bin i is [edges[i], edges[i+1]). */
  length_edges_s: number[];
  drop_edges: number[];
  /** Every day from the first shown episode's to the last one's. */
  days: string[];
}

/** The label of episodes without a value for the grouping (no tag, no operator). */
export const NONE_GROUP = '(none)';

/**
 * Who or what drove an episode. Policy runs name themselves in the session's operator (`studio policy
 * run` and the Policy panel: "policy NAME@VERSION mode=rank …", "remote policy URL mode=… "); the scripted
 * expert as "expert <its noise knobs>" (each setting a policy variant of its own); imported datasets
 * carry the tag `imported`. Everything else was a person at the teleop devices.
 */
export function policyOf(episode: Pick<StatsEpisode, 'operator' | 'tags'>): string {
  const operator = episode.operator.trim();
  const pack = /^policy (\S+) mode=(\S+)/.exec(operator);
  if (pack !== null) return `${pack[1]} · ${pack[2]}`;
  const remote = /^remote policy (\S+) mode=(\S+)/.exec(operator);
  if (remote !== null) return `remote ${remote[1]} · ${remote[2]}`;
  if (/^expert\b/.test(operator)) return operator;
  if (episode.tags.includes('imported')) return 'imported';
  return 'teleop';
}

function keysOf(episode: StatsEpisode, by: StatsGrouping): string[] {
  switch (by) {
    case 'task':
      return [episode.task.trim() === '' ? NONE_GROUP : episode.task];
    case 'operator':
      return [episode.operator.trim() === '' ? NONE_GROUP : episode.operator];
    case 'tag':
      return episode.tags.length === 0 ? [NONE_GROUP] : episode.tags;
    case 'policy':
      return [policyOf(episode)];
  }
}

const DAY_MS = 86_400_000;
const dayIndex = (unix_ms: number, offset_min: number) => Math.floor((unix_ms + offset_min * 60_000) / DAY_MS);
const dayName = (index: number) => new Date(index * DAY_MS).toISOString().slice(0, 10);

/** A round bin width (1, 2, 5 × 10^k) that covers `max` in at most `bins` bins. */
export function niceStep(max: number, bins: number): number {
  const raw = Math.max(max, Number.MIN_VALUE) / bins;
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * power >= raw) return m * power;
  return 10 * power;
}

/** Edges from 0 with a round width, the last edge above `max` (so the longest episode has a bin). */
export function lengthEdges(max_s: number, bins = 12): number[] {
  const step = niceStep(max_s > 0 ? max_s : 1, bins);
  const count = Math.max(1, Math.floor(max_s / step) + 1);
  return Array.from({ length: count + 1 }, (_, i) => round(i * step));
}

/** Zero drops is its own bin (the one a lab hopes for); then round widths from 1. */
export function dropEdges(max: number, bins = 10): number[] {
  if (max <= 0) return [0, 1];
  const step = Math.max(1, niceStep(max, bins));
  const count = Math.floor((max - 1) / step) + 1;
  return [0, ...Array.from({ length: count + 1 }, (_, i) => 1 + i * step)];
}

const round = (v: number) => Math.round(v * 1e9) / 1e9;

/** The bin of `value` in `edges` ([e_i, e_i+1)); values past the last edge go to the last bin. */
function binOf(value: number, edges: readonly number[]): number {
  for (let i = edges.length - 2; i >= 0; i--) if (value >= edges[i]!) return i;
  return 0;
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const rate = (success: number, failure: number) => (success + failure === 0 ? null : success / (success + failure));

function summarise(
  key: string,
  episodes: readonly StatsEpisode[],
  length_edges: readonly number[],
  drop_edges: readonly number[],
  days: readonly number[],
  offset_min: number,
): StatsGroup {
  const count = (outcome: StatsEpisode['outcome'], list: readonly StatsEpisode[] = episodes) =>
    list.filter((e) => e.outcome === outcome).length;
  const length_counts = new Array<number>(length_edges.length - 1).fill(0);
  const drop_counts = new Array<number>(drop_edges.length - 1).fill(0);
  const byDay = new Map<number, StatsEpisode[]>();
  for (const e of episodes) {
    length_counts[binOf(e.duration_s, length_edges)]!++;
    drop_counts[binOf(e.dropped, drop_edges)]!++;
    const d = dayIndex(e.started_at_unix_ms, offset_min);
    byDay.set(d, [...(byDay.get(d) ?? []), e]);
  }
  const success = count('success');
  const failure = count('failure');
  return {
    key,
    episodes: episodes.length,
    success,
    failure,
    unknown: count('unknown'),
    success_rate: rate(success, failure),
    total_duration_s: episodes.reduce((sum, e) => sum + e.duration_s, 0),
    median_duration_s: median(episodes.map((e) => e.duration_s)),
    total_dropped: episodes.reduce((sum, e) => sum + e.dropped, 0),
    length_counts,
    drop_counts,
    per_day: days.map((d) => {
      const list = byDay.get(d) ?? [];
      const s = count('success', list);
      const f = count('failure', list);
      return { day: dayName(d), episodes: list.length, success: s, failure: f, success_rate: rate(s, f) };
    }),
  };
}

/** The statistics of `episodes` grouped as asked: pure, so its numbers can be checked by hand. */
export function aggregateStats(episodes: readonly StatsEpisode[], request: StatsRequest): DatasetStats {
  const { by, utc_offset_min } = request;
  const members = new Map<string, StatsEpisode[]>();
  for (const e of episodes) for (const key of keysOf(e, by)) members.set(key, [...(members.get(key) ?? []), e]);
  const bySize = (a: [string, StatsEpisode[]], b: [string, StatsEpisode[]]) => b[1].length - a[1].length || a[0].localeCompare(b[0]);
  const all = [...members.entries()].sort(bySize);
  const wanted = request.groups === undefined ? null : new Set(request.groups);
  const chosen = wanted === null ? all : all.filter(([key]) => wanted.has(key));
  const shownIds = new Set(chosen.flatMap(([, list]) => list.map((e) => e.id)));
  const shown = episodes.filter((e) => shownIds.has(e.id));

  const length_edges_s = lengthEdges(Math.max(0, ...shown.map((e) => e.duration_s)));
  const drop_edges = dropEdges(Math.max(0, ...shown.map((e) => e.dropped)));
  const dayIndices = shown.map((e) => dayIndex(e.started_at_unix_ms, utc_offset_min));
  const first = Math.min(...dayIndices);
  const last = Math.max(...dayIndices);
  const days = shown.length === 0 ? [] : Array.from({ length: last - first + 1 }, (_, i) => first + i);
  return {
    by,
    available: all.map(([key, list]) => ({ key, episodes: list.length })),
    groups: chosen.map(([key, list]) => summarise(key, list, length_edges_s, drop_edges, days, utc_offset_min)),
    total: summarise('all', shown, length_edges_s, drop_edges, days, utc_offset_min),
    length_edges_s,
    drop_edges,
    days: days.map(dayName),
  };
}

interface RawRow {
  id: number;
  task: string;
  operator: string;
  outcome: StatsEpisode['outcome'];
  started_at_unix_ms: number;
  duration_s: number;
  dropped: number;
  tags_json: string;
}

/**
 * Saved episodes only — the dataset. Takes being recorded, discarded or interrupted are not in it, nor
 * one waiting for its deletion to be confirmed. Length and drops are computed as the episode list does.
 */
export function readStatsEpisodes(db: Database.Database): StatsEpisode[] {
  const rows = db
    .prepare(
      `SELECT e.id, e.task, s.operator, e.outcome, e.started_at_unix_ms,
              (COALESCE(e.end_ns, e.start_ns) - e.start_ns) / 1e9 AS duration_s,
              COALESCE((SELECT SUM(dropped_count) FROM streams WHERE episode_id = e.id), 0) AS dropped,
              (SELECT json_group_array(tag) FROM episode_tags WHERE episode_id = e.id) AS tags_json
       FROM episodes e JOIN sessions s ON s.id = e.session_id
       WHERE e.status = 'saved' AND e.delete_requested_unix_ms IS NULL
       ORDER BY e.id`,
    )
    .safeIntegers(false)
    .all() as RawRow[];
  return rows.map(({ tags_json, ...row }) => ({ ...row, tags: (JSON.parse(tags_json) as string[]).sort() }));
}

/** The statistics of the store's saved episodes. */
export function datasetStats(db: Database.Database, request: StatsRequest): DatasetStats {
  return aggregateStats(readStatsEpisodes(db), request);
}
