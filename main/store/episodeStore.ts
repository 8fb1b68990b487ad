import type Database from 'better-sqlite3';
import { StudioError } from '../../shared/api/errors';

export type EpisodeStatus = 'recording' | 'saved' | 'discarded' | 'interrupted';
export type EpisodeOutcome = 'success' | 'failure' | 'unknown';

export interface EpisodeSummary {
  id: number;
  session_id: number;
  task: string;
  status: EpisodeStatus;
  outcome: EpisodeOutcome;
  operator: string;
  started_at_unix_ms: number;
  duration_s: number;
  /** Frames of the busiest image stream, or samples of the busiest stream when there are no images. */
  frames: number;
  dropped: number;
  late: number;
  tags: string[];
  delete_requested: boolean;
}

export interface StreamRow {
  id: number;
  episode_id: number;
  name: string;
  kind: 'lowdim' | 'image' | 'event';
  dtype: string;
  shape: number[];
  names: string[] | null;
  unit: string | null;
  encoding: string | null;
  nominal_rate_hz: number | null;
  meta: Record<string, unknown> | null;
  sample_count: number;
  dropped_count: number;
  late_count: number;
  first_t_ns: bigint | null;
  last_t_ns: bigint | null;
}

export interface Segment {
  id: number;
  label: string;
  start_ns: bigint;
  end_ns: bigint;
}

export interface Sample {
  t_ns: bigint;
  value: Uint8Array;
}

interface RawStreamRow extends Omit<StreamRow, 'shape' | 'names' | 'meta'> {
  shape_json: string;
  names_json: string | null;
  meta_json: string | null;
}

/**
 * Reads and edits recorded episodes on the core's connection. Samples are written only by the
 * recording writer thread; edits here are small transactions. Destructive edits are two-step: a
 * request that can be undone, then a confirmation that applies it.
 */
export class EpisodeStore {
  private readonly latestSample: Database.Statement;
  private readonly latestFrame: Database.Statement;
  private readonly sampleRange: Database.Statement;
  private readonly frameRange: Database.Statement;
  private readonly frameTimesOf: Database.Statement;
  private readonly frameBatch: Database.Statement;

  constructor(private readonly db: Database.Database) {
    this.latestSample = db
      .prepare('SELECT t_ns, value FROM samples WHERE stream_id = ? AND t_ns <= ? ORDER BY t_ns DESC LIMIT 1')
      .safeIntegers(true);
    this.latestFrame = db
      .prepare('SELECT t_ns, data AS value FROM frames WHERE stream_id = ? AND t_ns <= ? ORDER BY t_ns DESC LIMIT 1')
      .safeIntegers(true);
    this.sampleRange = db
      .prepare('SELECT t_ns, value FROM samples WHERE stream_id = ? AND t_ns >= ? AND t_ns <= ? ORDER BY t_ns')
      .safeIntegers(true);
    this.frameRange = db
      .prepare('SELECT t_ns, data AS value FROM frames WHERE stream_id = ? AND t_ns >= ? AND t_ns <= ? ORDER BY t_ns')
      .safeIntegers(true);
    this.frameTimesOf = db.prepare('SELECT t_ns FROM frames WHERE stream_id = ? ORDER BY t_ns').safeIntegers(true).pluck();
    this.frameBatch = db
      .prepare('SELECT t_ns, data AS value FROM frames WHERE stream_id = ? AND t_ns >= ? ORDER BY t_ns LIMIT ?')
      .safeIntegers(true);
  }

  summaries(filter: { status?: EpisodeStatus[] } = {}): EpisodeSummary[] {
    const statuses = filter.status ?? ['recording', 'saved', 'interrupted'];
    const rows = this.db
      .prepare(
        `SELECT e.id, e.session_id, e.task, e.status, e.outcome, s.operator, e.started_at_unix_ms,
                (COALESCE(e.end_ns, e.start_ns) - e.start_ns) / 1e9 AS duration_s,
                COALESCE((SELECT NULLIF(MAX(sample_count), 0) FROM streams WHERE episode_id = e.id AND kind = 'image'),
                         (SELECT MAX(sample_count) FROM streams WHERE episode_id = e.id), 0) AS frames,
                COALESCE((SELECT SUM(dropped_count) FROM streams WHERE episode_id = e.id), 0) AS dropped,
                COALESCE((SELECT SUM(late_count) FROM streams WHERE episode_id = e.id), 0) AS late,
                (SELECT json_group_array(tag) FROM episode_tags WHERE episode_id = e.id) AS tags_json,
                e.delete_requested_unix_ms IS NOT NULL AS delete_requested
         FROM episodes e JOIN sessions s ON s.id = e.session_id
         WHERE e.status IN (${statuses.map(() => '?').join(', ')})
         ORDER BY e.id`,
      )
      .all(...statuses) as (Omit<EpisodeSummary, 'tags' | 'delete_requested'> & { tags_json: string; delete_requested: number })[];
    return rows.map(({ tags_json, delete_requested, ...row }) => ({
      ...row,
      tags: (JSON.parse(tags_json) as string[]).sort(),
      delete_requested: delete_requested === 1,
    }));
  }

  episode(id: number): EpisodeSummary {
    const found = this.summaries({ status: ['recording', 'saved', 'discarded', 'interrupted'] }).find((row) => row.id === id);
    if (found === undefined)
      throw new StudioError({ code: 'not_found', message: `no episode ${id}`, fix: 'List episodes with `studio db info`.' });
    return found;
  }

  /** How many recording sessions the store holds. */
  sessionCount(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM sessions').get() as { n: number }).n;
  }

  /** Capture times of every frame of an image stream, in order (no image data read). */
  frameTimes(stream: StreamRow): bigint[] {
    return this.frameTimesOf.all(stream.id) as bigint[];
  }

  /** Up to `limit` frames of an image stream from `t0_ns` on, in order. */
  framesFrom(stream: StreamRow, t0_ns: bigint, limit: number): Sample[] {
    return this.frameBatch.all(stream.id, t0_ns, limit) as Sample[];
  }

  /** The frame rate an episode was recorded for (its target, not a measurement). */
  targetFps(episodeId: number): number {
    const row = this.db.prepare('SELECT target_fps_hz FROM episodes WHERE id = ?').get(episodeId) as { target_fps_hz: number } | undefined;
    if (row === undefined) throw new StudioError({ code: 'not_found', message: `no episode ${episodeId}` });
    return row.target_fps_hz;
  }

  /** The rig config of the session an episode was recorded in (parsed JSON; null when it was not stored or is unreadable). */
  sessionRigConfig(episodeId: number): unknown {
    const row = this.db
      .prepare('SELECT s.rig_config_json AS json FROM episodes e JOIN sessions s ON s.id = e.session_id WHERE e.id = ?')
      .get(episodeId) as { json: string | null } | undefined;
    if (row === undefined || row.json === null) return null;
    try {
      return JSON.parse(row.json) as unknown;
    } catch {
      return null;
    }
  }

  streams(episodeId: number): StreamRow[] {
    const rows = this.db.prepare('SELECT * FROM streams WHERE episode_id = ? ORDER BY id').safeIntegers(true).all(episodeId) as Record<
      string,
      unknown
    >[];
    return rows.map((raw) => {
      const row = raw as unknown as RawStreamRow & Record<string, unknown>;
      return {
        id: Number(row.id),
        episode_id: Number(row.episode_id),
        name: row.name,
        kind: row.kind,
        dtype: row.dtype,
        shape: JSON.parse(row.shape_json) as number[],
        names: row.names_json === null ? null : (JSON.parse(row.names_json) as string[]),
        unit: row.unit,
        encoding: row.encoding,
        nominal_rate_hz: row.nominal_rate_hz === null ? null : Number(row.nominal_rate_hz),
        meta: row.meta_json === null ? null : (JSON.parse(row.meta_json) as Record<string, unknown>),
        sample_count: Number(row.sample_count),
        dropped_count: Number(row.dropped_count),
        late_count: Number(row.late_count),
        first_t_ns: row.first_t_ns,
        last_t_ns: row.last_t_ns,
      };
    });
  }

  stream(episodeId: number, name: string): StreamRow {
    const stream = this.streams(episodeId).find((row) => row.name === name);
    if (stream === undefined) throw new StudioError({ code: 'not_found', message: `episode ${episodeId} has no stream "${name}"` });
    return stream;
  }

  /** The newest sample at or before `t_ns` — what was known at that instant. */
  latestAt(stream: StreamRow, t_ns: bigint): Sample | undefined {
    return (stream.kind === 'image' ? this.latestFrame : this.latestSample).get(stream.id, t_ns) as Sample | undefined;
  }

  range(stream: StreamRow, t0_ns: bigint, t1_ns: bigint): Sample[] {
    return (stream.kind === 'image' ? this.frameRange : this.sampleRange).all(stream.id, t0_ns, t1_ns) as Sample[];
  }

  // ---- labels ---------------------------------------------------------------------------------

  /** Sets any of outcome, task and notes; tags are added and removed in the same transaction. */
  label(
    id: number,
    change: { outcome?: EpisodeOutcome; task?: string; notes?: string; add_tags?: readonly string[]; remove_tags?: readonly string[] },
  ): void {
    this.episode(id);
    this.db.transaction(() => {
      if (change.outcome !== undefined) this.db.prepare('UPDATE episodes SET outcome = ? WHERE id = ?').run(change.outcome, id);
      if (change.task !== undefined) this.db.prepare('UPDATE episodes SET task = ? WHERE id = ?').run(change.task, id);
      if (change.notes !== undefined) this.db.prepare('UPDATE episodes SET notes = ? WHERE id = ?').run(change.notes, id);
      const add = this.db.prepare('INSERT OR IGNORE INTO episode_tags (episode_id, tag) VALUES (?, ?)');
      for (const tag of change.add_tags ?? []) add.run(id, tag);
      const remove = this.db.prepare('DELETE FROM episode_tags WHERE episode_id = ? AND tag = ?');
      for (const tag of change.remove_tags ?? []) remove.run(id, tag);
    })();
  }

  notes(id: number): string {
    return (this.db.prepare('SELECT notes FROM episodes WHERE id = ?').get(id) as { notes: string } | undefined)?.notes ?? '';
  }

  segments(episodeId: number): Segment[] {
    return this.db
      .prepare('SELECT id, label, start_ns, end_ns FROM segments WHERE episode_id = ? ORDER BY start_ns, id')
      .safeIntegers(true)
      .all(episodeId)
      .map((row) => {
        const r = row as { id: bigint; label: string; start_ns: bigint; end_ns: bigint };
        return { id: Number(r.id), label: r.label, start_ns: r.start_ns, end_ns: r.end_ns };
      });
  }

  /** Creates a segment, or updates it when `id` is given (rename, resize). */
  putSegment(episodeId: number, segment: { id?: number; label: string; start_ns: bigint; end_ns: bigint }): number {
    if (segment.end_ns < segment.start_ns)
      throw new StudioError({ code: 'invalid_params', message: 'a segment must end at or after its start' });
    this.episode(episodeId);
    if (segment.id === undefined) {
      return Number(
        this.db
          .prepare('INSERT INTO segments (episode_id, label, start_ns, end_ns) VALUES (?, ?, ?, ?)')
          .run(episodeId, segment.label, segment.start_ns, segment.end_ns).lastInsertRowid,
      );
    }
    const changed = this.db
      .prepare('UPDATE segments SET label = ?, start_ns = ?, end_ns = ? WHERE id = ? AND episode_id = ?')
      .run(segment.label, segment.start_ns, segment.end_ns, segment.id, episodeId);
    if (changed.changes === 0) throw new StudioError({ code: 'not_found', message: `episode ${episodeId} has no segment ${segment.id}` });
    return segment.id;
  }

  deleteSegment(episodeId: number, segmentId: number): void {
    this.db.prepare('DELETE FROM segments WHERE id = ? AND episode_id = ?').run(segmentId, episodeId);
  }

  // ---- decisions on interrupted episodes ------------------------------------------------------

  /** Keeps or drops an interrupted episode after a crash. */
  resolveInterrupted(id: number, decision: 'saved' | 'discarded'): void {
    const changed = this.db.prepare("UPDATE episodes SET status = ? WHERE id = ? AND status = 'interrupted'").run(decision, id);
    if (changed.changes === 0)
      throw new StudioError({
        code: 'failed_precondition',
        message: `episode ${id} is not interrupted (status ${this.episode(id).status})`,
      });
  }

  // ---- destructive edits: request, then confirm -----------------------------------------------

  requestDelete(id: number): void {
    this.episode(id);
    this.db.prepare('UPDATE episodes SET delete_requested_unix_ms = ? WHERE id = ?').run(Date.now(), id);
  }

  cancelDelete(id: number): void {
    this.db.prepare('UPDATE episodes SET delete_requested_unix_ms = NULL WHERE id = ?').run(id);
  }

  /** Deletes an episode whose deletion was requested, with all its data. */
  confirmDelete(id: number): void {
    const row = this.db.prepare('SELECT delete_requested_unix_ms FROM episodes WHERE id = ?').get(id) as
      { delete_requested_unix_ms: number | null } | undefined;
    if (row === undefined) throw new StudioError({ code: 'not_found', message: `no episode ${id}` });
    if (row.delete_requested_unix_ms === null)
      throw new StudioError({
        code: 'failed_precondition',
        message: `deleting episode ${id} was not requested`,
        fix: 'Request the deletion first; it is applied only when confirmed.',
      });
    this.db.transaction(() => {
      this.db.prepare('UPDATE episodes SET split_from_episode_id = NULL WHERE split_from_episode_id = ?').run(id);
      this.db.prepare('DELETE FROM episodes WHERE id = ?').run(id);
    })();
  }

  /** Marks the frames to keep: [start_ns, end_ns]. Nothing is removed until `confirmTrim`. */
  requestTrim(id: number, start_ns: bigint, end_ns: bigint): void {
    if (end_ns <= start_ns) throw new StudioError({ code: 'invalid_params', message: 'trim end must be after trim start' });
    this.episode(id);
    this.db.prepare('UPDATE episodes SET trim_start_ns = ?, trim_end_ns = ? WHERE id = ?').run(start_ns, end_ns, id);
  }

  cancelTrim(id: number): void {
    this.db.prepare('UPDATE episodes SET trim_start_ns = NULL, trim_end_ns = NULL WHERE id = ?').run(id);
  }

  confirmTrim(id: number): { removed: number } {
    const row = this.db.prepare('SELECT trim_start_ns AS s, trim_end_ns AS e FROM episodes WHERE id = ?').safeIntegers(true).get(id) as
      { s: bigint | null; e: bigint | null } | undefined;
    if (row === undefined) throw new StudioError({ code: 'not_found', message: `no episode ${id}` });
    if (row.s === null || row.e === null)
      throw new StudioError({ code: 'failed_precondition', message: `no trim was requested for episode ${id}` });
    const { s, e } = row;
    return this.db.transaction(() => {
      let removed = 0;
      for (const table of ['samples', 'frames']) {
        removed += this.db
          .prepare(`DELETE FROM ${table} WHERE stream_id IN (SELECT id FROM streams WHERE episode_id = ?) AND (t_ns < ? OR t_ns > ?)`)
          .run(id, s, e).changes;
      }
      this.refreshStreamCounts(id);
      this.db.prepare('UPDATE episodes SET start_ns = ?, end_ns = ?, trim_start_ns = NULL, trim_end_ns = NULL WHERE id = ?').run(s, e, id);
      this.db.prepare('DELETE FROM segments WHERE episode_id = ? AND (end_ns < ? OR start_ns > ?)').run(id, s, e);
      return { removed };
    })();
  }

  /** Splits at `t_ns`: samples from `t_ns` on move to a new episode with the same streams and labels. */
  split(id: number, t_ns: bigint): number {
    const episode = this.db.prepare('SELECT * FROM episodes WHERE id = ?').safeIntegers(true).get(id) as
      Record<string, bigint | string | number | null> | undefined;
    if (episode === undefined) throw new StudioError({ code: 'not_found', message: `no episode ${id}` });
    const start = episode.start_ns as bigint;
    const end = (episode.end_ns as bigint | null) ?? start;
    if (!(t_ns > start && t_ns < end))
      throw new StudioError({ code: 'invalid_params', message: `split point must be inside the episode (${start} < t_ns < ${end})` });
    if (episode.status === 'recording') throw new StudioError({ code: 'failed_precondition', message: `episode ${id} is still recording` });
    return this.db.transaction(() => {
      const newId = Number(
        this.db
          .prepare(
            `INSERT INTO episodes (session_id, task, status, outcome, started_at_unix_ms, start_ns, end_ns, target_fps_hz, max_duration_s, split_from_episode_id, notes)
             SELECT session_id, task, status, 'unknown', started_at_unix_ms, ?, end_ns, target_fps_hz, max_duration_s, id, notes FROM episodes WHERE id = ?`,
          )
          .run(t_ns, id).lastInsertRowid,
      );
      this.db.prepare('UPDATE episodes SET end_ns = ? WHERE id = ?').run(t_ns - 1n, id);
      const streams = this.db.prepare('SELECT id FROM streams WHERE episode_id = ?').all(id) as { id: number }[];
      for (const { id: streamId } of streams) {
        const newStream = Number(
          this.db
            .prepare(
              `INSERT INTO streams (episode_id, name, kind, dtype, shape_json, names_json, unit, encoding, nominal_rate_hz, meta_json)
               SELECT ?, name, kind, dtype, shape_json, names_json, unit, encoding, nominal_rate_hz, meta_json FROM streams WHERE id = ?`,
            )
            .run(newId, streamId).lastInsertRowid,
        );
        this.db.prepare('UPDATE samples SET stream_id = ? WHERE stream_id = ? AND t_ns >= ?').run(newStream, streamId, t_ns);
        this.db.prepare('UPDATE frames SET stream_id = ? WHERE stream_id = ? AND t_ns >= ?').run(newStream, streamId, t_ns);
      }
      this.db.prepare('INSERT INTO episode_tags (episode_id, tag) SELECT ?, tag FROM episode_tags WHERE episode_id = ?').run(newId, id);
      this.db.prepare('UPDATE segments SET episode_id = ? WHERE episode_id = ? AND start_ns >= ?').run(newId, id, t_ns);
      this.refreshStreamCounts(id);
      this.refreshStreamCounts(newId);
      return newId;
    })();
  }

  private refreshStreamCounts(episodeId: number): void {
    this.db
      .prepare(
        `UPDATE streams SET
           sample_count = (SELECT COUNT(*) FROM samples WHERE stream_id = streams.id) + (SELECT COUNT(*) FROM frames WHERE stream_id = streams.id),
           first_t_ns = COALESCE((SELECT MIN(t_ns) FROM samples WHERE stream_id = streams.id), (SELECT MIN(t_ns) FROM frames WHERE stream_id = streams.id)),
           last_t_ns = COALESCE((SELECT MAX(t_ns) FROM samples WHERE stream_id = streams.id), (SELECT MAX(t_ns) FROM frames WHERE stream_id = streams.id))
         WHERE episode_id = ?`,
      )
      .run(episodeId);
  }
}
