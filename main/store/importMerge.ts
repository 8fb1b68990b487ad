import type Database from 'better-sqlite3';
import { StudioError } from '../../shared/api/errors';
import { RESERVE_GAP, type ImportReservation } from './importRows';

/** What one merge added to the store. */
export interface MergedImport {
  session_id: number;
  episode_ids: number[];
  duration_ms: number;
}

const TABLE_COLUMNS = {
  sessions: ['started_at_unix_ms', 'ended_at_unix_ms', 'operator', 'rig_name', 'rig_config_json', 'app_version'],
  episodes: [
    'task',
    'status',
    'outcome',
    'started_at_unix_ms',
    'start_ns',
    'end_ns',
    'target_fps_hz',
    'max_duration_s',
    'trim_start_ns',
    'trim_end_ns',
    'delete_requested_unix_ms',
    'notes',
  ],
  streams: [
    'name',
    'kind',
    'dtype',
    'shape_json',
    'names_json',
    'unit',
    'encoding',
    'nominal_rate_hz',
    'meta_json',
    'sample_count',
    'dropped_count',
    'late_count',
    'first_t_ns',
    'last_t_ns',
  ],
} as const;

/**
 * Moves an import into the store: its samples and frames are already there under the reserved stream
 * ids (`ImportRowWriter`), so this ONE transaction only adds what names them — the staging store's
 * session, episodes, streams (at their reserved ids), tags and segments — and drops the reservation.
 * The import appears whole or not at all, and the store is locked for milliseconds whatever the
 * dataset's length. Session, episode and segment ids are renumbered after the store's own; the
 * staging file itself is left for the caller to delete.
 */
export function mergeStagingStore(db: Database.Database, stagingPath: string, reservation: ImportReservation): MergedImport {
  const started = performance.now();
  if (db.inTransaction) throw new StudioError({ code: 'internal', message: 'cannot merge an import inside another transaction' });
  // The rows added here are checked against their parents again (the bulk rows were written without).
  db.pragma('foreign_keys = ON');
  db.prepare('ATTACH DATABASE ? AS staging').run(stagingPath);
  try {
    const version = (db.prepare('PRAGMA staging.user_version').get() as { user_version: number }).user_version;
    const own = (db.prepare('PRAGMA main.user_version').get() as { user_version: number }).user_version;
    if (version !== own)
      throw new StudioError({ code: 'internal', message: `the import staging store is at schema ${version}, the studio store at ${own}` });
    return db
      .transaction(() => {
        const base = reservation.stream_base;
        const staged = db.prepare('SELECT COUNT(*) AS n, MIN(id) AS lo, MAX(id) AS hi FROM staging.streams').get() as {
          n: number;
          lo: number | null;
          hi: number | null;
        };
        if (staged.n > 0 && ((staged.lo ?? 0) < 1 || (staged.hi ?? 0) > reservation.stream_count))
          throw new StudioError({
            code: 'internal',
            message: `the import staged streams ${staged.lo}–${staged.hi}, outside its reservation of ${reservation.stream_count}`,
          });
        const taken = db
          .prepare('SELECT COUNT(*) AS n FROM main.streams WHERE id > ? AND id <= ?')
          .get(base, base + reservation.stream_count) as { n: number };
        if (taken.n > 0)
          throw new StudioError({
            code: 'failed_precondition',
            message: `other writers added more than ${RESERVE_GAP} streams during the import, reaching the ids it had reserved`,
            fix: 'Import again; nothing was added.',
          });
        const max = (table: string) => (db.prepare(`SELECT COALESCE(MAX(id), 0) AS m FROM main.${table}`).get() as { m: number }).m;
        const sessionOffset = max('sessions');
        const episodeOffset = max('episodes');
        const segmentOffset = max('segments');
        const cols = (table: keyof typeof TABLE_COLUMNS) => TABLE_COLUMNS[table].join(', ');
        db.prepare(
          `INSERT INTO main.sessions (id, ${cols('sessions')}, writer_pid, writer_host) SELECT id + ?, ${cols('sessions')}, NULL, NULL FROM staging.sessions`,
        ).run(sessionOffset);
        db.prepare(
          `INSERT INTO main.episodes (id, session_id, split_from_episode_id, ${cols('episodes')})
         SELECT id + ?, session_id + ?, split_from_episode_id + ?, ${cols('episodes')} FROM staging.episodes`,
        ).run(episodeOffset, sessionOffset, episodeOffset);
        db.prepare(
          `INSERT INTO main.streams (id, episode_id, ${cols('streams')}) SELECT id + ?, episode_id + ?, ${cols('streams')} FROM staging.streams`,
        ).run(base, episodeOffset);
        db.prepare('INSERT INTO main.episode_tags (episode_id, tag) SELECT episode_id + ?, tag FROM staging.episode_tags').run(
          episodeOffset,
        );
        db.prepare(
          'INSERT INTO main.segments (id, episode_id, label, start_ns, end_ns) SELECT id + ?, episode_id + ?, label, start_ns, end_ns FROM staging.segments',
        ).run(segmentOffset, episodeOffset);
        const sessions = db.prepare('SELECT id + ? AS id FROM staging.sessions ORDER BY id').all(sessionOffset) as { id: number }[];
        if (sessions.length !== 1)
          throw new StudioError({ code: 'internal', message: `an import staging store holds ${sessions.length} sessions, expected 1` });
        const episodes = db.prepare('SELECT id + ? AS id FROM staging.episodes ORDER BY id').all(episodeOffset) as { id: number }[];
        db.prepare('DELETE FROM main.store_meta WHERE key = ?').run(reservation.key);
        return { session_id: sessions[0]!.id, episode_ids: episodes.map((e) => e.id), duration_ms: performance.now() - started };
      })
      .immediate(); // takes the write lock first: a recorder committing between our reads and writes cannot void it
  } finally {
    db.prepare('DETACH DATABASE staging').run();
  }
}

/** Adds a segment to an episode of a staging store (a labelled time range, e.g. a second task). */
export function addStagingSegment(db: Database.Database, episodeId: number, label: string, start_ns: bigint, end_ns: bigint): void {
  db.prepare('INSERT INTO segments (episode_id, label, start_ns, end_ns) VALUES (?, ?, ?, ?)').run(episodeId, label, start_ns, end_ns);
}

/** Sets an episode's notes in a staging store (where it came from). */
export function setStagingNotes(db: Database.Database, episodeId: number, notes: string): void {
  db.prepare('UPDATE episodes SET notes = ? WHERE id = ?').run(notes, episodeId);
}
