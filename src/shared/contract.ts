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
  'settings.changed': event({
    description: 'The preferences after any change, from any window or tab.',
    payload: SettingsSchema,
  }),
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
