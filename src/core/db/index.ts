/**
 * Databases: the connection list, introspection (cached per fingerprint), and every SQL Squill runs for a user,
 * a model or an evaluation, through the sandbox pool.
 */
import type { DbSchema, QueryResult } from '../../shared/contract/index.ts';
import { SquillError } from '../../shared/errors.ts';
import type { EventHub } from '../../shared/rpc/events.ts';
import type { HandlersOf } from '../../shared/rpc/backend.ts';
import type { Store } from '../store/index.ts';
import { deleteHistory, listHistory, recordHistory } from './history.ts';
import { createConnections, type Connections } from './connections.ts';
import { quoteIdentifier } from './introspect.ts';
import { createSandboxPool, type QueryLimits, type SandboxPool, type SandboxPoolOptions } from './sandbox/index.ts';

export { checkSqliteFile, fingerprintOf } from './fingerprint.ts';
export { affinityOf, introspect, quoteIdentifier } from './introspect.ts';
export { listDemoCatalog } from './demo.ts';
export { deleteHistory, listHistory, recordHistory } from './history.ts';
export { createSandboxPool, DEFAULT_LIMITS, type QueryLimits, type SandboxPool, type SandboxPoolOptions } from './sandbox/index.ts';
export type { Connections } from './connections.ts';
export { createConnections } from './connections.ts';
export { encodeCell } from './sandbox/index.ts';

/**
 * connections.*, schema.*, query.*, history.*. `pickFile` is the desktop app's open-file dialog; elsewhere the
 * procedure answers UNAVAILABLE.
 */
export function databaseHandlers(
  databases: Databases,
  o: { store: Store; hub: EventHub; pickFile?: () => Promise<string | null> },
): HandlersOf<'connections' | 'schema' | 'query' | 'history'> {
  const { connections } = databases;
  const { store, hub } = o;
  const connectionsChanged = () => hub.emit('connections.changed', connections.list());
  return {
    'connections.list': () => connections.list(),
    'connections.add': ({ path, name }) => {
      const added = connections.add(path, name);
      connectionsChanged();
      return added;
    },
    'connections.remove': ({ id }) => {
      connections.remove(id);
      connectionsChanged();
      return { removed: true as const };
    },
    'connections.pickFile': async () => {
      if (!o.pickFile) throw new SquillError('UNAVAILABLE', 'The file dialog exists only in the desktop app; type the path instead');
      return { path: await o.pickFile() };
    },
    'schema.get': ({ connectionId, refresh }) => databases.schema(connectionId, refresh),
    'schema.sampleRows': ({ connectionId, table, limit }) => databases.sampleRows(connectionId, table, limit),
    'query.run': async ({ connectionId, sql, limits, recordHistory: record }) => {
      const started = performance.now();
      try {
        const result = await databases.query(connectionId, sql, limits);
        if (record) {
          const entry = recordHistory(store, { connectionId, sql, status: 'ok', rowCount: result.rows.length, elapsedMs: result.elapsedMs, error: null });
          hub.emit('history.added', entry);
        }
        return result;
      } catch (err) {
        if (record && err instanceof SquillError && err.code !== 'NOT_FOUND') {
          const status = err.code === 'REFUSED' ? 'refused' : err.code === 'TIMEOUT' ? 'timeout' : 'error';
          const elapsedMs = performance.now() - started;
          hub.emit('history.added', recordHistory(store, { connectionId, sql, status, rowCount: null, elapsedMs, error: err.message }));
        }
        throw err;
      }
    },
    'query.explain': async ({ connectionId, sql }) => ({ steps: await databases.explain(connectionId, sql) }),
    'history.list': (input) => listHistory(store, input),
    'history.delete': ({ id }) => ({ deleted: deleteHistory(store, id) }),
  };
}

export interface Databases {
  readonly connections: Connections;
  readonly sandbox: SandboxPool;
  schema(connectionId: string, refresh?: boolean): Promise<DbSchema>;
  sampleRows(connectionId: string, table: string, limit?: number): Promise<QueryResult>;
  query(connectionId: string, sql: string, limits?: Partial<QueryLimits>): Promise<QueryResult>;
  explain(connectionId: string, sql: string): Promise<{ id: number; parent: number; detail: string }[]>;
  close(): Promise<void>;
}

const SCHEMA_CACHE_SIZE = 32;

export function createDatabases(store: Store, resourcesDir: string, sandboxOptions: SandboxPoolOptions = {}): Databases {
  const connections = createConnections(store, resourcesDir);
  const sandbox = createSandboxPool(sandboxOptions);
  const schemas = new Map<string, Promise<DbSchema>>();

  const schema = async (connectionId: string, refresh = false): Promise<DbSchema> => {
    const { path, fingerprint } = connections.usablePath(connectionId);
    const key = `${path}\u0000${fingerprint.sizeBytes}:${fingerprint.mtimeMs}:${fingerprint.schemaSha256}`;
    if (refresh) schemas.delete(key);
    let cached = schemas.get(key);
    if (!cached) {
      cached = sandbox.introspect(path, true).then((s) => ({ ...s, fingerprint }));
      cached.catch(() => schemas.delete(key));
      schemas.set(key, cached);
      if (schemas.size > SCHEMA_CACHE_SIZE) schemas.delete(schemas.keys().next().value!);
    }
    return cached;
  };

  return {
    connections,
    sandbox,
    schema,
    async sampleRows(connectionId, table, limit = 50) {
      const s = await schema(connectionId);
      const known = [...s.tables, ...s.views].find((t) => t.name === table);
      if (!known) throw new SquillError('NOT_FOUND', `No table or view "${table}" in this database`);
      const { path } = connections.usablePath(connectionId);
      return sandbox.query(path, `SELECT * FROM ${quoteIdentifier(known.name)} LIMIT ${limit}`, { maxRows: limit });
    },
    async query(connectionId, sql, limits) {
      return sandbox.query(connections.usablePath(connectionId).path, sql, limits);
    },
    async explain(connectionId, sql) {
      const statement = sql.trim().replace(/;+\s*$/, '');
      if (/^explain\b/i.test(statement)) {
        throw new SquillError('VALIDATION', 'This statement is an EXPLAIN already; run it instead');
      }
      const result = await sandbox.query(connections.usablePath(connectionId).path, `EXPLAIN QUERY PLAN ${statement}`);
      return result.rows.map((r) => ({ id: Number(r[0]), parent: Number(r[1]), detail: String(r[3]) }));
    },
    close: () => sandbox.close(),
  };
}
