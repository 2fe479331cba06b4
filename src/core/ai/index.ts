/**
 * The AI side of the workbench: ask a question with a model and a strategy, stream its progress, keep its trace;
 * the corrections dataset users build from the answers.
 */
import type { Correction, DbSchema, ParsedInput, Trace } from '../../shared/contract/index.ts';
import { SquillError } from '../../shared/errors.ts';
import type { HandlersOf } from '../../shared/rpc/backend.ts';
import type { EventHub } from '../../shared/rpc/events.ts';
import path from 'node:path';
import { checkSqliteFile, createSandboxPool, fingerprintOf, type Databases, type SandboxPool } from '../db/index.ts';
import { openModelSpec, type ModelSpec } from '../llm/index.ts';
import type { Models } from '../models/index.ts';
import type { Store } from '../store/index.ts';
import { linkAdapterOf, runStrategy, STRATEGY_CATALOG } from './strategies/index.ts';
import { addCorrection, deleteCorrection, deleteTrace, getTrace, listCorrections, listTraces, saveTrace } from './store.ts';
import type { DbHandle, StrategyInput } from './types.ts';

export { DEFAULT_SAMPLE_ROWS, DEFAULT_SLICE_BUDGET, linkAdapterOf, runStrategy, STRATEGY_CATALOG, takesLinkModel, vote } from './strategies/index.ts';
export { addCorrection, getTrace, listCorrections, saveTrace } from './store.ts';
export { execute } from './trace.ts';
export type { DbHandle, ProgressEvent, StrategyInput } from './types.ts';
// what training shares with inference: the prompts, the parsers and the supervised examples built from them
export * as prompts from './prompts.ts';
export * as parse from './parse.ts';
export { finerTarget, lrsqlExamples, strategyExamples, type ChatSample, type GoldQuestion } from './examples.ts';
export { DERIVED_LABEL, deriveRationale, MIN_REASONING_CHARS, type RationaleOptions } from './rationale.ts';
export { DEFAULT_REASONING_CHARS, sqlGrammar } from './grammar.ts';
export { linkedBySql, parseTableList } from './parse.ts';
export { LRSQL_LINK_SYSTEM, ROUTE_TASKS, SLICE_SCAFFOLD_TOKENS, ddlOf, lrsqlLinkPrompt, lrsqlLinkTarget, lrsqlSlices } from './prompts.ts';

/**
 * A database file (benchmarks, the CLI) as a strategy sees it. `doubleQuotedStrings` runs SQL with SQLite's legacy
 * "string" rule, as Python's sqlite3 does — Spider's gold SQL needs it.
 */
export async function fileDbHandle(sandbox: SandboxPool, file: string, name: string, options: { doubleQuotedStrings?: boolean } = {}): Promise<DbHandle> {
  const schema: DbSchema = { ...(await sandbox.introspect(file, true)), fingerprint: fingerprintOf(file) };
  return { name, connectionId: null, schema, execute: (sql, limits) => sandbox.query(file, sql, { ...limits, ...options }) };
}

/** ai.*, traces.*, corrections.* */
export function aiHandlers(ai: Ai): HandlersOf<'ai' | 'traces' | 'corrections'> {
  return {
    'ai.ask': (input) => ai.ask(input),
    'ai.cancel': ({ askId }) => ({ cancelled: ai.cancel(askId) }),
    'ai.strategies': () => ai.strategies,
    'traces.list': (input) => ai.traces.list(input),
    'traces.get': ({ id }) => ai.traces.get(id),
    'traces.delete': ({ id }) => ({ deleted: ai.traces.delete(id) }),
    'corrections.add': (input) => ai.corrections.add(input),
    'corrections.list': ({ connectionId }) => ai.corrections.list(connectionId),
    'corrections.delete': ({ id }) => ({ deleted: ai.corrections.delete(id) }),
  };
}

/** A SQLite file and a model named on a command line (`squill ask`), opened together, asked, closed together. */
export interface FileSession {
  db: DbHandle;
  ask(input: Omit<StrategyInput, 'db' | 'model' | 'modelInfo' | 'adapterInfo'>): Promise<Trace>;
  close(): Promise<void>;
}

/**
 * Opens the file's sandbox and the model (a GGUF path with an optional adapter, or an endpoint URL). Failures to open
 * either are the caller's input problems (NOT_FOUND / VALIDATION), before any question is asked.
 */
export async function openFileSession(dbFile: string, spec: ModelSpec): Promise<FileSession> {
  checkSqliteFile(dbFile);
  const opened = await openModelSpec(spec);
  const pool = createSandboxPool({ size: 1 });
  try {
    const db = await fileDbHandle(pool, dbFile, path.basename(dbFile, path.extname(dbFile)));
    return {
      db,
      ask: (input) =>
        runStrategy({
          ...input,
          db,
          model: opened.textModel,
          modelInfo: { id: null, ...opened.info },
          adapterInfo: opened.adapterInfo && { id: null, ...opened.adapterInfo },
        }),
      async close() {
        await opened.close();
        await pool.close();
      },
    };
  } catch (err) {
    await opened.close();
    await pool.close();
    throw err;
  }
}

export interface Ai {
  ask(input: ParsedInput<'ai.ask'>): Promise<Trace>;
  cancel(askId: string): boolean;
  traces: {
    list: typeof listTraces extends (s: Store, o: infer O) => infer R ? (o: O) => R : never;
    get(id: string): Trace;
    delete(id: string): boolean;
  };
  corrections: {
    add(input: ParsedInput<'corrections.add'>): Promise<Correction>;
    list(connectionId?: string): Correction[];
    delete(id: number): boolean;
  };
  strategies: typeof STRATEGY_CATALOG;
  close(): void;
}

export function createAi(o: { store: Store; hub: EventHub; databases: Databases; models: Models }): Ai {
  const running = new Map<string, AbortController>();

  const connectionHandle = async (connectionId: string): Promise<DbHandle> => {
    const connection = o.databases.connections.list().find((c) => c.id === connectionId);
    if (!connection) throw new SquillError('NOT_FOUND', 'No such database; it may have been removed');
    const schema = await o.databases.schema(connectionId);
    return { name: connection.name, connectionId, schema, execute: (sql, limits) => o.databases.query(connectionId, sql, limits) };
  };

  return {
    strategies: STRATEGY_CATALOG,
    async ask(input) {
      if (running.has(input.askId)) throw new SquillError('CONFLICT', `An ask with id ${input.askId} is already running`);
      const controller = new AbortController();
      running.set(input.askId, controller);
      try {
        const db = await connectionHandle(input.connectionId);
        const registered = o.models.get(input.modelId);
        const adapter = input.adapterId ? registered.adapters.find((a) => a.id === input.adapterId) : null;
        if (input.adapterId && !adapter) throw new SquillError('NOT_FOUND', `The adapter is not attached to ${registered.name}`);
        const settings = input.settings ?? {};
        const model = await o.models.textModel(input.modelId, input.adapterId ?? null);
        const linkAdapterId = linkAdapterOf(input.strategy, settings);
        const linkModel = linkAdapterId ? await o.models.textModel(input.modelId, linkAdapterId) : undefined;
        const trace = await runStrategy({
          question: input.question,
          evidence: input.evidence?.trim() ? input.evidence : null,
          db,
          strategy: input.strategy,
          grammar: input.grammar ?? 'schema',
          settings,
          model,
          linkModel,
          modelInfo: { id: registered.id, name: registered.name, sha256: registered.sha256 },
          adapterInfo: adapter ? { id: adapter.id, name: adapter.name, sha256: null } : null,
          signal: controller.signal,
          onProgress: (event) => o.hub.emit('ai.progress', { ...event, askId: input.askId }),
        });
        saveTrace(o.store, trace);
        return trace;
      } finally {
        running.delete(input.askId);
      }
    },
    cancel(askId) {
      const c = running.get(askId);
      c?.abort();
      return Boolean(c);
    },
    traces: {
      list: (q) => listTraces(o.store, q),
      get(id) {
        const trace = getTrace(o.store, id);
        if (!trace) throw new SquillError('NOT_FOUND', 'No such trace; it may have been deleted');
        return trace;
      },
      delete: (id) => deleteTrace(o.store, id),
    },
    corrections: {
      async add(input) {
        const db = await connectionHandle(input.connectionId);
        try {
          await db.execute(input.sql, { timeoutMs: 10_000, maxRows: 1 });
        } catch (err) {
          throw new SquillError('VALIDATION', `The corrected SQL does not run, so it cannot teach the model: ${(err as Error).message}`);
        }
        const trace = input.traceId ? getTrace(o.store, input.traceId) : null;
        return addCorrection(o.store, {
          connectionId: input.connectionId,
          database: db.name,
          question: input.question,
          evidence: input.evidence?.trim() ? input.evidence : null,
          sql: input.sql.trim(),
          originalSql: trace?.final.sql ?? null,
          traceId: trace?.id ?? null,
        });
      },
      list: (connectionId) => listCorrections(o.store, connectionId),
      delete: (id) => deleteCorrection(o.store, id),
    },
    close() {
      for (const c of running.values()) c.abort();
    },
  };
}
