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
];
