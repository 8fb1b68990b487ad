import { hostname } from 'node:os';
import type Database from 'better-sqlite3';
import { inPendingImport, isDeadImport, pendingImports } from './importRows';

export interface StoreProblem {
  kind: 'integrity' | 'foreign_key' | 'count_mismatch' | 'interrupted' | 'import_leftover';
  message: string;
  fix?: string;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Pids of processes on this host that are recording into this store right now. */
export function liveWriterPids(db: Database.Database): number[] {
  const rows = db
    .prepare(
      "SELECT DISTINCT s.writer_pid AS pid, s.writer_host AS host FROM sessions s JOIN episodes e ON e.session_id = s.id WHERE e.status = 'recording' AND s.writer_pid IS NOT NULL",
    )
    .all() as { pid: number; host: string | null }[];
  return rows.filter((row) => row.host === hostname() && processAlive(row.pid)).map((row) => row.pid);
}

/**
 * Episodes still marked 'recording' whose recording process is gone (killed, crashed, the machine
 * rebooted): interrupted in fact, whatever the row says until `markInterrupted` or the user resolves it.
 */
export function strandedRecordingIds(db: Database.Database): Set<number> {
  const live = new Set(liveWriterPids(db));
  const rows = db
    .prepare("SELECT e.id, s.writer_pid AS pid FROM episodes e JOIN sessions s ON s.id = e.session_id WHERE e.status = 'recording'")
    .all() as { id: number; pid: number | null }[];
  return new Set(rows.filter((row) => row.pid === null || !live.has(row.pid)).map((row) => row.id));
}

/**
 * Everything `studio db check` looks at: SQLite's own integrity check, foreign keys, stream counters
 * against the rows they count, and episodes a crash left behind. Read-only.
 */
export function checkStore(db: Database.Database): StoreProblem[] {
  const problems: StoreProblem[] = [];
  const integrity = db.pragma('integrity_check') as { integrity_check: string }[];
  for (const { integrity_check: line } of integrity) {
    if (line !== 'ok')
      problems.push({
        kind: 'integrity',
        message: `integrity: ${line}`,
        fix: 'Copy the data directory somewhere safe, then export what can be read; the sqlite3 `.recover` command can salvage rows.',
      });
  }
  // An import's rows have no stream row until it is moved in (store/importRows.ts): those are not damage.
  const imports = pendingImports(db);
  const bulk = new Set(imports.length > 0 ? ['samples', 'frames'] : []);
  const foreign = db.pragma('foreign_key_check') as { table: string; rowid: number | null; parent: string }[];
  for (const row of foreign) {
    if (bulk.has(row.table)) continue; // counted per stream below
    problems.push({
      kind: 'foreign_key',
      message: `orphaned row in ${row.table}${row.rowid === null ? '' : ` (rowid ${row.rowid})`}: its ${row.parent} is missing`,
    });
  }
  for (const table of bulk) {
    const orphans = db
      .prepare(
        `SELECT stream_id, COUNT(*) AS n FROM ${table} t WHERE NOT EXISTS (SELECT 1 FROM streams WHERE id = t.stream_id) GROUP BY stream_id`,
      )
      .all() as { stream_id: number; n: number }[];
    for (const row of orphans)
      if (!inPendingImport(imports, row.stream_id))
        problems.push({ kind: 'foreign_key', message: `${row.n} orphaned rows in ${table}: their stream ${row.stream_id} is missing` });
  }
  for (const reservation of imports.filter(isDeadImport))
    problems.push({
      kind: 'import_leftover',
      message: `an import (process ${reservation.pid}, started ${new Date(reservation.started_at_unix_ms).toISOString()}) stopped before it was moved in; its rows take space but no episode shows them`,
      fix: 'The next `studio import` into this data directory removes them.',
    });
  const mismatched = db
    .prepare(
      `SELECT s.id, s.episode_id, s.name, s.sample_count,
              (SELECT COUNT(*) FROM samples WHERE stream_id = s.id) + (SELECT COUNT(*) FROM frames WHERE stream_id = s.id) AS actual
       FROM streams s WHERE actual <> s.sample_count`,
    )
    .all() as { episode_id: number; name: string; sample_count: number; actual: number }[];
  for (const row of mismatched) {
    problems.push({
      kind: 'count_mismatch',
      message: `episode ${row.episode_id} stream "${row.name}" says ${row.sample_count} samples but holds ${row.actual}`,
    });
  }
  const live = new Set(liveWriterPids(db));
  const stranded = db
    .prepare(
      "SELECT e.id, e.status, s.writer_pid AS pid FROM episodes e JOIN sessions s ON s.id = e.session_id WHERE e.status IN ('interrupted', 'recording') ORDER BY e.id",
    )
    .all() as { id: number; status: string; pid: number | null }[];
  for (const row of stranded) {
    if (row.status === 'recording' && row.pid !== null && live.has(row.pid)) continue;
    problems.push({
      kind: 'interrupted',
      message: `episode ${row.id} was interrupted (its recording process ${row.status === 'recording' ? 'is gone' : 'stopped before it was saved'})`,
      fix: `Keep it with \`studio db save ${row.id}\` or drop it with \`studio db discard ${row.id}\`.`,
    });
  }
  return problems;
}

/**
 * Marks episodes still 'recording' whose writer process is not in `alive` as 'interrupted' (ending
 * them at their newest sample), so the user can save or discard them. Returns their ids.
 */
export function markInterrupted(db: Database.Database, alive: ReadonlySet<number>): number[] {
  const candidates = db
    .prepare("SELECT e.id, s.writer_pid AS pid FROM episodes e JOIN sessions s ON s.id = e.session_id WHERE e.status = 'recording'")
    .all() as { id: number; pid: number | null }[];
  const stale = candidates.filter((row) => row.pid === null || !alive.has(row.pid)).map((row) => row.id);
  const mark = db.prepare(
    "UPDATE episodes SET status = 'interrupted', end_ns = COALESCE(end_ns, (SELECT MAX(last_t_ns) FROM streams WHERE episode_id = episodes.id), start_ns) WHERE id = ?",
  );
  db.transaction(() => stale.forEach((id) => mark.run(id)))();
  return stale;
}
