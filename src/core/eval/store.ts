/**
 * Runs and their scored examples in the app store (eval_runs, eval_examples): rows to contract objects, the
 * summary per metric, and the Evaluate page's queries (filtered pages, comparison, deletion).
 */
import type { EvalExample, EvalRun, MetricName, Output, ParsedInput, ReproRecord } from '../../shared/contract/index.ts';
import { SquillError } from '../../shared/errors.ts';
import type { Store } from '../store/index.ts';
import type { Bench } from './benchmarks.ts';
import type { EvalExampleInput } from './loaders.ts';
import type { ExampleScore } from './score.ts';

export type ExampleFilter = NonNullable<ParsedInput<'eval.examples'>['filter']>;
export type Comparison = Output<'eval.compare'>;

/** metrics scored 0..1 per example and shown in percent; VES and R-VES are already on a 0..~112 scale */
const PERCENT: ReadonlySet<MetricName> = new Set(['spider_exec', 'bird_ex', 'soft_f1', 'schema_linking']);

/** What a run was scored with, kept so a drill-down executes what the main metric executed. */
export interface RunOptions {
  bench: Bench;
  dataDir: string;
  metrics: MetricName[];
  keepDistinct: boolean;
  timeoutMs: number;
}

interface RunRow {
  id: string; name: string; bench: Bench; status: EvalRun['status']; created_at: string; elapsed_ms: number | null;
  metrics: string; total: number; done: number; unavailable: number; summary: string; record: string | null;
  options: string; error: string | null;
}
interface ExampleRow {
  idx: number; id: string; db_id: string; question: string; evidence: string | null; gold: string; pred: string;
  grp: string | null; db_files: string; scores: string; reasons: string; disagree: number; unavailable: string | null;
  trace_id: string | null;
}

export type RunStore = ReturnType<typeof createRunStore>;

export function createRunStore(store: Store) {
  const db = store.db;

  const toRun = (r: RunRow): EvalRun => ({
    id: r.id,
    name: r.name,
    bench: r.bench,
    status: r.status,
    createdAt: r.created_at,
    elapsedMs: r.elapsed_ms,
    metrics: JSON.parse(r.metrics),
    total: r.total,
    done: r.done,
    unavailable: r.unavailable,
    summary: JSON.parse(r.summary),
    record: r.record ? JSON.parse(r.record) : null,
    error: r.error,
  });
  const toExample = (r: ExampleRow): EvalExample => ({
    index: r.idx,
    id: r.id,
    dbId: r.db_id,
    question: r.question,
    evidence: r.evidence,
    gold: r.gold,
    pred: r.pred,
    group: r.grp,
    scores: JSON.parse(r.scores),
    reasons: JSON.parse(r.reasons),
    disagree: r.disagree === 1,
    unavailable: r.unavailable,
    traceId: r.trace_id ?? null,
  });
  const runRow = (runId: string) => {
    const row = db.prepare('SELECT * FROM eval_runs WHERE id = ?').get(runId) as RunRow | undefined;
    if (!row) throw new SquillError('NOT_FOUND', `No evaluation run "${runId}"`);
    return row;
  };

  function summarize(runId: string, metrics: MetricName[]): EvalRun['summary'] {
    // examples without their database carry no execution scores; schema linking still scores them
    const rows = db.prepare('SELECT grp, scores, reasons FROM eval_examples WHERE run_id = ?').all(runId) as {
      grp: string | null; scores: string; reasons: string;
    }[];
    const summary: EvalRun['summary'] = {};
    for (const metric of metrics) {
      const scale = PERCENT.has(metric) ? 100 : 1;
      let sum = 0;
      let count = 0;
      const groups: Record<string, { sum: number; count: number }> = {};
      const reasons: Record<string, number> = {};
      for (const row of rows) {
        const score = (JSON.parse(row.scores) as Record<string, number | null>)[metric];
        const reason = (JSON.parse(row.reasons) as Record<string, { code: string }>)[metric];
        if (reason) reasons[reason.code] = (reasons[reason.code] ?? 0) + 1;
        if (score === null || score === undefined) continue;
        sum += score * scale;
        count++;
        if (row.grp) {
          const g = (groups[row.grp] ??= { sum: 0, count: 0 });
          g.sum += score * scale;
          g.count++;
        }
      }
      summary[metric] = {
        score: count ? sum / count : 0,
        count,
        byGroup: Object.fromEntries(Object.entries(groups).map(([k, g]) => [k, { score: g.sum / g.count, count: g.count }])),
        reasons,
      };
    }
    return summary;
  }

  return {
    /** a new run, listed as running with `total` steps */
    insertRun(run: { id: string; name: string; bench: Bench; metrics: MetricName[]; total: number; unavailable: number; record: ReproRecord; options: RunOptions }) {
      db.prepare(`INSERT INTO eval_runs (id, name, bench, status, metrics, total, unavailable, record, options)
        VALUES (?, ?, ?, 'running', ?, ?, ?, ?, ?)`).run(
        run.id, run.name, run.bench, JSON.stringify(run.metrics), run.total, run.unavailable, JSON.stringify(run.record), JSON.stringify(run.options),
      );
    },
    /** saves one scored example (returns a saver with its statement prepared once) */
    exampleSaver(runId: string) {
      const insert = db.prepare(`INSERT INTO eval_examples
        (run_id, idx, id, db_id, question, evidence, gold, pred, grp, db_files, scores, reasons, disagree, unavailable, trace_id)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
      return (ex: EvalExampleInput, s: ExampleScore) =>
        insert.run(runId, ex.index, ex.id, ex.dbId, ex.question, ex.evidence, ex.gold, ex.pred, ex.group, JSON.stringify(ex.dbFiles),
          JSON.stringify(s.scores), JSON.stringify(s.reasons), s.disagree ? 1 : 0, ex.unavailable, ex.traceId ?? null);
    },
    progress(runId: string, done: number, total?: number) {
      if (total === undefined) db.prepare('UPDATE eval_runs SET done = ? WHERE id = ?').run(done, runId);
      else db.prepare('UPDATE eval_runs SET done = ?, total = ? WHERE id = ?').run(done, total, runId);
    },
    setRecord(runId: string, record: ReproRecord) {
      db.prepare('UPDATE eval_runs SET record = ? WHERE id = ?').run(JSON.stringify(record), runId);
    },
    /** the run's end: its status, examples done, summary over what was scored and elapsed time */
    finish(runId: string, end: { status: EvalRun['status']; done: number; metrics: MetricName[]; elapsedMs: number; error?: string }) {
      db.prepare('UPDATE eval_runs SET status = ?, error = ?, done = ?, summary = ?, elapsed_ms = ? WHERE id = ?')
        .run(end.status, end.error ?? null, end.done, JSON.stringify(summarize(runId, end.metrics)), end.elapsedMs, runId);
    },
    /** a run that failed before scoring anything */
    fail(runId: string, error: string, total: number, elapsedMs: number) {
      db.prepare("UPDATE eval_runs SET status = 'failed', error = ?, done = 0, total = ?, elapsed_ms = ? WHERE id = ?").run(error, total, elapsedMs, runId);
    },
    list: () => (db.prepare('SELECT * FROM eval_runs ORDER BY created_at DESC, rowid DESC').all() as RunRow[]).map(toRun),
    get: (runId: string) => toRun(runRow(runId)),
    options: (runId: string) => JSON.parse(runRow(runId).options) as RunOptions,
    examples(runId: string, filter: ExampleFilter, offset: number, limit: number): { total: number; items: EvalExample[] } {
      const run = toRun(runRow(runId));
      const metric = filter.metric ?? run.metrics[0]!;
      const where = ['run_id = ?'];
      const params: (string | number)[] = [runId];
      const scoreOf = `json_extract(scores, '$."${metric}"')`;
      if (filter.wrongOnly) where.push(`${scoreOf} IS NOT NULL AND ${scoreOf} < ${PERCENT.has(metric) ? 1 : 0.0000001}`);
      if (filter.reason) {
        where.push(`json_extract(reasons, '$."${metric}".code') = ?`);
        params.push(filter.reason);
      }
      if (filter.disagree) where.push('disagree = 1');
      if (filter.group) {
        where.push('grp = ?');
        params.push(filter.group);
      }
      if (filter.search?.trim()) {
        where.push(`(question LIKE ? ESCAPE '\\' OR gold LIKE ? ESCAPE '\\' OR pred LIKE ? ESCAPE '\\' OR id = ?)`);
        const like = `%${filter.search.trim().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        params.push(like, like, like, filter.search.trim());
      }
      const clause = where.join(' AND ');
      const total = db.prepare(`SELECT count(*) FROM eval_examples WHERE ${clause}`).pluck().get(...params) as number;
      const rows = db.prepare(`SELECT * FROM eval_examples WHERE ${clause} ORDER BY idx LIMIT ? OFFSET ?`).all(...params, limit, offset) as ExampleRow[];
      return { total, items: rows.map(toExample) };
    },
    /** one example with the database files it was scored on */
    example(runId: string, index: number): { example: EvalExample; dbFiles: string[] } {
      runRow(runId);
      const row = db.prepare('SELECT * FROM eval_examples WHERE run_id = ? AND idx = ?').get(runId, index) as ExampleRow | undefined;
      if (!row) throw new SquillError('NOT_FOUND', `No example ${index} in run ${runId}`);
      return { example: toExample(row), dbFiles: JSON.parse(row.db_files) as string[] };
    },
    compare(runA: string, runB: string, metric: MetricName): Comparison {
      const a = toRun(runRow(runA));
      const b = toRun(runRow(runB));
      const scores = (runId: string) =>
        new Map(
          (db.prepare(`SELECT id, idx, json_extract(scores, '$."${metric}"') AS s FROM eval_examples WHERE run_id = ?`).all(runId) as {
            id: string; idx: number; s: number | null;
          }[]).map((r) => [r.id, r]),
        );
      const sa = scores(runA);
      const sb = scores(runB);
      const right = (s: number | null) => s !== null && (PERCENT.has(metric) ? s >= 1 : s > 0);
      const fixed: Comparison['fixed'] = [];
      const broken: Comparison['broken'] = [];
      let common = 0;
      for (const [id, x] of sa) {
        const y = sb.get(id);
        if (!y || x.s === null || y.s === null) continue;
        common++;
        if (!right(x.s) && right(y.s)) fixed.push({ id, indexA: x.idx, indexB: y.idx });
        if (right(x.s) && !right(y.s)) broken.push({ id, indexA: x.idx, indexB: y.idx });
      }
      return { metric, common, fixed, broken, scoreA: a.summary[metric]?.score ?? 0, scoreB: b.summary[metric]?.score ?? 0 };
    },
    /** deletes a run and its examples (the caller makes sure it is not running) */
    delete(runId: string): boolean {
      runRow(runId);
      return db.prepare('DELETE FROM eval_runs WHERE id = ?').run(runId).changes > 0;
    },
  };
}
