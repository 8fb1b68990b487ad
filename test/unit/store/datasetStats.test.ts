import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, test } from 'vitest';
import { aggregateStats, datasetStats, dropEdges, lengthEdges, policyOf, readStatsEpisodes } from '../../../main/store/datasetStats';
import { recordEpisodes, type FixtureEpisode } from '../../support/recordedEpisodes';
import { useTempDirs } from '../../support/tempDir';

/*
 * The numbers of the Statistics view against a store whose episodes are known: recorded through the
 * real recorder and writer, then given exact lengths, days and drop counts, so every expected value
 * below is worked out by hand from this table, not by a second implementation.
 *
 *   #   task   operator  tags           outcome  started (UTC)       length  dropped
 *   1   pick   ada       —              success  2025-03-01 10:00    2.0     0
 *   2   pick   ada       red            success  2025-03-01 11:00    3.0     5
 *   3   pick   bob       red, tricky    failure  2025-03-02 23:30    4.5     0
 *   4   pick   bob       —              unknown  2025-03-02 23:40    1.2     12
 *   5   place  ada       tricky         failure  2025-03-03 12:00    6.0     0
 *   6   place  POLICY    —              success  2025-03-03 12:10    5.0     1
 *   7   place  POLICY    —              failure  2025-03-03 12:20    5.5     0
 *   8   stack  EXPERT    —              success  2025-03-01 12:00    2.5     0
 *   9   pick   EXPERT    —              success  (discarded: not in the dataset)
 *  10   pick   EXPERT    —              success  (deletion requested: not in it either)
 */
const POLICY = 'policy gwm-lite-sim-franka@3 mode=rank K=8 H=4 margin=0.05 temperature=1';
const EXPERT = 'expert grasp_offset_m=0.012 chunk_length=8';
const utc = (iso: string) => Date.parse(`${iso}:00Z`);
const TABLE: (FixtureEpisode & { at: string; length_s: number; dropped: number })[] = [
  { task: 'pick', operator: 'ada', outcome: 'success', at: '2025-03-01T10:00', length_s: 2.0, dropped: 0, duration_s: 0.2 },
  { task: 'pick', operator: 'ada', tags: ['red'], outcome: 'success', at: '2025-03-01T11:00', length_s: 3.0, dropped: 5, duration_s: 0.2 },
  {
    task: 'pick',
    operator: 'bob',
    tags: ['red', 'tricky'],
    outcome: 'failure',
    at: '2025-03-02T23:30',
    length_s: 4.5,
    dropped: 0,
    duration_s: 0.2,
  },
  { task: 'pick', operator: 'bob', outcome: 'unknown', at: '2025-03-02T23:40', length_s: 1.2, dropped: 12, duration_s: 0.2 },
  {
    task: 'place',
    operator: 'ada',
    tags: ['tricky'],
    outcome: 'failure',
    at: '2025-03-03T12:00',
    length_s: 6.0,
    dropped: 0,
    duration_s: 0.2,
  },
  { task: 'place', operator: POLICY, outcome: 'success', at: '2025-03-03T12:10', length_s: 5.0, dropped: 1, duration_s: 0.2 },
  { task: 'place', operator: POLICY, outcome: 'failure', at: '2025-03-03T12:20', length_s: 5.5, dropped: 0, duration_s: 0.2 },
  { task: 'stack', operator: EXPERT, outcome: 'success', at: '2025-03-01T12:00', length_s: 2.5, dropped: 0, duration_s: 0.2 },
  { task: 'pick', operator: EXPERT, outcome: 'success', at: '2025-03-01T13:00', length_s: 9.0, dropped: 99, duration_s: 0.2 },
  { task: 'pick', operator: EXPERT, outcome: 'success', at: '2025-03-01T14:00', length_s: 9.0, dropped: 99, duration_s: 0.2 },
];

async function knownStore(dataDir: string): Promise<Database.Database> {
  const { ids } = await recordEpisodes(dataDir, { episodes: TABLE, cameras: [], arm_hz: 20, jpegFrames: [] });
  const db = new Database(join(dataDir, 'studio.db'));
  const setEpisode = db.prepare('UPDATE episodes SET started_at_unix_ms = ?, start_ns = 0, end_ns = ? WHERE id = ?');
  const clearDrops = db.prepare('UPDATE streams SET dropped_count = 0 WHERE episode_id = ?');
  const setDrops = db.prepare('UPDATE streams SET dropped_count = ? WHERE id = (SELECT MIN(id) FROM streams WHERE episode_id = ?)');
  TABLE.forEach((row, i) => {
    setEpisode.run(utc(row.at), BigInt(Math.round(row.length_s * 1e9)), ids[i]);
    clearDrops.run(ids[i]);
    setDrops.run(row.dropped, ids[i]);
  });
  db.prepare("UPDATE episodes SET status = 'discarded' WHERE id = ?").run(ids[8]);
  db.prepare('UPDATE episodes SET delete_requested_unix_ms = 1 WHERE id = ?').run(ids[9]);
  return db;
}

/** `check` against a fresh store holding TABLE, closed afterwards whether or not `check` passed. */
async function withKnownStore(dataDir: string, check: (db: Database.Database) => void): Promise<void> {
  const db = await knownStore(dataDir);
  try {
    check(db);
  } finally {
    db.close();
  }
}

describe('dataset statistics (the Statistics view)', () => {
  const tempDir = useTempDirs();

  test('per task: counts by outcome, success over the labelled, lengths, drops and days, worked out by hand', async () => {
    await withKnownStore(tempDir(), (db) => {
      const stats = datasetStats(db, { by: 'task', utc_offset_min: 0 });
      expect(stats.available).toEqual([
        { key: 'pick', episodes: 4 },
        { key: 'place', episodes: 3 },
        { key: 'stack', episodes: 1 },
      ]);
      const [pick, place, stack] = stats.groups;
      expect(pick).toMatchObject({ key: 'pick', episodes: 4, success: 2, failure: 1, unknown: 1, total_dropped: 17 });
      expect(pick!.success_rate).toBeCloseTo(2 / 3, 12);
      expect(pick!.total_duration_s).toBeCloseTo(10.7, 9);
      expect(pick!.median_duration_s).toBeCloseTo(2.5, 9);
      expect(place).toMatchObject({ episodes: 3, success: 1, failure: 2, unknown: 0, total_dropped: 1 });
      expect(place!.success_rate).toBeCloseTo(1 / 3, 12);
      expect(place!.median_duration_s).toBeCloseTo(5.5, 9);
      expect(stack).toMatchObject({ episodes: 1, success: 1, failure: 0, success_rate: 1 });
      expect(stats.total).toMatchObject({ key: 'all', episodes: 8, success: 4, failure: 3, unknown: 1, total_dropped: 18 });
      expect(stats.total.success_rate).toBeCloseTo(4 / 7, 12);

      // Lengths: the longest is 6.0 s → 0.5 s bins up to 6.5. pick: 1.2 → [1, 1.5), 2.0 → [2, 2.5), 3.0 → [3, 3.5), 4.5 → [4.5, 5).
      expect(stats.length_edges_s).toEqual([0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5, 5.5, 6, 6.5]);
      expect(pick!.length_counts).toEqual([0, 0, 1, 0, 1, 0, 1, 0, 0, 1, 0, 0, 0]);
      expect(place!.length_counts).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1]);
      expect(stats.total.length_counts.reduce((a, b) => a + b, 0)).toBe(8);
      // Drops: 0 alone, then bins of 2 from 1 up to the 12 of episode 4.
      expect(stats.drop_edges).toEqual([0, 1, 3, 5, 7, 9, 11, 13]);
      expect(pick!.drop_counts).toEqual([2, 0, 0, 1, 0, 0, 1]);
      expect(place!.drop_counts).toEqual([2, 1, 0, 0, 0, 0, 0]);
      expect(stats.total.drop_counts).toEqual([5, 1, 0, 1, 0, 0, 1]);

      // Per day (UTC): three days; a day without labelled episodes has no rate, not a zero.
      expect(stats.days).toEqual(['2025-03-01', '2025-03-02', '2025-03-03']);
      expect(pick!.per_day).toEqual([
        { day: '2025-03-01', episodes: 2, success: 2, failure: 0, success_rate: 1 },
        { day: '2025-03-02', episodes: 2, success: 0, failure: 1, success_rate: 0 },
        { day: '2025-03-03', episodes: 0, success: 0, failure: 0, success_rate: null },
      ]);
      expect(stats.total.per_day.map((d) => [d.episodes, d.success_rate])).toEqual([
        [3, 1],
        [2, 0],
        [3, 1 / 3],
      ]);
    });
  });

  test("days are the user's days: an hour east of UTC, 23:30 on the 2nd is the 3rd", async () => {
    await withKnownStore(tempDir(), (db) => {
      const stats = datasetStats(db, { by: 'task', utc_offset_min: 60 });
      expect(stats.days).toEqual(['2025-03-01', '2025-03-02', '2025-03-03']);
      expect(stats.total.per_day.map((d) => d.episodes)).toEqual([3, 0, 5]);
      expect(stats.total.per_day[1]!.success_rate).toBeNull();
      // Episodes 3 (failure), 4 (unknown), 5 (failure), 6 (success), 7 (failure).
      expect(stats.total.per_day[2]).toMatchObject({ success: 1, failure: 3, success_rate: 0.25 });
    });
  });

  test('per tag: an episode is in each of its tags, untagged ones in (none); a filter counts an episode once in the total', async () => {
    await withKnownStore(tempDir(), (db) => {
      const all = datasetStats(db, { by: 'tag', utc_offset_min: 0 });
      expect(all.available).toEqual([
        { key: '(none)', episodes: 5 },
        { key: 'red', episodes: 2 },
        { key: 'tricky', episodes: 2 },
      ]);
      const some = datasetStats(db, { by: 'tag', groups: ['red', 'tricky'], utc_offset_min: 0 });
      expect(some.groups.map((g) => [g.key, g.episodes, g.success, g.failure])).toEqual([
        ['red', 2, 1, 1],
        ['tricky', 2, 0, 2],
      ]);
      // Episodes 2, 3 and 5: three, not four (3 has both tags).
      expect(some.total).toMatchObject({ episodes: 3, success: 1, failure: 2 });
      expect(some.total.success_rate).toBeCloseTo(1 / 3, 12);
      // The histograms are binned over the shown episodes only (the longest shown is 6.0 s, the most drops 5).
      expect(some.drop_edges).toEqual([0, 1, 2, 3, 4, 5, 6]);
      // The filter still offers every tag.
      expect(some.available).toEqual(all.available);
    });
  });

  test('per policy and per operator: policy runs by pack and mode, expert variants by their knobs, people as teleop', async () => {
    await withKnownStore(tempDir(), (db) => {
      const byPolicy = datasetStats(db, { by: 'policy', utc_offset_min: 0 });
      expect(byPolicy.groups.map((g) => [g.key, g.episodes, g.success, g.failure, g.unknown])).toEqual([
        ['teleop', 5, 2, 2, 1],
        ['gwm-lite-sim-franka@3 · rank', 2, 1, 1, 0],
        [EXPERT, 1, 1, 0, 0],
      ]);
      const byOperator = datasetStats(db, { by: 'operator', utc_offset_min: 0 });
      expect(byOperator.groups.map((g) => [g.key, g.episodes])).toEqual([
        ['ada', 3],
        ['bob', 2],
        [POLICY, 2],
        [EXPERT, 1],
      ]);
      // Only saved episodes that are not waiting for deletion: the dataset.
      expect(readStatsEpisodes(db)).toHaveLength(8);
    });
  });

  test('policy names, bins and an empty store', () => {
    expect(policyOf({ operator: 'remote policy ws://gpu:8000 mode=gate H=2 (imagined by gwm@1)', tags: [] })).toBe(
      'remote ws://gpu:8000 · gate',
    );
    expect(policyOf({ operator: '', tags: ['imported', 'lerobot'] })).toBe('imported');
    expect(policyOf({ operator: 'expertise', tags: [] })).toBe('teleop');
    expect(lengthEdges(0)).toEqual([0, 0.1]);
    expect(lengthEdges(30)).toEqual([0, 5, 10, 15, 20, 25, 30, 35]);
    expect(dropEdges(0)).toEqual([0, 1]);
    expect(dropEdges(1)).toEqual([0, 1, 2]);
    const empty = aggregateStats([], { by: 'task', utc_offset_min: 0 });
    expect(empty).toMatchObject({
      groups: [],
      available: [],
      days: [],
      total: { episodes: 0, success_rate: null, median_duration_s: null },
    });
  });
});
