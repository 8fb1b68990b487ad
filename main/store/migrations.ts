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
  {
    version: 2,
    name: 'recording: sessions, episodes, streams, samples, frames, labels',
    up(db) {
      // Times: `*_ns` are the studio's monotonic clock (comparable within one boot); `*_unix_ms` are
      // wall-clock for humans. Samples are never resampled: t_ns is the capture time.
      db.exec(`
        CREATE TABLE sessions (
          id                 INTEGER PRIMARY KEY,
          started_at_unix_ms INTEGER NOT NULL,
          ended_at_unix_ms   INTEGER,
          operator           TEXT    NOT NULL DEFAULT '',
          rig_name           TEXT    NOT NULL,
          rig_config_json    TEXT    NOT NULL,
          app_version        TEXT    NOT NULL,
          -- The process recording into this session; a 'recording' episode whose writer is gone was interrupted.
          writer_pid         INTEGER,
          writer_host        TEXT
        ) STRICT;

        CREATE TABLE episodes (
          id                    INTEGER PRIMARY KEY,
          session_id            INTEGER NOT NULL REFERENCES sessions(id),
          task                  TEXT    NOT NULL DEFAULT '',
          status                TEXT    NOT NULL CHECK (status IN ('recording', 'saved', 'discarded', 'interrupted')),
          outcome               TEXT    NOT NULL DEFAULT 'unknown' CHECK (outcome IN ('success', 'failure', 'unknown')),
          started_at_unix_ms    INTEGER NOT NULL,
          start_ns              INTEGER NOT NULL,
          end_ns                INTEGER,
          target_fps_hz         REAL    NOT NULL,
          max_duration_s        REAL,
          -- Soft edits, applied only when confirmed: a trim window and a pending deletion.
          trim_start_ns         INTEGER,
          trim_end_ns           INTEGER,
          delete_requested_unix_ms INTEGER,
          split_from_episode_id INTEGER REFERENCES episodes(id),
          notes                 TEXT    NOT NULL DEFAULT ''
        ) STRICT;
        CREATE INDEX episodes_by_session ON episodes (session_id, id);
        CREATE INDEX episodes_by_status ON episodes (status);

        CREATE TABLE streams (
          id              INTEGER PRIMARY KEY,
          episode_id      INTEGER NOT NULL REFERENCES episodes(id) ON DELETE CASCADE,
          name            TEXT    NOT NULL,
          kind            TEXT    NOT NULL CHECK (kind IN ('lowdim', 'image', 'event')),
          dtype           TEXT    NOT NULL,
          shape_json      TEXT    NOT NULL,
          names_json      TEXT,
          unit            TEXT,
          encoding        TEXT,
          nominal_rate_hz REAL,
          meta_json       TEXT,
          sample_count    INTEGER NOT NULL DEFAULT 0,
          dropped_count   INTEGER NOT NULL DEFAULT 0,
          late_count      INTEGER NOT NULL DEFAULT 0,
          first_t_ns      INTEGER,
          last_t_ns       INTEGER,
          UNIQUE (episode_id, name)
        ) STRICT;

        -- Low-dimensional samples and events: small rows keyed by capture time.
        CREATE TABLE samples (
          stream_id INTEGER NOT NULL REFERENCES streams(id) ON DELETE CASCADE,
          t_ns      INTEGER NOT NULL,
          value     BLOB    NOT NULL,
          PRIMARY KEY (stream_id, t_ns)
        ) STRICT, WITHOUT ROWID;

        -- Encoded images (JPEG/PNG colour, 16-bit PNG depth): large rows, so a rowid table plus an index.
        CREATE TABLE frames (
          id        INTEGER PRIMARY KEY,
          stream_id INTEGER NOT NULL REFERENCES streams(id) ON DELETE CASCADE,
          t_ns      INTEGER NOT NULL,
          data      BLOB    NOT NULL
        ) STRICT;
        CREATE UNIQUE INDEX frames_by_time ON frames (stream_id, t_ns);

        CREATE TABLE episode_tags (
          episode_id INTEGER NOT NULL REFERENCES episodes(id) ON DELETE CASCADE,
          tag        TEXT    NOT NULL,
          PRIMARY KEY (episode_id, tag)
        ) STRICT, WITHOUT ROWID;

        CREATE TABLE segments (
          id         INTEGER PRIMARY KEY,
          episode_id INTEGER NOT NULL REFERENCES episodes(id) ON DELETE CASCADE,
          label      TEXT    NOT NULL,
          start_ns   INTEGER NOT NULL,
          end_ns     INTEGER NOT NULL CHECK (end_ns >= start_ns)
        ) STRICT;
        CREATE INDEX segments_by_episode ON segments (episode_id, start_ns);

        -- Room for the world model and the exporters.
        CREATE TABLE imagination_runs (
          id                 INTEGER PRIMARY KEY,
          episode_id         INTEGER REFERENCES episodes(id) ON DELETE SET NULL,
          created_at_unix_ms INTEGER NOT NULL,
          t_ns               INTEGER,
          model_json         TEXT    NOT NULL,
          candidates_json    TEXT    NOT NULL,
          chosen_index       INTEGER,
          outcome            TEXT
        ) STRICT;

        CREATE TABLE exports (
          id                 INTEGER PRIMARY KEY,
          created_at_unix_ms INTEGER NOT NULL,
          format             TEXT    NOT NULL,
          path               TEXT    NOT NULL,
          selection_json     TEXT    NOT NULL,
          status             TEXT    NOT NULL CHECK (status IN ('running', 'done', 'failed', 'cancelled')),
          message            TEXT
        ) STRICT;
      `);
    },
  },
  {
    version: 3,
    name: 'foresight: imagination runs with their pack, provider, mode, decision, latency and the real outcome',
    up(db) {
      // One row per decision the world model informed: the candidates it imagined (candidates_json: actions,
      // success_prob, progress), what was chosen and why (decision), how long it took and on what; after
      // the chosen chunk ran, what really happened (real_json). The episode's outcome is the label.
      db.exec(`
        ALTER TABLE imagination_runs ADD COLUMN pack_sha256 TEXT NOT NULL DEFAULT '';
        ALTER TABLE imagination_runs ADD COLUMN provider TEXT NOT NULL DEFAULT '';
        ALTER TABLE imagination_runs ADD COLUMN mode TEXT NOT NULL DEFAULT '';
        ALTER TABLE imagination_runs ADD COLUMN decision TEXT NOT NULL DEFAULT '';
        ALTER TABLE imagination_runs ADD COLUMN horizon INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE imagination_runs ADD COLUMN latency_ms REAL;
        ALTER TABLE imagination_runs ADD COLUMN input_hash TEXT NOT NULL DEFAULT '';
        ALTER TABLE imagination_runs ADD COLUMN chosen_success_prob REAL;
        ALTER TABLE imagination_runs ADD COLUMN real_json TEXT;
        CREATE INDEX imagination_runs_by_episode ON imagination_runs (episode_id, t_ns);
      `);
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
