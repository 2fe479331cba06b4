/**
 * What every strategy shares: resolved sampling, token counting, sample rows read once, the schema prompt, the
 * grammars (when `grammar: schema`), and running SQL as a traced execution.
 */
import type { DbSchema, StrategyName, StrategySettings } from '../../../shared/contract/index.ts';
import type { GrammarSpec, TextModel } from '../../llm/index.ts';
import { schemaLinkJsonGrammar, sqlGrammar, tableListGrammar } from '../grammar.ts';
import { scopingFor, type ScopedGrammarSpec, type SqlWrap } from '../scope.ts';
import { readSampleRows, routeSchema, type SampleRows, type SchemaSelection, type SchemaText } from '../prompts.ts';
import { createRecorder, execute, type Executed, type Recorder, type ResolvedSampling } from '../trace.ts';
import type { StrategyInput } from '../types.ts';

export interface Outcome {
  sql: string;
  /** the final SQL's execution when the strategy ran it already */
  executed: Executed | null;
  why: string;
}

export const DEFAULT_SAMPLING: Record<StrategyName, ResolvedSampling> = {
  direct: { temperature: 0, topP: 1, topK: 0, maxTokens: 512 },
  route: { temperature: 0, topP: 1, topK: 0, maxTokens: 512 },
  lrsql: { temperature: 0, topP: 1, topK: 0, maxTokens: 512 },
  // FINER-SQL samples at T = 1; reasoning makes the answers longer
  vote: { temperature: 1, topP: 1, topK: 0, maxTokens: 768, seed: 1 },
  // vote's prompt and answer format, one greedy answer
  reason: { temperature: 0, topP: 1, topK: 0, maxTokens: 768 },
};
export const DEFAULT_VOTE_SAMPLES = 8;
export const DEFAULT_SLICE_BUDGET = 1100;
export const DEFAULT_SAMPLE_ROWS = 3;
/** room left in the context for the question, the task sentence and the answer */
const PROMPT_RESERVE = 256;

export interface StrategyContext {
  input: StrategyInput;
  rec: Recorder;
  sampling: ResolvedSampling;
  count(text: string, model?: TextModel): Promise<number>;
  /** ROUTE-layout schema of the whole database or a selection, under the schema budget */
  schemaText(selection?: SchemaSelection | null): Promise<SchemaText>;
  grammars: {
    sql(schema?: DbSchema, options?: Parameters<typeof sqlGrammar>[1]): GrammarSpec | null;
    schemaLink(): GrammarSpec | null;
    tableList(tables: string[]): GrammarSpec | null;
    correctOrSql(): GrammarSpec | null;
    /** LR-SQL's SQL model answers `-- SQL: <sql>;` */
    labelledSql(schema: DbSchema): GrammarSpec | null;
  };
  execute(sql: string, timeoutMs?: number): Promise<Executed>;
}

export async function createContext(input: StrategyInput): Promise<StrategyContext> {
  const rec = createRecorder(input.onProgress, input.signal);
  const settings: StrategySettings = input.settings;
  const sampling: ResolvedSampling = { ...DEFAULT_SAMPLING[input.strategy], ...stripUndefined(settings.sampling ?? {}) };
  const counts = new Map<string, number>();
  const count = async (text: string, model: TextModel = input.model) => {
    const key = `${model.name}\u0000${text}`;
    let n = counts.get(key);
    if (n === undefined) counts.set(key, (n = await model.countTokens(text)));
    return n;
  };
  let rows: Promise<SampleRows> | null = null;
  const budget = settings.schemaBudget ?? Math.max(200, input.model.contextSize - sampling.maxTokens - PROMPT_RESERVE);
  const useGrammar = input.grammar === 'schema';
  const schema = input.db.schema;
  return {
    input,
    rec,
    sampling,
    count,
    async schemaText(selection = null) {
      rows ??= readSampleRows(input.db, settings.sampleRows ?? DEFAULT_SAMPLE_ROWS);
      return routeSchema(schema, await rows, (t) => count(t), budget, selection);
    },
    // SQL grammars carry their scoping: a draft whose names do not resolve is written again within its FROM
    grammars: {
      sql: (s = schema, options) =>
        useGrammar ? scoped(sqlGrammar(s, options), s, options?.reasoning ? 'reasoning' : options?.afterSelect ? 'after-select' : 'plain') : null,
      schemaLink: () => (useGrammar ? schemaLinkJsonGrammar(schema) : null),
      tableList: (tables) => (useGrammar ? tableListGrammar(tables) : null),
      // the SQL grammar's root becomes a rule of a wider grammar
      correctOrSql: () => (useGrammar ? scoped(wrapSql(sqlGrammar(schema), 'correct-or-sql', '"correct" | sql-root'), schema, 'correct-or-sql') : null),
      labelledSql: (s) => (useGrammar ? scoped(wrapSql(sqlGrammar(s), 'labelled-sql', '"-- SQL: " sql-root'), s, 'labelled') : null),
    },
    execute: (sql, timeoutMs) => execute(input.db, sql, timeoutMs),
  };
}

const scoped = (spec: GrammarSpec, schema: DbSchema, wrap: SqlWrap): ScopedGrammarSpec => ({ ...spec, scoping: scopingFor(schema, wrap) });

function wrapSql(sql: GrammarSpec, name: string, root: string): GrammarSpec {
  if (sql.kind !== 'gbnf') return sql;
  return { kind: 'gbnf', name, source: `root ::= ${root}\n${sql.source.replace(/^root\s*::=/m, 'sql-root ::=')}` };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
