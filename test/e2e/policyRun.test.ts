import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, test } from 'vitest';
import { DEFAULT_RANK_MARGIN } from '../../main/imagination/policyEpisodes';
import { requirePeerPython, startPeer, stopPeer } from '../support/openpiPeer';
import { useTempDirs } from '../support/tempDir';

/**
 * The imagination runtime as a user runs it: `studio policy run --mode rank` drives the simulated rig
 * with the reference pack's policy, ranking K imagined candidates at every chunk; its episodes are
 * stored like teleop episodes (tagged with policy and mode) and every decision with its candidates,
 * the choice and what really followed. `studio imagine` prints one preview.
 */
const STUDIO = resolve('bin/studio.js');

function studio(...args: string[]): { stdout: string; stderr: string; status: number | null } {
  const result = spawnSync(process.execPath, [STUDIO, ...args], { encoding: 'utf8' });
  return { stdout: result.stdout, stderr: result.stderr, status: result.status };
}

const jsonLines = (text: string) =>
  text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, any>);

describe('studio policy run / studio imagine', () => {
  const tempDir = useTempDirs();

  test('policy run --mode rank: episodes recorded with real outcomes, every decision stored and linked', () => {
    const dataDir = tempDir();
    const run = studio(
      'policy',
      'run',
      '--sim',
      '--mode',
      'rank',
      '--candidates',
      '3',
      '--horizon',
      '1',
      '--episodes',
      '1',
      '--max-duration-s',
      '3.2',
      '--seed',
      '2',
      '--provider',
      'cpu',
      '--json',
      '--data-dir',
      dataDir,
    );
    expect(run.status, run.stderr).toBe(0);
    const lines = jsonLines(run.stdout);
    const [episode, summary] = [lines[0]!, lines.at(-1)!.summary as Record<string, any>];
    // 3.2 s at 10 Hz in chunks of 8: four decisions, 32 steps.
    expect(episode).toMatchObject({ episode: 0, mode: 'rank', chunks: 4, steps: 32, foresight_runs: 4, ended_by: 'timeout' });
    expect(summary).toMatchObject({
      mode: 'rank',
      episodes: 1,
      K: 3,
      H: 1,
      execute_steps: 8,
      seed: 2,
      provider: 'cpu',
      pack: 'gwm-lite-sim-franka',
    });
    expect(summary.success_rate).toBe(episode.success ? 1 : 0);

    const db = new Database(join(dataDir, 'studio.db'), { readonly: true });
    const stored = db.prepare('SELECT id, status, outcome FROM episodes').all() as { id: number; status: string; outcome: string }[];
    expect(stored).toEqual([{ id: episode.id, status: 'saved', outcome: episode.success ? 'success' : 'failure' }]);
    const tags = (db.prepare('SELECT tag FROM episode_tags WHERE episode_id = ? ORDER BY tag').all(episode.id) as { tag: string }[]).map(
      (t) => t.tag,
    );
    expect(tags).toEqual(['mode:rank', 'policy:gwm-lite-sim-franka']);
    const operator = (db.prepare('SELECT operator FROM sessions').get() as { operator: string }).operator;
    expect(operator).toMatch(/^policy gwm-lite-sim-franka@.* mode=rank K=3 H=1/);
    // The policy's actions were recorded like any other source's: one per step plus the final observation.
    const actions = db.prepare("SELECT sample_count FROM streams WHERE episode_id = ? AND name = 'action.requested'").get(episode.id) as {
      sample_count: number;
    };
    expect(actions.sample_count).toBe(33);

    const runs = db.prepare('SELECT * FROM imagination_runs ORDER BY id').all() as Record<string, any>[];
    expect(runs).toHaveLength(4);
    let lastT = 0n;
    for (const row of runs) {
      expect(row).toMatchObject({ episode_id: episode.id, mode: 'rank', decision: 'executed', provider: 'cpu', horizon: 1 });
      expect(row.pack_sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(row.input_hash).toMatch(/^[0-9a-f]{32}$/);
      expect(row.latency_ms).toBeGreaterThan(0);
      const candidates = JSON.parse(row.candidates_json) as { success_prob: number; chunk: number[][] }[];
      expect(candidates).toHaveLength(3);
      // Rank executes the best predicted candidate if it beats the policy's own chunk (candidate 0) by the margin (default 0.05), else the policy's.
      const best = candidates.reduce((b, c, i) => (c.success_prob > (candidates[b]?.success_prob ?? -1) ? i : b), 0);
      const chosen = candidates[best]!.success_prob - candidates[0]!.success_prob >= DEFAULT_RANK_MARGIN ? best : 0;
      expect(row.chosen_index).toBe(chosen);
      expect(row.chosen_success_prob).toBeCloseTo(candidates[chosen]!.success_prob, 6);
      expect(candidates[chosen]!.chunk).toHaveLength(8);
      // What really followed the chosen chunk, one chunk (0.8 s) later each time.
      const real = JSON.parse(row.real_json as string) as { sim_time_s: number; success: boolean };
      expect(real.sim_time_s).toBeCloseTo(0.8 * (runs.indexOf(row) + 1), 6);
      expect(BigInt(row.t_ns)).toBeGreaterThan(lastT);
      lastT = BigInt(row.t_ns);
    }
    db.close();
  });

  test('policy run with a remote policy server (openpi protocol) as the candidate source, ranked in imagination', async () => {
    requirePeerPython();
    const peer = await startPeer('normal');
    try {
      const dataDir = tempDir();
      const run = studio(
        'policy',
        'run',
        '--sim',
        '--remote-url',
        peer.url,
        '--mode',
        'rank',
        '--candidates',
        '2',
        '--horizon',
        '1',
        '--episodes',
        '1',
        '--max-duration-s',
        '1.6',
        '--provider',
        'cpu',
        '--json',
        '--data-dir',
        dataDir,
      );
      expect(run.status, run.stderr).toBe(0);
      const [episode] = jsonLines(run.stdout);
      expect(episode).toMatchObject({ mode: 'rank', chunks: 2, steps: 16, foresight_runs: 2 });
      const db = new Database(join(dataDir, 'studio.db'), { readonly: true });
      const runs = db.prepare('SELECT candidates_json FROM imagination_runs ORDER BY id').all() as { candidates_json: string }[];
      const candidates = JSON.parse(runs[0]!.candidates_json) as { source: string; chunk: number[][] }[];
      expect(candidates.map((c) => c.source)).toEqual(['remote:sample-0', 'remote:sample-1']);
      // The peer's actions: 0.001·(h+1)(j+1) + 0.01·state[j] — step 0 of x moves by 1 mm plus 1 % of x.
      const x0 = candidates[0]!.chunk[0]![0]!;
      expect(x0).toBeGreaterThan(0.001);
      expect(x0).toBeLessThan(0.001 + 0.01 * 1.0);
      const tags = (db.prepare('SELECT tag FROM episode_tags ORDER BY tag').all() as { tag: string }[]).map((t) => t.tag);
      expect(tags).toEqual(['mode:rank', `policy:remote:${peer.url}`]);
      db.close();
    } finally {
      await stopPeer(peer);
    }
    // Nothing listening: a clear error, no episode.
    const unreachable = studio(
      'policy',
      'run',
      '--sim',
      '--remote-url',
      'ws://127.0.0.1:9',
      '--episodes',
      '1',
      '--provider',
      'cpu',
      '--data-dir',
      tempDir(),
    );
    expect(unreachable.status).not.toBe(0);
    expect(unreachable.stderr).toMatch(/cannot reach the policy server at ws:\/\/127\.0\.0\.1:9/);
  });

  test('imagine --sim: one JSON line with the provider, the latency and K candidates', () => {
    const result = studio('imagine', '--sim', '--candidates', '4', '--horizon', '2', '--provider', 'cpu', '--json');
    expect(result.status, result.stderr).toBe(0);
    const [line] = jsonLines(result.stdout);
    expect(line).toMatchObject({ provider: 'cpu', pack: 'gwm-lite-sim-franka', K: 4, H: 2, decoded: true });
    expect(line!.latency_ms).toBeGreaterThan(0);
    expect(Object.keys(line!.timings_ms).sort()).toEqual(['decoder', 'denoiser', 'policy', 'success']);
    expect(line!.candidates).toHaveLength(4);
    expect(line!.candidates[0].source).toBe('policy:mode');
    // Shorter than the success head's horizon (4 chunks): allowed, and said, since its estimates then read low.
    expect(result.stderr).toMatch(/--horizon 2 is shorter than the pack's success horizon \(4 chunks\)/);
  });

  test('imagine eval: expert variants run for real, each estimated just before its grasp; predicted vs real per variant', () => {
    const result = studio('imagine', 'eval', '--episodes', '1', '--grasp-offsets', '0.004,0.035', '--provider', 'cpu', '--json');
    expect(result.status, result.stderr).toBe(0);
    const lines = jsonLines(result.stdout);
    const rows = lines.slice(0, -1);
    expect(rows.map((r) => r.variant)).toEqual(['expert grasp_offset_m=0.004', 'expert grasp_offset_m=0.035']);
    for (const row of rows) {
      expect(row.predicted).toBeGreaterThanOrEqual(0);
      expect(row.predicted).toBeLessThanOrEqual(1);
      // The decision is made on a chunk boundary.
      expect(row.decision_step % 8).toBe(0);
    }
    const summary = lines.at(-1)!.summary;
    // No --horizon: the pack's success horizon, so the head sees the futures it was trained on (and no note).
    expect(summary).toMatchObject({ episodes: 2, pack: 'gwm-lite-sim-franka', provider: 'cpu', H: 4 });
    expect(result.stderr).not.toMatch(/shorter than the pack's success horizon/);
    expect(summary.variants.map((v: { name: string; real: number }) => [v.name, v.real])).toEqual(
      rows.map((r) => [r.variant, r.success ? 1 : 0]),
    );
  });

  test('imagine ranking: K perturbed chunks imagined and each executed for real from one restored simulator state', () => {
    const result = studio('imagine', 'ranking', '--states', '1', '--candidates', '3', '--horizon', '2', '--provider', 'cpu', '--json');
    expect(result.status, result.stderr).toBe(0);
    const [row, last] = jsonLines(result.stdout);
    expect(row!.predicted).toHaveLength(3);
    expect(row!.real).toHaveLength(3);
    // Candidate 0 is the expert's own next chunks; restoring the state makes the others' outcomes comparable.
    expect(row!.decision_step % 8).toBe(0);
    const pick = row!.predicted.indexOf(Math.max(...row!.predicted));
    expect(row!.top1_hit).toBe(row!.real_score[pick] >= Math.max(...row!.real_score) - 1e-9);
    // By outcome class: lifted (2) > grasped (1) > neither (0); the chance is the best class's share.
    const classes = (row!.real as { lifted: boolean; grasped: boolean }[]).map((r) => (r.lifted ? 2 : r.grasped ? 1 : 0));
    const bestClass = Math.max(...classes);
    expect(row!.outcome_top1_hit).toBe(classes[pick] === bestClass);
    expect(row!.outcome_chance).toBeCloseTo(classes.filter((c) => c === bestClass).length / 3, 12);
    // Each candidate's imagined object rise beside the real one: the dynamics or the head, when a pick is wrong.
    expect(row!.imagined_rise_m).toHaveLength(3);
    if (row!.object_splats > 0) for (const rise of row!.imagined_rise_m) expect(Number.isFinite(rise)).toBe(true);
    for (const real of row!.real) expect(real.rise_m).toBeGreaterThan(-0.05);
    // A lifted cube really rose (the simulator's own rule: 2 cm off the table, in the hand).
    for (const real of row!.real) if (real.lifted) expect(real.rise_m).toBeGreaterThanOrEqual(0.015);
    expect(last!.summary).toMatchObject({ states: 1, K: 3, H: 2, chance: 1 / 3, outcome_top1_hit_rate: row!.outcome_top1_hit ? 1 : 0 });
    expect(last!.summary.outcome_chance).toBeCloseTo(row!.outcome_chance, 12);
    const lifts = last!.summary.lifts;
    expect(lifts.real_lifts + lifts.real_non_lifts).toBe(row!.object_splats > 0 ? 3 : 0);
  });

  test('bad input: a missing pack and an explicit provider that cannot run are clear errors, nothing recorded', () => {
    const dataDir = tempDir();
    const missing = studio('policy', 'run', '--sim', '--pack', join(dataDir, 'nope'), '--episodes', '1', '--data-dir', dataDir);
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toMatch(/is not a world-model pack: it has no gwm_manifest\.json/);
    const cuda = studio('imagine', '--sim', '--provider', 'cuda', '--json');
    expect(cuda.status).not.toBe(0);
    expect(cuda.stderr).toMatch(/cuda/i);
    expect(cuda.stderr).toMatch(/--provider cpu or auto/);
    const db = new Database(join(dataDir, 'studio.db'), { readonly: true });
    expect((db.prepare('SELECT COUNT(*) AS n FROM episodes').get() as { n: number }).n).toBe(0);
    db.close();
  });
});
