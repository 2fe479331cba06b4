/**
 * Questions the Schema page asks of a DbSchema. SQLite compares table and column names case-insensitively, and
 * real databases (Spider's among them) write `REFERENCES Stadium` for a table created as `stadium`, so every lookup
 * here ignores case.
 */
import type { DbSchema, ForeignKey, Table } from '../../../../shared/contract/index.ts';

export type View = DbSchema['views'][number];

export type Relation = { kind: 'table'; table: Table } | { kind: 'view'; view: View };

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

export function findTable(schema: DbSchema, name: string): Table | undefined {
  return schema.tables.find((t) => t.name === name) ?? schema.tables.find((t) => same(t.name, name));
}

export function findRelation(schema: DbSchema, name: string): Relation | undefined {
  const table = findTable(schema, name);
  if (table) return { kind: 'table', table };
  const view = schema.views.find((v) => v.name === name) ?? schema.views.find((v) => same(v.name, name));
  return view ? { kind: 'view', view } : undefined;
}

/** The primary key columns in key order. */
export const primaryKey = (table: Table): string[] =>
  table.columns
    .filter((c) => c.pk > 0)
    .sort((a, b) => a.pk - b.pk)
    .map((c) => c.name);

/** Names (lower-cased) of the columns that take part in a foreign key of this table. */
export function foreignKeyColumns(table: Table): Set<string> {
  return new Set(table.foreignKeys.flatMap((fk) => fk.columns.map((c) => c.toLowerCase())));
}

/** The referenced columns; a key without them references the parent's primary key. */
export function referencedColumns(schema: DbSchema, fk: ForeignKey): string[] {
  if (fk.refColumns.length > 0) return fk.refColumns;
  const parent = findTable(schema, fk.refTable);
  return parent ? primaryKey(parent) : [];
}

export interface IncomingKey {
  from: Table;
  fk: ForeignKey;
}

/** The foreign keys of other tables (and of this one) that point at `table`. */
export function referencingKeys(schema: DbSchema, table: Table): IncomingKey[] {
  return schema.tables.flatMap((from) =>
    from.foreignKeys.filter((fk) => same(fk.refTable, table.name)).map((fk) => ({ from, fk })),
  );
}

export const totalRows = (schema: DbSchema): number | null =>
  schema.tables.some((t) => t.rowCount === null) ? null : schema.tables.reduce((n, t) => n + (t.rowCount ?? 0), 0);
