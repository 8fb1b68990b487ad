import type Database from 'better-sqlite3';

export type ExportStatus = 'running' | 'done' | 'failed' | 'cancelled';

/** The store's record of exports (table `exports`): what was exported where, and how it ended. */
export class ExportLog {
  constructor(private readonly db: Database.Database) {}

  /** Notes an export that starts now; returns its row id. */
  begin(entry: { format: string; path: string; selection: unknown }): number {
    return Number(
      this.db
        .prepare("INSERT INTO exports (created_at_unix_ms, format, path, selection_json, status) VALUES (?, ?, ?, ?, 'running')")
        .run(Date.now(), entry.format, entry.path, JSON.stringify(entry.selection)).lastInsertRowid,
    );
  }

  end(id: number, status: Exclude<ExportStatus, 'running'>, message: string): void {
    this.db.prepare('UPDATE exports SET status = ?, message = ? WHERE id = ?').run(status, message, id);
  }
}
