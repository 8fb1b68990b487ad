import type Database from 'better-sqlite3';
import { StudioError } from '../../shared/api/errors';
import { markInterrupted } from './health';
import { prepareRowStatements, type RowStatements, StreamTally } from './rowStatements';
import type { CommitInfo, StartEpisodeResult, WriterCall, WriterFailure, WriterOp } from './writeOps';

/** Test hook: runs inside each write transaction, before commit; throwing aborts that batch only. */
export type FaultInjector = (batchIndex: number) => void;

/**
 * Applies writer ops and calls to the store. Every `apply` is one transaction, so a crash loses at
 * most the batch in flight and never leaves half a batch. Runs in the writer thread (or inline in tests).
 */
export class StoreWriter {
  private readonly sql: RowStatements;
  private batchIndex = 0;

  constructor(
    private readonly db: Database.Database,
    private readonly path: string,
    private readonly injectFault?: FaultInjector,
  ) {
    this.sql = prepareRowStatements(db, db);
  }

  apply(ops: readonly WriterOp[]): CommitInfo {
    const started = performance.now();
    let bytes = 0;
    const tally = new StreamTally();
    const batch = this.batchIndex++;
    this.db.transaction(() => {
      for (const op of ops) {
        if (op.op === 'sample') {
          this.sql.insertSample.run(op.stream_id, op.t_ns, op.value);
          bytes += op.value.byteLength;
          tally.note(op.stream_id, op.t_ns);
        } else if (op.op === 'frame') {
          this.sql.insertFrame.run(op.stream_id, op.t_ns, op.data);
          bytes += op.data.byteLength;
          tally.note(op.stream_id, op.t_ns);
        } else {
          this.sql.addCounts.run(op.dropped, op.late, op.stream_id);
        }
      }
      tally.bump(this.sql.bumpStream);
      this.injectFault?.(batch);
    })();
    const { oldest_ns, newest_ns } = tally.span();
    return { ops: ops.length, oldest_capture_ns: oldest_ns, newest_capture_ns: newest_ns, bytes, duration_ms: performance.now() - started };
  }

  call(call: WriterCall): unknown {
    switch (call.call) {
      case 'startSession':
        return Number(
          this.db
            .prepare(
              `INSERT INTO sessions (started_at_unix_ms, operator, rig_name, rig_config_json, app_version, writer_pid, writer_host)
               VALUES (?, ?, ?, ?, ?, ?, ?)`,
            )
            .run(
              call.started_at_unix_ms,
              call.operator,
              call.rig_name,
              call.rig_config_json,
              call.app_version,
              call.writer_pid,
              call.writer_host,
            ).lastInsertRowid,
        );
      case 'resumeSession': {
        const changed = this.db
          .prepare('UPDATE sessions SET writer_pid = ?, writer_host = ?, ended_at_unix_ms = NULL WHERE id = ?')
          .run(call.writer_pid, call.writer_host, call.session_id);
        if (changed.changes === 0)
          throw new StudioError({
            code: 'not_found',
            message: `no session ${call.session_id} in ${this.path}`,
            fix: 'List sessions with `studio db info`.',
          });
        return call.session_id;
      }
      case 'endSession':
        this.db
          .prepare('UPDATE sessions SET ended_at_unix_ms = ?, writer_pid = NULL WHERE id = ?')
          .run(call.ended_at_unix_ms, call.session_id);
        return null;
      case 'startEpisode':
        return this.startEpisode(call);
      case 'endEpisode':
        this.db.prepare("UPDATE episodes SET end_ns = ? WHERE id = ? AND status = 'recording'").run(call.end_ns, call.episode_id);
        return null;
      case 'setStatus': {
        const row = this.db.prepare('SELECT status FROM episodes WHERE id = ?').get(call.episode_id) as { status: string } | undefined;
        if (row === undefined) throw new StudioError({ code: 'not_found', message: `no episode ${call.episode_id}` });
        if (row.status === 'saved' || row.status === 'discarded') {
          if (row.status === call.status) return null;
          throw new StudioError({ code: 'failed_precondition', message: `episode ${call.episode_id} is already ${row.status}` });
        }
        // An episode still recording gets its end time from its newest sample.
        this.db.transaction(() => {
          this.db
            .prepare(
              `UPDATE episodes SET status = ?, outcome = COALESCE(?, outcome),
                 end_ns = COALESCE(end_ns, (SELECT MAX(last_t_ns) FROM streams WHERE episode_id = episodes.id), start_ns)
               WHERE id = ?`,
            )
            .run(call.status, call.outcome ?? null, call.episode_id);
          const insertTag = this.db.prepare('INSERT OR IGNORE INTO episode_tags (episode_id, tag) VALUES (?, ?)');
          for (const tag of call.tags ?? []) insertTag.run(call.episode_id, tag);
        })();
        return null;
      }
      case 'sync':
        return null;
      case 'recoverInterrupted':
        return markInterrupted(this.db, new Set(call.alive));
    }
  }

  private startEpisode(call: Extract<WriterCall, { call: 'startEpisode' }>): StartEpisodeResult {
    return this.db.transaction(() => {
      const episodeId = Number(
        this.db
          .prepare(
            `INSERT INTO episodes (session_id, task, status, started_at_unix_ms, start_ns, target_fps_hz, max_duration_s)
             VALUES (?, ?, 'recording', ?, ?, ?, ?)`,
          )
          .run(call.session_id, call.task, call.started_at_unix_ms, call.start_ns, call.target_fps_hz, call.max_duration_s).lastInsertRowid,
      );
      const insertTag = this.db.prepare('INSERT OR IGNORE INTO episode_tags (episode_id, tag) VALUES (?, ?)');
      for (const tag of call.tags ?? []) insertTag.run(episodeId, tag);
      const insertStream = this.db.prepare(
        `INSERT INTO streams (episode_id, name, kind, dtype, shape_json, names_json, unit, encoding, nominal_rate_hz, meta_json)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      const streamIds: Record<string, number> = {};
      for (const stream of call.streams) {
        streamIds[stream.name] = Number(
          insertStream.run(
            episodeId,
            stream.name,
            stream.kind,
            stream.dtype,
            JSON.stringify(stream.shape),
            stream.names === undefined ? null : JSON.stringify(stream.names),
            stream.unit ?? null,
            stream.encoding ?? null,
            stream.nominal_rate_hz ?? null,
            stream.meta === undefined ? null : JSON.stringify(stream.meta),
          ).lastInsertRowid,
        );
      }
      return { episode_id: episodeId, stream_ids: streamIds };
    })();
  }

  /** Turns a SQLite failure into what the operator needs to read: the path, what happened, the fix. */
  describeFailure(error: unknown): WriterFailure {
    if (error instanceof StudioError) return { message: error.message, ...(error.fix !== undefined ? { fix: error.fix } : {}) };
    const code = (error as { code?: string }).code ?? '';
    const reason = (error as Error).message;
    if (code === 'SQLITE_FULL')
      return {
        message: `the disk holding ${this.path} is full; recording stopped (${reason})`,
        fix: 'Free disk space or record into another --data-dir; everything committed so far is kept.',
      };
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED')
      return {
        message: `${this.path} is locked by another process; recording stopped (${reason})`,
        fix: 'Close the other program holding the database (a sqlite3 shell, another studio).',
      };
    if (code === 'SQLITE_READONLY' || code.startsWith('SQLITE_IOERR') || code === 'SQLITE_CANTOPEN')
      return {
        message: `cannot write ${this.path}; recording stopped (${reason})`,
        fix: 'Check that the data directory is writable and the disk is healthy.',
      };
    return { message: `writing ${this.path} failed; recording stopped (${reason})` };
  }
}
