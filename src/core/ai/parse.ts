/**
 * Reading model outputs: the SQL in an answer, FINER's <think> reasoning, LR-SQL's table lists, ROUTE's schema-link
 * JSON, and which real tables and columns an SQL names. Lenient on form, strict on names: only identifiers that
 * exist in the schema count.
 */
import type { DbSchema } from '../../shared/contract/index.ts';
import { linkedBySql, type Linked } from '../../shared/sql/linked.ts';
import { tokenize } from '../../shared/sql/tokenize.ts';

export { linkedBySql, type Linked };

/** An SQL without surrounding space and trailing semicolons (the form targets and prompts use). */
export const trimSql = (sql: string) => sql.trim().replace(/;+\s*$/, '');

/** Splits `<think>…</think> rest`; reasoning is null when the output has no think block. */
export function splitReasoning(output: string): { reasoning: string | null; answer: string } {
  const m = /^\s*<think>([\s\S]*?)<\/think>\s*([\s\S]*)$/.exec(output);
  if (m) return { reasoning: m[1]!.trim(), answer: m[2]! };
  const open = output.indexOf('<think>');
  if (open !== -1 && !output.includes('</think>')) return { reasoning: output.slice(open + 7).trim(), answer: '' };
  return { reasoning: null, answer: output };
}

/**
 * The first SQL statement of an answer: code fences, an `-- SQL:` label and prose before SELECT/WITH are removed;
 * the statement ends at the first semicolon outside strings and identifiers.
 */
export function extractSql(output: string): string {
  let text = splitReasoning(output).answer;
  const fence = /```(?:sql|sqlite)?\s*\n?([\s\S]*?)(?:```|$)/i.exec(text);
  if (fence) text = fence[1]!;
  text = text.replace(/^\s*--\s*SQL:\s*/i, '');
  const start = /\b(SELECT|WITH|VALUES)\b/i.exec(text);
  if (start && start.index > 0 && !/^\s*\(/.test(text)) text = text.slice(start.index);
  for (const t of tokenize(text)) {
    if (t.type === 'semicolon') return text.slice(0, t.start).trim();
  }
  return text.trim();
}

/** Table names in `-- Tables: a, b;` restricted to `allowed` (canonical case); [] for `#None#` or nothing usable. */
export function parseTableList(output: string, allowed: string[]): string[] {
  const m = /--\s*Tables:\s*([^;\n]*)/i.exec(output);
  if (!m) return [];
  const byLower = new Map(allowed.map((t) => [t.toLowerCase(), t]));
  const out: string[] = [];
  for (const raw of m[1]!.split(',')) {
    const name = byLower.get(raw.trim().replace(/^["`[]|["`\]]$/g, '').toLowerCase());
    if (name && !out.includes(name)) out.push(name);
  }
  return out;
}

/** ROUTE schema linking: `{"tables":[{"table","columns"}]}` (or a plain `{table: [columns]}` dict) -> real names. */
export function parseSchemaLink(output: string, schema: DbSchema): Linked {
  const start = output.indexOf('{');
  const end = output.lastIndexOf('}');
  if (start === -1 || end <= start) return { tables: [], columns: [] };
  let value: unknown;
  try {
    value = JSON.parse(output.slice(start, end + 1));
  } catch {
    return { tables: [], columns: [] };
  }
  const pairs: [string, unknown][] = [];
  if (value && typeof value === 'object' && Array.isArray((value as { tables?: unknown }).tables)) {
    for (const item of (value as { tables: unknown[] }).tables) {
      if (item && typeof item === 'object') pairs.push([String((item as { table?: unknown }).table ?? ''), (item as { columns?: unknown }).columns]);
    }
  } else if (value && typeof value === 'object') {
    pairs.push(...Object.entries(value));
  }
  const linked: Linked = { tables: [], columns: [] };
  for (const [tableName, cols] of pairs) {
    const table = schema.tables.find((t) => t.name.toLowerCase() === tableName.toLowerCase());
    if (!table) continue;
    if (!linked.tables.includes(table.name)) linked.tables.push(table.name);
    for (const c of Array.isArray(cols) ? cols : []) {
      const column = table.columns.find((x) => x.name.toLowerCase() === String(c).toLowerCase());
      if (column && !linked.columns.some((l) => l.table === table.name && l.column === column.name)) {
        linked.columns.push({ table: table.name, column: column.name });
      }
    }
  }
  return linked;
}

export function mergeLinked(...parts: Linked[]): Linked {
  const out: Linked = { tables: [], columns: [] };
  for (const p of parts) {
    for (const t of p.tables) if (!out.tables.includes(t)) out.tables.push(t);
    for (const c of p.columns) if (!out.columns.some((x) => x.table === c.table && x.column === c.column)) out.columns.push(c);
  }
  return out;
}
