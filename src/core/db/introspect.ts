/**
 * Reads a database's structure with SQLite's own pragma table functions. Runs inside a sandbox process for the
 * app (row counts and samples can take long on big tables) and in-process for `squill schema`.
 */
import type { Database } from 'better-sqlite3';
import type { Column, DbSchema, Table } from '../../shared/contract/index.ts';

export const SAMPLE_VALUES = 5;
/** sample values come from the first rows only, so a billion-row table costs no more than a small one */
const SAMPLE_SCAN_ROWS = 10_000;
const SAMPLE_TEXT_CHARS = 80;

export const quoteIdentifier = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** SQLite's type affinity rules (datatype3.html, section 3.1), in their order. */
export function affinityOf(declaredType: string): Column['affinity'] {
  const t = declaredType.toUpperCase();
  if (t.includes('INT')) return 'INTEGER';
  if (t.includes('CHAR') || t.includes('CLOB') || t.includes('TEXT')) return 'TEXT';
  if (t.includes('BLOB') || t === '') return 'BLOB';
  if (t.includes('REAL') || t.includes('FLOA') || t.includes('DOUB')) return 'REAL';
  return 'NUMERIC';
}

function sampleValue(v: unknown): string | number | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v.toString();
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (typeof v === 'string') return v.length > SAMPLE_TEXT_CHARS ? `${v.slice(0, SAMPLE_TEXT_CHARS)}…` : v;
  if (v instanceof Uint8Array) return `<BLOB ${v.byteLength} bytes>`;
  return String(v);
}

export function introspect(db: Database, options: { details: boolean }): Omit<DbSchema, 'fingerprint'> {
  const objects = db
    .prepare(`SELECT name, type, COALESCE(sql, '') AS sql FROM sqlite_schema
              WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY rowid`)
    .all() as { name: string; type: 'table' | 'view'; sql: string }[];
  const withoutRowid = new Set(
    (db.prepare(`SELECT name FROM pragma_table_list WHERE wr = 1 AND schema = 'main'`).pluck().all() as string[]),
  );
  const columnsOf = db.prepare(
    `SELECT name, type, "notnull" AS "notNull", dflt_value AS dflt, pk, hidden FROM pragma_table_xinfo(?) ORDER BY cid`,
  );
  const foreignKeysOf = db.prepare(
    `SELECT id, seq, "table" AS refTable, "from" AS col, "to" AS refCol, on_update, on_delete
     FROM pragma_foreign_key_list(?) ORDER BY id, seq`,
  );
  const indexesOf = db.prepare(`SELECT name, "unique", origin, partial FROM pragma_index_list(?)`);
  const indexColumns = db.prepare(`SELECT name FROM pragma_index_info(?) ORDER BY seqno`).pluck();

  const tables: Table[] = [];
  const views: DbSchema['views'] = [];
  for (const object of objects) {
    const rawColumns = columnsOf.all(object.name) as {
      name: string; type: string; notNull: bigint | number; dflt: string | null; pk: bigint | number; hidden: bigint | number;
    }[];
    // hidden = 1: the hidden columns of virtual tables, not part of what a user selects
    const visible = rawColumns.filter((c) => Number(c.hidden) !== 1);
    if (object.type === 'view') {
      views.push({ name: object.name, columns: visible.map((c) => ({ name: c.name, type: c.type })), sql: object.sql });
      continue;
    }
    const quoted = quoteIdentifier(object.name);
    const columns: Column[] = visible.map((c) => ({
      name: c.name,
      type: c.type,
      affinity: affinityOf(c.type),
      pk: Number(c.pk),
      notNull: Number(c.notNull) === 1,
      default: c.dflt,
      sampleValues: options.details ? samples(db, quoted, c.name) : [],
    }));
    const fkRows = foreignKeysOf.all(object.name) as {
      id: bigint | number; refTable: string; col: string; refCol: string | null; on_update: string; on_delete: string;
    }[];
    const foreignKeys: Table['foreignKeys'] = [];
    for (const row of fkRows) {
      const id = Number(row.id);
      let fk = foreignKeys[id];
      if (!fk) {
        fk = { columns: [], refTable: row.refTable, refColumns: [], onUpdate: row.on_update, onDelete: row.on_delete };
        foreignKeys[id] = fk;
      }
      fk.columns.push(row.col);
      if (row.refCol !== null) fk.refColumns.push(row.refCol);
    }
    const indexes = (indexesOf.all(object.name) as { name: string; unique: bigint | number; origin: string; partial: bigint | number }[])
      .map((ix) => ({
        name: ix.name,
        columns: (indexColumns.all(ix.name) as (string | null)[]).map((n) => n ?? '<expression>'),
        unique: Number(ix.unique) === 1,
        origin: (ix.origin === 'u' || ix.origin === 'pk' ? ix.origin : 'c') as 'c' | 'u' | 'pk',
        partial: Number(ix.partial) === 1,
      }));
    let rowCount: number | null = null;
    if (options.details) {
      try {
        rowCount = Number(db.prepare(`SELECT count(*) FROM ${quoted}`).pluck().get());
      } catch {
        rowCount = null; // e.g. a virtual table whose module is not available
      }
    }
    tables.push({
      name: object.name,
      columns,
      foreignKeys: foreignKeys.filter(Boolean),
      indexes,
      rowCount,
      withoutRowid: withoutRowid.has(object.name),
      sql: object.sql,
    });
  }
  return { tables, views };
}

function samples(db: Database, quotedTable: string, column: string): Column['sampleValues'] {
  try {
    const rows = db
      .prepare(
        `SELECT v FROM (SELECT ${quoteIdentifier(column)} AS v FROM ${quotedTable} LIMIT ${SAMPLE_SCAN_ROWS})
         WHERE v IS NOT NULL GROUP BY v ORDER BY count(*) DESC, v LIMIT ${SAMPLE_VALUES}`,
      )
      .pluck()
      .all();
    return rows.map(sampleValue);
  } catch {
    return [];
  }
}
