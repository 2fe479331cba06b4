/**
 * Scores one example on the chosen metrics, running SQL through the sandbox (legacy double-quoted strings on, as
 * in Python's sqlite3; caps raised for evaluation; real timeouts). Gold results are cached per database and query.
 */
import type { MetricName, QueryResult, Reason } from '../../shared/contract/index.ts';
import { SquillError } from '../../shared/errors.ts';
import type { SandboxPool } from '../db/index.ts';
import { birdBlankPrediction, birdResultEq, pythonSqliteStatementError } from './birdEx.ts';
import type { EvalExampleInput } from './loaders.ts';
import { schemaLinkingScore, type SchemaIndex } from './linking.ts';
import { softF1 } from './softF1.ts';
import { prepareSpider, pyStrip, spiderResultEq, TAB_QUIRK, type SpiderPrepared } from './spiderExec.ts';
import { toPyRows, type PyRow } from './values.ts';
import { vesScores } from './ves.ts';

// 2: spider_exec reads the prediction up to its first TAB, as the official CLI does
export const METRIC_VERSION = 'squill-eval-2 (test-suite-sql-eval exec; bird-bench evaluation.py, evaluation_ves.py; mini-dev evaluation_f1.py)';
export const EVAL_LIMITS = { maxRows: 2_000_000, maxBytes: 256 * 1024 * 1024 };

export interface ScoreOptions {
  metrics: MetricName[];
  keepDistinct: boolean;
  timeoutMs: number;
  vesIterations: number;
  /** db_id -> schema, for schema linking */
  schemas: Map<string, SchemaIndex>;
}

export interface ExampleScore {
  scores: Partial<Record<MetricName, number | null>>;
  reasons: Partial<Record<MetricName, Reason>>;
  disagree: boolean;
}

/** one execution for scoring: its result, or the error that stopped it (a timeout included) */
export type Run = { ok: true; result: QueryResult } | { ok: false; error: SquillError };

export class GoldCache {
  private readonly runs = new Map<string, Promise<Run>>();
  /**
   * A gold's execution, run once per (metric's preparation, database, SQL): `kind` names how the SQL was prepared
   * (Spider's scorer rewrites it, BIRD's runs it as written), so one cache serves a job's dev scoring and its rewards.
   */
  run(kind: 'spider' | 'bird', pool: SandboxPool, file: string, gold: string, timeoutMs: number): Promise<Run> {
    return this.get(`${kind}\u0000${file}\u0000${gold}`, () => execute(pool, file, gold, timeoutMs));
  }
  /** the memo itself: `run` once per key */
  get(key: string, run: () => Promise<Run>): Promise<Run> {
    let hit = this.runs.get(key);
    if (!hit) {
      hit = run();
      this.runs.set(key, hit);
    }
    return hit;
  }
}

/** Runs SQL as the evaluators do (legacy double-quoted strings, whole BLOBs, evaluation caps); never throws. */
export async function execute(pool: SandboxPool, file: string, sql: string, timeoutMs: number): Promise<Run> {
  try {
    const result = await pool.query(file, sql, { ...EVAL_LIMITS, timeoutMs, doubleQuotedStrings: true, fullBlobs: true });
    if (result.truncated) {
      return { ok: false, error: new SquillError('LIMIT', `The result is larger than the evaluation cap (${result.truncatedBy})`) };
    }
    return { ok: true, result };
  } catch (err) {
    return { ok: false, error: err instanceof SquillError ? err : new SquillError('INTERNAL', String(err)) };
  }
}

/** BIRD's execution match on two results: equal as sets of rows (the rewards of GRPO use it too). */
export const sameRowSet = (gold: QueryResult, pred: QueryResult) => birdResultEq(toPyRows(gold, 'bytes'), toPyRows(pred, 'bytes'));

const errorReason = (who: 'pred' | 'gold', error: SquillError): Reason =>
  error.code === 'TIMEOUT'
    ? { code: who === 'pred' ? 'timeout' : 'gold_timeout', detail: error.message }
    : { code: `${who}_error`, detail: `${who === 'pred' ? 'The prediction' : 'The gold query'} failed: ${error.message}` };

const GOLD_ERROR_NOTE = 'A failing gold query crashes the official script; Squill reports it and leaves the example unscored.';

async function spiderExec(ex: EvalExampleInput, pool: SandboxPool, o: ScoreOptions, cache: GoldCache): Promise<[number | null, Reason]> {
  // blank as Python's strip() sees it: the official CLI reads such a line as the end of an interaction
  if (!pyStrip(ex.pred)) return [0, { code: 'empty_prediction', detail: 'Empty prediction (the official CLI cannot score one; counted wrong)' }];
  const prepared = prepareSpider(ex.gold, ex.pred, o.keepDistinct);
  const [score, reason] = await spiderVerdict(ex, prepared, pool, o, cache);
  if (prepared.dropped === null) return [score, reason];
  // what was scored is only the text before the first TAB: say so, whatever the verdict
  const shown = prepared.dropped.length > 40 ? `${prepared.dropped.slice(0, 40)}…` : prepared.dropped;
  return [score, { ...reason, detail: `${reason.detail} (scored up to the first TAB; dropped: ${JSON.stringify(shown)})`, quirk: reason.quirk ? `${TAB_QUIRK} ${reason.quirk}` : TAB_QUIRK }];
}

async function spiderVerdict(ex: EvalExampleInput, prepared: SpiderPrepared, pool: SandboxPool, o: ScoreOptions, cache: GoldCache): Promise<[number | null, Reason]> {
  for (const file of ex.dbFiles) {
    const gold = await cache.run('spider', pool, file, prepared.gold, o.timeoutMs);
    if (!gold.ok) return [null, { ...errorReason('gold', gold.error), quirk: GOLD_ERROR_NOTE }];
    const pred = await execute(pool, file, prepared.pred, o.timeoutMs);
    if (!pred.ok) return [0, errorReason('pred', pred.error)];
    const { equal, reason } = spiderResultEq(toPyRows(gold.result, 'text'), toPyRows(pred.result, 'text'), prepared.orderMatters);
    if (!equal) {
      const where = ex.dbFiles.length > 1 ? ` (on ${file.split(/[\\/]/).pop()})` : '';
      return [0, { ...reason, detail: reason.detail + where }];
    }
    if (file === ex.dbFiles.at(-1)) return [1, ex.dbFiles.length > 1 ? { ...reason, detail: `${reason.detail}, on all ${ex.dbFiles.length} databases` } : reason];
  }
  return [null, { code: 'db_unavailable', detail: 'No database' }];
}

interface BirdRuns {
  gold: Run;
  pred: Run | null; // null: blank prediction (no rows)
}

async function birdRuns(ex: EvalExampleInput, pool: SandboxPool, o: ScoreOptions, cache: GoldCache): Promise<BirdRuns | Reason> {
  const file = ex.dbFiles[0]!;
  const statementError = pythonSqliteStatementError(ex.pred);
  const gold = await cache.run('bird', pool, file, ex.gold, o.timeoutMs);
  if (statementError) return { code: 'pred_error', detail: `The prediction failed: ${statementError}` };
  if (!ex.pred.trim()) return { gold, pred: null };
  return { gold, pred: await execute(pool, file, ex.pred, o.timeoutMs) };
}

function birdEx(runs: BirdRuns | Reason): [number | null, Reason] {
  if ('code' in runs) return [0, runs];
  if (!runs.gold.ok) return [null, { ...errorReason('gold', runs.gold.error), quirk: GOLD_ERROR_NOTE }];
  const gold = toPyRows(runs.gold.result, 'bytes');
  if (runs.pred === null) {
    const { equal, reason } = birdBlankPrediction(gold);
    return [equal ? 1 : 0, reason];
  }
  if (!runs.pred.ok) return [0, errorReason('pred', runs.pred.error)];
  const { equal, reason } = birdResultEq(gold, toPyRows(runs.pred.result, 'bytes'));
  return [equal ? 1 : 0, reason];
}

function softF1Metric(runs: BirdRuns | Reason): [number | null, Reason] {
  if ('code' in runs) return [0, runs];
  if (!runs.gold.ok) return [null, { ...errorReason('gold', runs.gold.error), quirk: GOLD_ERROR_NOTE }];
  const gold = toPyRows(runs.gold.result, 'bytes');
  let pred: PyRow[] = [];
  if (runs.pred !== null) {
    if (!runs.pred.ok) return [0, errorReason('pred', runs.pred.error)];
    pred = toPyRows(runs.pred.result, 'bytes');
  }
  const { score, reason } = softF1(gold, pred);
  return [score, reason];
}

export async function scoreExample(ex: EvalExampleInput, pool: SandboxPool, o: ScoreOptions, cache: GoldCache): Promise<ExampleScore> {
  const scores: ExampleScore['scores'] = {};
  const reasons: ExampleScore['reasons'] = {};
  const set = (metric: MetricName, [score, reason]: [number | null, Reason]) => {
    scores[metric] = score;
    reasons[metric] = reason;
  };
  const wants = (m: MetricName) => o.metrics.includes(m);
  // Without its database an example is not executed at all; schema linking needs only the schema description.
  const executable = ex.dbFiles.length > 0 && !ex.unavailable;
  if (!executable) {
    if (wants('schema_linking')) set('schema_linking', linking(ex, o));
    return { scores, reasons, disagree: false };
  }
  if (wants('spider_exec')) set('spider_exec', await spiderExec(ex, pool, o, cache));
  let birdOk: boolean | null = null;
  if (wants('bird_ex') || wants('soft_f1') || wants('ves') || wants('rves')) {
    const runs = await birdRuns(ex, pool, o, cache);
    const ex1 = birdEx(runs);
    birdOk = ex1[0] === 1;
    if (wants('bird_ex')) set('bird_ex', ex1);
    if (wants('soft_f1')) set('soft_f1', softF1Metric(runs));
    if (wants('ves') || wants('rves')) {
      const efficiency = await efficiencyScores(ex, pool, o, ex1, birdOk);
      if (wants('ves')) set('ves', efficiency.ves);
      if (wants('rves')) set('rves', efficiency.rves);
    }
  }
  if (wants('schema_linking')) set('schema_linking', linking(ex, o));
  // accuracy metrics that were scored: do they agree?
  const verdicts = (['spider_exec', 'bird_ex'] as const).map((m) => scores[m]).filter((v): v is number => v !== null && v !== undefined);
  if (scores.soft_f1 !== undefined && scores.soft_f1 !== null) verdicts.push(scores.soft_f1 === 1 ? 1 : 0);
  return { scores, reasons, disagree: new Set(verdicts).size > 1 };
}

function linking(ex: EvalExampleInput, o: ScoreOptions): [number | null, Reason] {
  const schema = o.schemas.get(ex.dbId);
  if (!schema) return [null, { code: 'no_schema', detail: `No schema description for ${ex.dbId}` }];
  const s = schemaLinkingScore(ex.gold, ex.pred, schema);
  return [s.score, s.reason];
}

async function efficiencyScores(
  ex: EvalExampleInput,
  pool: SandboxPool,
  o: ScoreOptions,
  ex1: [number | null, Reason],
  correct: boolean,
): Promise<{ ves: [number | null, Reason]; rves: [number | null, Reason] }> {
  if (ex1[0] === null) return { ves: ex1, rves: ex1 };
  if (!correct) {
    const wrong: [number, Reason] = [0, { code: 'not_correct', detail: 'Only correct predictions are timed (VES = 0)' }];
    return { ves: wrong, rves: wrong };
  }
  if (!ex.pred.trim()) {
    const blank: [null, Reason] = [null, { code: 'empty_prediction', detail: 'A blank prediction cannot be timed' }];
    return { ves: blank, rves: blank };
  }
  const file = ex.dbFiles[0]!;
  try {
    const options = { timeoutMs: o.timeoutMs * o.vesIterations, doubleQuotedStrings: true };
    const predMs = await pool.time(file, ex.pred, o.vesIterations, options);
    const goldMs = await pool.time(file, ex.gold, o.vesIterations, options);
    const { ves, rves, reason } = vesScores(goldMs, predMs);
    return { ves: [ves, reason], rves: [rves, reason] };
  } catch (err) {
    const r: [number, Reason] = [0, { code: 'timeout', detail: `Timing failed: ${(err as Error).message}` }];
    return { ves: r, rves: r };
  }
}
