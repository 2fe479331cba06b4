/** The app store: one SQLite database (WAL) in the data folder, migrated on open. */
import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { SquillError } from '../../shared/errors.ts';
import { MIGRATIONS, type Migration } from './migrations.ts';

export const STORE_FILE_NAME = 'squill.db';

export interface Store {
  readonly db: Database;
  readonly path: string;
  readonly schemaVersion: number;
  close(): void;
}

export function openStore(dataDir: string, migrations: readonly Migration[] = MIGRATIONS): Store {
  try {
    fs.mkdirSync(dataDir, { recursive: true });
  } catch (err) {
    throw new SquillError('UNAVAILABLE', `Cannot create the data folder ${dataDir}: ${(err as Error).message}`);
  }
  const file = path.join(dataDir, STORE_FILE_NAME);
  let db: Database;
  try {
    db = new BetterSqlite3(file);
    db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = ON');
    db.pragma('synchronous = NORMAL');
  } catch (err) {
    throw new SquillError(
      'UNAVAILABLE',
      `The app store ${file} cannot be opened (${(err as Error).message}). ` +
        'If it is damaged, move it aside and Squill will start a fresh one.',
    );
  }
  try {
    const schemaVersion = migrate(db, migrations);
    return { db, path: file, schemaVersion, close: () => db.close() };
  } catch (err) {
    db.close();
    throw err;
  }
}

/** Applies the pending migrations; returns the schema version the store is at. */
export function migrate(db: Database, migrations: readonly Migration[]): number {
  db.exec(`CREATE TABLE IF NOT EXISTS migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
  )`);
  const current = (db.prepare('SELECT COALESCE(MAX(version), 0) AS v FROM migrations').get() as { v: number }).v;
  const latest = migrations.at(-1)?.version ?? 0;
  if (current > latest) {
    throw new SquillError(
      'UNAVAILABLE',
      `The app store is at schema version ${current}, written by a newer Squill (this one knows ${latest}). ` +
        'Update Squill, or point SQUILL_DATA_DIR at another folder.',
    );
  }
  const record = db.prepare('INSERT INTO migrations (version, name) VALUES (?, ?)');
  for (const m of migrations) {
    if (m.version <= current) continue;
    // IMMEDIATE: two processes opening a fresh store at once must not both run the same migration
    db.transaction(() => {
      const now = (db.prepare('SELECT COALESCE(MAX(version), 0) AS v FROM migrations').get() as { v: number }).v;
      if (now >= m.version) return;
      m.up(db);
      record.run(m.version, m.name);
    }).immediate();
  }
  return Math.max(current, latest);
}
