import type Database from 'better-sqlite3';

/**
 * The statements that put sample and frame rows into a store and account for them in `streams`. The
 * recorder's writer keeps both in one database; an import writes rows into the store and counts into
 * its staging copy of the streams, so the two may differ.
 */
export interface RowStatements {
  insertSample: Database.Statement;
  insertFrame: Database.Statement;
  bumpStream: Database.Statement;
  addCounts: Database.Statement;
}

export function prepareRowStatements(rows: Database.Database, streams: Database.Database): RowStatements {
  return {
    insertSample: rows.prepare('INSERT INTO samples (stream_id, t_ns, value) VALUES (?, ?, ?)'),
    insertFrame: rows.prepare('INSERT INTO frames (stream_id, t_ns, data) VALUES (?, ?, ?)'),
    bumpStream: streams.prepare(
      'UPDATE streams SET sample_count = sample_count + ?, first_t_ns = COALESCE(first_t_ns, ?), last_t_ns = MAX(COALESCE(last_t_ns, ?), ?) WHERE id = ?',
    ),
    addCounts: streams.prepare('UPDATE streams SET dropped_count = dropped_count + ?, late_count = late_count + ? WHERE id = ?'),
  };
}

/** One batch's rows per stream (count and time span): what `streams` is bumped by when the batch commits. */
export class StreamTally {
  private readonly byStream = new Map<number, { n: number; first: bigint; last: bigint }>();

  note(streamId: number, t_ns: bigint): void {
    const entry = this.byStream.get(streamId);
    if (entry === undefined) this.byStream.set(streamId, { n: 1, first: t_ns, last: t_ns });
    else {
      entry.n += 1;
      if (t_ns < entry.first) entry.first = t_ns;
      if (t_ns > entry.last) entry.last = t_ns;
    }
  }

  /** The batch's oldest and newest row time over all streams (null when it had no rows). */
  span(): { oldest_ns: bigint | null; newest_ns: bigint | null } {
    let oldest_ns: bigint | null = null;
    let newest_ns: bigint | null = null;
    for (const { first, last } of this.byStream.values()) {
      if (oldest_ns === null || first < oldest_ns) oldest_ns = first;
      if (newest_ns === null || last > newest_ns) newest_ns = last;
    }
    return { oldest_ns, newest_ns };
  }

  /** Adds the tally to `streams` (run inside the transaction that wrote the rows' counts). */
  bump(bumpStream: Database.Statement): void {
    for (const [streamId, { n, first, last }] of this.byStream) bumpStream.run(n, first, first, last, streamId);
  }
}
