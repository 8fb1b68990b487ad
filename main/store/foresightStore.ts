import type Database from 'better-sqlite3';

/**
 * The memory of foresight: every decision the world model informed (imagination_runs), linked to its
 * episode, so what was predicted can be checked against what really happened — per run (real_json,
 * written after the chosen chunk ran) and per episode (its outcome).
 */
export interface ForesightCandidate {
  /** Where the candidate came from: the pack's policy (sample index), the operator, a remote policy, a perturbation. */
  source: string;
  success_prob: number;
  progress: number[];
  /** The candidate's first chunk as executed if chosen: L × A raw actions. */
  chunk: number[][];
}

export interface ForesightRun {
  episode_id: number | null;
  t_ns: bigint;
  model: { name: string; version: string; dir: string };
  pack_sha256: string;
  provider: string;
  /** off | rank | gate | approve | preview. */
  mode: string;
  /** executed | rejected | gated | preview. */
  decision: string;
  horizon: number;
  latency_ms: number;
  input_hash: string;
  candidates: ForesightCandidate[];
  chosen_index: number | null;
}

export interface ForesightRow extends Omit<ForesightRun, 't_ns'> {
  id: number;
  t_ns: string;
  created_at_unix_ms: number;
  chosen_success_prob: number | null;
  real: Record<string, unknown> | null;
  /** The episode's outcome (success | failure | unknown), when linked. */
  episode_outcome: string | null;
  /** Its session's operator (a policy run names the policy, mode and settings there). */
  operator: string | null;
}

interface RawRow {
  id: number;
  episode_id: number | null;
  created_at_unix_ms: number;
  t_ns: bigint | null;
  model_json: string;
  candidates_json: string;
  chosen_index: number | null;
  pack_sha256: string;
  provider: string;
  mode: string;
  decision: string;
  horizon: number;
  latency_ms: number | null;
  input_hash: string;
  chosen_success_prob: number | null;
  real_json: string | null;
  episode_outcome: string | null;
  operator: string | null;
}

export class ForesightStore {
  private readonly insert: Database.Statement;
  private readonly real: Database.Statement;

  constructor(private readonly db: Database.Database) {
    this.insert = db.prepare(`
      INSERT INTO imagination_runs (episode_id, created_at_unix_ms, t_ns, model_json, candidates_json, chosen_index, pack_sha256, provider, mode, decision, horizon, latency_ms, input_hash, chosen_success_prob)
      VALUES (@episode_id, @created, @t_ns, @model_json, @candidates_json, @chosen_index, @pack_sha256, @provider, @mode, @decision, @horizon, @latency_ms, @input_hash, @chosen_success_prob)`);
    this.real = db.prepare('UPDATE imagination_runs SET real_json = ? WHERE id = ?');
  }

  record(run: ForesightRun, now_unix_ms = Date.now()): number {
    const chosen = run.chosen_index === null ? null : (run.candidates[run.chosen_index]?.success_prob ?? null);
    const info = this.insert.run({
      episode_id: run.episode_id,
      created: now_unix_ms,
      t_ns: run.t_ns,
      model_json: JSON.stringify(run.model),
      candidates_json: JSON.stringify(run.candidates),
      chosen_index: run.chosen_index,
      pack_sha256: run.pack_sha256,
      provider: run.provider,
      mode: run.mode,
      decision: run.decision,
      horizon: run.horizon,
      latency_ms: run.latency_ms,
      input_hash: run.input_hash,
      chosen_success_prob: chosen,
    });
    return Number(info.lastInsertRowid);
  }

  /** What really happened after a run's chosen chunk (e.g. the task's progress, success so far). */
  recordReal(id: number, real: Record<string, unknown>): void {
    this.real.run(JSON.stringify(real), id);
  }

  get(id: number): ForesightRow | undefined {
    return this.list({ id }).at(0);
  }

  list(filter: { id?: number; episode_id?: number; pack_sha256?: string; mode?: string; limit?: number } = {}): ForesightRow[] {
    const where: string[] = [];
    const params: Record<string, unknown> = { limit: filter.limit ?? 10_000 };
    if (filter.id !== undefined) {
      where.push('r.id = @id');
      params.id = filter.id;
    }
    if (filter.episode_id !== undefined) {
      where.push('r.episode_id = @episode_id');
      params.episode_id = filter.episode_id;
    }
    if (filter.pack_sha256 !== undefined) {
      where.push('r.pack_sha256 = @pack_sha256');
      params.pack_sha256 = filter.pack_sha256;
    }
    if (filter.mode !== undefined) {
      where.push('r.mode = @mode');
      params.mode = filter.mode;
    }
    const rows = this.db
      .prepare(
        `SELECT r.*, e.outcome AS episode_outcome, s.operator AS operator FROM imagination_runs r
         LEFT JOIN episodes e ON e.id = r.episode_id LEFT JOIN sessions s ON s.id = e.session_id
         ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY r.id LIMIT @limit`,
      )
      .safeIntegers(false)
      .all(params) as RawRow[];
    return rows.map((row) => ({
      id: row.id,
      episode_id: row.episode_id,
      created_at_unix_ms: row.created_at_unix_ms,
      t_ns: String(row.t_ns ?? 0),
      model: JSON.parse(row.model_json) as ForesightRun['model'],
      pack_sha256: row.pack_sha256,
      provider: row.provider,
      mode: row.mode,
      decision: row.decision,
      horizon: row.horizon,
      latency_ms: row.latency_ms ?? 0,
      input_hash: row.input_hash,
      candidates: JSON.parse(row.candidates_json) as ForesightCandidate[],
      chosen_index: row.chosen_index,
      chosen_success_prob: row.chosen_success_prob,
      real: row.real_json === null ? null : (JSON.parse(row.real_json) as Record<string, unknown>),
      episode_outcome: row.episode_outcome,
      operator: row.operator,
    }));
  }
}
