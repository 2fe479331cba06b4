import type { Database } from 'better-sqlite3';

export interface Migration {
  version: number;
  name: string;
  up(db: Database): void;
}

/**
 * Append-only: a released migration is never edited, a change is a new entry. Each runs in its own transaction
 * together with its row in `migrations`, so a crash leaves the store at the previous version, never half-way.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'settings',
    up(db) {
      db.exec(`
        CREATE TABLE settings (
          key        TEXT PRIMARY KEY,
          value      TEXT NOT NULL,          -- JSON
          updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        ) STRICT;
      `);
    },
  },
  {
    version: 2,
    name: 'connections and query history',
    up(db) {
      db.exec(`
        CREATE TABLE connections (
          id       TEXT PRIMARY KEY,
          name     TEXT NOT NULL,
          path     TEXT NOT NULL UNIQUE,
          kind     TEXT NOT NULL CHECK (kind IN ('demo', 'file')),
          added_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        ) STRICT;
        -- no foreign key to connections: the history of a removed database stays readable
        CREATE TABLE query_history (
          id            INTEGER PRIMARY KEY,
          connection_id TEXT NOT NULL,
          sql           TEXT NOT NULL,
          status        TEXT NOT NULL CHECK (status IN ('ok', 'error', 'refused', 'timeout')),
          row_count     INTEGER,
          elapsed_ms    REAL,
          error         TEXT,
          created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        ) STRICT;
        CREATE INDEX query_history_by_connection ON query_history (connection_id, id);
      `);
    },
  },
  {
    version: 3,
    name: 'evaluation runs',
    up(db) {
      db.exec(`
        CREATE TABLE eval_runs (
          id          TEXT PRIMARY KEY,
          name        TEXT NOT NULL,
          bench       TEXT NOT NULL,
          status      TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed', 'cancelled')),
          created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
          elapsed_ms  REAL,
          metrics     TEXT NOT NULL,   -- JSON array
          total       INTEGER NOT NULL,
          done        INTEGER NOT NULL DEFAULT 0,
          unavailable INTEGER NOT NULL DEFAULT 0,
          summary     TEXT NOT NULL DEFAULT '{}',
          record      TEXT,            -- JSON reproducibility record
          options     TEXT NOT NULL,   -- JSON: how to re-run an example (data folder, timeouts, ...)
          error       TEXT
        ) STRICT;
        CREATE TABLE eval_examples (
          run_id      TEXT NOT NULL REFERENCES eval_runs (id) ON DELETE CASCADE,
          idx         INTEGER NOT NULL,
          id          TEXT NOT NULL,
          db_id       TEXT NOT NULL,
          question    TEXT NOT NULL,
          evidence    TEXT,
          gold        TEXT NOT NULL,
          pred        TEXT NOT NULL,
          grp         TEXT,
          db_files    TEXT NOT NULL,   -- JSON array
          scores      TEXT NOT NULL,   -- JSON {metric: number | null}
          reasons     TEXT NOT NULL,   -- JSON {metric: {code, detail, quirk?}}
          disagree    INTEGER NOT NULL DEFAULT 0,
          unavailable TEXT,
          PRIMARY KEY (run_id, idx)
        ) STRICT;
      `);
    },
  },
];
