/** The contract, eval.*: benchmark scoring that agrees with the official programs, and model runs over benchmarks. */
import { z } from 'zod';
import { GRAMMARS, STRATEGIES, StrategySettingsSchema } from './ai.ts';
import { QueryResultSchema } from './db.ts';
import { event, noInput, procedure, serverPath } from './define.ts';
import { modelId } from './models.ts';

// eval.* — benchmark scoring that agrees with the official programs, example by example

export const BENCHES = ['spider', 'bird', 'jsonl'] as const;
export const METRICS = ['spider_exec', 'bird_ex', 'soft_f1', 'ves', 'rves', 'schema_linking'] as const;
export type MetricName = (typeof METRICS)[number];

/**
 * Why a metric gave its verdict. `code` is stable (filterable), `detail` says it for a person, `quirk` is set when
 * an official-program quirk decided the verdict (we reproduce it and say so).
 */
export const ReasonSchema = z.object({
  code: z.string(),
  detail: z.string(),
  quirk: z.string().optional(),
});
export type Reason = z.infer<typeof ReasonSchema>;

export const MetricSummarySchema = z.object({
  /** mean score in percent (0-100) over the scored examples */
  score: z.number(),
  count: z.number().int(),
  /** by Spider hardness (easy/medium/hard/extra) or BIRD difficulty (simple/moderate/challenging) */
  byGroup: z.record(z.string(), z.object({ score: z.number(), count: z.number().int() })),
  reasons: z.record(z.string(), z.number().int()),
});

/** Everything needed to reproduce a score. */
export const ReproRecordSchema = z.object({
  squillVersion: z.string(),
  sqliteVersion: z.string(),
  metricVersion: z.string(),
  bench: z.enum(BENCHES),
  dataDir: z.string(),
  /** sha256 of each dataset file read (questions, tables, gold) */
  datasetHashes: z.record(z.string(), z.string()),
  /** sha256 of each database file used */
  databaseHashes: z.record(z.string(), z.string()),
  predictionsSha256: z.string(),
  options: z.object({
    keepDistinct: z.boolean(),
    timeoutMs: z.number(),
    vesIterations: z.number().int(),
    workers: z.number().int(),
  }),
  hardware: z.object({ cpu: z.string(), cores: z.number().int(), gpu: z.string().nullable() }),
  model: z.object({ sha256: z.string(), adapterSha256: z.string().nullable(), strategy: z.string(), decoding: z.record(z.string(), z.unknown()) }).nullable(),
});
export type ReproRecord = z.infer<typeof ReproRecordSchema>;

export const EvalRunSchema = z.object({
  id: z.string(),
  name: z.string(),
  bench: z.enum(BENCHES),
  status: z.enum(['running', 'done', 'failed', 'cancelled']),
  createdAt: z.string(),
  elapsedMs: z.number().nullable(),
  metrics: z.array(z.enum(METRICS)),
  total: z.number().int(),
  done: z.number().int(),
  /** examples whose database is not available: reported, never scored */
  unavailable: z.number().int(),
  summary: z.record(z.string(), MetricSummarySchema),
  record: ReproRecordSchema.nullable(),
  error: z.string().nullable(),
});
export type EvalRun = z.infer<typeof EvalRunSchema>;

export const EvalExampleSchema = z.object({
  index: z.number().int(),
  id: z.string(),
  dbId: z.string(),
  question: z.string(),
  evidence: z.string().nullable(),
  gold: z.string(),
  pred: z.string(),
  /** hardness (Spider) or difficulty (BIRD); null when unknown */
  group: z.string().nullable(),
  /** per metric: 0/1 for accuracy metrics, a number for soft_f1/ves/rves/schema_linking; null when not scored */
  scores: z.record(z.string(), z.number().nullable()),
  reasons: z.record(z.string(), ReasonSchema),
  /** the metrics do not all agree (e.g. spider_exec 1, bird_ex 0) */
  disagree: z.boolean(),
  /** why the example could not be scored (database unavailable) */
  unavailable: z.string().nullable(),
  /** the trace that produced the prediction (runs started with a model) */
  traceId: z.string().nullable(),
});
export type EvalExample = z.infer<typeof EvalExampleSchema>;

export const EvalFilterSchema = z.strictObject({
  wrongOnly: z.boolean().optional(),
  metric: z.enum(METRICS).optional(),
  reason: z.string().max(100).optional(),
  disagree: z.boolean().optional(),
  group: z.string().max(40).optional(),
  search: z.string().max(500).optional(),
});

const runId = z.string().min(1).max(64);

export const evalProcedures = {
  'eval.start': procedure({
    description: 'Scores a predictions file (path on the backend machine, or its content) against a benchmark.',
    input: z.strictObject({
      bench: z.enum(BENCHES),
      /** the benchmark folder (e.g. .../bench/spider); jsonl examples name their databases themselves */
      dataDir: serverPath('folder').optional(),
      predictions: z.union([
        z.strictObject({ path: serverPath('file') }),
        z.strictObject({ content: z.string().max(64 * 1024 * 1024), fileName: z.string().max(300) }),
      ]),
      metrics: z.array(z.enum(METRICS)).min(1).optional(),
      name: z.string().trim().min(1).max(200).optional(),
      workers: z.number().int().min(1).max(64).optional(),
      timeoutMs: z.number().int().min(100).max(600_000).optional(),
      keepDistinct: z.boolean().optional(),
    }),
    output: z.object({ runId: z.string() }),
  }),
  'eval.benchmarks': procedure({
    description: 'Benchmark folders found on the backend machine (bench, path, what is present).',
    input: noInput,
    output: z.array(z.object({ bench: z.enum(BENCHES), path: z.string(), examples: z.number().int(), databases: z.number().int(), note: z.string().nullable() })),
  }),
  'eval.runs': procedure({
    description: 'Every evaluation run, newest first.',
    input: noInput,
    output: z.array(EvalRunSchema),
  }),
  'eval.run': procedure({
    description: 'One evaluation run with its summary and reproducibility record.',
    input: z.strictObject({ runId }),
    output: EvalRunSchema,
  }),
  'eval.examples': procedure({
    description: 'The scored examples of a run, filtered and paged.',
    input: z.strictObject({
      runId,
      filter: EvalFilterSchema.optional(),
      offset: z.number().int().min(0).optional(),
      limit: z.number().int().min(1).max(1000).optional(),
    }),
    output: z.object({ total: z.number().int(), items: z.array(EvalExampleSchema) }),
  }),
  'eval.example': procedure({
    description: 'One example with both result tables, run again through the sandbox, for the drill-down.',
    input: z.strictObject({ runId, index: z.number().int().min(0) }),
    output: z.object({
      example: EvalExampleSchema,
      goldResult: QueryResultSchema.nullable(),
      predResult: QueryResultSchema.nullable(),
      goldError: z.string().nullable(),
      predError: z.string().nullable(),
      orderMatters: z.boolean(),
    }),
  }),
  'eval.compare': procedure({
    description: 'What flipped between two runs on one metric (matched by example id).',
    input: z.strictObject({ runA: runId, runB: runId, metric: z.enum(METRICS) }),
    output: z.object({
      metric: z.enum(METRICS),
      common: z.number().int(),
      fixed: z.array(z.object({ id: z.string(), indexA: z.number().int(), indexB: z.number().int() })),
      broken: z.array(z.object({ id: z.string(), indexA: z.number().int(), indexB: z.number().int() })),
      scoreA: z.number(),
      scoreB: z.number(),
    }),
  }),
  'eval.cancel': procedure({
    description: 'Stops a running evaluation; what was scored stays.',
    input: z.strictObject({ runId }),
    output: z.object({ cancelled: z.boolean() }),
  }),
  'eval.delete': procedure({
    description: 'Deletes a run and its examples.',
    input: z.strictObject({ runId }),
    output: z.object({ deleted: z.boolean() }),
  }),
  'eval.generate': procedure({
    description: 'Runs a model + strategy over a benchmark, keeps a trace per example, and scores the predictions.',
    input: z.strictObject({
      bench: z.enum(BENCHES),
      dataDir: serverPath('folder'),
      modelId,
      adapterId: z.string().min(1).max(64).nullable().optional(),
      strategy: z.enum(STRATEGIES),
      grammar: z.enum(GRAMMARS).optional(),
      settings: StrategySettingsSchema.optional(),
      limit: z.number().int().min(1).max(1_000_000).optional(),
      metrics: z.array(z.enum(METRICS)).min(1).optional(),
      name: z.string().trim().min(1).max(200).optional(),
    }),
    output: z.object({ runId: z.string() }),
  }),
} as const;

export const evalEvents = {
  'eval.progress': event({
    description: 'Progress of an evaluation run: examples done, and the status when it changes.',
    payload: z.object({ runId: z.string(), done: z.number().int(), total: z.number().int(), status: EvalRunSchema.shape.status }),
  }),
} as const;
