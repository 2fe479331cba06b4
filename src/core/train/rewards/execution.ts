/**
 * FINER-SQL's execution reward E: 2 when the prediction's rows equal a gold's as sets of tuples; else 1 + f(J) when
 * it executes; else 0 (an error, a timeout, a result over the caps, no SQL).
 *
 * SQL runs as the evaluators run it (eval's `executeForScoring`: the sandbox, legacy double-quoted strings as Python's
 * sqlite3, evaluation caps) and rows compare as BIRD's EX does (`sameRowSet`), so a reward of 2 means what a dev EX
 * of 1 means. Gold results are cached per (database, gold) in a `GoldCache` as the BIRD scorer runs them, so one
 * cache can serve both the rewards and a job's dev evaluation.
 *
 * With several golds, the prediction matches when it equals any of them (the authors compare with the first gold
 * only; the "the gold's" rows, read for a list, is any). A gold that fails to run cannot be matched; the
 * breakdown says so (`goldError`) and the prediction still earns 1 + f(J) when it runs.
 */
import type { Cell } from '../../../shared/contract/index.ts';
import type { SandboxPool } from '../../db/index.ts';
import { executeForScoring, GoldCache, sameRowSet } from '../../eval/index.ts';

export const PREVIEW_ROWS = 10;
const PREVIEW_TEXT = 200;
/** base64 characters of a 48-byte BLOB prefix, the sandbox's own preview length */
const PREVIEW_BLOB_B64 = 64;

/** What the rollout browser shows of a result: its columns and first rows, and how many rows there were. */
export interface ResultPreview {
  columns: string[];
  rows: Cell[][];
  /** each shown row's storage classes, one letter per cell (as QueryResult.types: JSON cannot tell 1 from 1.0) */
  types: string[];
  rowCount: number;
}

export interface ExecutionOutcome {
  /** match: rows equal a gold's; ran: executed, other rows; failed: error, timeout or no SQL */
  status: 'match' | 'ran' | 'failed';
  result: ResultPreview | null;
  error: string | null;
  /** the first gold's failure when no gold ran (nothing to match), else null */
  goldError: string | null;
}

const shortCell = (cell: Cell): Cell => {
  if (typeof cell === 'string' && cell.length > PREVIEW_TEXT) return `${cell.slice(0, PREVIEW_TEXT)}…`;
  if (cell && typeof cell === 'object' && cell.blob.length > PREVIEW_BLOB_B64) return { blob: cell.blob.slice(0, PREVIEW_BLOB_B64), size: cell.size };
  return cell;
};

/** Runs the prediction, then (only if it ran) the golds through the cache, and compares. Never throws. */
export async function runAgainstGolds(o: {
  sandbox: SandboxPool;
  cache: GoldCache;
  dbPath: string;
  sql: string;
  golds: string[];
  timeoutMs: number;
}): Promise<ExecutionOutcome> {
  if (!o.sql.trim()) return { status: 'failed', result: null, error: 'No SQL to run', goldError: null };
  const pred = await executeForScoring(o.sandbox, o.dbPath, o.sql, o.timeoutMs);
  if (!pred.ok) return { status: 'failed', result: null, error: pred.error.message, goldError: null };
  const { result } = pred;
  const preview: ResultPreview = {
    columns: result.columns.map((c) => c.name),
    rows: result.rows.slice(0, PREVIEW_ROWS).map((row) => row.map(shortCell)),
    types: result.types.slice(0, PREVIEW_ROWS),
    rowCount: result.rows.length,
  };
  let goldError: string | null = null;
  let ranGold = false;
  for (const gold of o.golds) {
    const run = await o.cache.run('bird', o.sandbox, o.dbPath, gold, o.timeoutMs);
    if (!run.ok) {
      goldError ??= `The gold query failed: ${run.error.message}`;
      continue;
    }
    ranGold = true;
    if (sameRowSet(run.result, result).equal) return { status: 'match', result: preview, error: null, goldError: null };
  }
  return { status: 'ran', result: preview, error: null, goldError: ranGold ? null : goldError };
}

/** E from the outcome and f(J) (null when J could not be computed: no credit beyond running) */
export function executionReward(status: ExecutionOutcome['status'], shapedAtomic: number | null): number {
  if (status === 'match') return 2;
  if (status === 'ran') return 1 + (shapedAtomic ?? 0);
  return 0;
}
