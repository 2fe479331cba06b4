/**
 * Evaluation runs: load a benchmark and a predictions file, score every example in parallel through a sandbox pool
 * of its own, keep runs and examples in the app store with their reproducibility record, and answer the Evaluate
 * page (filters, drill-down, comparison).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { METRICS, type EvalExample, type EvalRun, type MetricName, type ReproRecord } from '../../shared/contract/index.ts';
import { SquillError } from '../../shared/errors.ts';
import type { EventHub } from '../../shared/rpc/events.ts';
import { createSandboxPool, type SandboxPool, type SandboxPoolOptions } from '../db/sandbox/pool.ts';
import type { Store } from '../store/index.ts';
import { decodingOf, generatePredictions, predictionsJsonl, type GenerateDeps, type GenerateInput } from './generate.ts';
import { loadBenchmark, loadQuestions, parsePredictions, sha256File, type Bench, type EvalExampleInput } from './loaders.ts';
import { schemaIndexFromTablesJson, type SchemaIndex } from './linking.ts';
import { GoldCache, METRIC_VERSION, scoreExample, type ExampleScore, type ScoreOptions } from './score.ts';
import { prepareSpider } from './spiderExec.ts';

export { parsePredictions, loadBenchmark, loadQuestions, type Bench } from './loaders.ts';
export { officialPredictionFiles, predictionsJsonl, registeredModel, type GenerateDeps, type GenerateInput, type GenerateModel } from './generate.ts';
export { hardnessOfSpiderSql } from './hardness.ts';
export { GoldCache, scoreExample, type ScoreOptions } from './score.ts';

export const DEFAULT_METRICS: Record<Bench, MetricName[]> = {
  spider: ['spider_exec', 'bird_ex', 'soft_f1'],
  bird: ['bird_ex', 'soft_f1'],
  jsonl: ['spider_exec', 'bird_ex', 'soft_f1'],
};
/** metrics scored 0..1 per example and shown in percent; VES and R-VES are already on a 0..~112 scale */
const PERCENT: ReadonlySet<MetricName> = new Set(['spider_exec', 'bird_ex', 'soft_f1', 'schema_linking']);

export interface StartInput {
  bench: Bench;
  dataDir?: string;
  predictions: { path: string } | { content: string; fileName: string };
  metrics?: MetricName[];
  name?: string;
  workers?: number;
  timeoutMs?: number;
  keepDistinct?: boolean;
  vesIterations?: number;
}

interface RunOptions {
  bench: Bench;
  dataDir: string;
  metrics: MetricName[];
  keepDistinct: boolean;
  timeoutMs: number;
}

export interface Evaluations {
  start(input: StartInput): Promise<{ runId: string }>;
  /** answers the benchmark's questions with a model, keeping a trace per example, then scores them as start does */
  generate(input: GenerateInput, deps: GenerateDeps): Promise<{ runId: string }>;
  /** resolves when the run has finished (the CLI waits on it) */
  finished(runId: string): Promise<EvalRun>;
  benchmarks(): { bench: Bench; path: string; examples: number; databases: number; note: string | null }[];
  list(): EvalRun[];
  get(runId: string): EvalRun;
  examples(runId: string, filter: ExampleFilter, offset: number, limit: number): { total: number; items: EvalExample[] };
  example(runId: string, index: number): Promise<DrillDown>;
  compare(runA: string, runB: string, metric: MetricName): Comparison;
  cancel(runId: string): boolean;
  delete(runId: string): boolean;
  close(): Promise<void>;
}

export interface ExampleFilter {
  wrongOnly?: boolean;
  metric?: MetricName;
  reason?: string;
  disagree?: boolean;
  group?: string;
  search?: string;
}
export interface DrillDown {
  example: EvalExample;
  goldResult: import('../../shared/contract/index.ts').QueryResult | null;
  predResult: import('../../shared/contract/index.ts').QueryResult | null;
  goldError: string | null;
  predError: string | null;
  orderMatters: boolean;
}
export interface Comparison {
  metric: MetricName;
  common: number;
  fixed: { id: string; indexA: number; indexB: number }[];
  broken: { id: string; indexA: number; indexB: number }[];
  scoreA: number;
  scoreB: number;
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

const REPO_BENCH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../shared/bench');

export interface EvaluationsOptions {
  store: Store;
  hub: EventHub;
  /** the interactive pool, for drill-downs */
  sandbox: SandboxPool;
  sandboxOptions?: SandboxPoolOptions;
  squillVersion: string;
  log?: (message: string) => void;
}

export function createEvaluations(o: EvaluationsOptions): Evaluations {
  const db = o.store.db;
  const running = new Map<string, { cancelled: boolean; done: Promise<void>; abort?: AbortController }>();

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

  function record(bench: Bench, dataDir: string, datasetFiles: string[], examples: EvalExampleInput[], predictionsSha: string, options: ReproRecord['options']): ReproRecord {
    const sqliteVersion = (() => {
      const mem = new BetterSqlite3(':memory:');
      try {
        return mem.prepare('SELECT sqlite_version()').pluck().get() as string;
      } finally {
        mem.close();
      }
    })();
    const databases = [...new Set(examples.flatMap((e) => e.dbFiles))];
    return {
      squillVersion: o.squillVersion,
      sqliteVersion,
      metricVersion: METRIC_VERSION,
      bench,
      dataDir,
      datasetHashes: Object.fromEntries(datasetFiles.map((f) => [path.relative(dataDir, f) || path.basename(f), sha256File(f)])),
      databaseHashes: Object.fromEntries(databases.map((f) => [path.relative(dataDir, f), sha256File(f)])),
      predictionsSha256: predictionsSha,
      options,
      hardware: { cpu: os.cpus()[0]?.model.trim() ?? 'unknown', cores: os.availableParallelism(), gpu: null },
      model: null,
    };
  }

  function schemasFor(tablesFile: string | null, examples: EvalExampleInput[]): Map<string, SchemaIndex> {
    const schemas = new Map<string, SchemaIndex>();
    if (tablesFile) {
      for (const entry of JSON.parse(fs.readFileSync(tablesFile, 'utf8')) as Parameters<typeof schemaIndexFromTablesJson>[0][] & { db_id: string }[]) {
        schemas.set((entry as unknown as { db_id: string }).db_id, schemaIndexFromTablesJson(entry));
      }
      return schemas;
    }
    // JSONL: from the database files themselves
    for (const ex of examples) {
      if (schemas.has(ex.dbId) || !ex.dbFiles[0]) continue;
      const file = new BetterSqlite3(ex.dbFiles[0], { readonly: true, fileMustExist: true });
      try {
        const tables = file.prepare(`SELECT name FROM sqlite_schema WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'`).pluck().all() as string[];
        schemas.set(ex.dbId, new Map(tables.map((t) => [
          t.toLowerCase(),
          new Set((file.prepare('SELECT name FROM pragma_table_info(?)').pluck().all(t) as string[]).map((c) => c.toLowerCase())),
        ])));
      } finally {
        file.close();
      }
    }
    return schemas;
  }

  /**
   * Progress of a run that generated its predictions first: `before` steps are done (the examples generated), of
   * `steps` in all (generated + scored); once finished the run's total is `total` examples, and it ends cancelled
   * when `cancelled` (generation was stopped; what was generated is still scored).
   */
  interface Phase { before: number; steps: number; total: number; cancelled: boolean; started: number }

  async function execute(runId: string, examples: EvalExampleInput[], score: ScoreOptions, workers: number, state: { cancelled: boolean }, phase?: Phase) {
    const started = phase?.started ?? performance.now();
    const before = phase?.before ?? 0;
    const steps = phase?.steps ?? examples.length;
    const pool = createSandboxPool({ ...o.sandboxOptions, size: workers });
    const cache = new GoldCache();
    const insert = db.prepare(`INSERT INTO eval_examples
      (run_id, idx, id, db_id, question, evidence, gold, pred, grp, db_files, scores, reasons, disagree, unavailable, trace_id)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    const save = (ex: EvalExampleInput, s: ExampleScore) =>
      insert.run(runId, ex.index, ex.id, ex.dbId, ex.question, ex.evidence, ex.gold, ex.pred, ex.group, JSON.stringify(ex.dbFiles),
        JSON.stringify(s.scores), JSON.stringify(s.reasons), s.disagree ? 1 : 0, ex.unavailable, ex.traceId ?? null);
    let done = 0;
    let lastEmit = 0;
    const progress = (status: EvalRun['status']) => {
      const finished = status !== 'running';
      // a finished run counts examples again, not steps
      const [d, t] = finished ? [done, phase?.total ?? examples.length] : [before + done, steps];
      db.prepare('UPDATE eval_runs SET done = ?, total = ? WHERE id = ?').run(d, t, runId);
      o.hub.emit('eval.progress', { runId, done: d, total: t, status });
    };
    let next = 0;
    try {
      await Promise.all(
        Array.from({ length: workers * 2 }, async () => {
          while (next < examples.length && !state.cancelled) {
            const ex = examples[next++]!;
            const result = await scoreExample(ex, pool, score, cache);
            save(ex, result);
            done++;
            if (performance.now() - lastEmit > 250) {
              lastEmit = performance.now();
              progress('running');
            }
          }
        }),
      );
      const status = state.cancelled || phase?.cancelled ? 'cancelled' : 'done';
      db.prepare('UPDATE eval_runs SET status = ?, done = ?, summary = ?, elapsed_ms = ? WHERE id = ?')
        .run(status, done, JSON.stringify(summarize(runId, score.metrics)), performance.now() - started, runId);
      progress(status);
    } catch (err) {
      o.log?.(`squill: evaluation ${runId} failed: ${(err as Error).stack ?? err}`);
      db.prepare("UPDATE eval_runs SET status = 'failed', error = ?, done = ?, summary = ?, elapsed_ms = ? WHERE id = ?")
        .run((err as Error).message, done, JSON.stringify(summarize(runId, score.metrics)), performance.now() - started, runId);
      progress('failed');
    } finally {
      await pool.close();
    }
  }

  const benchmarkDirs = (): string[] => {
    const fromEnv = (process.env.SQUILL_BENCH_DIR ?? '').split(path.delimiter).filter(Boolean);
    return [...new Set([...fromEnv, path.resolve('../shared/bench'), REPO_BENCH].map((d) => path.resolve(d)))];
  };

  const service: Evaluations = {
    async start(input) {
      const text =
        'path' in input.predictions
          ? (() => {
              try {
                return fs.readFileSync(input.predictions.path, 'utf8');
              } catch {
                throw new SquillError('NOT_FOUND', `No predictions file at ${input.predictions.path}`);
              }
            })()
          : input.predictions.content;
      const predictions = parsePredictions(text);
      const dataDir = input.dataDir ?? service.benchmarks().find((b) => b.bench === input.bench)?.path;
      if (!dataDir) throw new SquillError('VALIDATION', `Say where the ${input.bench} benchmark is (dataDir)`, { issues: [{ path: 'dataDir', message: 'required' }] });
      const loaded = loadBenchmark(input.bench, dataDir, predictions);
      const metrics = input.metrics ?? DEFAULT_METRICS[input.bench];
      const options = {
        keepDistinct: input.keepDistinct ?? false,
        timeoutMs: input.timeoutMs ?? 30_000,
        vesIterations: input.vesIterations ?? 100,
        workers: input.workers ?? os.availableParallelism(),
      };
      const predictionsSha = crypto.createHash('sha256').update(text).digest('hex');
      const rec = record(input.bench, loaded.dataDir, loaded.datasetFiles, loaded.examples, predictionsSha, options);
      const runId = crypto.randomUUID().slice(0, 8);
      const source = 'path' in input.predictions ? path.basename(input.predictions.path) : input.predictions.fileName;
      const runOptions: RunOptions = { bench: input.bench, dataDir: loaded.dataDir, metrics, keepDistinct: options.keepDistinct, timeoutMs: options.timeoutMs };
      db.prepare(`INSERT INTO eval_runs (id, name, bench, status, metrics, total, unavailable, record, options)
        VALUES (?, ?, ?, 'running', ?, ?, ?, ?, ?)`).run(
        runId,
        input.name ?? `${input.bench} · ${source}`,
        input.bench,
        JSON.stringify(metrics),
        loaded.examples.length,
        loaded.examples.filter((e) => e.unavailable).length,
        JSON.stringify(rec),
        JSON.stringify(runOptions),
      );
      const schemas = metrics.includes('schema_linking') ? schemasFor(loaded.tablesFile, loaded.examples) : new Map();
      const state = { cancelled: false, done: Promise.resolve() };
      state.done = execute(runId, loaded.examples, { metrics, keepDistinct: options.keepDistinct, timeoutMs: options.timeoutMs, vesIterations: options.vesIterations, schemas }, options.workers, state)
        .finally(() => running.delete(runId));
      running.set(runId, state);
      return { runId };
    },
    async generate(input, deps) {
      const questions = loadQuestions(input.bench, input.dataDir);
      const chosen = input.limit ? questions.slice(0, input.limit) : questions;
      if (chosen.length === 0) throw new SquillError('VALIDATION', `The ${input.bench} benchmark at ${input.dataDir} has no questions`);
      const loaded = loadBenchmark(input.bench, input.dataDir, chosen);
      // the Spider loader finds questions by gold query, and a gold query asked twice keeps its first question
      loaded.examples.forEach((e, i) => (e.question = chosen[i]!.question));
      const examples = loaded.examples;
      const metrics = input.metrics ?? DEFAULT_METRICS[input.bench];
      const grammar = input.grammar ?? 'schema';
      const settings = input.settings ?? {};
      const options = { keepDistinct: false, timeoutMs: 30_000, vesIterations: 100, workers: os.availableParallelism() };
      const rec = record(input.bench, loaded.dataDir, loaded.datasetFiles, examples, '', options);
      const runId = crypto.randomUUID().slice(0, 8);
      const runOptions: RunOptions = { bench: input.bench, dataDir: loaded.dataDir, metrics, keepDistinct: false, timeoutMs: options.timeoutMs };
      const n = examples.length;
      // while it runs a step is an example generated or scored: 2n steps
      db.prepare(`INSERT INTO eval_runs (id, name, bench, status, metrics, total, unavailable, record, options)
        VALUES (?, ?, ?, 'running', ?, ?, ?, ?, ?)`).run(
        runId,
        input.name ?? `${input.bench} · ${deps.modelName} · ${input.strategy}`,
        input.bench,
        JSON.stringify(metrics),
        2 * n,
        examples.filter((e) => e.unavailable).length,
        JSON.stringify(rec),
        JSON.stringify(runOptions),
      );
      const abort = new AbortController();
      const state = { cancelled: false, done: Promise.resolve(), abort };
      const started = performance.now();
      let generatedCount = 0;
      const emit = () => {
        db.prepare('UPDATE eval_runs SET done = ? WHERE id = ?').run(generatedCount, runId);
        o.hub.emit('eval.progress', { runId, done: generatedCount, total: 2 * n, status: 'running' });
      };
      const fail = (err: unknown) => {
        o.log?.(`squill: evaluation ${runId} failed: ${(err as Error).stack ?? err}`);
        db.prepare("UPDATE eval_runs SET status = 'failed', error = ?, done = 0, total = ?, elapsed_ms = ? WHERE id = ?")
          .run((err as Error).message, n, performance.now() - started, runId);
        o.hub.emit('eval.progress', { runId, done: 0, total: n, status: 'failed' });
      };
      const work = async () => {
        let generated: EvalExampleInput[];
        try {
          const model = await deps.open();
          if (state.cancelled) abort.abort();
          generated = await generatePredictions({
            examples, sandbox: o.sandbox, store: o.store, model, strategy: input.strategy, grammar, settings, signal: abort.signal,
            onGenerated(ex, trace) {
              generatedCount++;
              emit();
              deps.onGenerated?.(ex, trace, generatedCount, n);
            },
          });
          const text = predictionsJsonl(generated);
          const final: ReproRecord = {
            ...rec,
            predictionsSha256: crypto.createHash('sha256').update(text).digest('hex'),
            model: { sha256: model.sha256, adapterSha256: model.adapterSha256, strategy: input.strategy, decoding: decodingOf(input.strategy, grammar, settings) },
          };
          db.prepare('UPDATE eval_runs SET record = ? WHERE id = ?').run(JSON.stringify(final), runId);
        } catch (err) {
          fail(err);
          return;
        }
        const schemas = metrics.includes('schema_linking') ? schemasFor(loaded.tablesFile, generated) : new Map();
        // what was generated before a cancel is still scored (quickly), so a stopped run keeps its verdicts
        await execute(runId, generated, { metrics, keepDistinct: false, timeoutMs: options.timeoutMs, vesIterations: options.vesIterations, schemas },
          options.workers, { cancelled: false }, { before: generated.length, steps: generated.length + n, total: n, cancelled: state.cancelled, started });
      };
      state.done = work().finally(() => running.delete(runId));
      running.set(runId, state);
      return { runId };
    },
    async finished(runId) {
      await running.get(runId)?.done;
      return service.get(runId);
    },
    benchmarks() {
      const found: ReturnType<Evaluations['benchmarks']> = [];
      for (const dir of benchmarkDirs()) {
        const spider = path.join(dir, 'spider');
        if (fs.existsSync(path.join(spider, 'tables.json')) && fs.existsSync(path.join(spider, 'database'))) {
          const dev = path.join(spider, 'dev.json');
          found.push({
            bench: 'spider',
            path: spider,
            examples: fs.existsSync(dev) ? (JSON.parse(fs.readFileSync(dev, 'utf8')) as unknown[]).length : 0,
            databases: fs.readdirSync(path.join(spider, 'database')).length,
            note: null,
          });
        }
        const bird = path.join(dir, 'bird');
        if (fs.existsSync(path.join(bird, 'dev.json'))) {
          const dbs = fs.existsSync(path.join(bird, 'dev_databases'))
            ? fs.readdirSync(path.join(bird, 'dev_databases')).filter((d) => fs.existsSync(path.join(bird, 'dev_databases', d, `${d}.sqlite`))).length
            : 0;
          found.push({
            bench: 'bird',
            path: bird,
            examples: (JSON.parse(fs.readFileSync(path.join(bird, 'dev.json'), 'utf8')) as unknown[]).length,
            databases: dbs,
            note: dbs ? null : 'No BIRD databases: execution metrics will report every example as unavailable; schema linking works',
          });
        }
      }
      return found;
    },
    list: () => (db.prepare('SELECT * FROM eval_runs ORDER BY created_at DESC, rowid DESC').all() as RunRow[]).map(toRun),
    get: (runId) => toRun(runRow(runId)),
    examples(runId, filter, offset, limit) {
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
    async example(runId, index) {
      const run = runRow(runId);
      const row = db.prepare('SELECT * FROM eval_examples WHERE run_id = ? AND idx = ?').get(runId, index) as ExampleRow | undefined;
      if (!row) throw new SquillError('NOT_FOUND', `No example ${index} in run ${runId}`);
      const example = toExample(row);
      const options = JSON.parse(run.options) as RunOptions;
      const file = (JSON.parse(row.db_files) as string[])[0];
      // what the main metric executed: Spider's preprocessing for spider_exec, the raw text otherwise
      const spider = options.metrics.includes('spider_exec');
      const prepared = prepareSpider(row.gold, row.pred, options.keepDistinct);
      const goldSql = spider ? prepared.gold : row.gold;
      const predSql = spider ? prepared.pred : row.pred;
      const runOne = async (sql: string) => {
        if (!file) return { result: null, error: example.unavailable ?? 'No database' };
        if (!sql.trim()) return { result: null, error: 'Empty prediction' };
        try {
          return { result: await o.sandbox.query(file, sql, { timeoutMs: options.timeoutMs, doubleQuotedStrings: true }), error: null };
        } catch (err) {
          return { result: null, error: (err as Error).message };
        }
      };
      const [gold, pred] = await Promise.all([runOne(goldSql), runOne(predSql)]);
      return {
        example,
        goldResult: gold.result,
        predResult: pred.result,
        goldError: gold.error,
        predError: pred.error,
        orderMatters: spider ? prepared.orderMatters : false,
      };
    },
    compare(runA, runB, metric) {
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
    cancel(runId) {
      runRow(runId);
      const state = running.get(runId);
      if (!state) return false;
      state.cancelled = true;
      state.abort?.abort();
      return true;
    },
    delete(runId) {
      runRow(runId);
      if (running.has(runId)) throw new SquillError('CONFLICT', 'The run is still going; cancel it first');
      return db.prepare('DELETE FROM eval_runs WHERE id = ?').run(runId).changes > 0;
    },
    async close() {
      for (const state of running.values()) {
        state.cancelled = true;
        state.abort?.abort();
      }
      await Promise.all([...running.values()].map((s) => s.done));
    },
  };
  return service;
}

export { METRICS };
