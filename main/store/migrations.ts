import type Database from 'better-sqlite3';
import { StudioError } from '../../shared/api/errors';

/**
 * Forward-only schema migrations, tracked in `PRAGMA user_version`. Each migration runs in its own
 * transaction; append new ones, never edit a released one. A test opens a database from every
 * earlier version and checks it reaches the latest.
 */
export interface Migration {
  version: number;
  name: string;
  up(db: Database.Database, context: MigrationContext): void;
}

export interface MigrationContext {
  appVersion: string;
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'store metadata',
    up(db, context) {
      db.exec(`
        CREATE TABLE store_meta (
          key   TEXT PRIMARY KEY,
          value TEXT NOT NULL
        ) STRICT;
      `);
      const insert = db.prepare('INSERT INTO store_meta (key, value) VALUES (?, ?)');
      insert.run('created_by_app_version', context.appVersion);
      insert.run('created_at_unix_ms', String(Date.now()));
    },
  },
];

export const latestSchemaVersion = migrations.reduce((max, migration) => Math.max(max, migration.version), 0);

export function schemaVersionOf(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Brings `db` to the latest schema; returns the version it is at. */
export function migrate(db: Database.Database, context: MigrationContext, target = latestSchemaVersion): number {
  const current = schemaVersionOf(db);
  if (current > latestSchemaVersion) {
    throw new StudioError({
      code: 'failed_precondition',
      message: `the database is at schema version ${current}, newer than this build of Foresight Studio understands (${latestSchemaVersion})`,
      fix: 'Update Foresight Studio, or open another --data-dir. The database was not modified.',
    });
  }
  for (const migration of migrations) {
    if (migration.version <= current || migration.version > target) continue;
    db.transaction(() => {
      migration.up(db, context);
      db.pragma(`user_version = ${migration.version}`);
    })();
  }
  return schemaVersionOf(db);
}
