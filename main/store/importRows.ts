import { hostname } from 'node:os';
import type Database from 'better-sqlite3';
import { StudioError } from '../../shared/api/errors';
import { prepareRowStatements, type RowStatements, StreamTally } from './rowStatements';
import type { WriterOp } from './writeOps';

/**
 * An import's bulk rows (samples and frames) go straight into the store's own tables, in short
 * transactions, while the import runs — so moving the import in at the end is one tiny transaction
 * that only adds the rows naming them (session, episodes, streams, tags, segments), however long the
 * dataset. Until then nothing sees the rows: every read reaches samples and frames through a stream
 * row, and the import's stream ids have none yet.
 *
 * The ids are reserved when the import starts: a range far above every stream id in use (a recorder
 * writing meanwhile takes the next ids after the highest stream row, so it would need RESERVE_GAP
 * streams to reach the range; the final transaction checks that it did not). The reservation is a
 * `store_meta` row written in the same kind of tiny transaction, so a killed import's rows can be
 * found and removed (`discardDeadImports`, run by the next import) and `studio db check` can tell them
 * from damage.
 */

export interface ImportReservation {
  /** The store_meta key holding it. */
  key: string;
  pid: number;
  host: string;
  started_at_unix_ms: number;
  /** Stream `i` of the import (1-based, as its staging store numbered it) is stream `stream_base + i` here. */
  stream_base: number;
  stream_count: number;
}

const META_PREFIX = 'import.pending.';
/** How many streams other writers may add during an import before its ids could meet theirs. */
export const RESERVE_GAP = 100_000;

function parseReservation(key: string, value: string): ImportReservation {
  const parsed = JSON.parse(value) as Omit<ImportReservation, 'key'>;
  return { key, ...parsed };
}

/** Every reservation in the store: imports running now, or killed ones whose rows are still there. */
export function pendingImports(db: Database.Database): ImportReservation[] {
  const rows = db.prepare('SELECT key, value FROM store_meta WHERE key LIKE ? ORDER BY key').all(`${META_PREFIX}%`) as {
    key: string;
    value: string;
  }[];
  return rows.map((row) => parseReservation(row.key, row.value));
}

/**
 * True when the reservation's process is gone. Another host's import is never judged, nor one of this
 * process: the studio runs each import in a worker thread of its own, so a reservation of this pid may
 * belong to an import running beside the caller.
 */
export function isDeadImport(reservation: ImportReservation): boolean {
  if (reservation.host !== hostname() || reservation.pid === process.pid) return false;
  try {
    process.kill(reservation.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'EPERM';
  }
}

/** Reserves `streamCount` stream ids for an import (one tiny transaction). */
export function reserveImportStreams(db: Database.Database, streamCount: number): ImportReservation {
  return db
    .transaction(() => {
      const top = (sql: string) => (db.prepare(sql).get() as { m: number | null }).m ?? 0;
      // Rows without a stream (another import's) count too, so two imports never share ids.
      let highest = Math.max(
        top('SELECT MAX(id) AS m FROM streams'),
        top('SELECT MAX(stream_id) AS m FROM frames'),
        top('SELECT MAX(stream_id) AS m FROM samples'),
      );
      for (const other of pendingImports(db)) highest = Math.max(highest, other.stream_base + other.stream_count);
      const started = Date.now();
      const reservation: ImportReservation = {
        key: `${META_PREFIX}${process.pid}-${started.toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
        pid: process.pid,
        host: hostname(),
        started_at_unix_ms: started,
        stream_base: highest + RESERVE_GAP,
        stream_count: streamCount,
      };
      const { key, ...value } = reservation;
      db.prepare('INSERT INTO store_meta (key, value) VALUES (?, ?)').run(key, JSON.stringify(value));
      return reservation;
    })
    .immediate(); // read the highest ids and claim the range under one write lock
}

/**
 * Writes an import's samples and frames into the store under its reserved stream ids, one short
 * transaction per `apply`, and keeps each stream's counters in the staging store (whose stream rows
 * are the ones the final move copies). The store connection must have foreign keys off: the rows'
 * streams do not exist in the store until the final move.
 */
export class ImportRowWriter {
  private readonly sql: RowStatements;
  /** The longest write transaction so far on the store (ms): how long another writer could have waited. */
  longestLockMs = 0;

  constructor(
    private readonly store: Database.Database,
    private readonly staging: Database.Database,
    private readonly reservation: ImportReservation,
  ) {
    if (store.pragma('foreign_keys', { simple: true }) !== 0)
      throw new StudioError({
        code: 'internal',
        message: 'the import writes rows before their streams: open the store without foreign keys',
      });
    this.sql = prepareRowStatements(store, staging);
  }

  /** `ops` name staging stream ids. */
  apply(ops: readonly WriterOp[]): void {
    const { stream_base: base, stream_count: count } = this.reservation;
    const tally = new StreamTally();
    const note = (streamId: number, t: bigint) => {
      if (streamId < 1 || streamId > count)
        throw new StudioError({ code: 'internal', message: `import stream ${streamId} is outside its reservation of ${count}` });
      tally.note(streamId, t);
    };
    const started = performance.now();
    this.store.transaction(() => {
      for (const op of ops) {
        if (op.op === 'sample') {
          note(op.stream_id, op.t_ns);
          this.sql.insertSample.run(base + op.stream_id, op.t_ns, op.value);
        } else if (op.op === 'frame') {
          note(op.stream_id, op.t_ns);
          this.sql.insertFrame.run(base + op.stream_id, op.t_ns, op.data);
        }
      }
    })();
    this.longestLockMs = Math.max(this.longestLockMs, performance.now() - started);
    this.staging.transaction(() => {
      for (const op of ops) if (op.op === 'counts') this.sql.addCounts.run(op.dropped, op.late, op.stream_id);
      tally.bump(this.sql.bumpStream);
    })();
  }
}

/**
 * Removes an unfinished import's rows and then its reservation, in short transactions (a recorder
 * writing meanwhile waits for one batch at most). Interrupted half way, the reservation stays and
 * the next call finishes the job.
 */
export function discardImportRows(db: Database.Database, reservation: ImportReservation, batch = 64): void {
  const lo = reservation.stream_base + 1;
  const hi = reservation.stream_base + reservation.stream_count;
  const frames = db.prepare('DELETE FROM frames WHERE id IN (SELECT id FROM frames WHERE stream_id BETWEEN ? AND ? LIMIT ?)');
  while (frames.run(lo, hi, batch).changes > 0);
  const samples = db.prepare('DELETE FROM samples WHERE stream_id = ?');
  for (let id = lo; id <= hi; id++) samples.run(id);
  db.prepare('DELETE FROM store_meta WHERE key = ?').run(reservation.key);
}

/** Removes the rows of imports whose process is gone (killed mid-import); returns how many imports. */
export function discardDeadImports(db: Database.Database): number {
  const dead = pendingImports(db).filter(isDeadImport);
  for (const reservation of dead) discardImportRows(db, reservation);
  return dead.length;
}

/** True when `streamId` lies in a pending import's reserved range. */
export function inPendingImport(reservations: readonly ImportReservation[], streamId: number): boolean {
  return reservations.some((r) => streamId > r.stream_base && streamId <= r.stream_base + r.stream_count);
}
