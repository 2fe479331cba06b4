/** Messages between the pool and a sandbox process (Node IPC, JSON). */
import type { DbSchema, QueryResult } from '../../../shared/contract.ts';
import type { ErrorData } from '../../../shared/errors.ts';

export interface QueryRequest {
  type: 'query';
  dbPath: string;
  sql: string;
  maxRows: number;
  maxBytes: number;
  /** SQLite's legacy rule: a "word" that names no column is the string 'word' (see core/sql/legacy.ts) */
  doubleQuotedStrings: boolean;
}
export interface IntrospectRequest {
  type: 'introspect';
  dbPath: string;
  /** count rows and sample values (slower on large tables) */
  details: boolean;
}
export type SandboxRequest = QueryRequest | IntrospectRequest;
export type SandboxResponseBody = QueryResult | Omit<DbSchema, 'fingerprint'>;

export type WorkerMessage =
  | { id: number; ok: true; result: SandboxResponseBody }
  | { id: number; ok: false; error: ErrorData };
