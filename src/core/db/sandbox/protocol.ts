/** Messages between the pool and a sandbox process (Node IPC, JSON). */
import type { DbSchema, QueryResult } from '../../../shared/contract/index.ts';
import type { ErrorData } from '../../../shared/errors.ts';

export interface QueryRequest {
  type: 'query';
  dbPath: string;
  sql: string;
  maxRows: number;
  maxBytes: number;
  /** SQLite's legacy rule: a "word" that names no column is the string 'word' (see core/sql/legacy.ts) */
  doubleQuotedStrings: boolean;
  /** whole BLOBs rather than a preview (evaluation compares them) */
  fullBlobs: boolean;
}
export interface IntrospectRequest {
  type: 'introspect';
  dbPath: string;
  /** count rows and sample values (slower on large tables) */
  details: boolean;
}
/** VES timing: each run opens a fresh connection and times prepare + the first step (Python's cursor.execute). */
export interface TimeRequest {
  type: 'time';
  dbPath: string;
  sql: string;
  runs: number;
  doubleQuotedStrings: boolean;
}
export type SandboxRequest = QueryRequest | IntrospectRequest | TimeRequest;
export type SandboxResponseBody = QueryResult | Omit<DbSchema, 'fingerprint'> | { timesMs: number[] };

export type WorkerMessage =
  | { id: number; ok: true; result: SandboxResponseBody }
  | { id: number; ok: false; error: ErrorData };
