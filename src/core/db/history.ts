/** The query history of the workbench, in the app store. */
import type { HistoryEntry } from '../../shared/contract/index.ts';
import type { Store } from '../store/index.ts';

const SELECT = `SELECT h.id, h.connection_id AS connectionId, c.name AS connectionName, h.sql, h.status,
  h.row_count AS rowCount, h.elapsed_ms AS elapsedMs, h.error, h.created_at AS createdAt
  FROM query_history h LEFT JOIN connections c ON c.id = h.connection_id`;

/** Entries beyond this many are dropped, oldest first. */
export const HISTORY_LIMIT = 5000;

export function recordHistory(store: Store, entry: Omit<HistoryEntry, 'id' | 'createdAt' | 'connectionName'>): HistoryEntry {
  const { lastInsertRowid } = store.db
    .prepare(`INSERT INTO query_history (connection_id, sql, status, row_count, elapsed_ms, error) VALUES (?, ?, ?, ?, ?, ?)`)
    .run(entry.connectionId, entry.sql, entry.status, entry.rowCount, entry.elapsedMs, entry.error);
  store.db.prepare(`DELETE FROM query_history WHERE id <= ?`).run(Number(lastInsertRowid) - HISTORY_LIMIT);
  return store.db.prepare(`${SELECT} WHERE h.id = ?`).get(lastInsertRowid) as HistoryEntry;
}

export function listHistory(store: Store, options: { search?: string; connectionId?: string; limit?: number }): HistoryEntry[] {
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (options.search?.trim()) {
    where.push(`h.sql LIKE ? ESCAPE '\\'`);
    params.push(`%${options.search.trim().replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  }
  if (options.connectionId) {
    where.push('h.connection_id = ?');
    params.push(options.connectionId);
  }
  const sql = `${SELECT} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY h.id DESC LIMIT ?`;
  return store.db.prepare(sql).all(...params, options.limit ?? 200) as HistoryEntry[];
}

export function deleteHistory(store: Store, id?: number): number {
  const result = id === undefined
    ? store.db.prepare('DELETE FROM query_history').run()
    : store.db.prepare('DELETE FROM query_history WHERE id = ?').run(id);
  return result.changes;
}
