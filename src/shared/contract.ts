/**
 * The one contract between the renderer and the backend. Every procedure (request -> response) and every event
 * (backend -> renderer stream) is declared here once; both transports (Electron IPC, WebSocket) and the renderer's
 * client are generated from these declarations, and inputs are validated against them at the boundary.
 */
import { z } from 'zod';

export interface ProcedureDef<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  readonly description: string;
  readonly input: I;
  readonly output: O;
}
export interface EventDef<P extends z.ZodType = z.ZodType> {
  readonly description: string;
  readonly payload: P;
}

const procedure = <I extends z.ZodType, O extends z.ZodType>(def: ProcedureDef<I, O>) => def;
const event = <P extends z.ZodType>(def: EventDef<P>) => def;
const noInput = z.strictObject({});

// ---------------------------------------------------------------------------------------------------------------
// app.*

export const EngineInfoSchema = z.object({
  /** false when inference runs on the CPU */
  gpu: z.union([z.literal(false), z.enum(['cuda', 'vulkan', 'metal'])]),
  supportsGpuOffloading: z.boolean(),
  cpuMathCores: z.number().int(),
  vram: z.object({ totalBytes: z.number(), usedBytes: z.number(), freeBytes: z.number() }).nullable(),
  buildType: z.string(),
  llamaCppRelease: z.string(),
  /** why the engine could not be loaded; the rest of the app works without it */
  error: z.string().optional(),
});
export type EngineInfo = z.infer<typeof EngineInfoSchema>;

export const AppInfoSchema = z.object({
  name: z.string(),
  version: z.string(),
  /** where Squill runs: the desktop app, `squill serve`, or the CLI */
  host: z.enum(['electron', 'server', 'cli']),
  platform: z.string(),
  arch: z.string(),
  dataDir: z.string(),
  storePath: z.string(),
  storeSchemaVersion: z.number().int(),
  versions: z.record(z.string(), z.string()),
  cpu: z.object({ model: z.string(), logicalCores: z.number().int() }),
  memory: z.object({ totalBytes: z.number(), freeBytes: z.number() }),
  engine: EngineInfoSchema,
});
export type AppInfo = z.infer<typeof AppInfoSchema>;

export const HealthCheckSchema = z.object({ name: z.string(), ok: z.boolean(), detail: z.string() });
export const HealthSchema = z.object({
  ok: z.boolean(),
  uptimeSec: z.number(),
  checks: z.array(HealthCheckSchema),
});
export type Health = z.infer<typeof HealthSchema>;

export const MetricsSchema = z.object({
  at: z.string(),
  rssBytes: z.number(),
  heapUsedBytes: z.number(),
  /** backend process CPU use since the previous sample, in percent of one core */
  cpuPercent: z.number(),
  systemFreeBytes: z.number(),
  loadAverage: z.array(z.number()),
});
export type Metrics = z.infer<typeof MetricsSchema>;

// ---------------------------------------------------------------------------------------------------------------
// settings.* — user preferences kept in the app store, shared by the desktop app and browser tabs

export const THEMES = ['system', 'light', 'dark'] as const;
export const SettingsSchema = z.object({
  theme: z.enum(THEMES),
});
export type Settings = z.infer<typeof SettingsSchema>;
export const DEFAULT_SETTINGS: Settings = { theme: 'system' };

// ---------------------------------------------------------------------------------------------------------------
// connections.* — the SQLite databases Squill knows about

export const FingerprintSchema = z.object({
  sizeBytes: z.number().int(),
  mtimeMs: z.number(),
  /** sha256 of the schema (sqlite_schema rows), so caches and evaluation records pin what they ran on */
  schemaSha256: z.string(),
});
export type Fingerprint = z.infer<typeof FingerprintSchema>;

export const ConnectionSchema = z.object({
  id: z.string(),
  name: z.string(),
  path: z.string(),
  kind: z.enum(['demo', 'file']),
  addedAt: z.string(),
  /** ok: opened and read; otherwise `error` says what is wrong with the file */
  status: z.enum(['ok', 'missing', 'unreadable']),
  error: z.string().optional(),
  fingerprint: FingerprintSchema.nullable(),
  tableCount: z.number().int().nullable(),
});
export type Connection = z.infer<typeof ConnectionSchema>;

const connectionId = z.string().min(1).max(64);
const filePath = z.string().trim().min(1, 'a file path is required').max(4096);

// ---------------------------------------------------------------------------------------------------------------
// schema.* — introspection, cached per fingerprint

export const ColumnSchema = z.object({
  name: z.string(),
  /** declared type as written in CREATE TABLE ("" when none) */
  type: z.string(),
  affinity: z.enum(['INTEGER', 'TEXT', 'BLOB', 'REAL', 'NUMERIC']),
  /** 0 when not part of the primary key, else its 1-based position in the key */
  pk: z.number().int(),
  notNull: z.boolean(),
  /** the default expression as written, or null */
  default: z.string().nullable(),
  /** most frequent distinct values (capped), most frequent first, from the first rows of the table */
  sampleValues: z.array(z.union([z.string(), z.number(), z.null()])),
});
export type Column = z.infer<typeof ColumnSchema>;

export const ForeignKeySchema = z.object({
  columns: z.array(z.string()),
  refTable: z.string(),
  /** empty when the key references the parent's primary key implicitly */
  refColumns: z.array(z.string()),
  onUpdate: z.string(),
  onDelete: z.string(),
});
export type ForeignKey = z.infer<typeof ForeignKeySchema>;

export const IndexSchema = z.object({
  name: z.string(),
  columns: z.array(z.string()),
  unique: z.boolean(),
  /** c: CREATE INDEX, u: UNIQUE constraint, pk: PRIMARY KEY constraint */
  origin: z.enum(['c', 'u', 'pk']),
  partial: z.boolean(),
});

export const TableSchema = z.object({
  name: z.string(),
  columns: z.array(ColumnSchema),
  foreignKeys: z.array(ForeignKeySchema),
  indexes: z.array(IndexSchema),
  /** null when counting was skipped or failed */
  rowCount: z.number().int().nullable(),
  withoutRowid: z.boolean(),
  sql: z.string(),
});
export type Table = z.infer<typeof TableSchema>;

export const ViewSchema = z.object({
  name: z.string(),
  columns: z.array(z.object({ name: z.string(), type: z.string() })),
  sql: z.string(),
});

export const DbSchemaSchema = z.object({
  tables: z.array(TableSchema),
  views: z.array(ViewSchema),
  fingerprint: FingerprintSchema,
});
export type DbSchema = z.infer<typeof DbSchemaSchema>;

// ---------------------------------------------------------------------------------------------------------------
// query.* — SQL through the sandbox

/**
 * Storage classes, one letter per cell: i INTEGER, r REAL, t TEXT, b BLOB, n NULL. JSON alone cannot tell 1 from
 * 1.0, so every row carries its classes (`types[r]` is a string as long as the row).
 */
export const STORAGE_CLASS_LETTERS = { i: 'INTEGER', r: 'REAL', t: 'TEXT', b: 'BLOB', n: 'NULL' } as const;

/**
 * A cell as JSON: INTEGER a number (a decimal string beyond 2^53, exact), REAL a number ("Infinity", "-Infinity"
 * or "NaN" as strings), TEXT a string, BLOB {blob: base64 of its first bytes, size}, NULL null.
 */
export const CellSchema = z.union([
  z.number(),
  z.string(),
  z.null(),
  z.object({ blob: z.string(), size: z.number().int() }),
]);
export type Cell = z.infer<typeof CellSchema>;

export const QueryResultSchema = z.object({
  columns: z.array(z.object({ name: z.string(), declType: z.string().nullable() })),
  rows: z.array(z.array(CellSchema)),
  types: z.array(z.string()),
  /** true when a row or byte cap stopped reading; `truncatedBy` says which */
  truncated: z.boolean(),
  truncatedBy: z.enum(['rows', 'bytes']).nullable(),
  elapsedMs: z.number(),
});
export type QueryResult = z.infer<typeof QueryResultSchema>;

export const QueryLimitsSchema = z.object({
  timeoutMs: z.number().int().min(10).max(600_000).optional(),
  maxRows: z.number().int().min(1).max(10_000_000).optional(),
  maxBytes: z.number().int().min(1024).max(2 ** 31).optional(),
});

export const PlanStepSchema = z.object({ id: z.number().int(), parent: z.number().int(), detail: z.string() });

export const HistoryEntrySchema = z.object({
  id: z.number().int(),
  connectionId: z.string(),
  connectionName: z.string().nullable(),
  sql: z.string(),
  status: z.enum(['ok', 'error', 'refused', 'timeout']),
  rowCount: z.number().int().nullable(),
  elapsedMs: z.number().nullable(),
  error: z.string().nullable(),
  createdAt: z.string(),
});
export type HistoryEntry = z.infer<typeof HistoryEntrySchema>;

// ---------------------------------------------------------------------------------------------------------------
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

// ---------------------------------------------------------------------------------------------------------------
// models.* / adapters.* — local GGUF models, remote OpenAI-compatible endpoints, and LoRA adapters per model

export const ModelMetadataSchema = z.object({
  architecture: z.string(),
  /** parameter count from the tensor shapes */
  parameters: z.number(),
  /** llama.cpp file type, e.g. "F32", "Q4_K_M" */
  quantization: z.string(),
  contextLength: z.number().int().nullable(),
  layers: z.number().int().nullable(),
  embeddingLength: z.number().int().nullable(),
  vocabSize: z.number().int().nullable(),
  chatTemplate: z.string().nullable(),
  /** the model's own name from general.name, when present */
  name: z.string().nullable(),
});
export type ModelMetadata = z.infer<typeof ModelMetadataSchema>;

export const AdapterSchema = z.object({
  id: z.string(),
  modelId: z.string(),
  name: z.string(),
  path: z.string(),
  /** trained: made by a Squill fine-tuning job; imported: a GGUF LoRA added from disk */
  source: z.enum(['trained', 'imported']),
  sizeBytes: z.number().int(),
  addedAt: z.string(),
  status: z.enum(['ok', 'missing']),
});
export type Adapter = z.infer<typeof AdapterSchema>;

export const RemoteEndpointSchema = z.object({
  /** base URL of an OpenAI-compatible API, e.g. http://127.0.0.1:8080/v1 */
  baseUrl: z.string(),
  /** the model name the endpoint expects */
  model: z.string(),
  hasApiKey: z.boolean(),
});

export const ModelSchema = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(['local', 'remote']),
  /** local models: the GGUF file */
  path: z.string().nullable(),
  remote: RemoteEndpointSchema.nullable(),
  /** file: added from disk; download: fetched by Squill; created: made by `squill model create` or a job */
  source: z.enum(['file', 'download', 'created', 'remote']),
  sizeBytes: z.number().int().nullable(),
  /** sha256 of the file, computed in the background; null until known */
  sha256: z.string().nullable(),
  metadata: ModelMetadataSchema.nullable(),
  addedAt: z.string(),
  status: z.enum(['ok', 'missing', 'unreadable']),
  error: z.string().optional(),
  /** loaded into memory now (local) */
  loaded: z.boolean(),
  /** the load settings last used (local): GPU layers and context size */
  settings: z.object({ gpuLayers: z.union([z.literal('auto'), z.number().int()]).optional(), contextSize: z.number().int().optional() }).optional(),
  adapters: z.array(AdapterSchema),
});
export type Model = z.infer<typeof ModelSchema>;

export const ModelFitSchema = z.object({
  gpu: z.union([z.literal(false), z.string()]),
  /** layers that would be offloaded with the requested setting */
  gpuLayers: z.number().int(),
  totalLayers: z.number().int(),
  contextSize: z.number().int(),
  /** estimated bytes for weights + context */
  vramBytes: z.number(),
  ramBytes: z.number(),
  freeVramBytes: z.number().nullable(),
  freeRamBytes: z.number(),
  fits: z.boolean(),
  note: z.string().nullable(),
});
export type ModelFit = z.infer<typeof ModelFitSchema>;

export const RecommendedModelSchema = z.object({
  name: z.string(),
  uri: z.string(),
  sizeBytes: z.number(),
  parameters: z.string(),
  description: z.string(),
  fit: ModelFitSchema.nullable(),
});

export const DownloadSchema = z.object({
  id: z.string(),
  uri: z.string(),
  name: z.string(),
  status: z.enum(['downloading', 'done', 'failed', 'cancelled']),
  downloadedBytes: z.number(),
  totalBytes: z.number().nullable(),
  error: z.string().nullable(),
  /** the registered model once done */
  modelId: z.string().nullable(),
});
export type Download = z.infer<typeof DownloadSchema>;

const modelId = z.string().min(1).max(64);
const gpuLayers = z.union([z.literal('auto'), z.number().int().min(0).max(10_000)]);

// ---------------------------------------------------------------------------------------------------------------
// ai.* — text-to-SQL strategies and their traces

export const STRATEGIES = ['direct', 'route', 'lrsql', 'vote'] as const;
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


// ---------------------------------------------------------------------------------------------------------------
// train.* — fine-tuning jobs: a persistent queue, per-step metrics, dev evaluations, checkpoints and logs

export const TRAIN_METHODS = ['sft', 'lrsql', 'route'] as const;
export type TrainMethod = (typeof TRAIN_METHODS)[number];
export const JOB_STATES = ['queued', 'running', 'paused', 'failed', 'cancelled', 'done'] as const;
export const LORA_TARGETS = ['q', 'k', 'v', 'o', 'gate', 'up', 'down'] as const;

export const TrainDatasetSpecSchema = z.strictObject({
  kind: z.enum(['spider', 'bird', 'jsonl', 'corrections']),
  /** spider/bird folder or train json file; a JSONL file */
  path: z.string().trim().min(1).max(4096).optional(),
  split: z.enum(['train', 'dev']).optional(),
  limit: z.number().int().min(1).optional(),
});
const datasets = z.union([TrainDatasetSpecSchema, z.array(TrainDatasetSpecSchema).min(1)]);

/** Everything a job needs to run, and to run again identically (same seed, same data order). */
export const TrainConfigSchema = z.strictObject({
  /** a GGUF file or a registered model */
  model: z.union([z.strictObject({ path: z.string().trim().min(1).max(4096) }), z.strictObject({ id: z.string().min(1).max(64) })]),
  dataset: datasets,
  /** a separate dev set; without one, devFraction of the dataset is held out */
  dev: datasets.optional(),
  devFraction: z.number().min(0).max(0.9).default(0.1),
  lora: z
    .strictObject({
      rank: z.number().int().min(1).max(512).default(8),
      alpha: z.number().positive().max(4096).default(16),
      targets: z.array(z.enum(LORA_TARGETS)).min(1).default([...LORA_TARGETS]),
    })
    .prefault({}),
  lr: z.number().positive().max(1).default(1e-3),
  schedule: z
    .strictObject({
      kind: z.enum(['constant', 'cosine']).default('cosine'),
      /** steps of linear warm-up from 0 */
      warmup: z.number().int().min(0).default(0),
      /** the cosine's floor, as a fraction of lr */
      minRatio: z.number().min(0).max(1).default(0.1),
    })
    .prefault({}),
  /** passes over the training samples (when steps is not given; default 1) */
  epochs: z.number().positive().max(1000).optional(),
  /** optimizer steps per adapter (overrides epochs) */
  steps: z.number().int().min(1).max(10_000_000).optional(),
  /** sequences per micro-batch */
  batchSize: z.number().int().min(1).max(1024).default(4),
  /** micro-batches per optimizer step */
  gradAccum: z.number().int().min(1).max(1024).default(1),
  clip: z.number().min(0).default(1),
  weightDecay: z.number().min(0).max(1).default(0),
  seed: z.number().int().min(0).max(2 ** 31 - 1).default(1),
  checkpointEvery: z.number().int().min(1).default(50),
  /** steps between dev evaluations (0: only before and after training) */
  evalEvery: z.number().int().min(0).default(0),
  /** stop after this many evaluations without a better dev score (0: never stop early) */
  patience: z.number().int().min(0).default(0),
  eval: z
    .strictObject({
      strategy: z.enum(STRATEGIES).default('direct'),
      /** the first N dev examples (default: all) */
      limit: z.number().int().min(1).optional(),
      maxTokens: z.number().int().min(1).max(4096).default(128),
      /** the evaluation context (default: the model's own, capped by node-llama-cpp) */
      contextSize: z.number().int().min(256).max(131_072).optional(),
    })
    .prefault({}),
  /** how prompts are built (training and evaluation alike) */
  prompt: z
    .strictObject({
      sampleRows: z.number().int().min(0).max(10).default(3),
      schemaBudget: z.number().int().min(100).max(131_072).default(4096),
      sliceBudget: z.number().int().min(200).max(32_768).optional(),
    })
    .prefault({}),
  /** route: samples of each task per example */
  route: z.strictObject({ ts: z.number().min(0).optional(), sl: z.number().min(0).optional(), nc: z.number().min(0).optional(), cw: z.number().min(0).optional() }).optional(),
  /** CPU threads for training and evaluation (default: SQUILL_THREADS, else all cores) */
  threads: z.number().int().min(1).max(1024).optional(),
});
export type TrainConfig = z.output<typeof TrainConfigSchema>;

export const TrainJobSchema = z.object({
  id: z.string(),
  name: z.string(),
  method: z.enum(TRAIN_METHODS),
  config: TrainConfigSchema,
  state: z.enum(JOB_STATES),
  /** why it is in that state (failure, cancel, early stop, restart), or null */
  reason: z.string().nullable(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  step: z.number().int(),
  totalSteps: z.number().int(),
  /** the adapters a finished job produced (lrsql: link and main), and their ids in the model manager */
  adapters: z.array(z.object({ role: z.enum(['main', 'link']), path: z.string(), adapterId: z.string().nullable(), step: z.number().int() })),
  modelId: z.string().nullable(),
  devExBefore: z.number().nullable(),
  devExAfter: z.number().nullable(),
  best: z.object({ step: z.number().int(), devEx: z.number() }).nullable(),
});
export type TrainJob = z.infer<typeof TrainJobSchema>;

export const TrainMetricSchema = z.object({
  step: z.number().int(),
  loss: z.number(),
  lr: z.number(),
  gradNorm: z.number(),
  tokensPerS: z.number(),
  rssBytes: z.number(),
  at: z.string(),
});
export type TrainMetric = z.infer<typeof TrainMetricSchema>;
export const TrainEvalSchema = z.object({
  step: z.number().int(),
  devEx: z.number(),
  correct: z.number().int(),
  total: z.number().int(),
  ms: z.number(),
  at: z.string(),
});
export type TrainEval = z.infer<typeof TrainEvalSchema>;
export const TrainCheckpointSchema = z.object({
  step: z.number().int(),
  role: z.enum(['main', 'link']),
  path: z.string(),
  devEx: z.number().nullable(),
  best: z.boolean(),
  at: z.string(),
});
export type TrainCheckpoint = z.infer<typeof TrainCheckpointSchema>;

/** What a run's data holds, checked before training: rows read, invalid rows by line, the split, overlap with benchmarks. */
export const TrainDataCheckSchema = z.object({
  sources: z.array(
    z.object({
      /** dataset: training data (split into train/dev unless a dev set is given); dev: the separate dev set */
      role: z.enum(['dataset', 'dev']),
      kind: TrainDatasetSpecSchema.shape.kind,
      path: z.string().nullable(),
      examples: z.number().int(),
      /** the first 500 invalid rows */
      invalid: z.array(z.object({ line: z.number().int(), reason: z.string() })),
      invalidTotal: z.number().int(),
    }),
  ),
  train: z.number().int(),
  dev: z.number().int(),
  devFrom: z.enum(['split', 'dev set', 'none']),
  databases: z.array(z.object({ dbId: z.string(), train: z.number().int(), dev: z.number().int() })),
  /** per evaluation benchmark found on this machine: training examples sharing a normalized question or SQL */
  contamination: z.array(
    z.object({
      name: z.string(),
      path: z.string().nullable(),
      examples: z.number().int(),
      questionOverlap: z.number().int(),
      sqlOverlap: z.number().int(),
      /** training examples sharing either */
      overlapExamples: z.number().int(),
      /** the first 100 overlapping training examples */
      overlapping: z.array(z.object({ id: z.string(), question: z.string(), sql: z.string(), by: z.enum(['question', 'sql', 'both']) })),
    }),
  ),
  /** token counts with the base model's tokenizer, over all training examples */
  tokens: z.object({
    question: z.object({ mean: z.number(), max: z.number().int() }),
    sql: z.object({ mean: z.number(), max: z.number().int() }),
  }),
  /** the first 20 training examples */
  sample: z.array(z.object({ id: z.string(), dbId: z.string(), question: z.string(), sql: z.string(), questionTokens: z.number().int(), sqlTokens: z.number().int() })),
  ms: z.number(),
});
export type TrainDataCheck = z.infer<typeof TrainDataCheckSchema>;

const MemoryBreakdownSchema = z.object({
  baseBytes: z.number(),
  loraBytes: z.number(),
  optimizerBytes: z.number(),
  activationBytes: z.number(),
  lossBytes: z.number(),
  totalBytes: z.number(),
});

/** The estimator's figures for a run, from the model file, the settings and the method's real samples. */
export const TrainEstimateSchema = z.object({
  trainExamples: z.number().int(),
  /** training examples whose samples were built and tokenized (a seeded subset of big datasets) */
  previewed: z.number().int(),
  adapters: z.array(
    z.object({
      role: z.enum(['main', 'link']),
      /** samples over all training examples (extrapolated from the previewed ones when fewer) */
      samples: z.number().int(),
      byTask: z.record(z.string(), z.number().int()),
      meanTokens: z.number(),
      longestTokens: z.number().int(),
      /** the trainer context the job would use (its longest sequence over all adapters, rounded up to 64) */
      ctx: z.number().int(),
      steps: z.number().int(),
      trainableParams: z.number().int(),
      memory: MemoryBreakdownSchema,
      secondsPerStep: z.number(),
      seconds: z.number(),
    }),
  ),
  totalSteps: z.number().int(),
  /** the largest adapter phase's peak (phases run one after another) */
  peakBytes: z.number(),
  /** training time; dev evaluations not included */
  seconds: z.number(),
  /**
   * where the time comes from: the median tokens/s of earlier runs' steps on this model file on this machine, or
   * (none yet) FLOPs at a measured CPU throughput, rough: a factor of a few either way
   */
  timeFrom: z.union([z.object({ kind: z.literal('runs'), steps: z.number().int(), tokensPerS: z.number() }), z.object({ kind: z.literal('flops') })]),
  host: z.object({ totalMemBytes: z.number(), freeMemBytes: z.number(), cpus: z.number().int() }),
  /** token counts of the first 20 previewed examples' samples (prompt includes the chat template) */
  examples: z.array(
    z.object({ id: z.string(), question: z.string(), samples: z.number().int(), promptTokens: z.number().int(), targetTokens: z.number().int(), maxSampleTokens: z.number().int() }),
  ),
  ms: z.number(),
});
export type TrainEstimate = z.infer<typeof TrainEstimateSchema>;

const jobId = z.string().min(1).max(64);

const trainProcedures = {
  'train.jobs': procedure({
    description: 'Training jobs, newest first.',
    input: noInput,
    output: z.array(TrainJobSchema),
  }),
  'train.job': procedure({
    description: 'One job with its checkpoints and dev evaluations.',
    input: z.strictObject({ id: jobId }),
    output: z.object({ job: TrainJobSchema, checkpoints: z.array(TrainCheckpointSchema), evals: z.array(TrainEvalSchema) }),
  }),
  'train.create': procedure({
    description: 'Queues a training job; it starts when no other job runs.',
    input: z.strictObject({ name: z.string().trim().min(1).max(200).optional(), method: z.enum(TRAIN_METHODS), config: TrainConfigSchema }),
    output: TrainJobSchema,
  }),
  'train.checkData': procedure({
    description: "Reads a run's dataset(s) as a job would: examples, invalid rows by line, the train/dev split, token counts and overlap with the evaluation benchmarks.",
    input: z.strictObject({ method: z.enum(TRAIN_METHODS), config: TrainConfigSchema }),
    output: TrainDataCheckSchema,
  }),
  'train.estimate': procedure({
    description: "Memory and time of a run from the model file, its settings and the method's real samples (up to `limit` training examples, default 200).",
    input: z.strictObject({ method: z.enum(TRAIN_METHODS), config: TrainConfigSchema, limit: z.number().int().min(1).max(5000).optional() }),
    output: TrainEstimateSchema,
  }),
  'train.pause': procedure({
    description: 'Checkpoints a running job and stops it (state paused); a queued job is paused at once.',
    input: z.strictObject({ id: jobId }),
    output: TrainJobSchema,
  }),
  'train.resume': procedure({
    description: 'Queues a paused, failed or interrupted job again; it continues from its last checkpoint.',
    input: z.strictObject({ id: jobId }),
    output: TrainJobSchema,
  }),
  'train.cancel': procedure({
    description: 'Stops a job for good (state cancelled); its checkpoints stay on disk.',
    input: z.strictObject({ id: jobId }),
    output: TrainJobSchema,
  }),
  'train.metrics': procedure({
    description: 'Per-step metrics and dev evaluations after step `since` (default: all), for live curves.',
    input: z.strictObject({ id: jobId, since: z.number().int().min(0).optional() }),
    output: z.object({ metrics: z.array(TrainMetricSchema), evals: z.array(TrainEvalSchema) }),
  }),
  'train.log': procedure({
    description: "The job's log from byte `offset` (default 0), at most 1 MiB per call.",
    input: z.strictObject({ id: jobId, offset: z.number().int().min(0).optional() }),
    output: z.object({ text: z.string(), size: z.number().int() }),
  }),
} as const;

const trainEvents = {
  'train.progress': event({
    description: 'A job took a step or evaluated: its state, step and the latest metrics.',
    payload: z.object({
      jobId: z.string(),
      state: z.enum(JOB_STATES),
      step: z.number().int(),
      totalSteps: z.number().int(),
      metric: TrainMetricSchema.nullable(),
      eval: TrainEvalSchema.nullable(),
    }),
  }),
  'train.changed': event({
    description: 'The job list after any change of state (created, started, paused, resumed, cancelled, failed, done).',
    payload: z.array(TrainJobSchema),
  }),
} as const;

// ---------------------------------------------------------------------------------------------------------------

export const procedures = {
  'app.info': procedure({
    description: 'Version, data folder, host machine and inference engine (GPU type, CPU cores, VRAM).',
    input: noInput,
    output: AppInfoSchema,
  }),
  'app.health': procedure({
    description: 'Liveness of the backend: store reachable and migrated, data folder writable.',
    input: noInput,
    output: HealthSchema,
  }),
  'settings.get': procedure({
    description: 'The user preferences.',
    input: noInput,
    output: SettingsSchema,
  }),
  'settings.update': procedure({
    description: 'Changes some preferences; returns all of them.',
    input: SettingsSchema.partial().strict(),
    output: SettingsSchema,
  }),
  'connections.list': procedure({
    description: 'Every known database (the demos first), with its status and fingerprint.',
    input: noInput,
    output: z.array(ConnectionSchema),
  }),
  'connections.add': procedure({
    description: 'Adds a SQLite file by path; refuses missing, locked, corrupt or non-SQLite files with a reason.',
    input: z.strictObject({ path: filePath, name: z.string().trim().min(1).max(200).optional() }),
    output: ConnectionSchema,
  }),
  'connections.remove': procedure({
    description: 'Forgets a database (the file is left alone). Demo databases stay.',
    input: z.strictObject({ id: connectionId }),
    output: z.object({ removed: z.literal(true) }),
  }),
  'connections.pickFile': procedure({
    description: 'Desktop app only: the open-file dialog; null when cancelled.',
    input: noInput,
    output: z.object({ path: z.string().nullable() }),
  }),
  'schema.get': procedure({
    description: 'Tables, views, columns, keys, indexes, row counts and sample values of a database.',
    input: z.strictObject({ connectionId, refresh: z.boolean().optional() }),
    output: DbSchemaSchema,
  }),
  'schema.sampleRows': procedure({
    description: 'The first rows of one table or view, through the sandbox.',
    input: z.strictObject({ connectionId, table: z.string().min(1).max(512), limit: z.number().int().min(1).max(1000).optional() }),
    output: QueryResultSchema,
  }),
  'query.run': procedure({
    description: 'Runs one read-only statement in the sandbox; records it in the history when asked.',
    input: z.strictObject({
      connectionId,
      sql: z.string().max(1_000_000),
      limits: QueryLimitsSchema.optional(),
      recordHistory: z.boolean().optional(),
    }),
    output: QueryResultSchema,
  }),
  'query.explain': procedure({
    description: "SQLite's query plan (EXPLAIN QUERY PLAN) of a read-only statement.",
    input: z.strictObject({ connectionId, sql: z.string().max(1_000_000) }),
    output: z.object({ steps: z.array(PlanStepSchema) }),
  }),
  'eval.start': procedure({
    description: 'Scores a predictions file (path on the backend machine, or its content) against a benchmark.',
    input: z.strictObject({
      bench: z.enum(BENCHES),
      /** the benchmark folder (e.g. .../bench/spider); jsonl examples name their databases themselves */
      dataDir: z.string().trim().min(1).max(4096).optional(),
      predictions: z.union([
        z.strictObject({ path: z.string().trim().min(1).max(4096) }),
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
  'models.list': procedure({
    description: 'Every registered model (local GGUF files and remote endpoints) with its adapters.',
    input: noInput,
    output: z.array(ModelSchema),
  }),
  'models.add': procedure({
    description: 'Registers a GGUF file on the backend machine; reads its metadata (the file is not copied).',
    input: z.strictObject({ path: filePath, name: z.string().trim().min(1).max(200).optional() }),
    output: ModelSchema,
  }),
  'models.addRemote': procedure({
    description: 'Registers an OpenAI-compatible endpoint (llama-server, vLLM, Ollama) as a model.',
    input: z.strictObject({
      name: z.string().trim().min(1).max(200),
      baseUrl: z.string().trim().url().max(2000),
      model: z.string().trim().min(1).max(300),
      apiKey: z.string().max(1000).optional(),
    }),
    output: ModelSchema,
  }),
  'models.remove': procedure({
    description: 'Forgets a model (unloading it first); files on disk stay unless Squill downloaded them and `deleteFile` is set.',
    input: z.strictObject({ id: modelId, deleteFile: z.boolean().optional() }),
    output: z.object({ removed: z.literal(true) }),
  }),
  'models.fit': procedure({
    description: 'Memory estimate for loading a local model with a given GPU offload and context size.',
    input: z.strictObject({ id: modelId, gpuLayers: gpuLayers.optional(), contextSize: z.number().int().min(256).max(1_048_576).optional() }),
    output: ModelFitSchema,
  }),
  'models.load': procedure({
    description: 'Loads a local model into memory (checking the memory estimate first).',
    input: z.strictObject({ id: modelId, gpuLayers: gpuLayers.optional(), contextSize: z.number().int().min(256).max(1_048_576).optional() }),
    output: ModelSchema,
  }),
  'models.unload': procedure({
    description: 'Frees a loaded model.',
    input: z.strictObject({ id: modelId }),
    output: ModelSchema,
  }),
  'models.recommended': procedure({
    description: 'Models that suit text-to-SQL on a desktop, with sizes and whether they fit this machine.',
    input: noInput,
    output: z.array(RecommendedModelSchema),
  }),
  'models.download': procedure({
    description: 'Starts downloading a model (hf: URI or https URL) into the data folder; resumes a partial file.',
    input: z.strictObject({ uri: z.string().trim().min(3).max(2000), name: z.string().trim().min(1).max(200).optional() }),
    output: DownloadSchema,
  }),
  'models.downloads': procedure({
    description: 'Downloads of this session, newest first.',
    input: noInput,
    output: z.array(DownloadSchema),
  }),
  'models.cancelDownload': procedure({
    description: 'Stops a download; the partial file stays so a later download resumes.',
    input: z.strictObject({ id: z.string().min(1).max(64) }),
    output: DownloadSchema,
  }),
  'adapters.add': procedure({
    description: 'Attaches a GGUF LoRA adapter file to a model (checked against the model first).',
    input: z.strictObject({ modelId, path: filePath, name: z.string().trim().min(1).max(200).optional() }),
    output: AdapterSchema,
  }),
  'adapters.remove': procedure({
    description: 'Detaches an adapter from its model (the file stays).',
    input: z.strictObject({ id: z.string().min(1).max(64) }),
    output: z.object({ removed: z.literal(true) }),
  }),
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
  'eval.generate': procedure({
    description: 'Runs a model + strategy over a benchmark, keeps a trace per example, and scores the predictions.',
    input: z.strictObject({
      bench: z.enum(BENCHES),
      dataDir: z.string().trim().min(1).max(4096),
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
  'history.list': procedure({
    description: 'Past queries, newest first; `search` matches the SQL text.',
    input: z.strictObject({
      search: z.string().max(1000).optional(),
      connectionId: connectionId.optional(),
      limit: z.number().int().min(1).max(1000).optional(),
    }),
    output: z.array(HistoryEntrySchema),
  }),
  'history.delete': procedure({
    description: 'Removes one history entry, or all of them when no id is given.',
    input: z.strictObject({ id: z.number().int().optional() }),
    output: z.object({ deleted: z.number().int() }),
  }),
  ...trainProcedures,
} as const;

export const events = {
  'app.metrics': event({
    description: 'Backend process resource use, sampled every 2 s while someone listens.',
    payload: MetricsSchema,
  }),
  'connections.changed': event({
    description: 'The list of databases after an add or a remove.',
    payload: z.array(ConnectionSchema),
  }),
  'history.added': event({
    description: 'A query was recorded in the history.',
    payload: HistoryEntrySchema,
  }),
  'eval.progress': event({
    description: 'Progress of an evaluation run: examples done, and the status when it changes.',
    payload: z.object({ runId: z.string(), done: z.number().int(), total: z.number().int(), status: EvalRunSchema.shape.status }),
  }),
  'models.changed': event({
    description: 'The model list after any change (added, removed, loaded, unloaded, adapter attached).',
    payload: z.array(ModelSchema),
  }),
  'models.download': event({
    description: 'Download progress (about every 250 ms) and state changes.',
    payload: DownloadSchema,
  }),
  'ai.progress': event({
    description: 'A running ask: a step started or finished, or tokens streamed (text is the new part only).',
    payload: z.discriminatedUnion('type', [
      z.object({ type: z.literal('step-start'), askId: z.string(), index: z.number().int(), kind: z.string(), title: z.string() }),
      z.object({ type: z.literal('tokens'), askId: z.string(), index: z.number().int(), text: z.string() }),
      z.object({ type: z.literal('step-end'), askId: z.string(), step: TraceStepSchema }),
    ]),
  }),
  'settings.changed': event({
    description: 'The preferences after any change, from any window or tab.',
    payload: SettingsSchema,
  }),
  ...trainEvents,
} as const;

export type Procedures = typeof procedures;
export type Events = typeof events;
export type ProcedureName = keyof Procedures;
export type EventName = keyof Events;
/** What a caller passes (before defaults are applied). */
export type Input<N extends ProcedureName> = z.input<Procedures[N]['input']>;
/** What a handler receives (after parsing). */
export type ParsedInput<N extends ProcedureName> = z.output<Procedures[N]['input']>;
export type Output<N extends ProcedureName> = z.output<Procedures[N]['output']>;
export type Payload<E extends EventName> = z.output<Events[E]['payload']>;

export const isProcedureName = (name: string): name is ProcedureName => Object.hasOwn(procedures, name);
export const isEventName = (name: string): name is EventName => Object.hasOwn(events, name);
