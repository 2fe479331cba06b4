/**
 * Training jobs: a persistent queue (one job at a time), with pause, resume and cancel; jobs left running by a
 * crash or a quit resume from their last checkpoint when the queue starts. State, metrics, evaluations and
 * checkpoints live in the app store; each job's files (log, data snapshot, checkpoints, adapters) in
 * <dataDir>/jobs/<id>/.
 */
import fs from 'node:fs';
import path from 'node:path';
import { jobCan, type Connection, type ParsedInput, type TrainCheckpoint, type TrainDataCheck, type TrainEstimate, type TrainEval, type TrainJob, type TrainMethodInfo, type TrainMetric, type TrainRollouts } from '../../../shared/contract/index.ts';
import { SquillError } from '../../../shared/errors.ts';
import type { HandlersOf } from '../../../shared/rpc/backend.ts';
import type { EventHub } from '../../../shared/rpc/events.ts';
import type { SandboxPool } from '../../db/index.ts';
import type { Models } from '../../models/index.ts';
import type { Store } from '../../store/index.ts';
import type { Bench } from '../../eval/index.ts';
import { createDatasetCache } from '../datasets/index.ts';
import { methods as builtIn, type MethodRegistry } from '../methods/index.ts';
import { benchmarkExamples, checkData, estimateRun } from './preview.ts';
import { appendLog, jobDir, resolveModel, runJob, type Control } from './run.ts';
import { realPath } from './realPath.ts';
import { readRollouts } from './rollouts.ts';
import { createJobStore } from './store.ts';

export { jobDir } from './run.ts';
// the job store and the rollout writer, for tests that set up an online job's records without running one
export { createJobStore } from './store.ts';
export { connectionsOf, writeRollouts } from './rollouts.ts';
export { learningRate, permutation, planPhases, stepBatches } from './plan.ts';

/** train.* */
export function trainHandlers(jobs: Jobs): HandlersOf<'train'> {
  return {
    'train.methods': () => jobs.methods(),
    'train.jobs': () => jobs.list(),
    'train.job': ({ id }) => jobs.get(id),
    'train.create': (input) => jobs.create(input),
    'train.pause': ({ id }) => jobs.pause(id),
    'train.resume': ({ id }) => jobs.resume(id),
    'train.cancel': ({ id }) => jobs.cancel(id),
    'train.metrics': ({ id, since }) => jobs.metrics(id, since),
    'train.log': ({ id, offset }) => jobs.log(id, offset),
    'train.rollouts': ({ id, step }) => jobs.rollouts(id, step),
    'train.checkData': (input) => jobs.checkData(input),
    'train.estimate': (input) => jobs.estimate(input),
  };
}

export interface Jobs {
  list(): TrainJob[];
  get(id: string): { job: TrainJob; checkpoints: TrainCheckpoint[]; evals: TrainEval[] };
  /** the training methods (train.methods) */
  methods(): TrainMethodInfo[];
  create(input: ParsedInput<'train.create'>): TrainJob;
  pause(id: string): TrainJob;
  resume(id: string): TrainJob;
  cancel(id: string): TrainJob;
  metrics(id: string, since?: number): { metrics: TrainMetric[]; evals: TrainEval[] };
  log(id: string, offset?: number): { text: string; size: number };
  /** an online job's rollouts at a step (default: the latest kept) */
  rollouts(id: string, step?: number): TrainRollouts;
  /** the run's data as a job would read it (for the wizard) */
  checkData(input: ParsedInput<'train.checkData'>): Promise<TrainDataCheck>;
  /** the estimator's memory and time for a run, from its real samples */
  estimate(input: ParsedInput<'train.estimate'>): Promise<TrainEstimate>;
  /** resolves when the job is no longer queued or running (done, failed, cancelled, paused) */
  settled(id: string): Promise<TrainJob>;
  /** the running job's trainer process id, if any (tests kill it) */
  trainerPid(): number | null;
  /** stops the running job without changing its state (after a checkpoint when it comes quickly), so the next start resumes it */
  close(): Promise<void>;
}

export interface JobsOptions {
  store: Store;
  hub: EventHub;
  dataDir: string;
  sandbox: SandboxPool;
  models?: Models;
  connections?: { list(): Connection[] };
  trainerBinary?: string;
  /** trainer restarts after an unexpected death (default 3) */
  maxRetries?: number;
  /** false: jobs are only queued (the CLI's other commands open the store too); default true */
  run?: boolean;
  /** how long close() lets the running job finish its step and write a checkpoint before killing the trainer (default 10 s) */
  closeGraceMs?: number;
  /** evaluation benchmark folders on this machine, for the contamination check */
  benchmarks?: () => { bench: Bench; path: string }[];
  /** the training methods (default: the built-in ones; tests add a toy method) */
  methods?: MethodRegistry;
}

const LOG_CHUNK = 1024 * 1024;
const SETTLED: ReadonlySet<TrainJob['state']> = new Set(['done', 'failed', 'cancelled', 'paused']);

export function createJobs(o: JobsOptions): Jobs {
  const methods = o.methods ?? builtIn;
  const jobs = createJobStore(o.store, methods);
  let current: { id: string; control: Control; done: Promise<void> } | null = null;
  let closed = false;
  const waiters = new Map<string, Set<(job: TrainJob) => void>>();

  const changed = () => {
    if (closed) return;
    o.hub.emit('train.changed', jobs.list());
    for (const [id, set] of waiters) {
      const job = jobs.get(id);
      if (!SETTLED.has(job.state) || current?.id === id) continue;
      waiters.delete(id);
      for (const resolve of set) resolve(job);
    }
  };
  const cache = createDatasetCache();
  const deps = {
    jobs,
    methods,
    cache,
    store: o.store,
    sandbox: o.sandbox,
    dataDir: o.dataDir,
    models: o.models,
    connections: o.connections,
    trainerBinary: o.trainerBinary,
    maxRetries: o.maxRetries ?? 3,
    changed,
    progress(jobId: string, metric: TrainMetric | null, evaluation: TrainEval | null) {
      if (closed) return;
      const job = jobs.get(jobId);
      o.hub.emit('train.progress', { jobId, state: job.state, step: job.step, totalSteps: job.totalSteps, metric, eval: evaluation });
    },
  };

  function pump() {
    if (closed || current || o.run === false) return;
    const next = jobs.pending()[0];
    if (!next) return;
    const control: Control = { stop: null, trainer: null };
    const done = runJob(next, deps, control).finally(() => {
      current = null;
      changed();
      setImmediate(pump);
    });
    current = { id: next, control, done };
  }

  const known = (id: string) => jobs.get(id); // throws NOT_FOUND

  /** The median tokens/s of the latest steps trained on this model file (up to 500), or null when none. */
  function measuredThroughput(modelPath: string): { steps: number; tokensPerS: number } | null {
    const target = realPath(modelPath);
    const rates: number[] = [];
    for (const job of jobs.list()) {
      if (rates.length >= 500) break;
      let file: string;
      try {
        file = realPath(resolveModel(job.config, o.models));
      } catch {
        continue; // its model is gone
      }
      if (file !== target) continue;
      rates.push(...jobs.sustainedRates(job.id, 500 - rates.length));
    }
    if (rates.length < 5) return null;
    rates.sort((a, b) => a - b);
    return { steps: rates.length, tokensPerS: rates[Math.floor(rates.length / 2)]! };
  }

  const conflict = (job: TrainJob, what: string) => new SquillError('CONFLICT', `The job "${job.name}" is ${job.state}; it cannot be ${what}`);

  for (const id of jobs.pending()) {
    const job = jobs.get(id);
    if (job.state === 'running') appendLog(jobDir(o.dataDir, id), 'found running at start (the app or the machine stopped); resuming from the last checkpoint');
  }
  setImmediate(pump);

  return {
    methods: () => methods.catalog(),
    list: () => jobs.list(),
    get: (id) => ({ job: known(id), checkpoints: jobs.checkpoints(id), evals: jobs.evals(id) }),
    create({ name, method, config: input }) {
      if (closed) throw new SquillError('UNAVAILABLE', 'Squill is closing');
      const config = methods.parseConfig(method, input);
      const job = jobs.create({ name: name ?? `${method} ${new Date().toISOString().slice(0, 16).replace('T', ' ')}`, config });
      appendLog(jobDir(o.dataDir, job.id), `queued: ${JSON.stringify({ method, config })}`);
      changed();
      setImmediate(pump);
      return job;
    },
    pause(id) {
      const job = known(id);
      if (current?.id === id) {
        current.control.stop ??= 'pause';
        return job;
      }
      if (!jobCan('pause', job.state)) throw conflict(job, 'paused');
      jobs.setState(id, 'paused', 'paused before it started');
      changed();
      return jobs.get(id);
    },
    resume(id) {
      const job = known(id);
      if (current?.id === id) return job;
      if (!jobCan('resume', job.state)) throw conflict(job, 'resumed');
      jobs.setState(id, 'queued', null);
      appendLog(jobDir(o.dataDir, id), 'resume requested');
      changed();
      setImmediate(pump);
      return jobs.get(id);
    },
    cancel(id) {
      const job = known(id);
      if (current?.id === id) {
        current.control.stop = 'cancel';
        current.control.trainer?.kill(); // at once, not after the step
        return job;
      }
      if (!jobCan('cancel', job.state)) throw conflict(job, 'cancelled');
      jobs.setState(id, 'cancelled', 'cancelled by the user');
      appendLog(jobDir(o.dataDir, id), 'cancelled');
      changed();
      return jobs.get(id);
    },
    metrics(id, since = 0) {
      known(id);
      return { metrics: jobs.metrics(id, since), evals: jobs.evals(id, since === 0 ? -1 : since) };
    },
    rollouts(id, step) {
      known(id);
      return readRollouts(jobDir(o.dataDir, id), step, o.connections?.list() ?? []);
    },
    log(id, offset = 0) {
      known(id);
      const file = path.join(jobDir(o.dataDir, id), 'log.txt');
      if (!fs.existsSync(file)) return { text: '', size: 0 };
      const size = fs.statSync(file).size;
      if (offset >= size) return { text: '', size };
      const fd = fs.openSync(file, 'r');
      try {
        const buf = Buffer.alloc(Math.min(LOG_CHUNK, size - offset));
        const n = fs.readSync(fd, buf, 0, buf.length, offset);
        return { text: buf.subarray(0, n).toString('utf8'), size };
      } finally {
        fs.closeSync(fd);
      }
    },
    async checkData({ config }) {
      const model = resolveModel(config, o.models);
      return checkData(config, model, { store: o.store, sandbox: o.sandbox, connections: o.connections, cache, log: () => {}, benchmarks: benchmarkExamples(o.benchmarks?.() ?? []) });
    },
    async estimate({ method, config, limit }) {
      const model = resolveModel(config, o.models);
      return estimateRun(methods, methods.parseConfig(method, config), model, { store: o.store, sandbox: o.sandbox, connections: o.connections, cache, log: () => {}, limit, measured: measuredThroughput(model) });
    },
    settled(id) {
      const job = known(id);
      if (SETTLED.has(job.state) && current?.id !== id) return Promise.resolve(job);
      return new Promise((resolve) => {
        let set = waiters.get(id);
        if (!set) waiters.set(id, (set = new Set()));
        set.add(resolve);
      });
    },
    trainerPid: () => current?.control.trainer?.pid ?? null,
    async close() {
      if (closed) return;
      const running = current;
      if (running) {
        // the step in flight finishes and a checkpoint is written, unless that takes longer than the grace period
        running.control.stop = 'close';
        const graceful = await Promise.race([running.done.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), o.closeGraceMs ?? 10_000).unref())]);
        if (!graceful) {
          running.control.trainer?.kill();
          await running.done;
        }
      }
      closed = true;
    },
  };
}
