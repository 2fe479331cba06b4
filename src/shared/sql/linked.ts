/**
 * Which real tables and columns an SQL names, matched against a schema: the trace's schema links (the core's
 * strategies) and the rollout browser's (the renderer) read an SQL the same way. Pure: no Node or DOM.
 */
import { tokenize } from './tokenize.ts';

export interface Linked {
  tables: string[];
  columns: { table: string; column: string }[];
}

/** The part of a schema the links need (DbSchema fits). */
export interface NamedSchema {
  tables: readonly { name: string; columns: readonly { name: string }[] }[];
}

const unquote = (text: string) =>
  /^["`[]/.test(text) ? text.slice(1, -1).replace(/""/g, '"').replace(/``/g, '`') : text;

/**
 * Tables and columns an SQL names. Names are matched against the schema, so keywords and aliases drop out; a
 * column counts for every table of the query that has it (the SQL's scoping is not resolved here).
 */
export function linkedBySql(sql: string, schema: NamedSchema): Linked {
  const words = tokenize(sql)
    .filter((t) => t.type === 'word' || t.type === 'quoted')
    .map((t) => unquote(t.text).toLowerCase());
  const present = new Set(words);
  const tables = schema.tables.filter((t) => present.has(t.name.toLowerCase()));
  const columns: Linked['columns'] = [];
  for (const t of tables) {
    for (const c of t.columns) if (present.has(c.name.toLowerCase())) columns.push({ table: t.name, column: c.name });
  }
  return { tables: tables.map((t) => t.name), columns };
}
