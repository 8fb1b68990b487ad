import { mkdirSync, accessSync, constants as fsConstants } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { StudioError } from '../../shared/api/errors';
import { latestSchemaVersion, migrate } from './migrations';

export const DATABASE_FILE = 'studio.db';

export interface Store {
  readonly db: Database.Database;
  readonly path: string;
  readonly schemaVersion: number;
  /** Rewrites the database file without free pages (`VACUUM`). */
  vacuum(): void;
  /** Checkpoints the WAL into the main file and closes; safe to call twice. */
  close(): void;
}

export interface OpenStoreOptions {
  dataDir: string;
  appVersion: string;
}

function storageError(path: string, error: unknown): StudioError {
  const code = (error as { code?: string }).code ?? '';
  const reason = (error as Error).message;
  if (
    code === 'EACCES' ||
    code === 'EROFS' ||
    code === 'ENOTDIR' ||
    code === 'EEXIST' ||
    code === 'SQLITE_READONLY' ||
    code === 'SQLITE_CANTOPEN'
  ) {
    return new StudioError({
      code: 'failed_precondition',
      message: `cannot write the studio database at ${path}: ${reason}`,
      fix: 'Choose a writable data directory with --data-dir, or fix the permissions of that directory.',
    });
  }
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
    return new StudioError({
      code: 'failed_precondition',
      message: `the studio database at ${path} is locked by another process: ${reason}`,
      fix: 'Close the other Foresight Studio (or sqlite3 shell) using this data directory, or pass another --data-dir.',
    });
  }
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    return new StudioError({
      code: 'failed_precondition',
      message: `${path} is not a readable SQLite database: ${reason}`,
      fix: 'Move the file aside (keep it: it may hold recordings) and start again, or run `studio db check`.',
    });
  }
  return new StudioError({ code: 'internal', message: `cannot open the studio database at ${path}: ${reason}` });
}

/**
 * Opens (creating if needed) the SQLite store in `dataDir`: WAL so readers never block the writer and a
 * crash loses at most the last transaction; foreign keys on; migrations applied forward only.
 */
export function openStore(options: OpenStoreOptions): Store {
  const path = join(options.dataDir, DATABASE_FILE);
  let db: Database.Database;
  try {
    mkdirSync(options.dataDir, { recursive: true });
    accessSync(options.dataDir, fsConstants.W_OK);
    db = new Database(path, { timeout: 2_000 });
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
  } catch (error) {
    throw storageError(path, error);
  }
  let schemaVersion: number;
  try {
    schemaVersion = migrate(db, { appVersion: options.appVersion });
  } catch (error) {
    db.close();
    if (error instanceof StudioError) throw error;
    throw storageError(path, error);
  }
  let open = true;
  return {
    db,
    path,
    schemaVersion,
    vacuum() {
      db.exec('VACUUM');
    },
    close() {
      if (!open) return;
      open = false;
      db.pragma('wal_checkpoint(TRUNCATE)');
      db.close();
    },
  };
}

export { latestSchemaVersion };
