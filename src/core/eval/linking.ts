/**
 * Schema linking: the tables and columns a query references, resolved against the benchmark's schema (aliases
 * resolved, `*` counts no column), compared between gold and prediction. Works on SQLite's tokens, so it reads
 * every query SQLite can run, including those a full parser rejects.
 */
import fs from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import type { Reason } from '../../shared/contract/index.ts';
import { identifierName, significant, tokenize, type Token } from '../../shared/sql/tokenize.ts';

/** table (lower-case) -> its columns (lower-case) */
export type SchemaIndex = Map<string, Set<string>>;

/** From Spider's tables.json / BIRD's dev_tables.json entries. */
export function schemaIndexFromTablesJson(entry: {
  table_names_original: string[];
  column_names_original: [number, string][];
}): SchemaIndex {
  const index: SchemaIndex = new Map(entry.table_names_original.map((t) => [t.toLowerCase(), new Set<string>()]));
  for (const [t, column] of entry.column_names_original) {
    if (t >= 0) index.get(entry.table_names_original[t]!.toLowerCase())!.add(column.toLowerCase());
  }
  return index;
}

const CLAUSE_END = new Set(['WHERE', 'GROUP', 'ORDER', 'HAVING', 'LIMIT', 'UNION', 'INTERSECT', 'EXCEPT', 'ON', 'USING', 'WINDOW', 'SELECT', 'VALUES']);
const JOIN_WORDS = new Set(['JOIN', 'NATURAL', 'LEFT', 'RIGHT', 'FULL', 'INNER', 'OUTER', 'CROSS']);

const isName = (t: Token | undefined): t is Token => t !== undefined && (t.type === 'word' || t.type === 'quoted');
const upper = (t: Token | undefined) => (t?.type === 'word' ? t.text.toUpperCase() : '');

export interface Linked {
  tables: Set<string>;
  columns: Set<string>;
}

export function linkedSchema(sql: string, schema: SchemaIndex): Linked {
  const tokens = significant(tokenize(sql));
  const aliases = new Map<string, string>(); // alias or table name (lower) -> table
  const tables = new Set<string>();
  // 1. row sources after FROM / JOIN / commas in a FROM list
  let inFrom = false;
  for (let i = 0; i < tokens.length; i++) {
    const w = upper(tokens[i]);
    if (w === 'FROM' || w === 'JOIN') inFrom = true;
    else if (CLAUSE_END.has(w)) inFrom = false;
    if (!inFrom || !(w === 'FROM' || w === 'JOIN' || tokens[i]!.text === ',')) continue;
    const source = tokens[i + 1];
    if (!isName(source)) continue;
    const name = identifierName(source).toLowerCase();
    if (!schema.has(name)) continue;
    tables.add(name);
    aliases.set(name, name);
    let next = i + 2;
    if (upper(tokens[next]) === 'AS') next++;
    const alias = tokens[next];
    if (isName(alias) && !CLAUSE_END.has(upper(alias)) && !JOIN_WORDS.has(upper(alias)) && upper(alias) !== 'AS') {
      aliases.set(identifierName(alias).toLowerCase(), name);
    }
  }
  // 2. columns: qualified a.b, and bare names that belong to a table in scope (the first, in FROM order)
  const columns = new Set<string>();
  const outputNames = new Set<string>(); // SELECT ... AS x: x is not a column
  tokens.forEach((t, i) => {
    if (upper(tokens[i - 1]) === 'AS' && isName(t)) outputNames.add(identifierName(t).toLowerCase());
  });
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (!isName(t)) continue;
    const name = identifierName(t).toLowerCase();
    if (tokens[i + 1]?.text === '.' && isName(tokens[i + 2])) {
      const table = aliases.get(name);
      const column = identifierName(tokens[i + 2]!).toLowerCase();
      if (table && schema.get(table)!.has(column)) columns.add(`${table}.${column}`);
      i += 2;
      continue;
    }
    if (tokens[i - 1]?.text === '.' || tokens[i + 1]?.text === '(' || aliases.has(name) || outputNames.has(name)) continue;
    const owner = [...tables].find((table) => schema.get(table)!.has(name));
    if (owner) columns.add(`${owner}.${name}`);
  }
  return { tables, columns };
}

const prf = (gold: Set<string>, pred: Set<string>) => {
  const hit = [...pred].filter((x) => gold.has(x)).length;
  const precision = pred.size ? hit / pred.size : gold.size ? 0 : 1;
  const recall = gold.size ? hit / gold.size : pred.size ? 0 : 1;
  return { precision, recall, exact: hit === gold.size && hit === pred.size };
};

export interface LinkingScore {
  tables: ReturnType<typeof prf>;
  columns: ReturnType<typeof prf>;
  /** 1 when both the table set and the column set match exactly */
  score: number;
  reason: Reason;
}

export function schemaLinkingScore(gold: string, pred: string, schema: SchemaIndex): LinkingScore {
  const g = linkedSchema(gold, schema);
  const p = linkedSchema(pred, schema);
  const tables = prf(g.tables, p.tables);
  const columns = prf(g.columns, p.columns);
  const score = tables.exact && columns.exact ? 1 : 0;
  const missing = [...g.columns].filter((c) => !p.columns.has(c));
  const extra = [...p.columns].filter((c) => !g.columns.has(c));
  const pct = (x: number) => `${Math.round(x * 100)}%`;
  const detail =
    `tables P ${pct(tables.precision)} R ${pct(tables.recall)}, columns P ${pct(columns.precision)} R ${pct(columns.recall)}` +
    (missing.length ? `; missing ${missing.join(', ')}` : '') +
    (extra.length ? `; extra ${extra.join(', ')}` : '');
  const code = score ? 'exact' : missing.length && extra.length ? 'missing_and_extra' : missing.length ? 'missing' : extra.length ? 'extra' : 'tables_differ';
  return { tables, columns, score, reason: { code, detail } };
}

/**
 * The schema index of each database a run's examples use, for schema linking: from the benchmark's schema file
 * (Spider tables.json, BIRD dev_tables.json) when it has one, else (JSONL) from the database files themselves.
 */
export function schemasFor(tablesFile: string | null, examples: { dbId: string; dbFiles: string[] }[]): Map<string, SchemaIndex> {
  const schemas = new Map<string, SchemaIndex>();
  if (tablesFile) {
    for (const entry of JSON.parse(fs.readFileSync(tablesFile, 'utf8')) as (Parameters<typeof schemaIndexFromTablesJson>[0] & { db_id: string })[]) {
      schemas.set(entry.db_id, schemaIndexFromTablesJson(entry));
    }
    return schemas;
  }
  for (const ex of examples) {
    if (schemas.has(ex.dbId) || !ex.dbFiles[0]) continue;
    const file = new BetterSqlite3(ex.dbFiles[0], { readonly: true, fileMustExist: true });
    try {
      const tables = file.prepare(`SELECT name FROM sqlite_schema WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'`).pluck().all() as string[];
      schemas.set(ex.dbId, new Map(tables.map((t) => [
        t.toLowerCase(),
        new Set((file.prepare('SELECT name FROM pragma_table_info(?)').pluck().all(t) as string[]).map((c) => c.toLowerCase())),
      ])));
    } finally {
      file.close();
    }
  }
  return schemas;
}
