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
  {
    version: 4,
    name: 'models, adapters, traces, corrections',
    up(db) {
      db.exec(`
        CREATE TABLE models (
          id         TEXT PRIMARY KEY,
          name       TEXT NOT NULL,
          kind       TEXT NOT NULL CHECK (kind IN ('local', 'remote')),
          path       TEXT UNIQUE,        -- local GGUF file
          remote     TEXT,               -- JSON {baseUrl, model, apiKey?} for remote endpoints
          source     TEXT NOT NULL CHECK (source IN ('file', 'download', 'created', 'remote')),
          size_bytes INTEGER,
          sha256     TEXT,
          metadata   TEXT,               -- JSON ModelMetadata
          settings   TEXT NOT NULL DEFAULT '{}', -- JSON {gpuLayers, contextSize}
          added_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        ) STRICT;
        CREATE TABLE adapters (
          id         TEXT PRIMARY KEY,
          model_id   TEXT NOT NULL REFERENCES models (id) ON DELETE CASCADE,
          name       TEXT NOT NULL,
          path       TEXT NOT NULL,
          source     TEXT NOT NULL CHECK (source IN ('trained', 'imported')),
          size_bytes INTEGER NOT NULL,
          sha256     TEXT,
          added_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
          UNIQUE (model_id, path)
        ) STRICT;
        -- no foreign keys to connections or models: a trace stays readable after either is removed
        CREATE TABLE traces (
          id            TEXT PRIMARY KEY,
          created_at    TEXT NOT NULL,
          connection_id TEXT,
          database      TEXT NOT NULL,
          question      TEXT NOT NULL,
          strategy      TEXT NOT NULL,
          model_name    TEXT NOT NULL,
          status        TEXT NOT NULL,
          sql           TEXT NOT NULL,
          total_ms      REAL NOT NULL,
          body          TEXT NOT NULL    -- JSON Trace
        ) STRICT;
        CREATE INDEX traces_by_connection ON traces (connection_id, created_at);
        CREATE TABLE corrections (
          id            INTEGER PRIMARY KEY,
          connection_id TEXT NOT NULL,
          database      TEXT NOT NULL,
          question      TEXT NOT NULL,
          evidence      TEXT,
          sql           TEXT NOT NULL,
          original_sql  TEXT,
          trace_id      TEXT,
          created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        ) STRICT;
        ALTER TABLE eval_examples ADD COLUMN trace_id TEXT;
      `);
    },
  },
  {
    version: 5,
    name: 'training jobs',
    up(db) {
      db.exec(`
        CREATE TABLE train_jobs (
          id          TEXT PRIMARY KEY,
          name        TEXT NOT NULL,
          method      TEXT NOT NULL,
          config      TEXT NOT NULL,   -- JSON TrainConfig
          state       TEXT NOT NULL CHECK (state IN ('queued', 'running', 'paused', 'failed', 'cancelled', 'done')),
          reason      TEXT,
          created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
          started_at  TEXT,
          finished_at TEXT,
          step        INTEGER NOT NULL DEFAULT 0,
          total_steps INTEGER NOT NULL DEFAULT 0,
          result      TEXT NOT NULL DEFAULT '{}'  -- JSON {adapters, modelId}
        ) STRICT;
        CREATE TABLE train_metrics (
          job_id       TEXT NOT NULL REFERENCES train_jobs (id) ON DELETE CASCADE,
          step         INTEGER NOT NULL,
          loss         REAL NOT NULL,
          lr           REAL NOT NULL,
          grad_norm    REAL NOT NULL,
          tokens_per_s REAL NOT NULL,
          rss_bytes    INTEGER NOT NULL,
          at           TEXT NOT NULL,
          PRIMARY KEY (job_id, step)
        ) STRICT;
        CREATE TABLE train_evals (
          job_id  TEXT NOT NULL REFERENCES train_jobs (id) ON DELETE CASCADE,
          step    INTEGER NOT NULL,
          dev_ex  REAL NOT NULL,
          correct INTEGER NOT NULL,
          total   INTEGER NOT NULL,
          ms      REAL NOT NULL,
          at      TEXT NOT NULL,
          PRIMARY KEY (job_id, step)
        ) STRICT;
        CREATE TABLE train_checkpoints (
          job_id TEXT NOT NULL REFERENCES train_jobs (id) ON DELETE CASCADE,
          step   INTEGER NOT NULL,
          role   TEXT NOT NULL CHECK (role IN ('main', 'link')),
          path   TEXT NOT NULL,
          dev_ex REAL,
          best   INTEGER NOT NULL DEFAULT 0,
          at     TEXT NOT NULL,
          PRIMARY KEY (job_id, step)
        ) STRICT;
      `);
    },
  },
  {
    version: 6,
    name: 'adapter roles named by their method',
    up(db) {
      // a checkpoint's role is one of its method's adapters (the method registry names them), no longer a fixed
      // pair; SQLite cannot drop a CHECK, so the table is rebuilt with the same rows
      db.exec(`
        CREATE TABLE train_checkpoints_new (
          job_id TEXT NOT NULL REFERENCES train_jobs (id) ON DELETE CASCADE,
          step   INTEGER NOT NULL,
          role   TEXT NOT NULL CHECK (length(role) BETWEEN 1 AND 64),
          path   TEXT NOT NULL,
          dev_ex REAL,
          best   INTEGER NOT NULL DEFAULT 0,
          at     TEXT NOT NULL,
          PRIMARY KEY (job_id, step)
        ) STRICT;
        INSERT INTO train_checkpoints_new SELECT job_id, step, role, path, dev_ex, best, at FROM train_checkpoints;
        DROP TABLE train_checkpoints;
        ALTER TABLE train_checkpoints_new RENAME TO train_checkpoints;
      `);
    },
  },
  {
    version: 7,
    name: "methods' own metric series and vote-scored evaluations",
    up(db) {
      // JSON objects: a method's series per step (GRPO's rewards, KL…) and an evaluation's vote score
      db.exec(`
        ALTER TABLE train_metrics ADD COLUMN extra TEXT;
        ALTER TABLE train_evals ADD COLUMN vote TEXT;
      `);
    },
  },
  {
    version: 8,
    name: 'reasoning memory of the FINER-SQL rewards',
    up(db) {
      // correct reasoning traces and their embeddings (float32, little-endian), per embedding model: the memory
      // reward compares a sample's reasoning with those of other databases (src/core/train/rewards/memory.ts)
      db.exec(`
        CREATE TABLE reasoning_memory (
          id        INTEGER PRIMARY KEY,
          db_id     TEXT NOT NULL,
          text      TEXT NOT NULL,
          embedding BLOB NOT NULL,
          model     TEXT NOT NULL,
          created   TEXT NOT NULL
        ) STRICT;
        CREATE UNIQUE INDEX reasoning_memory_entry ON reasoning_memory (model, db_id, text);
      `);
    },
  },
];
