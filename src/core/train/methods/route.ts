/**
 * ROUTE (MSFT): one adapter on the tasks MCP inference sends — TS (full and pruned schema), SL, NC (wrong SQL from
 * injected errors, executed to get the real error or a wrong result, plus the gold SQL with target "correct") and CW
 * (the gold cut at a random token) — mixed by the ratios of its settings (config.route). Dev evaluation and the
 * workbench run the route strategy.
 */
import { z } from 'zod';
import type { Cell, DbSchema } from '../../../shared/contract/index.ts';
import { significant, tokenize, type Token } from '../../../shared/sql/tokenize.ts';
import { shuffled } from '../../../shared/random.ts';
import { execute, parse, prompts, strategyExamples, type ChatSample, type DbHandle } from '../../ai/index.ts';
import type { TrainExample } from '../datasets/index.ts';
import { AUTHORS, QUICK } from './presets.ts';
import { defineMethod, MAIN_ROLE, rngOf, type MethodOptions, type TrainSample } from './spec.ts';

const { linkedBySql, mergeLinked, trimSql } = parse;
const { routeContinuation, routeNoiseCorrection, routeSchema, selectionOf } = prompts;

/** samples of each task per example (default 1 each; 0 leaves the task out) */
const RouteSettingsSchema = z.strictObject({
  ts: z.number().min(0).optional(),
  sl: z.number().min(0).optional(),
  nc: z.number().min(0).optional(),
  cw: z.number().min(0).optional(),
});
type RouteSettings = z.output<typeof RouteSettingsSchema>;

export const route = defineMethod({
  name: 'route',
  label: 'ROUTE',
  description: 'One adapter, multitask: text-to-SQL, schema linking, noise correction and continuation writing.',
  adapters: [{ role: MAIN_ROLE, label: 'SQL adapter' }],
  settings: RouteSettingsSchema,
  evalStrategy: 'route',
  strategy: 'route',
  options: {
    legend: 'Mixing ratios (samples of each task per example)',
    fields: [
      { key: 'ts', label: 'TS text-to-SQL', kind: 'number', default: 1, min: 0, step: 0.25 },
      { key: 'sl', label: 'SL schema linking', kind: 'number', default: 1, min: 0, step: 0.25 },
      { key: 'nc', label: 'NC noise correction', kind: 'number', default: 1, min: 0, step: 0.25 },
      { key: 'cw', label: 'CW continuation writing', kind: 'number', default: 1, min: 0, step: 0.25 },
    ],
    allZero: 'At least one ROUTE task needs a ratio above 0.',
    belowMin: 'Mixing ratios cannot be negative.',
  },
  presets: [QUICK, AUTHORS],
  async build(e, ctx) {
    return routeSamples(e, ctx.db, await ctx.sampleRows(), ctx.options, ctx.settings);
  },
});

export interface Injection {
  kind: 'column' | 'join' | 'aggregate' | 'table' | 'comparison' | 'order';
  sql: string;
}

const AGGREGATE_SWAP: Record<string, string> = { count: 'sum', sum: 'avg', avg: 'max', max: 'min', min: 'max' };
const COMPARISON_SWAP: Record<string, string> = { '>': '<', '<': '>', '>=': '<=', '<=': '>=', '=': '!=', '!=': '=', '<>': '=' };
const CLAUSE_END = new Set(['join', 'inner', 'left', 'right', 'cross', 'natural', 'full', 'where', 'group', 'order', 'limit', 'having', 'union', 'intersect', 'except', 'on']);

const replaceToken = (sql: string, t: Token, text: string) => sql.slice(0, t.start) + text + sql.slice(t.end);

/**
 * Every error of the injected kinds this SQL admits (methods.md: wrong SQL "from injected errors"): a column
 * swapped for another column of the same table, a join condition dropped, an aggregate changed, a table name
 * misspelled, a comparison flipped, a sort order reversed.
 */
export function injectErrors(sql: string, schema: DbSchema): Injection[] {
  const tokens = significant(tokenize(sql));
  const lower = (t: Token) => t.text.toLowerCase();
  const used = linkedBySql(sql, schema).tables.map((n) => schema.tables.find((t) => t.name === n)!);
  const out: Injection[] = [];
  const seen = new Set<string>([sql]);
  const add = (kind: Injection['kind'], s: string) => {
    if (!seen.has(s)) {
      seen.add(s);
      out.push({ kind, sql: s });
    }
  };
  tokens.forEach((t, i) => {
    if (t.type !== 'word' && t.type !== 'quoted') return;
    const name = t.type === 'quoted' ? t.text.slice(1, -1).toLowerCase() : lower(t);
    const next = tokens[i + 1];
    // columns: a name of a column of a table the query uses, not followed by "(" (a function) and not a table name
    const owner = used.find((tb) => tb.columns.some((c) => c.name.toLowerCase() === name));
    if (owner && !used.some((tb) => tb.name.toLowerCase() === name) && next?.text !== '(') {
      const other = owner.columns.find((c) => c.name.toLowerCase() !== name);
      if (other) add('column', replaceToken(sql, t, other.name));
    }
    if (used.some((tb) => tb.name.toLowerCase() === name) && tokens[i - 1]?.text !== '.') add('table', replaceToken(sql, t, `${t.type === 'quoted' ? t.text.slice(1, -1) : t.text}s`));
    if (AGGREGATE_SWAP[name] && next?.text === '(' && tokens[i + 2]?.text !== '*') add('aggregate', replaceToken(sql, t, AGGREGATE_SWAP[name]!.toUpperCase()));
    if (name === 'asc' || name === 'desc') add('order', replaceToken(sql, t, name === 'asc' ? 'DESC' : 'ASC'));
    if (name === 'on') {
      // drop "ON <condition>" up to the next clause at the same depth: the join becomes a cross join
      let depth = 0;
      let j = i + 1;
      for (; j < tokens.length; j++) {
        const x = tokens[j]!;
        if (x.text === '(') depth++;
        else if (x.text === ')') {
          if (depth === 0) break;
          depth--;
        } else if (depth === 0 && (x.type === 'semicolon' || (x.type === 'word' && CLAUSE_END.has(lower(x))))) break;
      }
      const end = j < tokens.length ? tokens[j]!.start : sql.length;
      add('join', `${sql.slice(0, t.start).trimEnd()} ${sql.slice(end)}`.trim());
    }
  });
  tokens.forEach((t) => {
    if (t.type === 'op' && COMPARISON_SWAP[t.text]) add('comparison', replaceToken(sql, t, COMPARISON_SWAP[t.text]!));
  });
  return out;
}

/** Rows as a comparable string: sorted unless the SQL orders them. */
function resultKey(sql: string, rows: Cell[][]): string {
  const ordered = significant(tokenize(sql)).some((t, i, a) => t.text.toLowerCase() === 'order' && a[i + 1]?.text.toLowerCase() === 'by');
  const lines = rows.map((r) => JSON.stringify(r));
  return (ordered ? lines : lines.sort()).join('\n');
}

/** Route's schema text pruned to the tables and columns an SQL names (keys kept), as inference prunes it. */
async function prunedSchema(h: DbHandle, rows: prompts.SampleRows, o: MethodOptions, ...sqls: string[]): Promise<string> {
  const linked = mergeLinked(...sqls.map((s) => linkedBySql(s, h.schema)));
  if (!linked.tables.length) return (await routeSchema(h.schema, rows, o.count, o.schemaBudget)).text;
  return (await routeSchema(h.schema, rows, o.count, o.schemaBudget, selectionOf(linked))).text;
}

type RouteSample = Omit<TrainSample, 'exampleId'>;

async function routeSamples(e: TrainExample, h: DbHandle, sampleRows: prompts.SampleRows, o: MethodOptions, settings: RouteSettings | undefined): Promise<RouteSample[]> {
  const ratio = { ts: 1, sl: 1, nc: 1, cw: 1, ...settings };
  const sql = trimSql(e.sql);
  const gold = { question: e.question, evidence: e.evidence, sql };
  // sl, ts (full schema), ts_pruned (gold-pruned schema) and nc "correct", exactly as examples.ts makes them
  const base = await strategyExamples(h, gold, 'route', o, sampleRows);
  const pick = (task: string) => base.find((s) => s.task === task)!;
  const out: RouteSample[] = [];
  const push = (s: ChatSample & { prefix?: string; note?: string }) => out.push({ ...s, adapter: MAIN_ROLE });
  // TS: inference writes SQL twice, on the full schema (pre-SQL) and on the pruned one; one of each per unit
  for (let i = 0; i < ratio.ts; i++) {
    push(pick('ts'));
    push(pick('ts_pruned'));
  }
  for (let i = 0; i < ratio.sl; i++) push(pick('sl'));

  if (ratio.nc > 0) {
    // the gold SQL itself is "correct"; then `nc` wrong SQLs that really differ from the gold when executed
    push(pick('nc'));
    const goldRun = await execute(h, sql);
    if (goldRun.result) {
      const goldKey = resultKey(sql, goldRun.result.rows);
      const rand = rngOf(o.seed, e.id, 'nc');
      let made = 0;
      for (const inj of shuffled(injectErrors(sql, h.schema), rand)) {
        if (made >= ratio.nc) break;
        const run = await execute(h, inj.sql, 5000);
        const error = run.trace.ok ? null : (run.trace.error ?? 'error');
        if (!error && resultKey(inj.sql, run.result!.rows) === goldKey) continue; // same answer: not an error
        const schemaText = await prunedSchema(h, sampleRows, o, sql, inj.sql);
        push({
          task: 'nc',
          messages: routeNoiseCorrection(schemaText, e.question, e.evidence, inj.sql, error),
          target: sql,
          note: `${inj.kind}: ${error ? 'fails' : 'returns another result'}`,
        });
        made++;
      }
    }
  }

  if (ratio.cw > 0) {
    // Continuation: at inference the prompt shows the prefix "SELECT " and the answer is forced to start with it
    // (route.ts, GenerateOptions.prefix). Training keeps that shape with a random cut: the prompt shows the cut
    // prefix, the assistant turn starts with the same prefix (not learned) and the target is the rest, so
    // prefix + target = gold. The cut keeps the whitespace before the next token in the prefix, as "SELECT " does.
    const tokens = significant(tokenize(sql));
    const rand = rngOf(o.seed, e.id, 'cw');
    const schemaText = await prunedSchema(h, sampleRows, o, sql);
    for (let i = 0; i < ratio.cw && tokens.length > 1; i++) {
      const cut = tokens[1 + Math.floor(rand() * (tokens.length - 1))]!.start;
      const prefix = sql.slice(0, cut);
      push({ task: 'cw', messages: routeContinuation(schemaText, e.question, e.evidence, prefix), prefix, target: sql.slice(cut) });
    }
  }
  return out;
}
