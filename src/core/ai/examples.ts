/**
 * Supervised examples for a question with its gold SQL, made with the very prompt builders the strategies use: a
 * model trained on them sees at training time exactly the prompts it will get at inference. One list per strategy
 * (ROUTE: its tasks as MCP sends them; LR-SQL: lrsqlExamples below; vote and reason: FINER's think-then-SQL format,
 * with a rationale derived from the gold SQL unless the caller gives the reasoning).
 */
import type { DbSchema, StrategyName } from '../../shared/contract/index.ts';
import type { ChatMessage } from '../llm/index.ts';
import { linkedBySql, trimSql } from './parse.ts';
import { deriveRationale } from './rationale.ts';
import {
  ddlOf,
  finerPrompt,
  lrsqlLinkPrompt,
  lrsqlLinkTarget,
  lrsqlSlices,
  lrsqlSqlPrompt,
  lrsqlSqlTarget,
  readSampleRows,
  routeNoiseCorrection,
  routeSchema,
  routeSchemaLinking,
  routeTextToSql,
  type SampleRows,
  selectionOf,
} from './prompts.ts';
import { DEFAULT_SAMPLE_ROWS, DEFAULT_SLICE_BUDGET } from './strategies/index.ts';
import type { DbHandle } from './types.ts';

export interface ChatSample {
  /** which prompt this is (ts, sl, ts_pruned, nc, lrsql_link, lrsql_sql, finer) */
  task: string;
  messages: ChatMessage[];
  target: string;
}

export interface GoldQuestion {
  question: string;
  evidence?: string | null;
  sql: string;
}

export interface ExampleOptions {
  count: (text: string) => Promise<number>;
  /** token budget of the schema block (as the strategies' schemaBudget) */
  schemaBudget: number;
  sampleRows?: number;
  sliceBudget?: number;
  /** lrsql: the database's slices when the caller has them already (they cost a tokenization of every table) */
  slices?: string[][];
  /** vote, reason: the reasoning written before the SQL (default: deriveRationale, what the gold SQL does) */
  reasoning?: (gold: GoldQuestion) => string;
  /** vote, reason: the longest derived rationale, in characters (RationaleOptions.maxChars) */
  rationaleChars?: number;
}

/** ROUTE's schema-link answer for a gold SQL: the real tables and columns it names. */
export function schemaLinkTarget(db: DbHandle, sql: string): string {
  const linked = linkedBySql(sql, db.schema);
  return JSON.stringify({ tables: linked.tables.map((t) => ({ table: t, columns: linked.columns.filter((c) => c.table === t).map((c) => c.column) })) });
}

/**
 * FINER's answer: the reasoning inside `<think>`, then the SQL — the very text the reasoning grammar allows
 * (grammar.ts: `"<think>" [^<]{0,N} "</think>\n"` before the SQL), so a model trained on it can write it under the
 * grammar. The reasoning is put on lines of its own.
 */
export const finerTarget = (reasoning: string, sql: string): string => `<think>\n${reasoning.trim()}\n</think>\n${sql}`;

export async function strategyExamples(db: DbHandle, gold: GoldQuestion, strategy: StrategyName, o: ExampleOptions, rows?: SampleRows): Promise<ChatSample[]> {
  const evidence = gold.evidence ?? null;
  const sql = trimSql(gold.sql);
  const sampleRows = rows ?? (await readSampleRows(db, o.sampleRows ?? DEFAULT_SAMPLE_ROWS));
  const full = async () => (await routeSchema(db.schema, sampleRows, o.count, o.schemaBudget)).text;
  switch (strategy) {
    case 'direct':
      return [{ task: 'ts', messages: routeTextToSql(await full(), gold.question, evidence), target: sql }];
    case 'route': {
      const schemaText = await full();
      const linked = linkedBySql(sql, db.schema);
      const pruned = (await routeSchema(db.schema, sampleRows, o.count, o.schemaBudget, selectionOf(linked))).text;
      return [
        { task: 'sl', messages: routeSchemaLinking(schemaText, gold.question, evidence), target: schemaLinkTarget(db, sql) },
        { task: 'ts', messages: routeTextToSql(schemaText, gold.question, evidence), target: sql },
        { task: 'ts_pruned', messages: routeTextToSql(pruned, gold.question, evidence), target: sql },
        { task: 'nc', messages: routeNoiseCorrection(pruned, gold.question, evidence, sql, null), target: 'correct' },
      ];
    }
    case 'lrsql':
      return lrsqlExamples(db.schema, o.slices ?? (await lrsqlSlices(db.schema, o.count, o.sliceBudget ?? DEFAULT_SLICE_BUDGET)), { ...gold, evidence, sql });
    case 'vote':
    case 'reason': {
      const reasoning = o.reasoning ? o.reasoning({ ...gold, sql }) : deriveRationale(sql, db.schema, { maxChars: o.rationaleChars });
      return [{ task: 'finer', messages: finerPrompt(await full(), gold.question, evidence), target: finerTarget(reasoning, sql) }];
    }
  }
}

/**
 * LR-SQL's samples for one question — the one builder, used by training jobs and by the prompt-consistency test.
 * Per slice the link prompt carrying None, plus the same prompt carrying the gold tables of the earlier slices when
 * there are any (the paper's "None + gold-so-far"); then the SQL model's sample on the gold tables' DDL. At
 * inference the strategy carries its running selection: None until a slice selects a table, and still None in
 * later slices when the model missed the earlier ones — so both prompts occur there, and a carried-only set (one
 * sample per slice) would never show the link model a None list after a slice that holds gold tables.
 */
export function lrsqlExamples(schema: DbSchema, slices: string[][], gold: GoldQuestion): ChatSample[] {
  const evidence = gold.evidence ?? null;
  const sql = trimSql(gold.sql);
  const goldTables = linkedBySql(sql, schema).tables;
  const out: ChatSample[] = [];
  const selected: string[] = [];
  for (const slice of slices) {
    const here = slice.filter((t) => goldTables.includes(t));
    const ddl = ddlOf(schema, slice);
    const target = lrsqlLinkTarget(here);
    out.push({ task: 'lrsql_link', messages: lrsqlLinkPrompt(ddl, gold.question, evidence, []), target });
    if (selected.length) out.push({ task: 'lrsql_link_carried', messages: lrsqlLinkPrompt(ddl, gold.question, evidence, [...selected]), target });
    selected.push(...here);
  }
  out.push({ task: 'lrsql_sql', messages: lrsqlSqlPrompt(ddlOf(schema, goldTables), gold.question, evidence), target: lrsqlSqlTarget(sql) });
  return out;
}
