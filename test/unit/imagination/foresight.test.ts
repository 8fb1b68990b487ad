import { describe, expect, test } from 'vitest';
import { foresightHandlers } from '../../../main/api/handlers/foresight';
import { auroc, calibrationSummary, kendallTau, spearman } from '../../../main/imagination/calibration';
import { openStore } from '../../../main/store/database';
import type { ForesightService } from '../../../main/runtime/foresightService';
import { ForesightStore, type ForesightRun } from '../../../main/store/foresightStore';
import { useTempDirs } from '../../support/tempDir';

describe('calibration of success estimates', () => {
  test('AUROC: perfect, inverted, ties and a hand-computed case', () => {
    expect(auroc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])).toBe(1);
    expect(auroc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1])).toBe(0);
    expect(auroc([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1])).toBe(0.5);
    // Positives 0.4 and 0.9 against negatives 0.3 and 0.6: (1 + 0) + (1 + 1) of 4 pairs.
    expect(auroc([0.3, 0.4, 0.6, 0.9], [0, 1, 0, 1])).toBe(0.75);
    expect(auroc([0.3, 0.4], [1, 1])).toBeNull();
    expect(spearman([1, 2, 3, 4], [10, 20, 30, 40])).toBeCloseTo(1, 12);
    expect(spearman([1, 2, 3, 4], [4, 3, 2, 1])).toBeCloseTo(-1, 12);
    // Kendall τ-b: 5 concordant, 1 discordant pair of 6; ties in one ranking shrink the denominator.
    expect(kendallTau([1, 2, 3, 4], [1, 3, 2, 4])).toBeCloseTo(4 / 6, 12);
    expect(kendallTau([1, 2, 3], [3, 2, 1])).toBe(-1);
    expect(kendallTau([1, 1, 2], [1, 2, 3])).toBeCloseTo(2 / Math.sqrt(2 * 3), 12);
    expect(kendallTau([1, 1, 1], [1, 2, 3])).toBeNull();
  });

  test('summary: Brier, reliability bins, ECE and per-policy rates counted per episode', () => {
    const s = calibrationSummary([
      { p: 0.9, y: 1, group: 'a', episode: 1 },
      { p: 0.7, y: 1, group: 'a', episode: 1 },
      { p: 0.2, y: 0, group: 'b', episode: 2 },
      { p: 0.4, y: 1, group: 'b', episode: 3 },
    ]);
    expect(s).toMatchObject({ runs: 4, episodes: 3, positives: 3 });
    expect(s.brier).toBeCloseTo((0.01 + 0.09 + 0.04 + 0.36) / 4, 12);
    expect(s.reliability.find((b) => b.lo === 0.9)).toMatchObject({ n: 1, observed_rate: 1 });
    expect(s.groups).toEqual([
      { group: 'a', episodes: 1, predicted: 0.8, real: 1 },
      { group: 'b', episodes: 2, predicted: expect.closeTo(0.3, 12), real: 0.5 },
    ]);
    expect(s.ece).toBeCloseTo((1 / 4) * 0.1 + (1 / 4) * 0.3 + (1 / 4) * 0.6 + (1 / 4) * 0.2, 12);
  });
});

describe('the memory of foresight', () => {
  const tempDir = useTempDirs();

  test('runs are stored, linked to their episode and its outcome, given their real outcome, and queried through the API', async () => {
    const store = openStore({ dataDir: tempDir(), appVersion: 'test' });
    const db = store.db;
    db.prepare(
      "INSERT INTO sessions (id, started_at_unix_ms, operator, rig_name, rig_config_json, app_version) VALUES (1, 0, 'policy p mode=rank', 'sim', '{}', 'test')",
    ).run();
    for (const [id, outcome] of [
      [1, 'success'],
      [2, 'failure'],
    ] as const) {
      db.prepare(
        "INSERT INTO episodes (id, session_id, status, outcome, started_at_unix_ms, start_ns, target_fps_hz) VALUES (?, 1, 'saved', ?, 0, 0, 10)",
      ).run(id, outcome);
    }
    const foresight = new ForesightStore(db);
    const run = (episode_id: number, p: number[], chosen: number | null): ForesightRun => ({
      episode_id,
      t_ns: 123_000_000_000n,
      model: { name: 'gwm-lite-sim-franka', version: '0.1.0', dir: '/packs/x' },
      pack_sha256: 'a'.repeat(64),
      provider: 'cpu',
      mode: 'rank',
      decision: chosen === null ? 'gated' : 'executed',
      horizon: 2,
      latency_ms: 812.5,
      input_hash: 'b'.repeat(32),
      candidates: p.map((success_prob, k) => ({
        source: `policy:sample-${k}`,
        success_prob,
        progress: [0, 0.1, 0.2],
        chunk: [[0, 0, -0.01, 0, 0, 0, 1]],
      })),
      chosen_index: chosen,
    });
    const first = foresight.record(run(1, [0.3, 0.8], 1), 1000);
    foresight.record(run(2, [0.6, 0.2], 0), 2000);
    foresight.record(run(2, [0.1], null), 3000);
    foresight.recordReal(first, { success: false, object_target_distance_m: 0.12 });

    // Stored runs and calibration never touch the live service (tested with a running rig in foresightLive.test.ts).
    const handlers = foresightHandlers(foresight, null as unknown as ForesightService);
    const context = { connectionId: 't' } as never;
    const all = (await handlers['foresight.runs']({}, context)).runs;
    expect(all).toHaveLength(3);
    expect(all[0]).toMatchObject({
      id: first,
      episode_id: 1,
      t_ns: '123000000000',
      chosen_index: 1,
      chosen_success_prob: 0.8,
      decision: 'executed',
      real: { success: false, object_target_distance_m: 0.12 },
      episode_outcome: 'success',
      operator: 'policy p mode=rank',
      latency_ms: 812.5,
    });
    expect(all[2]).toMatchObject({
      decision: 'gated',
      chosen_index: null,
      chosen_success_prob: null,
      real: null,
      episode_outcome: 'failure',
    });
    expect((await handlers['foresight.runs']({ episode_id: 2 }, context)).runs.map((r) => r.id)).toEqual([all[1]!.id, all[2]!.id]);
    // The gated run chose nothing, so it predicts nothing: two predictions, one per outcome.
    const calibration = await handlers['foresight.calibration']({}, context);
    expect(calibration).toMatchObject({ runs: 2, episodes: 2, positives: 1, auroc: 1 });
    expect(calibration.groups).toEqual([{ group: 'policy p mode=rank', episodes: 2, predicted: expect.closeTo(0.7, 12), real: 0.5 }]);
    // Deleting an episode keeps its runs, unlinked.
    db.prepare('DELETE FROM episodes WHERE id = 2').run();
    expect((await handlers['foresight.runs']({}, context)).runs.map((r) => r.episode_id)).toEqual([1, null, null]);
    store.close();
  });
});
