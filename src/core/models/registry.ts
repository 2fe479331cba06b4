/** The models and adapters tables of the app store, and turning their rows into contract objects. */
import fs from 'node:fs';
import type { Adapter, Model, ModelMetadata } from '../../shared/contract/index.ts';
import { SquillError } from '../../shared/errors.ts';
import type { Store } from '../store/index.ts';
import { checkGgufFile } from './inspect.ts';
import type { LoadSettings } from './types.ts';

export interface ModelRow {
  id: string;
  name: string;
  kind: 'local' | 'remote';
  path: string | null;
  remote: string | null;
  source: Model['source'];
  size_bytes: number | null;
  sha256: string | null;
  metadata: string | null;
  settings: string;
  added_at: string;
}

export interface AdapterRow {
  id: string;
  model_id: string;
  name: string;
  path: string;
  source: Adapter['source'];
  size_bytes: number;
  sha256: string | null;
  added_at: string;
}

export interface RemoteConfig {
  baseUrl: string;
  model: string;
  apiKey?: string;
}

export function createRegistry(store: Store) {
  const db = store.db;

  const modelRow = (id: string): ModelRow => {
    const row = db.prepare('SELECT * FROM models WHERE id = ?').get(id) as ModelRow | undefined;
    if (!row) throw new SquillError('NOT_FOUND', `No model with id "${id}"`);
    return row;
  };
  const adapterRow = (id: string): AdapterRow => {
    const row = db.prepare('SELECT * FROM adapters WHERE id = ?').get(id) as AdapterRow | undefined;
    if (!row) throw new SquillError('NOT_FOUND', `No adapter with id "${id}"`);
    return row;
  };

  /** a readable, stable id from a name: "qwen2-5-coder-1-5b", then "-2", "-3"… */
  function uniqueId(table: 'models' | 'adapters', name: string): string {
    const base = name.toLowerCase().replace(/\.gguf$/, '').replace(/[^a-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 48) || table.slice(0, -1);
    const taken = new Set(db.prepare(`SELECT id FROM ${table}`).pluck().all() as string[]);
    if (!taken.has(base)) return base;
    for (let n = 2; ; n++) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
  }

  function describeAdapter(row: AdapterRow): Adapter {
    return {
      id: row.id,
      modelId: row.model_id,
      name: row.name,
      path: row.path,
      source: row.source,
      sizeBytes: row.size_bytes,
      addedAt: row.added_at,
      status: fs.existsSync(row.path) ? 'ok' : 'missing',
    };
  }

  function describe(row: ModelRow, loaded: boolean): Model {
    const settings = JSON.parse(row.settings) as LoadSettings;
    const remote = row.remote ? (JSON.parse(row.remote) as RemoteConfig) : null;
    const adapters = (db.prepare('SELECT * FROM adapters WHERE model_id = ? ORDER BY added_at, rowid').all(row.id) as AdapterRow[]).map(describeAdapter);
    const base: Model = {
      id: row.id,
      name: row.name,
      kind: row.kind,
      path: row.path,
      remote: remote && { baseUrl: remote.baseUrl, model: remote.model, hasApiKey: Boolean(remote.apiKey) },
      source: row.source,
      sizeBytes: row.size_bytes,
      sha256: row.sha256,
      metadata: row.metadata ? (JSON.parse(row.metadata) as ModelMetadata) : null,
      addedAt: row.added_at,
      status: 'ok',
      loaded,
      settings,
      adapters,
    };
    if (row.kind !== 'local' || !row.path) return base;
    try {
      const size = checkGgufFile(row.path);
      if (row.size_bytes !== null && size !== row.size_bytes) {
        return { ...base, status: 'unreadable', error: `The file changed since it was added (${row.size_bytes} bytes then, ${size} now); remove it and add it again` };
      }
      return base;
    } catch (err) {
      const e = err as SquillError;
      return e.code === 'NOT_FOUND'
        ? { ...base, status: 'missing', error: `The file ${row.path} no longer exists` }
        : { ...base, status: 'unreadable', error: e.message };
    }
  }

  return {
    modelRow,
    adapterRow,
    uniqueId,
    describe,
    describeAdapter,
    rows: () => db.prepare('SELECT * FROM models ORDER BY added_at, rowid').all() as ModelRow[],
    adapterRows: (modelId: string) => db.prepare('SELECT * FROM adapters WHERE model_id = ?').all(modelId) as AdapterRow[],
    insertModel(row: Omit<ModelRow, 'added_at'>) {
      db.prepare(`INSERT INTO models (id, name, kind, path, remote, source, size_bytes, sha256, metadata, settings)
        VALUES (@id, @name, @kind, @path, @remote, @source, @size_bytes, @sha256, @metadata, @settings)`).run(row);
    },
    insertAdapter(row: Omit<AdapterRow, 'added_at'>) {
      db.prepare(`INSERT INTO adapters (id, model_id, name, path, source, size_bytes, sha256)
        VALUES (@id, @model_id, @name, @path, @source, @size_bytes, @sha256)`).run(row);
    },
    setSha256(table: 'models' | 'adapters', id: string, sha256: string) {
      db.prepare(`UPDATE ${table} SET sha256 = ? WHERE id = ?`).run(sha256, id);
    },
    setSettings(id: string, settings: LoadSettings) {
      db.prepare('UPDATE models SET settings = ? WHERE id = ?').run(JSON.stringify(settings), id);
    },
    deleteModel: (id: string) => db.prepare('DELETE FROM models WHERE id = ?').run(id),
    deleteAdapter: (id: string) => db.prepare('DELETE FROM adapters WHERE id = ?').run(id),
  };
}

export type Registry = ReturnType<typeof createRegistry>;
