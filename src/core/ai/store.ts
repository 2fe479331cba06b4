/** Traces and the corrections dataset in the app store. */
import type { Correction, Trace } from '../../shared/contract/index.ts';
import type { Store } from '../store/index.ts';

export function saveTrace(store: Store, trace: Trace): void {
  store.db
    .prepare(`INSERT OR REPLACE INTO traces (id, created_at, connection_id, database, question, strategy, model_name, status, sql, total_ms, body)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
    .run(trace.id, trace.createdAt, trace.connectionId, trace.database, trace.question, trace.strategy, trace.model.name, trace.status, trace.final.sql, trace.totalMs, JSON.stringify(trace));
}

export function getTrace(store: Store, id: string): Trace | null {
  const body = store.db.prepare('SELECT body FROM traces WHERE id = ?').pluck().get(id) as string | undefined;
  return body ? (JSON.parse(body) as Trace) : null;
}

export function listTraces(store: Store, o: { connectionId?: string; search?: string; limit?: number }) {
  const where: string[] = [];
  const params: unknown[] = [];
  if (o.connectionId) {
    where.push('connection_id = ?');
    params.push(o.connectionId);
  }
  if (o.search) {
    where.push("(question LIKE ? ESCAPE '\\' OR sql LIKE ? ESCAPE '\\')");
    const like = `%${o.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    params.push(like, like);
  }
  const rows = store.db
    .prepare(`SELECT id, created_at, connection_id, database, question, strategy, model_name, status, sql, total_ms FROM traces
              ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC LIMIT ?`)
    .all(...params, o.limit ?? 100) as {
    id: string; created_at: string; connection_id: string | null; database: string; question: string; strategy: Trace['strategy'];
    model_name: string; status: Trace['status']; sql: string; total_ms: number;
  }[];
  return rows.map((r) => ({
    id: r.id,
    createdAt: r.created_at,
    connectionId: r.connection_id,
    database: r.database,
    question: r.question,
    strategy: r.strategy,
    status: r.status,
    totalMs: r.total_ms,
    sql: r.sql,
    modelName: r.model_name,
  }));
}

export function deleteTrace(store: Store, id: string): boolean {
  return store.db.prepare('DELETE FROM traces WHERE id = ?').run(id).changes > 0;
}

interface CorrectionRow {
  id: number; connection_id: string; database: string; question: string; evidence: string | null; sql: string;
  original_sql: string | null; trace_id: string | null; created_at: string;
}
const toCorrection = (r: CorrectionRow): Correction => ({
  id: r.id,
  connectionId: r.connection_id,
  database: r.database,
  question: r.question,
  evidence: r.evidence,
  sql: r.sql,
  originalSql: r.original_sql,
  traceId: r.trace_id,
  createdAt: r.created_at,
});

export function addCorrection(store: Store, c: Omit<Correction, 'id' | 'createdAt'>): Correction {
  const row = store.db
    .prepare(`INSERT INTO corrections (connection_id, database, question, evidence, sql, original_sql, trace_id)
              VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *`)
    .get(c.connectionId, c.database, c.question, c.evidence, c.sql, c.originalSql, c.traceId) as CorrectionRow;
  return toCorrection(row);
}

export function listCorrections(store: Store, connectionId?: string): Correction[] {
  const rows = connectionId
    ? store.db.prepare('SELECT * FROM corrections WHERE connection_id = ? ORDER BY id DESC').all(connectionId)
    : store.db.prepare('SELECT * FROM corrections ORDER BY id DESC').all();
  return (rows as CorrectionRow[]).map(toCorrection);
}

export function deleteCorrection(store: Store, id: number): boolean {
  return store.db.prepare('DELETE FROM corrections WHERE id = ?').run(id).changes > 0;
}
