/** The contract, ai.*, traces.*, corrections.*: text-to-SQL strategies, their traces, and user corrections. */
import { z } from 'zod';
import { CellSchema, connectionId } from './db.ts';
import { event, noInput, procedure } from './define.ts';
import { modelId } from './models.ts';

// ai.* — text-to-SQL strategies and their traces

export const STRATEGIES = ['direct', 'route', 'lrsql', 'vote', 'reason'] as const;
export type StrategyName = (typeof STRATEGIES)[number];
export const GRAMMARS = ['schema', 'none'] as const;

export const SamplingSchema = z.strictObject({
  temperature: z.number().min(0).max(5).optional(),
  topP: z.number().min(0).max(1).optional(),
  topK: z.number().int().min(0).max(1000).optional(),
  maxTokens: z.number().int().min(1).max(32_768).optional(),
  seed: z.number().int().min(0).max(2 ** 31 - 1).optional(),
});
export type Sampling = z.infer<typeof SamplingSchema>;

/** Per-strategy settings; each strategy reads its own fields and ignores the rest. */
export const StrategySettingsSchema = z.strictObject({
  sampling: SamplingSchema.optional(),
  /** route: which of the six MCP steps run */
  route: z
    .strictObject({
      schemaLinking: z.boolean().optional(),
      preSql: z.boolean().optional(),
      prune: z.boolean().optional(),
      noiseCorrection: z.boolean().optional(),
      continuation: z.boolean().optional(),
    })
    .optional(),
  /** lrsql: slice budget in tokens, and a separate adapter for the schema-link role (same model) */
  lrsql: z.strictObject({ sliceBudget: z.number().int().min(200).max(32_768).optional(), linkAdapterId: z.string().max(64).nullable().optional() }).optional(),
  /** vote: number of samples */
  vote: z.strictObject({ samples: z.number().int().min(1).max(64).optional() }).optional(),
  /** schema serializer: sample rows per table, BIRD evidence */
  sampleRows: z.number().int().min(0).max(10).optional(),
  /** prompt budget for the schema part, in tokens */
  schemaBudget: z.number().int().min(100).max(131_072).optional(),
});
export type StrategySettings = z.infer<typeof StrategySettingsSchema>;

export const TraceExecutionSchema = z.object({
  sql: z.string(),
  ok: z.boolean(),
  columns: z.array(z.string()).optional(),
  /** first rows only (preview) */
  rows: z.array(z.array(CellSchema)).optional(),
  rowCount: z.number().int().optional(),
  error: z.string().optional(),
  ms: z.number(),
});
export type TraceExecution = z.infer<typeof TraceExecutionSchema>;

export const VoteGroupSchema = z.object({
  /** canonical key of the result (sorted set of rows), or "error:..." */
  key: z.string(),
  size: z.number().int(),
  /** indexes of the samples in this group */
  members: z.array(z.number().int()),
  sql: z.string(),
  ok: z.boolean(),
  /** why the group was not eligible (error, empty result, all zero) */
  ignored: z.string().nullable(),
});

export const TraceStepSchema = z.object({
  index: z.number().int(),
  /** machine name, e.g. schema_link, pre_sql, prune, sql, noise_correction, continuation, slice_link, sample, vote, execute */
  kind: z.string(),
  title: z.string(),
  /** the prompt exactly as the model saw it (chat template applied); null for steps without a model call */
  prompt: z.string().nullable(),
  messages: z.array(z.object({ role: z.enum(['system', 'user', 'assistant']), content: z.string() })).nullable(),
  promptTokens: z.number().int().nullable(),
  /** raw model output, reasoning included */
  output: z.string().nullable(),
  reasoning: z.string().nullable(),
  /** what the step made of the output (SQL, table list, JSON, ...) */
  parsed: z.unknown(),
  sql: z.string().nullable(),
  sampling: z.record(z.string(), z.unknown()).nullable(),
  grammar: z.string().nullable(),
  tokensIn: z.number().int(),
  tokensOut: z.number().int(),
  ms: z.number(),
  modelMs: z.number(),
  executions: z.array(TraceExecutionSchema),
  /** what the step decided and why, for a person */
  decision: z.string().nullable(),
  vote: z.object({ groups: z.array(VoteGroupSchema), winner: z.number().int().nullable() }).nullable(),
  /** tables and columns this step linked (highlighted in the schema) */
  linked: z.object({ tables: z.array(z.string()), columns: z.array(z.object({ table: z.string(), column: z.string() })) }).nullable(),
  skipped: z.string().nullable(),
  /** SQL drafts the schema grammar did not keep (names out of scope: written again within its FROM; cut by the token limit) */
  drafts: z.array(z.object({ text: z.string(), why: z.string() })).optional(),
});
export type TraceStep = z.infer<typeof TraceStepSchema>;

export const TraceSchema = z.object({
  id: z.string(),
  createdAt: z.string(),
  question: z.string(),
  evidence: z.string().nullable(),
  connectionId: z.string().nullable(),
  database: z.string(),
  strategy: z.enum(STRATEGIES),
  grammar: z.enum(GRAMMARS),
  model: z.object({ id: z.string().nullable(), name: z.string(), sha256: z.string().nullable() }),
  adapter: z.object({ id: z.string().nullable(), name: z.string(), sha256: z.string().nullable() }).nullable(),
  settings: StrategySettingsSchema,
  steps: z.array(TraceStepSchema),
  final: z.object({ sql: z.string(), execution: TraceExecutionSchema.nullable(), why: z.string() }),
  status: z.enum(['done', 'failed', 'cancelled']),
  error: z.string().nullable(),
  totalMs: z.number(),
  modelMs: z.number(),
});
export type Trace = z.infer<typeof TraceSchema>;

export const TraceSummarySchema = TraceSchema.pick({ id: true, createdAt: true, question: true, database: true, connectionId: true, strategy: true, status: true, totalMs: true }).extend({
  sql: z.string(),
  modelName: z.string(),
});

export const CorrectionSchema = z.object({
  id: z.number().int(),
  connectionId: z.string(),
  database: z.string(),
  question: z.string(),
  evidence: z.string().nullable(),
  sql: z.string(),
  /** the model's SQL that was corrected, when it came from a trace */
  originalSql: z.string().nullable(),
  traceId: z.string().nullable(),
  createdAt: z.string(),
});
export type Correction = z.infer<typeof CorrectionSchema>;

const traceId = z.string().min(1).max(64);
/** chosen by the caller so it can match streamed events to its request before the answer arrives */
const askId = z.string().min(1).max(64);

export const aiProcedures = {
  'ai.ask': procedure({
    description: 'Answers a question about a database with a model and a strategy; returns the persisted trace.',
    input: z.strictObject({
      askId,
      connectionId,
      question: z.string().trim().min(1, 'ask a question').max(10_000),
      evidence: z.string().max(10_000).optional(),
      modelId,
      adapterId: z.string().min(1).max(64).nullable().optional(),
      strategy: z.enum(STRATEGIES),
      grammar: z.enum(GRAMMARS).optional(),
      settings: StrategySettingsSchema.optional(),
    }),
    output: TraceSchema,
  }),
  'ai.cancel': procedure({
    description: 'Stops a running ask; the trace is kept with status cancelled.',
    input: z.strictObject({ askId }),
    output: z.object({ cancelled: z.boolean() }),
  }),
  'ai.strategies': procedure({
    description: 'The strategies with their steps and default settings.',
    input: noInput,
    output: z.array(z.object({ name: z.enum(STRATEGIES), label: z.string(), description: z.string(), steps: z.array(z.string()), defaults: StrategySettingsSchema })),
  }),
  'traces.list': procedure({
    description: 'Past asks, newest first.',
    input: z.strictObject({ connectionId: connectionId.optional(), search: z.string().max(1000).optional(), limit: z.number().int().min(1).max(1000).optional() }),
    output: z.array(TraceSummarySchema),
  }),
  'traces.get': procedure({
    description: 'One trace with all its steps.',
    input: z.strictObject({ id: traceId }),
    output: TraceSchema,
  }),
  'traces.delete': procedure({
    description: 'Deletes a trace.',
    input: z.strictObject({ id: traceId }),
    output: z.object({ deleted: z.boolean() }),
  }),
  'corrections.add': procedure({
    description: 'Saves a question with its corrected SQL as a training example (the SQL must run).',
    input: z.strictObject({
      connectionId,
      question: z.string().trim().min(1).max(10_000),
      evidence: z.string().max(10_000).optional(),
      sql: z.string().trim().min(1).max(100_000),
      traceId: traceId.optional(),
    }),
    output: CorrectionSchema,
  }),
  'corrections.list': procedure({
    description: 'The corrections dataset, newest first.',
    input: z.strictObject({ connectionId: connectionId.optional() }),
    output: z.array(CorrectionSchema),
  }),
  'corrections.delete': procedure({
    description: 'Removes one correction.',
    input: z.strictObject({ id: z.number().int() }),
    output: z.object({ deleted: z.boolean() }),
  }),
} as const;

export const aiEvents = {
  'ai.progress': event({
    description: 'A running ask: a step started or finished, or tokens streamed (text is the new part only).',
    payload: z.discriminatedUnion('type', [
      z.object({ type: z.literal('step-start'), askId: z.string(), index: z.number().int(), kind: z.string(), title: z.string() }),
      z.object({ type: z.literal('tokens'), askId: z.string(), index: z.number().int(), text: z.string() }),
      z.object({ type: z.literal('step-end'), askId: z.string(), step: TraceStepSchema }),
    ]),
  }),
} as const;
