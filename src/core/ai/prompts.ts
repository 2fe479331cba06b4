/**
 * Prompts, exactly as methods.md lays them out. Each builder returns chat messages; the same builders make the
 * fine-tuning data, so a model is trained on the very prompts inference sends.
 *
 * ROUTE: task sentence, single-line CREATE TABLE with keys, 3 sample rows per table (strings cut at 100 chars),
 * the question and, for BIRD, the hint. LR-SQL: DDL slices grouped by foreign keys under a token budget.
 */
import type { Cell, DbSchema, Table } from '../../shared/contract/index.ts';
import { quoteIdentifier } from '../db/index.ts';
import type { ChatMessage } from '../llm/index.ts';
import { trimSql, type Linked } from './parse.ts';
import type { DbHandle } from './types.ts';

/** Table name -> the columns to keep, lower-cased (null keeps all). */
export type SchemaSelection = Map<string, Set<string> | null>;

/** Keeps the linked tables with their linked columns (createTableLine keeps the key columns too). */
export function selectionOf(linked: Linked): SchemaSelection {
  return new Map(linked.tables.map((t): [string, Set<string>] => [t, new Set(linked.columns.filter((c) => c.table === t).map((c) => c.column.toLowerCase()))]));
}

export interface SchemaText {
  text: string;
  /** tables left out because the budget ran out */
  omittedTables: string[];
  /** sample rows dropped because the budget ran out */
  droppedSampleRows: boolean;
}

/** Sample rows per table, read once per ask through the sandbox. */
export type SampleRows = Map<string, { columns: string[]; rows: Cell[][] }>;

const ident = (name: string) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : quoteIdentifier(name));

/** ROUTE's single-line CREATE TABLE with primary and foreign keys; `keep` restricts the columns (keys stay). */
export function createTableLine(table: Table, keep: Set<string> | null = null): string {
  const keyColumns = new Set([...table.columns.filter((c) => c.pk > 0).map((c) => c.name), ...table.foreignKeys.flatMap((f) => f.columns)]);
  const columns = table.columns.filter((c) => !keep || keep.has(c.name.toLowerCase()) || keyColumns.has(c.name));
  const parts = columns.map((c) => `${ident(c.name)}${c.type ? ` ${c.type}` : ''}`);
  const pk = table.columns.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk);
  if (pk.length) parts.push(`PRIMARY KEY (${pk.map((c) => ident(c.name)).join(', ')})`);
  for (const fk of table.foreignKeys) {
    const refs = fk.refColumns.length ? ` (${fk.refColumns.map(ident).join(', ')})` : '';
    parts.push(`FOREIGN KEY (${fk.columns.map(ident).join(', ')}) REFERENCES ${ident(fk.refTable)}${refs}`);
  }
  return `CREATE TABLE ${ident(table.name)} (${parts.join(', ')});`;
}

const cellText = (cell: Cell): string => {
  if (cell === null) return 'NULL';
  if (typeof cell === 'object') return `<blob ${cell.size} bytes>`;
  const s = String(cell);
  return s.length > 100 ? s.slice(0, 100) : s;
};

export async function readSampleRows(db: DbHandle, count: number): Promise<SampleRows> {
  const out: SampleRows = new Map();
  if (count <= 0) return out;
  for (const table of db.schema.tables) {
    try {
      const r = await db.execute(`SELECT * FROM ${quoteIdentifier(table.name)} LIMIT ${count}`, { timeoutMs: 2000, maxRows: count });
      out.set(table.name, { columns: r.columns.map((c) => c.name), rows: r.rows });
    } catch {
      // a table the sandbox cannot read (e.g. a missing virtual-table module) is described without rows
    }
  }
  return out;
}

function sampleBlock(table: Table, rows: SampleRows, keep: Set<string> | null): string {
  const sample = rows.get(table.name);
  if (!sample || sample.rows.length === 0) return '';
  const idx = sample.columns.map((c, i) => [c, i] as const).filter(([c]) => !keep || keep.has(c.toLowerCase()));
  const lines = [`/* ${sample.rows.length} example rows from table ${ident(table.name)}: */`, idx.map(([c]) => c).join(' | ')];
  for (const row of sample.rows) lines.push(idx.map(([, i]) => cellText(row[i] ?? null)).join(' | '));
  return lines.join('\n');
}

/**
 * ROUTE's schema block under a token budget: when it does not fit, sample rows go first, then tables from the end
 * (the trace says which).
 */
export async function routeSchema(
  schema: DbSchema,
  rows: SampleRows,
  count: (text: string) => Promise<number>,
  budget: number,
  selection: SchemaSelection | null = null,
): Promise<SchemaText> {
  const tables = schema.tables.filter((t) => !selection || selection.has(t.name));
  const keepOf = (t: Table) => selection?.get(t.name) ?? null;
  const ddl = tables.map((t) => createTableLine(t, keepOf(t)));
  const samples = tables.map((t) => sampleBlock(t, rows, keepOf(t))).filter(Boolean);
  const compose = (n: number, withRows: boolean) =>
    ['/* Database schema */', ...ddl.slice(0, n), ...(withRows && samples.length ? ['/* Sample rows of each table */', ...samples.slice(0, n)] : [])].join('\n');
  let text = compose(tables.length, true);
  if ((await count(text)) <= budget) return { text, omittedTables: [], droppedSampleRows: false };
  text = compose(tables.length, false);
  let n = tables.length;
  while (n > 1 && (await count(text)) > budget) text = compose(--n, false);
  return { text, omittedTables: tables.slice(n).map((t) => t.name), droppedSampleRows: samples.length > 0 };
}

const questionBlock = (question: string, evidence: string | null) =>
  [`/* Question */`, question, ...(evidence ? ['/* Question hint */', evidence] : [])].join('\n');

export const ROUTE_TASKS = {
  ts: 'Given the database schema and the question, write one SQLite query that answers the question. Answer with the SQL only.',
  sl: 'Given the database schema and the question, list the tables and the columns of each table needed to answer the question, as JSON.',
  nc: 'Given the database schema, the question and an SQL query (with its execution error, if any), answer "correct" if the SQL answers the question, otherwise write the corrected SQLite query.',
  cw: 'Given the database schema, the question and an incomplete SQL query, complete the SQL query so that it answers the question.',
} as const;

export function routeTextToSql(schemaText: string, question: string, evidence: string | null): ChatMessage[] {
  return [{ role: 'user', content: [ROUTE_TASKS.ts, schemaText, questionBlock(question, evidence)].join('\n') }];
}
export function routeSchemaLinking(schemaText: string, question: string, evidence: string | null): ChatMessage[] {
  return [{ role: 'user', content: [ROUTE_TASKS.sl, schemaText, questionBlock(question, evidence)].join('\n') }];
}
export function routeNoiseCorrection(schemaText: string, question: string, evidence: string | null, sql: string, error: string | null): ChatMessage[] {
  const parts = [ROUTE_TASKS.nc, schemaText, questionBlock(question, evidence), '/* SQL query */', sql];
  if (error) parts.push('/* Execution exception */', error);
  return [{ role: 'user', content: parts.join('\n') }];
}
export function routeContinuation(schemaText: string, question: string, evidence: string | null, prefix: string): ChatMessage[] {
  return [{ role: 'user', content: [ROUTE_TASKS.cw, schemaText, questionBlock(question, evidence), '/* The incomplete SQL query */', prefix].join('\n') }];
}

/** FINER-SQL: reasoning in <think></think>, then one SQLite statement. */
export function finerPrompt(schemaText: string, question: string, evidence: string | null): ChatMessage[] {
  return [
    {
      role: 'system',
      content: 'You are an SQLite expert. First reason step by step inside <think> </think>, then write one SQLite query that answers the question.',
    },
    { role: 'user', content: [schemaText, questionBlock(question, evidence)].join('\n') },
  ];
}

// ---------------------------------------------------------------------------------------------------------------
// LR-SQL

/** Connected components of the foreign-key graph; groups of 2+ tables first, then standalone tables (schema order). */
export function foreignKeyGroups(schema: DbSchema): string[][] {
  const names = schema.tables.map((t) => t.name);
  const byLower = new Map(names.map((n) => [n.toLowerCase(), n]));
  const parent = new Map(names.map((n) => [n, n]));
  const find = (n: string): string => {
    let r = n;
    while (parent.get(r) !== r) r = parent.get(r)!;
    parent.set(n, r);
    return r;
  };
  for (const t of schema.tables) {
    for (const fk of t.foreignKeys) {
      const ref = byLower.get(fk.refTable.toLowerCase());
      if (ref) parent.set(find(t.name), find(ref));
    }
  }
  const groups = new Map<string, string[]>();
  for (const n of names) {
    const root = find(n);
    groups.set(root, [...(groups.get(root) ?? []), n]);
  }
  const all = [...groups.values()];
  return [...all.filter((g) => g.length > 1), ...all.filter((g) => g.length === 1)];
}

/** The scaffold of a schema-link prompt, reserved from the slice budget (methods.md: 150 tokens). */
export const SLICE_SCAFFOLD_TOKENS = 150;

/** LR-SQL slices: whole FK groups appended in order while the slice stays within `budget - 150` tokens. */
export async function lrsqlSlices(schema: DbSchema, count: (text: string) => Promise<number>, budget: number): Promise<string[][]> {
  const ddlTokens = new Map<string, number>();
  for (const t of schema.tables) ddlTokens.set(t.name, await count(createTableLine(t)));
  const limit = budget - SLICE_SCAFFOLD_TOKENS;
  const slices: string[][] = [];
  let current: string[] = [];
  let used = 0;
  for (const group of foreignKeyGroups(schema)) {
    const size = group.reduce((s, n) => s + ddlTokens.get(n)! + 1, 0);
    if (current.length && used + size > limit) {
      slices.push(current);
      current = [];
      used = 0;
    }
    current.push(...group);
    used += size;
  }
  if (current.length) slices.push(current);
  return slices;
}

export const LRSQL_LINK_SYSTEM = 'Given the database tables below, return only the tables related to the question.';
export const LRSQL_SQL_SYSTEM = 'Act as a SQL terminal: given the database tables below, answer the question with one SQLite query.';

export function ddlOf(schema: DbSchema, tables: string[]): string {
  const set = new Set(tables.map((t) => t.toLowerCase()));
  return schema.tables.filter((t) => set.has(t.name.toLowerCase())).map((t) => createTableLine(t)).join('\n');
}

export function lrsqlLinkPrompt(sliceDdl: string, question: string, evidence: string | null, selectedSoFar: string[]): ChatMessage[] {
  return [
    { role: 'system', content: `${LRSQL_LINK_SYSTEM}\n${sliceDdl}` },
    {
      role: 'user',
      content: `${question}${evidence ? `\nHint: ${evidence}` : ''}\nselected tables so far: ${selectedSoFar.length ? selectedSoFar.join(', ') : 'None'}`,
    },
  ];
}
export const lrsqlLinkTarget = (tables: string[]) => (tables.length ? `-- Tables: ${tables.join(', ')};` : '#None#');

export function lrsqlSqlPrompt(ddl: string, question: string, evidence: string | null): ChatMessage[] {
  return [
    { role: 'system', content: `${LRSQL_SQL_SYSTEM}\n${ddl}` },
    { role: 'user', content: `${question}${evidence ? `\nHint: ${evidence}` : ''}` },
  ];
}
export const lrsqlSqlTarget = (sql: string) => `-- SQL: ${trimSql(sql)};`;
