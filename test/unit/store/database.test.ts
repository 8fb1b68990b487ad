import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, test } from 'vitest';
import { StudioError } from '../../../shared/api/errors';
import { DATABASE_FILE, openStore } from '../../../main/store/database';
import { latestSchemaVersion, migrate, migrations, schemaVersionOf } from '../../../main/store/migrations';
import { useTempDirs } from '../../support/tempDir';

const context = { appVersion: '0.0.0-test' };

describe('SQLite store', () => {
  const tempDir = useTempDirs();

  test('a new data directory gets a WAL database at the latest schema, with foreign keys on', () => {
    const dataDir = join(tempDir(), 'nested', 'data');
    const store = openStore({ dataDir, appVersion: '1.2.3' });
    expect(store.path).toBe(join(dataDir, DATABASE_FILE));
    expect(store.schemaVersion).toBe(latestSchemaVersion);
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(store.db.prepare("SELECT value FROM store_meta WHERE key = 'created_by_app_version'").get()).toEqual({ value: '1.2.3' });
    store.close();
    store.close();
    expect(existsSync(`${store.path}-wal`)).toBe(false);
  });

  test('migrates from every earlier schema version to the latest', () => {
    for (let from = 0; from < latestSchemaVersion; from++) {
      const db = new Database(join(tempDir(), `from-${from}.db`));
      expect(migrate(db, context, from)).toBe(from);
      expect(migrate(db, context)).toBe(latestSchemaVersion);
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      db.close();
    }
    expect(migrations.map((m) => m.version)).toEqual(migrations.map((_, i) => i + 1));
  });

  test('reopening is idempotent and keeps data', () => {
    const dataDir = tempDir();
    const first = openStore({ dataDir, appVersion: '1' });
    first.db.prepare("INSERT INTO store_meta (key, value) VALUES ('note', 'kept')").run();
    first.close();
    const second = openStore({ dataDir, appVersion: '2' });
    expect(second.db.prepare("SELECT value FROM store_meta WHERE key = 'note'").get()).toEqual({ value: 'kept' });
    expect(second.db.prepare("SELECT value FROM store_meta WHERE key = 'created_by_app_version'").get()).toEqual({ value: '1' });
    second.close();
  });

  test('a database from a newer build is refused, named, and left untouched', () => {
    const dataDir = tempDir();
    const db = new Database(join(dataDir, DATABASE_FILE));
    db.pragma(`user_version = ${latestSchemaVersion + 5}`);
    db.close();
    const error = (() => {
      try {
        openStore({ dataDir, appVersion: '1' });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(StudioError);
    expect((error as StudioError).message).toMatch(`schema version ${latestSchemaVersion + 5}`);
    expect((error as StudioError).fix).toMatch(/Update Foresight Studio/);
    const again = new Database(join(dataDir, DATABASE_FILE));
    expect(schemaVersionOf(again)).toBe(latestSchemaVersion + 5);
    again.close();
  });

  test('a file that is not a database gets an error naming it and the fix', () => {
    const dataDir = tempDir();
    writeFileSync(join(dataDir, DATABASE_FILE), 'this is not sqlite, it is a grocery list'.repeat(100));
    expect(() => openStore({ dataDir, appVersion: '1' })).toThrow(
      new RegExp(`${join(dataDir, DATABASE_FILE)} is not a readable SQLite database`),
    );
  });

  test('a data directory that cannot be created gets an error naming the path and the fix', () => {
    const blocker = join(tempDir(), 'a-file');
    writeFileSync(blocker, 'not a directory');
    const error = (() => {
      try {
        openStore({ dataDir: join(blocker, 'data'), appVersion: '1' });
      } catch (e) {
        return e as StudioError;
      }
    })();
    expect(error?.message).toMatch(`cannot write the studio database at ${join(blocker, 'data', DATABASE_FILE)}`);
    expect(error?.fix).toMatch(/--data-dir/);
  });

  test('a database locked by another process is reported as such', () => {
    const dataDir = tempDir();
    openStore({ dataDir, appVersion: '1' }).close();
    const other = new Database(join(dataDir, DATABASE_FILE));
    other.pragma('locking_mode = EXCLUSIVE');
    other.exec('BEGIN EXCLUSIVE');
    try {
      const started = Date.now();
      expect(() => openStore({ dataDir, appVersion: '1' })).toThrow(/locked by another process/);
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
  });
});
