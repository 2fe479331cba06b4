/**
 * Training methods as data builders over the engine's weighted-loss step: each turns question/SQL examples into
 * supervised chat samples made with the very prompt builders inference uses (src/core/ai/prompts.ts, examples.ts),
 * so a model is trained on the prompts it will be asked.
 *
 * - sft: the direct strategy's prompt -> the gold SQL.
 * - lrsql: per (question, slice) a schema-link sample carrying None, plus one carrying the gold tables of earlier
 *   slices when there are any (adapter "link"); the SQL sample on the gold tables' DDL (adapter "main").
 * - route (MSFT): TS, SL, NC (wrong SQL from injected errors, executed to get the real error or a wrong result, plus
 *   the gold SQL with target "correct") and CW (gold cut at a random token), mixed by configurable ratios.
 */
import crypto from 'node:crypto';
import type { Cell, DbSchema } from '../../../shared/contract/index.ts';
import { SquillError } from '../../../shared/errors.ts';
import { significant, tokenize, type Token } from '../../../shared/sql/tokenize.ts';
import { strategyExamples, type ChatSample } from '../../ai/examples.ts';
import { linkedBySql, mergeLinked, trimSql } from '../../ai/parse.ts';
import {
  ddlOf,
  lrsqlLinkPrompt,
  lrsqlLinkTarget,
  lrsqlSlices,
  lrsqlSqlPrompt,
  lrsqlSqlTarget,
  readSampleRows,
  routeContinuation,
  routeNoiseCorrection,
  routeSchema,
  type SampleRows,
  selectionOf,
} from '../../ai/prompts.ts';
import { DEFAULT_SAMPLE_ROWS, DEFAULT_SLICE_BUDGET } from '../../ai/strategies/context.ts';
import { execute } from '../../ai/trace.ts';
import type { DbHandle } from '../../ai/types.ts';
import type { ChatMessage } from '../../llm/textModel.ts';
import type { TrainExample } from '../datasets/index.ts';
import type { TokenizerBridge } from '../tokens.ts';
import { mulberry32, shuffled } from '../../../shared/random.ts';

export type MethodName = 'sft' | 'lrsql' | 'route';
export const METHODS: readonly MethodName[] = ['sft', 'lrsql', 'route'];

export interface TrainSample {
  task: string;
  messages: ChatMessage[];
  target: string;
  exampleId: string;
  /** lrsql trains two adapters: link = schema-link model, main = SQL model */
  adapter: 'main' | 'link';
  /**
   * Text the answer is forced to start with at inference (ROUTE continuation): the assistant turn is
   * prefix + target and only the target is learned. Use sampleTokens() to tokenize.
   */
  prefix?: string;
  /** NC: what made the SQL wrong (injection kind and whether it failed or returned another result) */
  note?: string;
}

export interface MethodOptions {
  count: (text: string) => Promise<number>;
  schemaBudget: number;
  sampleRows?: number;
  sliceBudget?: number;
  seed: number;
  /** mixing ratios: samples of each ROUTE task per example (default 1 each; 0 leaves the task out) */
  route?: { ts?: number; sl?: number; nc?: number; cw?: number };
}

/** A seeded generator (mulberry32) per (seed, example, purpose): samples do not depend on example order. */
function rngOf(seed: number, ...keys: string[]): () => number {
  return mulberry32(crypto.createHash('sha256').update([seed, ...keys].join('\u0000')).digest().readUInt32LE(0));
}

export async function buildSamples(method: MethodName, examples: TrainExample[], db: (example: TrainExample) => Promise<DbHandle>, o: MethodOptions): Promise<TrainSample[]> {
  if (!METHODS.includes(method)) throw new SquillError('VALIDATION', `Unknown training method ${method}; use one of ${METHODS.join(', ')}`);
  // handles, sample rows and slices are read once per database
  const handles = new Map<string, Promise<DbHandle>>();
  const rows = new Map<string, Promise<SampleRows>>();
  const slices = new Map<string, Promise<string[][]>>();
  const handleOf = (e: TrainExample) => {
    let h = handles.get(e.dbPath);
    if (!h) handles.set(e.dbPath, (h = db(e)));
    return h;
  };
  const rowsOf = (e: TrainExample, h: DbHandle) => {
    let r = rows.get(e.dbPath);
    if (!r) rows.set(e.dbPath, (r = readSampleRows(h, o.sampleRows ?? DEFAULT_SAMPLE_ROWS)));
    return r;
  };
  const slicesOf = (e: TrainExample, h: DbHandle) => {
    let s = slices.get(e.dbPath);
    if (!s) slices.set(e.dbPath, (s = lrsqlSlices(h.schema, o.count, o.sliceBudget ?? DEFAULT_SLICE_BUDGET)));
    return s;
  };

  const out: TrainSample[] = [];
  for (const e of examples) {
    const h = await handleOf(e);
    const sampleRows = await rowsOf(e, h);
    const gold = { question: e.question, evidence: e.evidence, sql: e.sql };
    const tag = (s: ChatSample, adapter: TrainSample['adapter'] = 'main'): TrainSample => ({ ...s, exampleId: e.id, adapter });
    if (method === 'sft') {
      out.push(...(await strategyExamples(h, gold, 'direct', o, sampleRows)).map((s) => tag(s)));
    } else if (method === 'lrsql') {
      out.push(...lrsqlSamples(e, h, await slicesOf(e, h)));
    } else {
      out.push(...(await routeSamples(e, h, sampleRows, o)));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// LR-SQL

/** Per slice a link sample carrying None, plus one carrying the earlier slices' gold tables when there are any. */
function lrsqlSamples(e: TrainExample, h: DbHandle, slices: string[][]): TrainSample[] {
  const sql = trimSql(e.sql);
  const goldTables = linkedBySql(sql, h.schema).tables;
  const out: TrainSample[] = [];
  const selected: string[] = [];
  for (const slice of slices) {
    const here = slice.filter((t) => goldTables.includes(t));
    const ddl = ddlOf(h.schema, slice);
    const target = lrsqlLinkTarget(here);
    out.push({ task: 'lrsql_link', messages: lrsqlLinkPrompt(ddl, e.question, e.evidence, []), target, exampleId: e.id, adapter: 'link' });
    if (selected.length) {
      out.push({ task: 'lrsql_link_carried', messages: lrsqlLinkPrompt(ddl, e.question, e.evidence, [...selected]), target, exampleId: e.id, adapter: 'link' });
    }
    selected.push(...here);
  }
  // the SQL model's sample on the gold tables' DDL, as examples.ts makes it
  out.push({ task: 'lrsql_sql', messages: lrsqlSqlPrompt(ddlOf(h.schema, goldTables), e.question, e.evidence), target: lrsqlSqlTarget(sql), exampleId: e.id, adapter: 'main' });
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// ROUTE

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
async function prunedSchema(h: DbHandle, rows: SampleRows, o: MethodOptions, ...sqls: string[]): Promise<string> {
  const linked = mergeLinked(...sqls.map((s) => linkedBySql(s, h.schema)));
  if (!linked.tables.length) return (await routeSchema(h.schema, rows, o.count, o.schemaBudget)).text;
  return (await routeSchema(h.schema, rows, o.count, o.schemaBudget, selectionOf(linked))).text;
}

async function routeSamples(e: TrainExample, h: DbHandle, sampleRows: SampleRows, o: MethodOptions): Promise<TrainSample[]> {
  const ratio = { ts: 1, sl: 1, nc: 1, cw: 1, ...o.route };
  const sql = trimSql(e.sql);
  const gold = { question: e.question, evidence: e.evidence, sql };
  // sl, ts (full schema), ts_pruned (gold-pruned schema) and nc "correct", exactly as examples.ts makes them
  const base = await strategyExamples(h, gold, 'route', o, sampleRows);
  const pick = (task: string) => base.find((s) => s.task === task)!;
  const out: TrainSample[] = [];
  const push = (s: ChatSample & { prefix?: string; note?: string }) => out.push({ ...s, exampleId: e.id, adapter: 'main' });
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

// ---------------------------------------------------------------------------------------------------------------
// tokens

/** A sample as the tokenizer bridge's chat example: [system?, user] messages, the assistant turn. */
export function chatExample(s: TrainSample): { system?: string; user: string; assistant: string } {
  const system = s.messages.filter((m) => m.role === 'system').map((m) => m.content).join('\n');
  const user = s.messages.filter((m) => m.role === 'user').map((m) => m.content).join('\n');
  return { ...(system ? { system } : {}), user, assistant: (s.prefix ?? '') + s.target };
}

/**
 * Tokens and loss weights of a sample: the prompt masked (tokens.ts `supervised`) and, for a forced answer
 * prefix, the tokens shared with the rendering of the prefix alone masked too (where the cut falls inside a model
 * token, e.g. "count(*" + ") FROM", that token is learned: it is the first one the answer cannot take from the prefix).
 */
export function sampleTokens(tok: TokenizerBridge, s: TrainSample): { tokens: number[]; weights: number[] } {
  const example = chatExample(s);
  const full = tok.supervised(example);
  if (!s.prefix) return full;
  const pre = tok.supervised({ ...example, assistant: s.prefix }).tokens.slice(0, -1);
  let n = 0;
  while (n < pre.length && full.tokens[n] === pre[n]) n++;
  return { tokens: full.tokens, weights: full.weights.map((w, i) => (i < n ? 0 : w)) };
}
