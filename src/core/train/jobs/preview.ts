/**
 * What the wizard shows before a run starts: its data as the job will read it (train.checkData) and the estimator's
 * memory and time from the model file, the settings and the method's real samples (train.estimate).
 */
import os from 'node:os';
import type { TrainConfigBase, TrainDataCheck, TrainEstimate } from '../../../shared/contract/index.ts';
import { SquillError } from '../../../shared/errors.ts';
import { benchmarkFolder, loadQuestions, type Bench } from '../../eval/index.ts';
import { mulberry32, shuffled } from '../../../shared/random.ts';
import { contamination, exampleDbs, type TrainExample } from '../datasets/index.ts';
import { estimateJob, modelDims } from '../estimate.ts';
import { sampleTokens, type MethodRegistry, type TrainConfig } from '../methods/index.ts';
import { openTokenizer } from '../tokens.ts';
import { loadSplit, methodOptions, trainerContext, type DataDeps } from './data.ts';
import { previewDataset } from './samplePreview.ts';
import { phaseSteps } from './plan.ts';

const MAX_INVALID = 500;
const MAX_OVERLAPPING = 100;
const SAMPLE = 20;

export interface Benchmark {
  name: string;
  path: string | null;
  examples: { question: string; sql: string }[];
}

/** The dev questions of the evaluation benchmarks found on this machine (Spider dev.json, BIRD dev.json). */
export function benchmarkExamples(found: { bench: Bench; path: string }[]): Benchmark[] {
  const out: Benchmark[] = [];
  for (const b of found) {
    try {
      const examples = loadQuestions(b.bench, b.path).map((q) => ({ question: q.question, sql: q.gold }));
      out.push({ name: `${b.bench === 'bird' ? 'BIRD' : 'Spider'} dev`, path: b.bench === 'jsonl' ? b.path : benchmarkFolder(b.bench, b.path).questions('dev'), examples });
    } catch {
      // an absent or unreadable benchmark file is the evaluation page's to report; the check goes on without it
    }
  }
  return out;
}

const stats = (values: number[]) => ({ mean: values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0, max: values.reduce((a, b) => Math.max(a, b), 0) });

export async function checkData(config: TrainConfigBase, modelPath: string, deps: DataDeps & { benchmarks: Benchmark[] }): Promise<TrainDataCheck> {
  const started = performance.now();
  const split = await loadSplit(config, deps);
  const databases = new Map<string, { dbId: string; train: number; dev: number }>();
  for (const [side, list] of [['train', split.train], ['dev', split.dev]] as const) {
    for (const e of list) {
      const row = databases.get(e.dbId) ?? { dbId: e.dbId, train: 0, dev: 0 };
      row[side]++;
      databases.set(e.dbId, row);
    }
  }
  // the run's own dev set is an evaluation set too: a question on both sides inflates its dev accuracy
  const benchmarks: Benchmark[] = [...deps.benchmarks];
  if (split.devFrom === 'dev set') benchmarks.push({ name: "this run's dev set", path: null, examples: split.dev });
  const byId = new Map(split.train.map((e) => [e.id, e]));
  const overlap = contamination(split.train, benchmarks).map((c, i) => {
    const b = benchmarks[i]!;
    return {
      name: c.name,
      path: b.path,
      examples: b.examples.length,
      questionOverlap: c.questionOverlap,
      sqlOverlap: c.sqlOverlap,
      overlapExamples: c.examples.length,
      overlapping: c.examples.slice(0, MAX_OVERLAPPING).map(({ id, by }) => ({ id, question: byId.get(id)!.question, sql: byId.get(id)!.sql, by })),
    };
  });

  const tokenizer = await openTokenizer(modelPath);
  try {
    const q = split.train.map((e) => tokenizer.tokenize(e.question).length);
    const s = split.train.map((e) => tokenizer.tokenize(e.sql).length);
    return {
      sources: split.sources.map((src) => ({
        role: src.role,
        kind: src.spec.kind,
        path: src.spec.path ?? null,
        examples: src.examples.length,
        invalid: src.invalid.slice(0, MAX_INVALID),
        invalidTotal: src.invalid.length,
      })),
      train: split.train.length,
      dev: split.dev.length,
      devFrom: split.devFrom,
      databases: [...databases.values()].sort((a, b) => b.train + b.dev - (a.train + a.dev) || a.dbId.localeCompare(b.dbId)),
      contamination: overlap,
      tokens: { question: stats(q), sql: stats(s) },
      sample: split.train.slice(0, SAMPLE).map((e, i) => ({ id: e.id, dbId: e.dbId, question: e.question, sql: e.sql, questionTokens: q[i]!, sqlTokens: s[i]! })),
      ms: performance.now() - started,
    };
  } finally {
    await tokenizer.dispose();
  }
}

/**
 * Builds and tokenizes the method's samples for up to `limit` training examples (a seeded subset, so a big
 * dataset's estimate does not take as long as preparing the job), then runs the estimator per adapter at the
 * longest sequence (memory) and the mean one (time).
 */
export async function estimateRun(
  methods: MethodRegistry,
  config: TrainConfig,
  modelPath: string,
  deps: DataDeps & { limit?: number; measured?: { steps: number; tokensPerS: number } | null },
): Promise<TrainEstimate> {
  const started = performance.now();
  const spec = methods.get(config.method);
  const { train } = await loadSplit(config, deps);
  if (train.length === 0) throw new SquillError('VALIDATION', 'The dataset has no usable training examples; check the data step for the rejected rows');
  const limit = deps.limit ?? 200;
  const previewed: TrainExample[] = train.length <= limit ? train : shuffled(train, mulberry32(config.seed)).slice(0, limit);
  const tokenizer = await openTokenizer(modelPath);
  let preview;
  try {
    preview = await previewDataset(previewed, (t) => tokenizer.tokenize(t).length, {
      method: spec.name,
      methods,
      db: exampleDbs(deps.sandbox),
      // an estimate builds samples without a teacher's answers (preview): it costs what the job's samples cost
      options: { ...methodOptions(methods, config, tokenizer), preview: true },
      measure: (sample) => {
        const { weights } = sampleTokens(tokenizer, sample);
        const target = weights.filter((w) => w > 0).length;
        return { prompt: weights.length - target, target };
      },
    });
  } finally {
    await tokenizer.dispose();
  }
  const scale = train.length / previewed.length;
  const roles = spec.adapters.map((a) => a.role);
  // an online method trains G completions of up to `completion` tokens per prompt: its samples are the prompts
  // (target: the gold, never learned), its update G x the prompts of a step, its sequences prompt + completion
  const { group, completionTokens: completion } = spec.online ? spec.online.rollouts(methods.settingsOf(config)) : { group: 1, completionTokens: 0 };
  const batch = config.batchSize * config.gradAccum * group;
  for (const role of roles) {
    if (!preview.totals.byAdapter[role]) throw new SquillError('VALIDATION', `The ${spec.name} builder made no samples for the ${role} adapter from this data`);
  }
  // one trainer context for the job, as prepareData sets it: the longest sequence of any adapter
  const longestOf = (role: string) => {
    const a = preview.totals.byAdapter[role]!;
    return spec.online ? a.maxPromptTokens + completion : a.maxSampleTokens;
  };
  const ctx = trainerContext(Math.max(...roles.map(longestOf)));
  // the model file's header is read once; every adapter phase holds the same engine context, so the same memory
  const common = { modelPath, dims: modelDims(modelPath), rank: config.lora.rank, targets: config.lora.targets, batch };
  const { trainableParams, tokensPerSecond: _t, secondsPerStep: _s, ...breakdown } = estimateJob({ ...common, seqLen: ctx });
  const adapters = spec.adapters.map(({ role, label }) => {
    const a = preview.totals.byAdapter[role]!;
    const samples = Math.round(a.samples * scale);
    const byTask = Object.fromEntries(Object.entries(a.byTask).map(([task, n]) => [task, Math.round(n * scale)]));
    const steps = phaseSteps(config, samples);
    // online: the prompt plus a completion of at most `completion` tokens (counted whole: an upper bound)
    const meanTokens = spec.online ? a.meanSampleTokens - a.meanTargetTokens + completion : a.meanSampleTokens;
    const activeTokens = spec.online ? completion : a.meanTargetTokens;
    // measured throughput beats the FLOP model when this machine has trained this model before (an online step's
    // tokens/s is over its whole time, rollouts included)
    const secondsPerStep = deps.measured
      ? (batch * meanTokens) / deps.measured.tokensPerS
      : // rollouts decode each completion once, a forward pass: about a third of a training token's FLOPs
        estimateJob({ ...common, seqLen: Math.max(2, Math.round(meanTokens)), activeTokens: Math.max(1, Math.round(activeTokens)) }).secondsPerStep * (spec.online ? 4 / 3 : 1);
    return {
      role,
      label,
      samples,
      byTask,
      meanTokens,
      longestTokens: longestOf(role),
      ctx,
      steps,
      trainableParams,
      memory: breakdown,
      secondsPerStep,
      seconds: secondsPerStep * steps,
    };
  });
  const questions = new Map(previewed.map((e) => [e.id, e.question]));
  return {
    trainExamples: train.length,
    previewed: previewed.length,
    adapters,
    totalSteps: adapters.reduce((n, a) => n + a.steps, 0),
    peakBytes: Math.max(...adapters.map((a) => a.memory.totalBytes)),
    seconds: adapters.reduce((n, a) => n + a.seconds, 0),
    timeFrom: deps.measured ? { kind: 'runs', ...deps.measured } : { kind: 'flops' },
    host: { totalMemBytes: os.totalmem(), freeMemBytes: os.freemem(), cpus: os.availableParallelism() },
    examples: preview.examples.slice(0, SAMPLE).map((r) => ({ ...r, question: questions.get(r.id) ?? '' })),
    ms: performance.now() - started,
  };
}
