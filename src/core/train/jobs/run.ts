/**
 * Runs one job: prepares (or re-reads) its data, then trains each adapter from its last checkpoint on. Metrics are
 * recorded per step, checkpoints written atomically every N steps (row recorded after the rename), the dev set
 * evaluated every M steps with early stopping and the best adapter kept. A trainer that dies is restarted from the
 * last checkpoint a bounded number of times; steps after that checkpoint are forgotten first and re-done, so the
 * curve has no gap and no repeated step.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { DbSchema, TrainConfigBase, TrainEval, TrainJob, TrainMetric } from '../../../shared/contract/index.ts';
import { SquillError } from '../../../shared/errors.ts';
import type { SandboxPool } from '../../db/index.ts';
import type { Models } from '../../models/index.ts';
import type { Store } from '../../store/index.ts';
import { startTrainer, type Trainer } from '../trainer.ts';
import { exampleDbs, type DatasetCache } from '../datasets/index.ts';
import { openTokenizer, type TokenizerBridge } from '../tokens.ts';
import { MAIN_ROLE, type MethodRegistry, type TrainConfig } from '../methods/index.ts';
import { estimateJob } from '../estimate.ts';
import { jobData, prepareData, type JobData } from './data.ts';
import { evaluateDev, type DevScore } from './evaluate.ts';
import { truncateRollouts, writeRollouts } from './rollouts.ts';
import { learningRate, planPhases, stepBatches, type Phase, type Role } from './plan.ts';
import type { JobStore } from './store.ts';

export type StopKind = 'pause' | 'cancel' | 'close';
/** How the queue steers a running job: a stop request, and the trainer to kill for an immediate stop. */
export interface Control {
  stop: StopKind | null;
  trainer: Trainer | null;
}

export class Stopped extends Error {
  readonly kind: StopKind;
  constructor(kind: StopKind) {
    super(`stopped: ${kind}`);
    this.kind = kind;
  }
}
class TrainerDied extends Error {}

export interface RunDeps {
  jobs: JobStore;
  methods: MethodRegistry;
  store: Store;
  sandbox: SandboxPool;
  dataDir: string;
  models?: Models;
  connections?: { list(): import('../../../shared/contract/index.ts').Connection[] };
  trainerBinary?: string;
  cache?: DatasetCache;
  /** trainer restarts after an unexpected death, per run */
  maxRetries: number;
  progress(jobId: string, metric: TrainMetric | null, evaluation: TrainEval | null): void;
  changed(): void;
}

export const jobDir = (dataDir: string, id: string) => path.join(dataDir, 'jobs', id);
const now = () => new Date().toISOString();
const KEEP_CHECKPOINTS = 2;

export function appendLog(dir: string, line: string): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.appendFileSync(path.join(dir, 'log.txt'), `${now()} ${line}\n`);
}

export function resolveModel(config: Pick<TrainConfigBase, 'model'>, models?: Models): string {
  if ('path' in config.model) {
    const file = path.resolve(config.model.path);
    if (!fs.existsSync(file)) throw new SquillError('NOT_FOUND', `The base model ${file} does not exist`);
    return file;
  }
  if (!models) throw new SquillError('VALIDATION', 'A registered model id needs the model manager; give the model as a path');
  const m = models.get(config.model.id);
  if (!m.path) throw new SquillError('VALIDATION', `${m.name} is a remote endpoint; training needs a local GGUF file`);
  return m.path;
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

/** The estimator's peak for a phase, logged so each run checks it against the trainer's measured peak. */
function estimatePeak(model: string, config: TrainConfig, sequences: { tokens: number[] }[], ctx: number, log: (line: string) => void, role: Role): number | null {
  const longest = sequences.reduce((m, q) => Math.max(m, q.tokens.length), 0);
  try {
    // at the engine's context (the job's longest sequence over all adapters): its KV cache and buffers are sized by it
    const e = estimateJob({ modelPath: model, rank: config.lora.rank, targets: config.lora.targets, seqLen: ctx, batch: config.batchSize });
    log(`${role} adapter: estimated peak memory ${mib(e.totalBytes)} (context ${ctx}, sequences up to ${longest} tokens)`);
    return e.totalBytes;
  } catch (err) {
    log(`${role} adapter: no memory estimate (${(err as Error).message})`);
    return null;
  }
}

/** The trainer writes a temp file and renames; the job's own rename makes the final name appear only when whole. */
async function saveAtomic(trainer: Trainer, kind: 'adapter' | 'checkpoint', file: string): Promise<void> {
  const tmp = `${file}.partial`;
  await trainer.save({ [kind]: tmp });
  fs.renameSync(tmp, file);
}

export async function runJob(id: string, deps: RunDeps, control: Control): Promise<void> {
  const job = deps.jobs.get(id);
  const config = deps.methods.parseConfig(job.method, job.config);
  const dir = jobDir(deps.dataDir, id);
  for (const sub of ['checkpoints', 'adapters', 'eval']) fs.mkdirSync(path.join(dir, sub), { recursive: true });
  const log = (line: string) => appendLog(dir, line);
  const resumed = job.step > 0 || deps.jobs.checkpoints(id).length > 0;
  log(resumed ? `resuming job "${job.name}" (was ${job.state} at step ${job.step})` : `starting job "${job.name}" (${job.method})`);
  deps.jobs.setState(id, 'running', null);
  deps.changed();
  let earlyStop: string | null = null;
  try {
    const model = resolveModel(config, deps.models);
    const data = await jobData(dir, () => prepareData(deps.methods, config, model, { store: deps.store, sandbox: deps.sandbox, connections: deps.connections, cache: deps.cache, log }));
    // an online method's phase reads its prompts (batchSize x gradAccum per step), a supervised one its samples
    const phases = planPhases(config, data.adapters.map((a) => ({ role: a.role, count: a.prompts?.length ?? a.sequences.length })));
    deps.jobs.setProgress(id, deps.jobs.get(id).step, phases.at(-1)!.end);
    for (let retries = 0; ; retries++) {
      try {
        earlyStop = await train(job, config, data, model, phases, deps, control, log);
        break;
      } catch (err) {
        if (err instanceof Stopped) throw err;
        if (control.stop) throw new Stopped(control.stop); // the trainer was killed on purpose
        if (!(err instanceof TrainerDied) || retries >= deps.maxRetries) throw err;
        log(`${err.message}; restarting it from the last checkpoint (retry ${retries + 1} of ${deps.maxRetries})`);
      }
    }
    const adapters = await register(job, model, phases, deps, log);
    deps.jobs.setState(id, 'done', earlyStop);
    log(`done${earlyStop ? ` (${earlyStop})` : ''}: ${adapters.map((a) => `${a.role} ${a.path}`).join(', ')}`);
  } catch (err) {
    if (err instanceof Stopped) {
      if (err.kind === 'pause') deps.jobs.setState(id, 'paused', 'paused by the user');
      if (err.kind === 'cancel') deps.jobs.setState(id, 'cancelled', 'cancelled by the user');
      // close: the app is quitting; the job stays "running" and resumes from its last checkpoint at the next start
      log(err.kind === 'close' ? `interrupted at step ${deps.jobs.get(id).step}: the app is closing; the job resumes at the next start` : `${err.kind === 'pause' ? 'paused' : 'cancelled'} at step ${deps.jobs.get(id).step}`);
    } else {
      const message = err instanceof Error ? err.message : String(err);
      deps.jobs.setState(id, 'failed', message);
      log(`failed: ${message}`);
    }
  } finally {
    control.trainer?.kill();
    control.trainer = null;
    deps.changed();
  }
}

/** Trains every phase from the last checkpoint on; returns the early-stopping reason, if it stopped early. */
async function train(job: TrainJob, config: TrainConfig, data: JobData, model: string, phases: Phase[], deps: RunDeps, control: Control, log: (line: string) => void): Promise<string | null> {
  const { id } = job;
  // the adapter that serves as the dev strategy's schema-link model, once its phase has written it
  const linkRole = deps.methods.get(job.method).adapters.find((a) => a.linkModel)?.role ?? null;
  const dir = jobDir(deps.dataDir, id);
  const last = deps.jobs.checkpoints(id).at(-1) ?? null;
  let at = last?.step ?? 0;
  const dropped = deps.jobs.metrics(id, at).length;
  deps.jobs.truncateAfter(id, at);
  truncateRollouts(dir, at);
  if (dropped) log(`re-doing ${dropped} step(s) after the checkpoint at step ${at}`);
  const evaluated = () => new Set(deps.jobs.evals(id).map((e) => e.step));

  const spec = deps.methods.get(job.method);
  // the SQL adapter's start: an adapter of the same base (config.startFrom) or a fresh LoRA
  const startFrom = startAdapter(config, deps.models);
  if (startFrom) log(`the SQL adapter starts from ${startFrom}`);

  if (at === 0 && data.dev.length > 0 && !evaluated().has(0)) {
    log(`evaluating ${startFrom ? 'the start adapter' : 'the base model'} on ${Math.min(data.dev.length, config.eval.limit ?? Infinity)} dev examples (${config.eval.strategy}${config.eval.voteSamples ? `, and vote with ${config.eval.voteSamples} samples` : ''})`);
    const score = await evaluateDev({ model, adapter: startFrom, dev: data.dev, config, sandbox: deps.sandbox, stopped: () => control.stop !== null });
    if (control.stop) throw new Stopped(control.stop);
    const e: TrainEval = { step: 0, ...score, at: now() };
    deps.jobs.addEval(id, e);
    deps.progress(id, null, e);
    log(`dev EX before training: ${describeScore(score)}`);
  }

  for (const [phaseIndex, phase] of phases.entries()) {
    const finalAdapter = path.join(dir, 'adapters', `${phase.role}.gguf`);
    const wantsEval = phase.role === MAIN_ROLE && data.dev.length > 0 && !evaluated().has(at);
    // a phase is over once its adapter is written (and, for the SQL adapter, evaluated)
    if (at > phase.end || (at === phase.end && fs.existsSync(finalAdapter) && !wantsEval)) continue;
    const sequences = data.adapters.find((a) => a.role === phase.role)!.sequences;
    const trainer = await startTrainer({ binary: deps.trainerBinary, onLog: (line) => log(`trainer: ${line}`) });
    control.trainer = trainer;
    if (control.stop) throw new Stopped(control.stop);
    let online: Awaited<ReturnType<NonNullable<typeof spec.online>['start']>> | null = null;
    let tokenizer: TokenizerBridge | null = null;
    const died = async (err: unknown): Promise<never> => {
      const dead = await Promise.race([trainer.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 200))]);
      if (dead) throw new TrainerDied(`the trainer died at step ${at + 1}: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    };
    try {
      const resume = last && last.step === at && at > phase.start ? last : null;
      await trainer
        .load({
          model,
          ctx: data.ctx,
          seed: config.seed,
          ...(config.threads ? { threads: config.threads } : {}),
          // an online method's KL reference is the policy it started from: the start adapter, else the bare base
          ...(spec.online && startFrom && phase.role === MAIN_ROLE ? { reference: startFrom } : {}),
          ...(resume
            ? { checkpoint: resume.path }
            : startFrom && phase.role === MAIN_ROLE
              ? { adapter: startFrom }
              : { lora: { rank: config.lora.rank, alpha: config.lora.alpha, targets: config.lora.targets, seed: config.seed + phaseIndex } }),
        })
        .catch(died);
      log(
        resume
          ? `${phase.role} adapter: resumed from the checkpoint at step ${at}`
          : startFrom && phase.role === MAIN_ROLE
            ? `${phase.role} adapter: continues ${path.basename(startFrom)}, steps ${phase.start + 1}-${phase.end}`
            : `${phase.role} adapter: a fresh LoRA (rank ${config.lora.rank}), steps ${phase.start + 1}-${phase.end}`,
      );
      // an online method makes each step's sequences from the live adapter
      const prompts = data.adapters.find((a) => a.role === phase.role)!.prompts;
      if (spec.online && prompts) {
        tokenizer = await openTokenizer(model);
        const schemas = new Map<string, Promise<DbSchema>>();
        const dbOf = exampleDbs(deps.sandbox);
        online = await spec.online.start({
          model,
          trainer,
          tokenizer,
          settings: deps.methods.settingsOf(config),
          prompts,
          // one update per rollout batch: the step's micro-batches together
          promptsOf: (k) => stepBatches(k, prompts.length, config.batchSize * config.gradAccum, 1, config.seed + phaseIndex * 7919)[0]!.map((i) => prompts[i]!),
          schemaOf: (dbPath) => {
            let p = schemas.get(dbPath);
            if (!p) schemas.set(dbPath, (p = dbOf(prompts.find((q) => q.dbPath === dbPath)!).then((h) => h.schema)));
            return p;
          },
          sandbox: deps.sandbox,
          store: deps.store,
          seed: config.seed + phaseIndex * 7919,
          steps: phase.end - phase.start,
          log,
        });
      }
      const checkpointed = () => new Set(deps.jobs.checkpoints(id).map((c) => c.step));
      const checkpoint = async (step: number) => {
        const file = path.join(dir, 'checkpoints', `step-${String(step).padStart(7, '0')}.gguf`);
        await saveAtomic(trainer, 'checkpoint', file).catch(died);
        deps.jobs.addCheckpoint(id, { step, role: phase.role, path: file });
        prune(id, deps, log);
      };
      const n = phase.end - phase.start;
      const estimated = estimatePeak(model, config, sequences, data.ctx, log, phase.role);
      let peakRss = 0;
      const evalStep = (s: number) => phase.role === MAIN_ROLE && data.dev.length > 0 && config.evalEvery > 0 && (s - phase.start) % config.evalEvery === 0 && s < phase.end;
      let stoppedEarly: string | null = null;
      // an evaluation that a pause or a quit interrupted is taken again, on the checkpoint it was for
      if (at > phase.start && evalStep(at) && !evaluated().has(at)) stoppedEarly = await evaluateAt(at);
      for (let s = at + 1; !stoppedEarly && s <= phase.end; s++) {
        // a pause, and an app that quits while the trainer still answers, keep every finished step
        if ((control.stop === 'pause' || control.stop === 'close') && s - 1 > phase.start && !checkpointed().has(s - 1)) await checkpoint(s - 1);
        if (control.stop) throw new Stopped(control.stop);
        const k = s - phase.start;
        const lr = learningRate(config, k, n);
        const started = performance.now();
        let loss = 0;
        let weighted = 0;
        let tokens = 0;
        let gradNorm = 0;
        let extra: Record<string, number> | undefined;
        if (online) {
          const made = await online.step(k).catch(died);
          const updateStarted = performance.now();
          const r = await trainer.step({ batch: made.sequences, lr, clip: config.clip > 0 ? config.clip : undefined, weight_decay: config.weightDecay }).catch(died);
          const update = (performance.now() - updateStarted) / 1000;
          // the loss of a policy-gradient step is its surrogate (signed weights): reported, not a quality measure
          loss = r.loss;
          weighted = r.tokens;
          tokens = made.sequences.reduce((sum, b) => sum + b.tokens.length, 0);
          gradNorm = r.grad_norm;
          extra = { ...made.extra, update_s: update };
          writeRollouts(dir, s, made.rollouts, { ...made.seconds, update });
        }
        for (const micro of online ? [] : stepBatches(k, sequences.length, config.batchSize, config.gradAccum, config.seed + phaseIndex * 7919)) {
          const batch = micro.map((i) => sequences[i]!);
          const r = await trainer
            .step({ batch, lr, clip: config.clip > 0 ? config.clip : undefined, weight_decay: config.weightDecay, accumulate: config.gradAccum })
            .catch(died);
          loss += r.loss;
          weighted += r.tokens;
          tokens += batch.reduce((sum, b) => sum + b.tokens.length, 0);
          gradNorm = r.grad_norm;
        }
        const seconds = (performance.now() - started) / 1000;
        const stats = await trainer.stats().catch(died);
        peakRss = stats.peak_rss; // the process's high-water mark
        const metric: TrainMetric = { step: s, loss: weighted ? loss / weighted : 0, lr, gradNorm, tokensPerS: tokens / Math.max(seconds, 1e-6), rssBytes: stats.rss, at: now(), ...(extra ? { extra } : {}) };
        deps.jobs.addMetric(id, metric);
        deps.jobs.setProgress(id, s);
        at = s;
        deps.progress(id, metric, null);
        const evalNow = evalStep(s);
        if (s % config.checkpointEvery === 0 || evalNow || s === phase.end) await checkpoint(s);
        if (evalNow) {
          stoppedEarly = await evaluateAt(s);
          if (stoppedEarly) break;
        }
      }
      if (!checkpointed().has(at)) await checkpoint(at);
      await saveAtomic(trainer, 'adapter', finalAdapter).catch(died);
      if (estimated && peakRss > 0) {
        const error = (estimated - peakRss) / peakRss;
        log(`${phase.role} adapter: trainer peak memory ${mib(peakRss)}, estimated ${mib(estimated)} (${error >= 0 ? '+' : ''}${(error * 100).toFixed(1)}%)`);
      }
      if (phase.role === MAIN_ROLE && data.dev.length > 0 && !evaluated().has(at)) stoppedEarly = (await evaluateAt(at)) ?? stoppedEarly;
      if (stoppedEarly) return stoppedEarly;

      async function evaluateAt(step: number): Promise<string | null> {
        const adapter = path.join(dir, 'eval', `step-${step}-${phase.role}.gguf`);
        await saveAtomic(trainer, 'adapter', adapter).catch(died);
        const linkAdapter = linkRole ? path.join(dir, 'adapters', `${linkRole}.gguf`) : null;
        const score = await evaluateDev({
          model,
          adapter,
          linkAdapter: linkAdapter && fs.existsSync(linkAdapter) ? linkAdapter : null,
          dev: data.dev,
          config,
          sandbox: deps.sandbox,
          stopped: () => control.stop !== null,
        });
        if (control.stop) {
          fs.rmSync(adapter, { force: true });
          throw new Stopped(control.stop);
        }
        const previous = deps.jobs.bestEval(id, step - 1);
        const e: TrainEval = { step, ...score, at: now() };
        deps.jobs.addEval(id, e);
        const best = !previous || score.devEx > previous.devEx;
        deps.jobs.markCheckpoint(id, step, score.devEx, best);
        if (best) {
          const kept = path.join(dir, 'adapters', `best-${phase.role}.gguf`);
          fs.copyFileSync(adapter, `${kept}.partial`);
          fs.renameSync(`${kept}.partial`, kept);
        }
        fs.rmSync(adapter, { force: true });
        deps.progress(id, null, e);
        log(`step ${step}: dev EX ${describeScore(score)}${best ? ', the best so far' : ''}`);
        const bestNow = deps.jobs.bestEval(id, step)!;
        const since = deps.jobs.evals(id, bestNow.step).length;
        if (config.patience > 0 && since >= config.patience) {
          return `stopped early at step ${step}: no better dev score in ${since} evaluations since step ${bestNow.step}`;
        }
        return null;
      }
    } finally {
      control.trainer = null;
      await online?.close();
      await tokenizer?.dispose();
      await trainer.shutdown();
    }
  }
  return null;
}

const describeScore = (s: DevScore) =>
  `${(s.devEx * 100).toFixed(1)}% (${s.correct}/${s.total})${s.vote ? `, vote of ${s.vote.samples}: ${(s.vote.devEx * 100).toFixed(1)}% (${s.vote.correct}/${s.vote.total})` : ''}`;

/** The adapter file config.startFrom names (a path, or a registered adapter), or null for a fresh LoRA. */
function startAdapter(config: TrainConfig, models?: Models): string | null {
  const from = config.startFrom;
  if (!from) return null;
  if ('path' in from) {
    const file = path.resolve(from.path);
    if (!fs.existsSync(file)) throw new SquillError('NOT_FOUND', `The start adapter ${file} does not exist`);
    return file;
  }
  const adapter = models?.list().flatMap((m) => m.adapters).find((a) => a.id === from.adapterId);
  if (!adapter) throw new SquillError('NOT_FOUND', `No registered adapter has the id ${from.adapterId}`);
  return adapter.path;
}

/** Keeps the last few checkpoints and the best one; older files are deleted with their rows. */
function prune(id: string, deps: RunDeps, log: (line: string) => void) {
  const all = deps.jobs.checkpoints(id);
  for (const c of all.slice(0, -KEEP_CHECKPOINTS)) {
    if (c.best) continue;
    deps.jobs.removeCheckpoint(id, c.step);
    fs.rmSync(c.path, { force: true });
    log(`removed the checkpoint of step ${c.step} (kept: the last ${KEEP_CHECKPOINTS} and the best)`);
  }
}

/** The finished adapters (the best evaluated one where the dev set was used), registered with the model manager. */
async function register(job: TrainJob, model: string, phases: Phase[], deps: RunDeps, log: (line: string) => void): Promise<TrainJob['adapters']> {
  const dir = jobDir(deps.dataDir, job.id);
  const best = deps.jobs.bestEval(job.id);
  const adapters: TrainJob['adapters'] = phases.map((p) => {
    const bestFile = path.join(dir, 'adapters', `best-${p.role}.gguf`);
    const useBest = p.role === MAIN_ROLE && best && fs.existsSync(bestFile);
    return { role: p.role, path: useBest ? bestFile : path.join(dir, 'adapters', `${p.role}.gguf`), adapterId: null, step: useBest ? best.step : p.end };
  });
  let modelId: string | null = null;
  if (deps.models) {
    try {
      if ('id' in job.config.model) modelId = job.config.model.id;
      else {
        const real = fs.realpathSync(model);
        const known = deps.models.list().find((m) => m.path && fs.existsSync(m.path) && fs.realpathSync(m.path) === real);
        modelId = known?.id ?? (await deps.models.add(model, undefined, 'file')).id;
      }
      for (const a of adapters) {
        const name = adapters.length > 1 ? `${job.name} (${a.role})` : job.name;
        a.adapterId = (await deps.models.addAdapter(modelId, a.path, name, 'trained')).id;
      }
    } catch (err) {
      log(`the adapters could not be added to the model manager: ${(err as Error).message}`);
    }
  }
  deps.jobs.setResult(job.id, { adapters, modelId });
  return adapters;
}
