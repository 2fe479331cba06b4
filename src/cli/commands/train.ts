import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command, Option } from 'commander';
import { z } from 'zod';
import { TrainConfigBaseSchema, type TrainEval, type TrainJob, type TrainMetric } from '../../shared/contract/index.ts';
import { createCore, type Core } from '../../core/index.ts';
import { createModel, SHAPES } from '../../core/llm/index.ts';
import { MAIN_ROLE, methods, type TrainConfig } from '../../core/train/index.ts';
import { asUsageError, UsageError } from '../errors.ts';

/**
 * The config file of `squill train`: a job's config, where the model may also be made on the spot (a random-weight
 * model from `squill model create`'s options), and paths are relative to the file.
 */
const CreateSchema = z.strictObject({
  arch: z.enum(['llama', 'qwen2']).default('llama'),
  shape: z.union([
    z.enum(Object.keys(SHAPES) as [string, ...string[]]),
    z.strictObject({
      layers: z.number().int().min(1),
      embd: z.number().int().min(1),
      ff: z.number().int().min(1),
      heads: z.number().int().min(1),
      kvHeads: z.number().int().min(1),
      tiedEmbeddings: z.boolean().optional(),
    }),
  ]),
  vocab: z.string().min(1),
  seed: z.number().int().min(1).optional(),
  /** the output projection's init scale (createModel's outputStd): a model that must learn confident answers needs ~0.2 */
  outputStd: z.number().positive().max(10).optional(),
});
/** A method's config (its member of TrainConfig, method given by --method) with a name and a model to create. */
export const trainFileSchema = (method: string) =>
  methods
    .configSchema(method)
    .omit({ method: true })
    .extend({
      name: z.string().trim().min(1).max(200).optional(),
      model: z.union([TrainConfigBaseSchema.shape.model, z.strictObject({ create: CreateSchema })]),
      /**
       * besides an adapter file or id: `{"train": {"method", "config"}}`, a job trained first on the same base model
       * (e.g. GRPO's stage-0 reasoning SFT), whose SQL adapter this one starts from
       */
      startFrom: z.union([TrainConfigBaseSchema.shape.startFrom.unwrap(), z.strictObject({ train: z.strictObject({ method: z.string().min(1), config: z.string().min(1) }) })]).optional(),
    });
type StartFrom = NonNullable<z.output<typeof TrainConfigBaseSchema>['startFrom']> | { train: { method: string; config: string } };
type TrainFile = z.output<typeof TrainConfigBaseSchema> & {
  name?: string;
  model: z.output<typeof TrainConfigBaseSchema.shape.model> | { create: z.output<typeof CreateSchema> };
};
/** the file's startFrom, which may also be a preceding stage */
const startOf = (f: TrainFile) => f.startFrom as StartFrom | undefined;

/** "lora.rank: Too small: expected number to be >=1" for each problem */
export function describeIssues(file: string, error: z.ZodError): string {
  const problems = error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(the file)'}: ${i.message}`);
  return `${file} is not a valid training config: ${problems.join('; ')}`;
}

function readConfig(file: string, method: string): TrainFile {
  if (!fs.existsSync(file)) throw new UsageError(`No config file at ${file}`);
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`${file} is not JSON: ${(err as Error).message}`);
  }
  const parsed = trainFileSchema(method).safeParse(json);
  if (!parsed.success) throw new UsageError(describeIssues(file, parsed.error));
  // paths in the file are relative to it
  const base = path.dirname(path.resolve(file));
  const fix = <T extends { path?: string }>(s: T): T => (s.path ? { ...s, path: path.resolve(base, s.path) } : s);
  const config = parsed.data as TrainFile;
  const list = <T extends { path?: string }>(s: T | T[]) => (Array.isArray(s) ? s.map(fix) : fix(s));
  const from = startOf(config);
  return {
    ...config,
    dataset: list(config.dataset),
    ...(config.dev ? { dev: list(config.dev) } : {}),
    model: 'path' in config.model ? { path: path.resolve(base, config.model.path) } : config.model,
    ...(from
      ? {
          startFrom:
            'path' in from
              ? fix(from)
              : 'train' in from
                ? { train: { ...from.train, config: path.resolve(base, from.train.config) } }
                : from,
        }
      : {}),
  } as TrainFile;
}

const write = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);

export function trainCommand(): Command {
  return new Command('train')
    .description('fine-tune a LoRA adapter headless: one JSON object per step on stdout, then a summary object')
    .addOption(new Option('--method <method>', 'training method').choices([...methods.names]).makeOptionMandatory())
    .requiredOption('--config <file>', 'the job config (JSON; see examples/*.json)')
    .option('--out <dir>', 'where to copy the finished adapters, metrics.jsonl and summary.json')
    .action(async (opts: { method: string; config: string; out?: string }) => {
      const started = performance.now();
      const file = readConfig(opts.config, opts.method);
      const dataDir = process.env.SQUILL_DATA_DIR ? path.resolve(process.env.SQUILL_DATA_DIR) : fs.mkdtempSync(path.join(os.tmpdir(), 'squill-train-'));
      const out = opts.out ? path.resolve(opts.out) : null;
      if (out) fs.mkdirSync(out, { recursive: true });

      let model: { path: string } | { id: string };
      if ('create' in file.model) {
        const c = file.model.create;
        const shape = typeof c.shape === 'string' ? SHAPES[c.shape]! : c.shape;
        const modelFile = path.join(out ?? dataDir, 'base-model.gguf');
        asUsageError(() => createModel({ arch: c.arch, shape, vocab: c.vocab, out: modelFile, seed: c.seed, outputStd: c.outputStd, cacheDir: path.join(dataDir, 'cache') }));
        model = { path: modelFile };
      } else model = file.model;

      // a preceding stage (startFrom.train) runs first, on this base model, and lends its SQL adapter
      const stages: { method: string; file: TrainFile; configFile: string; out: string | null }[] = [];
      const own = startOf(file);
      const stage = own && 'train' in own ? own.train : null;
      if (stage) {
        if (!methods.names.includes(stage.method)) throw new UsageError(`startFrom.train.method: unknown training method ${stage.method}; use one of ${methods.names.join(', ')}`);
        const first = readConfig(stage.config, stage.method);
        const its = startOf(first);
        if (its && 'train' in its) throw new UsageError(`${stage.config}: a preceding stage cannot itself name one`);
        stages.push({ method: stage.method, file: first, configFile: stage.config, out: out ? path.join(out, stage.method) : null });
      }
      stages.push({ method: opts.method, file, configFile: opts.config, out });

      const core = createCore({ dataDir, host: 'cli', runJobs: true });
      let job: TrainJob | null = null;
      const onSigint = () => {
        if (job) core.jobs.cancel(job.id);
      };
      process.once('SIGINT', onSigint);
      try {
        let startFrom: { path: string } | null = null;
        for (const s of stages) {
          const { name, startFrom: _own, ...rest } = s.file;
          const mine = startOf(s.file);
          const from = startFrom ?? (mine && !('train' in mine) ? mine : undefined);
          const config = methods.parseConfig(s.method, { ...rest, model, ...(from ? { startFrom: from } : {}) });
          if (s.out) fs.mkdirSync(s.out, { recursive: true });
          const done = await runStage(core, s.method, config, name ?? `${s.method} ${path.basename(s.configFile, '.json')}`, s.out, started, (j) => (job = j));
          startFrom = { path: done.adapters.find((a) => a.role === MAIN_ROLE)!.path };
        }
      } finally {
        process.removeListener('SIGINT', onSigint);
        await core.close();
      }
    });
}

/** One job of `squill train`: its data check, estimate, steps and evaluations as JSON lines, then its summary. */
async function runStage(core: Core, method: string, config: TrainConfig, name: string, out: string | null, started: number, onJob: (job: TrainJob) => void): Promise<{ job: TrainJob; adapters: { role: string; path: string; step: number }[] }> {
  const metrics: object[] = [];
  const unsubscribe = core.hub.subscribe('train.progress', (p) => {
    const payload = p as { jobId: string; metric: TrainMetric | null; eval: TrainEval | null };
    if (payload.metric) {
      const { step, loss, lr, gradNorm, tokensPerS, rssBytes, extra } = payload.metric;
      const line = { type: 'step', method, step, loss, lr, gradNorm, tokensPerS, rssBytes, ...(extra ? { extra } : {}) };
      metrics.push(line);
      write(line);
    }
    if (payload.eval) {
      const { step, devEx, correct, total, ms, vote } = payload.eval;
      const line = { type: 'eval', method, step, devEx, correct, total, ms, ...(vote ? { vote } : {}) };
      metrics.push(line);
      write(line);
    }
  });
  try {
    // what the wizard shows before a run: the data check (invalid rows, split, benchmark overlap) and the estimate;
    // the job then reads the same (cached) data
    const check = await core.jobs.checkData({ method, config });
    write({
      type: 'data',
      method,
      train: check.train,
      dev: check.dev,
      devFrom: check.devFrom,
      invalid: check.sources.flatMap((src) => src.invalid.map((r) => ({ source: src.path ?? src.kind, ...r }))),
      contamination: check.contamination.map(({ name, examples, questionOverlap, sqlOverlap, overlapExamples }) => ({ name, examples, questionOverlap, sqlOverlap, overlapExamples })),
    });
    const estimate = await core.jobs.estimate({ method, config }).catch(() => null);
    if (estimate) write({ type: 'estimate', method, peakBytes: estimate.peakBytes, seconds: estimate.seconds, totalSteps: estimate.totalSteps, adapters: estimate.adapters.map(({ role, samples, ctx, steps, memory }) => ({ role, samples, ctx, steps, peakBytes: memory.totalBytes })) });
    const job = core.jobs.create({ name, method, config });
    onJob(job);
    const done = await core.jobs.settled(job.id);
    const evals = core.jobs.get(job.id).evals;
    const adapters = done.adapters.map((a) => {
      if (!out) return { role: a.role, path: a.path, step: a.step };
      const copy = path.join(out, `${a.role}.gguf`);
      fs.copyFileSync(a.path, copy);
      return { role: a.role, path: copy, step: a.step };
    });
    const dataDir = core.dataDir;
    const summary = {
      type: 'summary',
      jobId: done.id,
      method: done.method,
      state: done.state,
      reason: done.reason,
      steps: done.step,
      totalSteps: done.totalSteps,
      devExamples: evals[0]?.total ?? 0,
      devExBefore: done.devExBefore,
      devExAfter: done.devExAfter,
      best: done.best,
      ...(evals.some((e) => e.vote) ? { voteBefore: evals[0]?.vote ?? null, voteAfter: evals.at(-1)?.vote ?? null } : {}),
      finalLoss: (core.jobs.metrics(job.id, Math.max(0, done.step - 1)).metrics.at(-1)?.loss) ?? null,
      memory: {
        estimatedPeakBytes: estimate?.peakBytes ?? null,
        measuredPeakBytes: metrics.reduce((m, l) => Math.max(m, (l as { rssBytes?: number }).rssBytes ?? 0), 0),
      },
      durations: {
        totalS: (performance.now() - started) / 1000,
        evalS: evals.reduce((s, e) => s + e.ms, 0) / 1000,
      },
      model: 'path' in config.model ? config.model.path : config.model.id,
      adapters,
      dataDir,
      log: path.join(dataDir, 'jobs', done.id, 'log.txt'),
    };
    if (out) {
      fs.writeFileSync(path.join(out, 'metrics.jsonl'), metrics.map((m) => `${JSON.stringify(m)}\n`).join(''));
      fs.writeFileSync(path.join(out, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
    }
    write(summary);
    if (done.state !== 'done') throw new Error(`The job ended ${done.state}${done.reason ? `: ${done.reason}` : ''} (log: ${summary.log})`);
    return { job: done, adapters };
  } finally {
    unsubscribe();
  }
}
