/** The databases Squill knows: the bundled demos plus the files a user added, kept in the app store. */
import fs from 'node:fs';
import path from 'node:path';
import type { Connection, Fingerprint } from '../../shared/contract/index.ts';
import { SquillError } from '../../shared/errors.ts';
import type { Store } from '../store/index.ts';
import { listDemoCatalog } from './demo.ts';
import { fingerprintOf } from './fingerprint.ts';

interface Row {
  id: string;
  name: string;
  path: string;
  kind: 'demo' | 'file';
  added_at: string;
}

export interface Connections {
  list(): Connection[];
  get(id: string): Connection;
  /** the file of a usable connection; throws a SquillError saying why it is not usable */
  usablePath(id: string): { path: string; fingerprint: Fingerprint };
  add(file: string, name?: string): Connection;
  remove(id: string): void;
}

export function createConnections(store: Store, resourcesDir: string): Connections {
  const db = store.db;
  // Fingerprints are recomputed only when the file's size or mtime changes.
  const fingerprints = new Map<string, { key: string; value: Fingerprint & { tableCount: number } }>();

  seedDemos();

  function seedDemos() {
    const upsert = db.prepare(`INSERT INTO connections (id, name, path, kind) VALUES (?, ?, ?, 'demo')
      ON CONFLICT(id) DO UPDATE SET path = excluded.path, name = excluded.name`);
    db.transaction(() => {
      for (const demo of listDemoCatalog(resourcesDir)) upsert.run(demo.id, demo.title, demo.path);
    })();
  }

  function describe(row: Row): Connection {
    const base = { id: row.id, name: row.name, path: row.path, kind: row.kind, addedAt: row.added_at };
    let stat: fs.Stats;
    try {
      stat = fs.statSync(row.path);
    } catch {
      return { ...base, status: 'missing', error: `The file ${row.path} no longer exists`, fingerprint: null, tableCount: null };
    }
    const key = `${stat.size}:${stat.mtimeMs}`;
    try {
      let cached = fingerprints.get(row.path);
      if (!cached || cached.key !== key) {
        cached = { key, value: fingerprintOf(row.path) };
        fingerprints.set(row.path, cached);
      }
      const { tableCount, ...fingerprint } = cached.value;
      return { ...base, status: 'ok', fingerprint, tableCount };
    } catch (err) {
      return { ...base, status: 'unreadable', error: (err as Error).message, fingerprint: null, tableCount: null };
    }
  }

  const rows = () =>
    db.prepare(`SELECT * FROM connections ORDER BY kind = 'file', rowid`).all() as Row[];
  const row = (id: string) => {
    const found = db.prepare('SELECT * FROM connections WHERE id = ?').get(id) as Row | undefined;
    if (!found) throw new SquillError('NOT_FOUND', `No database with id "${id}"`);
    return found;
  };

  function uniqueId(file: string): string {
    const base =
      path.basename(file).replace(/\.(sqlite3?|db3?|s3db|sl3)$/i, '').toLowerCase().replace(/[^a-z0-9_-]+/g, '-')
        .replace(/^-+|-+$/g, '').slice(0, 48) || 'database';
    const taken = new Set(db.prepare('SELECT id FROM connections').pluck().all() as string[]);
    if (!taken.has(base)) return base;
    for (let n = 2; ; n++) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
  }

  return {
    list: () => rows().map(describe),
    get: (id) => describe(row(id)),
    usablePath(id) {
      const connection = describe(row(id));
      if (connection.status !== 'ok' || !connection.fingerprint) {
        throw new SquillError('UNAVAILABLE', `${connection.name}: ${connection.error ?? 'not usable'}`);
      }
      return { path: connection.path, fingerprint: connection.fingerprint };
    },
    add(file, name) {
      const resolved = path.resolve(file);
      fingerprintOf(resolved); // throws with the reason a user can act on
      const real = fs.realpathSync(resolved);
      const existing = (db.prepare('SELECT * FROM connections').all() as Row[]).find((r) => {
        try {
          return fs.realpathSync(r.path) === real;
        } catch {
          return r.path === real;
        }
      });
      if (existing) throw new SquillError('CONFLICT', `${real} is already in the list as "${existing.name}"`);
      const id = uniqueId(real);
      db.prepare(`INSERT INTO connections (id, name, path, kind) VALUES (?, ?, ?, 'file')`).run(
        id,
        name ?? path.basename(real),
        real,
      );
      return describe(row(id));
    },
    remove(id) {
      const found = row(id);
      if (found.kind === 'demo') throw new SquillError('CONFLICT', `${found.name} is a bundled demo database and stays in the list`);
      db.prepare('DELETE FROM connections WHERE id = ?').run(id);
      fingerprints.delete(found.path);
    },
  };
}
