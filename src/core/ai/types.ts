import type { DbSchema, GRAMMARS, QueryResult, StrategyName, StrategySettings, Trace, TraceStep } from '../../shared/contract/index.ts';
import type { TextModel } from '../llm/index.ts';

/** A database as a strategy sees it: its schema and a way to run read-only SQL through the sandbox. */
export interface DbHandle {
  /** connection name or benchmark db_id */
  name: string;
  connectionId: string | null;
  schema: DbSchema;
  execute(sql: string, limits?: { timeoutMs?: number; maxRows?: number }): Promise<QueryResult>;
}

export type ProgressEvent =
  | { type: 'step-start'; index: number; kind: string; title: string }
  | { type: 'tokens'; index: number; text: string }
  | { type: 'step-end'; step: TraceStep };

export interface StrategyInput {
  question: string;
  evidence: string | null;
  db: DbHandle;
  strategy: StrategyName;
  grammar: (typeof GRAMMARS)[number];
  settings: StrategySettings;
  /** the SQL model (and, for lrsql, also the schema-link model unless linkModel is given) */
  model: TextModel;
  linkModel?: TextModel;
  modelInfo: Trace['model'];
  adapterInfo: Trace['adapter'];
  onProgress?: (event: ProgressEvent) => void;
  signal?: AbortSignal;
}
