/**
 * Evaluation runs: load a benchmark and a predictions file, score every example in parallel through a sandbox pool
 * of its own, keep runs and examples in the app store with their reproducibility record, and answer the Evaluate
 * page (filters, drill-down, comparison). This is the capability's face: the service composed from its parts
 * (runner.ts runs, store.ts keeps, record.ts records, benchmarks.ts knows the benchmark folders) and what other
 * capabilities use.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { METRICS, type EvalExample, type EvalRun, type MetricName } from '../../shared/contract/index.ts';
import { SquillError } from '../../shared/errors.ts';
import type { EventHub } from '../../shared/rpc/events.ts';
import type { SandboxPool, SandboxPoolOptions } from '../db/index.ts';
import type { Models } from '../models/index.ts';
import type { Store } from '../store/index.ts';
import { findBenchmarks, type FoundBenchmark } from './benchmarks.ts';
import type { HandlersOf } from '../../shared/rpc/backend.ts';
import { registeredModel, type GenerateDeps, type GenerateInput } from './generate.ts';
import { createRunner, type DrillDown, type StartInput } from './runner.ts';
import { createRunStore, type Comparison, type ExampleFilter } from './store.ts';

export { parsePredictions, loadBenchmark, loadQuestions } from './loaders.ts';
export {
  benchmarkFile, benchmarkFolder, findBenchmarks, jsonlDatabase, jsonlDefaultDatabase, questionFiles, splitOfFile,
  type Bench, type BenchDatabase, type BenchmarkFolder, type FoundBenchmark, type Split,
} from './benchmarks.ts';
export { officialPredictionFiles, predictionsJsonl, registeredModel, type GenerateDeps, type GenerateInput, type GenerateModel } from './generate.ts';
export { sha256File } from './hash.ts';
export { hardnessOfSpiderSql } from './hardness.ts';
export { DEFAULT_METRICS, type DrillDown, type StartInput } from './runner.ts';
export { execute as executeForScoring, GoldCache, sameRowSet, scoreExample, type Run as ScoringRun, type ScoreOptions } from './score.ts';
export type { Comparison, ExampleFilter } from './store.ts';

/** eval.*: the run procedures; eval.generate resolves its registered model (and adapter) through `models`. */
export function evaluationHandlers(evaluations: Evaluations, models: Models): HandlersOf<'eval'> {
  return {
    'eval.start': (input) => evaluations.start(input),
    'eval.benchmarks': () => evaluations.benchmarks(),
    'eval.runs': () => evaluations.list(),
    'eval.run': ({ runId }) => evaluations.get(runId),
    'eval.examples': ({ runId, filter, offset, limit }) => evaluations.examples(runId, filter ?? {}, offset ?? 0, limit ?? 100),
    'eval.example': ({ runId, index }) => evaluations.example(runId, index),
    'eval.compare': ({ runA, runB, metric }) => evaluations.compare(runA, runB, metric),
    'eval.cancel': ({ runId }) => ({ cancelled: evaluations.cancel(runId) }),
    'eval.delete': ({ runId }) => ({ deleted: evaluations.delete(runId) }),
    'eval.generate': ({ modelId, adapterId, ...input }) => evaluations.generate(input, registeredModel(models, { modelId, adapterId, ...input })),
  };
}

export interface Evaluations {
  start(input: StartInput): Promise<{ runId: string }>;
  /** answers the benchmark's questions with a model, keeping a trace per example, then scores them as start does */
  generate(input: GenerateInput, deps: GenerateDeps): Promise<{ runId: string }>;
  /** resolves when the run has finished (the CLI waits on it) */
  finished(runId: string): Promise<EvalRun>;
  benchmarks(): FoundBenchmark[];
  list(): EvalRun[];
  get(runId: string): EvalRun;
  examples(runId: string, filter: ExampleFilter, offset: number, limit: number): { total: number; items: EvalExample[] };
  example(runId: string, index: number): Promise<DrillDown>;
  compare(runA: string, runB: string, metric: MetricName): Comparison;
  cancel(runId: string): boolean;
  delete(runId: string): boolean;
  close(): Promise<void>;
}

const REPO_BENCH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../shared/bench');

/** Where benchmark folders are looked for: $SQUILL_BENCH_DIR (path-list), ../shared/bench from here and from the repo. */
const benchmarkDirs = (): string[] => {
  const fromEnv = (process.env.SQUILL_BENCH_DIR ?? '').split(path.delimiter).filter(Boolean);
  return [...new Set([...fromEnv, path.resolve('../shared/bench'), REPO_BENCH].map((d) => path.resolve(d)))];
};

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
  const runs = createRunStore(o.store);
  const benchmarks = () => findBenchmarks(benchmarkDirs());
  const runner = createRunner({ ...o, runs, defaultDataDir: (bench) => benchmarks().find((b) => b.bench === bench)?.path });
  return {
    start: runner.start,
    generate: runner.generate,
    async finished(runId) {
      await runner.settled(runId);
      return runs.get(runId);
    },
    benchmarks,
    list: runs.list,
    get: runs.get,
    examples: runs.examples,
    example: runner.example,
    compare: runs.compare,
    cancel(runId) {
      runs.get(runId); // an unknown run is NOT_FOUND, a finished one is not cancelled
      return runner.cancel(runId);
    },
    delete(runId) {
      runs.get(runId);
      if (runner.isRunning(runId)) throw new SquillError('CONFLICT', 'The run is still going; cancel it first');
      return runs.delete(runId);
    },
    close: runner.close,
  };
}

export { METRICS };
