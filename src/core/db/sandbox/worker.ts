/**
 * A sandbox process: runs one request at a time on read-only connections and answers over Node IPC. The pool
 * kills it when a request overruns its time, so nothing here needs to be interruptible.
 */
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { SquillError, type ErrorData } from '../../../shared/errors.ts';
import type { QueryResult } from '../../../shared/contract/index.ts';
import { classifySql, locateError, prepareWithLegacyStrings } from '../../sql/index.ts';
import { introspect } from '../introspect.ts';
import { encodeCell } from './encode.ts';
import type { QueryRequest, SandboxRequest, TimeRequest, WorkerMessage } from './protocol.ts';

const MAX_OPEN = 8;
const open = new Map<string, Database>();

function connection(dbPath: string): Database {
  const cached = open.get(dbPath);
  if (cached) {
    open.delete(dbPath); // re-insert: most recently used last
    open.set(dbPath, cached);
    return cached;
  }
  const db = new BetterSqlite3(dbPath, { readonly: true, fileMustExist: true, timeout: 2000 });
  db.defaultSafeIntegers(true);
  db.pragma('query_only = ON'); // a third guard behind the classifier and stmt.readonly
  db.pragma('trusted_schema = OFF'); // views and triggers of an untrusted file cannot call risky functions
  // Sorts and temp b-trees never create files. Their memory is watched by the pool (better-sqlite3 builds SQLite
  // without memory statistics, so SQLite's own heap limits do nothing).
  db.pragma('temp_store = MEMORY');
  open.set(dbPath, db);
  if (open.size > MAX_OPEN) {
    const [oldest, oldDb] = open.entries().next().value!;
    open.delete(oldest);
    oldDb.close();
  }
  return db;
}

function runQuery(request: QueryRequest): QueryResult {
  const started = performance.now();
  const verdict = classifySql(request.sql);
  if (!verdict.ok) {
    throw new SquillError('REFUSED', verdict.refused, verdict.offset === undefined ? undefined : { offset: verdict.offset });
  }
  const db = connection(request.dbPath);
  const stmt = request.doubleQuotedStrings
    ? prepareWithLegacyStrings(request.sql, (sql) => db.prepare(sql))
    : db.prepare(request.sql);
  if (!stmt.readonly) throw new SquillError('REFUSED', 'Refused: SQLite reports that this statement would write.');
  if (!stmt.reader) throw new SquillError('REFUSED', 'Refused: this statement returns no rows; only queries run here.');
  stmt.raw(true);
  const columns = stmt.columns().map((c) => ({ name: c.name, declType: c.type }));
  const rows: QueryResult['rows'] = [];
  const types: string[] = [];
  let bytes = 0;
  let truncatedBy: QueryResult['truncatedBy'] = null;
  for (const row of stmt.iterate() as IterableIterator<unknown[]>) {
    if (rows.length >= request.maxRows) {
      truncatedBy = 'rows';
      break;
    }
    const cells: QueryResult['rows'][number] = [];
    let letters = '';
    for (const value of row) {
      const encoded = encodeCell(value, request.fullBlobs);
      cells.push(encoded.cell);
      letters += encoded.type;
      bytes += encoded.bytes;
    }
    if (bytes > request.maxBytes) {
      truncatedBy = 'bytes';
      break;
    }
    rows.push(cells);
    types.push(letters);
  }
  return { columns, rows, types, truncated: truncatedBy !== null, truncatedBy, elapsedMs: performance.now() - started };
}

function timeRuns(request: TimeRequest): { timesMs: number[] } {
  const verdict = classifySql(request.sql);
  if (!verdict.ok) throw new SquillError('REFUSED', verdict.refused);
  const timesMs: number[] = [];
  for (let i = 0; i < request.runs; i++) {
    const db = new BetterSqlite3(request.dbPath, { readonly: true, fileMustExist: true, timeout: 2000 });
    try {
      db.pragma('query_only = ON');
      db.pragma('trusted_schema = OFF');
      db.pragma('temp_store = MEMORY');
      const started = performance.now();
      const stmt = request.doubleQuotedStrings
        ? prepareWithLegacyStrings(request.sql, (sql) => db.prepare(sql))
        : db.prepare(request.sql);
      if (!stmt.readonly) throw new SquillError('REFUSED', 'Refused: SQLite reports that this statement would write.');
      if (stmt.reader) {
        const rows = stmt.iterate();
        rows.next();
        rows.return?.(); // reset the statement, or the connection stays busy
      } else stmt.run();
      timesMs.push(performance.now() - started);
    } finally {
      db.close();
    }
  }
  return { timesMs };
}

function toErrorData(err: unknown, request: SandboxRequest): ErrorData {
  if (err instanceof SquillError) return err.toData();
  const e = err as Error & { code?: string };
  if (e?.name === 'SqliteError') {
    const offset = request.type === 'query' ? locateError(request.sql, e.message) : undefined;
    const details: Record<string, unknown> = { sqliteCode: e.code };
    if (offset !== undefined) details.offset = offset;
    if (e.code === 'SQLITE_BUSY') return { code: 'UNAVAILABLE', message: `The database is locked by another program: ${e.message}`, details };
    if (e.code === 'SQLITE_NOMEM') return { code: 'LIMIT', message: 'The query needs more memory than the sandbox allows', details };
    return { code: 'SQL_ERROR', message: e.message, details };
  }
  if (e instanceof TypeError && /more than one statement/.test(e.message)) {
    return { code: 'REFUSED', message: 'Refused: more than one statement; run one statement at a time.' };
  }
  if (e instanceof RangeError || e instanceof TypeError) return { code: 'SQL_ERROR', message: e.message };
  return SquillError.toData(err);
}

process.on('message', (message: { id: number; request: SandboxRequest }) => {
  const { id, request } = message;
  let reply: WorkerMessage;
  try {
    const result =
      request.type === 'query'
        ? runQuery(request)
        : request.type === 'time'
          ? timeRuns(request)
          : introspect(connection(request.dbPath), { details: request.details });
    reply = { id, ok: true, result };
  } catch (err) {
    reply = { id, ok: false, error: toErrorData(err, request) };
  }
  process.send!(reply);
});

// The pool going away (crash, kill -9) closes the channel: leave instead of lingering as an orphan.
process.on('disconnect', () => process.exit(0));
