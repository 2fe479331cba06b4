/**
 * Running evaluations: a run loads its benchmark, is listed in the store, and scores every example in parallel
 * through a sandbox pool of its own (`start`), or first answers the questions with a model (`generate`); it
 * reports progress as it goes and can be cancelled. Drill-downs run an example's SQL again on the interactive pool.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { EvalRun, MetricName, Output, ParsedInput, ReproRecord } from '../../shared/contract/index.ts';
import { SquillError } from '../../shared/errors.ts';
import type { EventHub } from '../../shared/rpc/events.ts';
import { createSandboxPool, type SandboxPool, type SandboxPoolOptions } from '../db/index.ts';
import type { Store } from '../store/index.ts';
import type { Bench } from './benchmarks.ts';
import { decodingOf, generatePredictions, predictionsJsonl, type GenerateDeps, type GenerateInput } from './generate.ts';
import { schemasFor } from './linking.ts';
import { loadBenchmark, loadQuestions, parsePredictions, type EvalExampleInput } from './loaders.ts';
import { reproRecord } from './record.ts';
import { GoldCache, scoreExample, type ScoreOptions } from './score.ts';
import { prepareSpider } from './spiderExec.ts';
import type { RunOptions, RunStore } from './store.ts';

/** eval.start's input; `vesIterations` is the CLI's (`eval score --ves-iterations`), not the app's */
export type StartInput = ParsedInput<'eval.start'> & { vesIterations?: number };
export type DrillDown = Output<'eval.example'>;

export const DEFAULT_METRICS: Record<Bench, MetricName[]> = {
  spider: ['spider_exec', 'bird_ex', 'soft_f1'],
  bird: ['bird_ex', 'soft_f1'],
  jsonl: ['spider_exec', 'bird_ex', 'soft_f1'],
};

export interface RunnerOptions {
  store: Store;
  runs: RunStore;
  hub: EventHub;
  /** the interactive pool, for drill-downs and generation */
  sandbox: SandboxPool;
  sandboxOptions?: SandboxPoolOptions;
  squillVersion: string;
  log?: (message: string) => void;
  /** where a benchmark is when a run does not say (the first found on this machine) */
  defaultDataDir(bench: Bench): string | undefined;
}

/**
 * Progress of a run that generated its predictions first: `before` steps are done (the examples generated), of
 * `steps` in all (generated + scored); once finished the run's total is `total` examples, and it ends cancelled
 * when `cancelled` (generation was stopped; what was generated is still scored).
 */
interface Phase { before: number; steps: number; total: number; cancelled: boolean; started: number }

export function createRunner(o: RunnerOptions) {
  const { runs } = o;
  const running = new Map<string, { cancelled: boolean; done: Promise<void>; abort?: AbortController }>();

  async function execute(runId: string, examples: EvalExampleInput[], score: ScoreOptions, workers: number, state: { cancelled: boolean }, phase?: Phase) {
    const started = phase?.started ?? performance.now();
    const before = phase?.before ?? 0;
    const steps = phase?.steps ?? examples.length;
    const pool = createSandboxPool({ ...o.sandboxOptions, size: workers });
    const cache = new GoldCache();
    const save = runs.exampleSaver(runId);
    let done = 0;
    let lastEmit = 0;
    const progress = (status: EvalRun['status']) => {
      const finished = status !== 'running';
      // a finished run counts examples again, not steps
      const [d, t] = finished ? [done, phase?.total ?? examples.length] : [before + done, steps];
      runs.progress(runId, d, t);
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
      runs.finish(runId, { status, done, metrics: score.metrics, elapsedMs: performance.now() - started });
      progress(status);
    } catch (err) {
      o.log?.(`squill: evaluation ${runId} failed: ${(err as Error).stack ?? err}`);
      runs.finish(runId, { status: 'failed', error: (err as Error).message, done, metrics: score.metrics, elapsedMs: performance.now() - started });
      progress('failed');
    } finally {
      await pool.close();
    }
  }

  return {
    async start(input: StartInput): Promise<{ runId: string }> {
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
      const dataDir = input.dataDir ?? o.defaultDataDir(input.bench);
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
      const record = reproRecord({
        squillVersion: o.squillVersion, bench: input.bench, dataDir: loaded.dataDir, datasetFiles: loaded.datasetFiles,
        dbFiles: loaded.examples.map((e) => e.dbFiles), predictionsSha, options,
      });
      const runId = crypto.randomUUID().slice(0, 8);
      const source = 'path' in input.predictions ? path.basename(input.predictions.path) : input.predictions.fileName;
      runs.insertRun({
        id: runId,
        name: input.name ?? `${input.bench} · ${source}`,
        bench: input.bench,
        metrics,
        total: loaded.examples.length,
        unavailable: loaded.examples.filter((e) => e.unavailable).length,
        record,
        options: { bench: input.bench, dataDir: loaded.dataDir, metrics, keepDistinct: options.keepDistinct, timeoutMs: options.timeoutMs },
      });
      const schemas = metrics.includes('schema_linking') ? schemasFor(loaded.tablesFile, loaded.examples) : new Map();
      const state = { cancelled: false, done: Promise.resolve() };
      state.done = execute(runId, loaded.examples, { metrics, keepDistinct: options.keepDistinct, timeoutMs: options.timeoutMs, vesIterations: options.vesIterations, schemas }, options.workers, state)
        .finally(() => running.delete(runId));
      running.set(runId, state);
      return { runId };
    },

    async generate(input: GenerateInput, deps: GenerateDeps): Promise<{ runId: string }> {
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
      const record = reproRecord({
        squillVersion: o.squillVersion, bench: input.bench, dataDir: loaded.dataDir, datasetFiles: loaded.datasetFiles,
        dbFiles: examples.map((e) => e.dbFiles), predictionsSha: '', options,
      });
      const runId = crypto.randomUUID().slice(0, 8);
      const n = examples.length;
      // while it runs a step is an example generated or scored: 2n steps
      runs.insertRun({
        id: runId,
        name: input.name ?? `${input.bench} · ${deps.modelName} · ${input.strategy}`,
        bench: input.bench,
        metrics,
        total: 2 * n,
        unavailable: examples.filter((e) => e.unavailable).length,
        record,
        options: { bench: input.bench, dataDir: loaded.dataDir, metrics, keepDistinct: false, timeoutMs: options.timeoutMs } satisfies RunOptions,
      });
      const abort = new AbortController();
      const state = { cancelled: false, done: Promise.resolve(), abort };
      const started = performance.now();
      let generatedCount = 0;
      const emit = () => {
        runs.progress(runId, generatedCount);
        o.hub.emit('eval.progress', { runId, done: generatedCount, total: 2 * n, status: 'running' });
      };
      const fail = (err: unknown) => {
        o.log?.(`squill: evaluation ${runId} failed: ${(err as Error).stack ?? err}`);
        runs.fail(runId, (err as Error).message, n, performance.now() - started);
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
            ...record,
            predictionsSha256: crypto.createHash('sha256').update(text).digest('hex'),
            model: { sha256: model.sha256, adapterSha256: model.adapterSha256, strategy: input.strategy, decoding: decodingOf(input.strategy, grammar, settings) },
          };
          runs.setRecord(runId, final);
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

    /** resolves when the run is no longer running */
    async settled(runId: string): Promise<void> {
      await running.get(runId)?.done;
    },

    isRunning: (runId: string) => running.has(runId),

    /** an example with both result tables, executed again on the interactive pool as the main metric executed them */
    async example(runId: string, index: number): Promise<DrillDown> {
      const { example, dbFiles } = runs.example(runId, index);
      const options = runs.options(runId);
      const file = dbFiles[0];
      // what the main metric executed: Spider's preprocessing for spider_exec, the raw text otherwise
      const spider = options.metrics.includes('spider_exec');
      const prepared = prepareSpider(example.gold, example.pred, options.keepDistinct);
      const goldSql = spider ? prepared.gold : example.gold;
      const predSql = spider ? prepared.pred : example.pred;
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

    /** false when the run is not running */
    cancel(runId: string): boolean {
      const state = running.get(runId);
      if (!state) return false;
      state.cancelled = true;
      state.abort?.abort();
      return true;
    },

    async close(): Promise<void> {
      for (const state of running.values()) {
        state.cancelled = true;
        state.abort?.abort();
      }
      await Promise.all([...running.values()].map((s) => s.done));
    },
  };
}
