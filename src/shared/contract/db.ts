/** The contract, connections.*, schema.*, query.*, history.*: the databases, their schemas, SQL through the sandbox. */
import { z } from 'zod';
import { event, filePath, noInput, procedure } from './define.ts';

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

export const connectionId = z.string().min(1).max(64);

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

export const dbProcedures = {
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

export const dbEvents = {
  'connections.changed': event({
    description: 'The list of databases after an add or a remove.',
    payload: z.array(ConnectionSchema),
  }),
  'history.added': event({
    description: 'A query was recorded in the history.',
    payload: HistoryEntrySchema,
  }),
} as const;
