/**
 * Training jobs end to end with the real trainer, node-llama-cpp and SQLite: a job runs to done with its metrics,
 * evaluations and adapter; a trainer killed with SIGKILL mid-run, a pause and an app restart all resume from the
 * last checkpoint with a continuous curve and the same final adapter as an uninterrupted run with the same seed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrainConfigBaseSchema, type TrainJob } from '../../../shared/contract/index.ts';
import { createEventHub, type EventHub } from '../../../shared/rpc/events.ts';
import { DEFAULT_RESOURCES_DIR } from '../../index.ts';
import { createSandboxPool, type SandboxPool } from '../../db/index.ts';
import { createModel } from '../../llm/index.ts';
import { createModels } from '../../models/index.ts';
import { openStore, type Store } from '../../store/index.ts';
import { createJobs, type Jobs } from './index.ts';
import { trainerUnavailable } from '../../../../test/helpers.ts';

const unavailable = trainerUnavailable();

const DB = path.join(DEFAULT_RESOURCES_DIR, 'demo', 'concert_singer.sqlite');
const TRAIN = [
  ['How many singers are there?', 'SELECT count(*) FROM singer'],
  ['How many stadiums are there?', 'SELECT count(*) FROM stadium'],
  ['How many concerts are there?', 'SELECT count(*) FROM concert'],
  ['List the names of all singers.', 'SELECT Name FROM singer'],
  ['List the names of all stadiums.', 'SELECT Name FROM stadium'],
  ['List all concert names.', 'SELECT concert_Name FROM concert'],
];
const DEV = [
  ['How many singers are there in total?', 'SELECT count(*) FROM singer'],
  ['List all song names.', 'SELECT Song_Name FROM singer'],
];

describe.skipIf(unavailable !== null && !process.env.CI)('training jobs', () => {
  let dir: string;
  let model: string;
  let sandbox: SandboxPool;
  let baseline: Buffer;

  const jsonl = (rows: string[][], name: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, rows.map(([question, sql], i) => JSON.stringify({ id: `${name}-${i}`, question, sql, db_path: DB })).join('\n'));
    return file;
  };
  const config = (extra: Record<string, unknown> = {}) =>
    TrainConfigBaseSchema.parse({
      model: { path: model },
      dataset: { kind: 'jsonl', path: path.join(dir, 'train.jsonl') },
      devFraction: 0,
      lora: { rank: 4, alpha: 8, targets: ['q', 'v'] },
      lr: 2e-3,
      steps: 8,
      batchSize: 2,
      checkpointEvery: 3,
      seed: 7,
      prompt: { sampleRows: 0 },
      ...extra,
    });

  /** a fresh data folder and queue around one store */
  const open = (dataDir: string, withModels = false, benchmarks?: () => { bench: 'spider' | 'bird'; path: string }[]) => {
    const store = openStore(dataDir);
    const hub = createEventHub();
    const models = withModels ? createModels({ store, hub, dataDir }) : undefined;
    const jobs = createJobs({ store, hub, dataDir, sandbox, models, benchmarks });
    return {
      store, hub, jobs, models,
      async close() {
        await jobs.close();
        await models?.close();
        hub.close();
        store.close();
      },
    };
  };
  const steps = (store: Store, id: string) =>
    (store.db.prepare('SELECT step FROM train_metrics WHERE job_id = ? ORDER BY step').all(id) as { step: number }[]).map((r) => r.step);
  const finalAdapter = (job: TrainJob) => fs.readFileSync(job.adapters.find((a) => a.role === 'main')!.path);
  const onStep = (hub: EventHub, step: number, act: () => void) => {
    let fired = false;
    hub.subscribe('train.progress', (p) => {
      const payload = p as { step: number; metric: unknown };
      if (!fired && payload.metric && payload.step >= step) {
        fired = true;
        act();
      }
    });
  };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'squill-jobs-test-'));
    model = path.join(dir, 'tiny.gguf');
    createModel({ arch: 'llama', shape: { layers: 2, embd: 64, ff: 128, heads: 4, kvHeads: 2 }, vocab: 'phi-3', out: model, seed: 11 });
    jsonl(TRAIN, 'train.jsonl');
    jsonl(DEV, 'dev.jsonl');
    sandbox = createSandboxPool({ size: 1 });
    // the uninterrupted reference run the interrupted ones are compared with
    const app = open(path.join(dir, 'reference'));
    const job = app.jobs.create({ method: 'sft', config: config() });
    const done = await app.jobs.settled(job.id);
    expect(done.state).toBe('done');
    baseline = finalAdapter(done);
    await app.close();
  }, 600_000);
  afterAll(async () => {
    await sandbox?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('runs a job to done: metrics per step, dev evaluations before and after, checkpoints, log, adapter in the model manager', async () => {
    const app = open(path.join(dir, 'done'), true);
    const progress: number[] = [];
    app.hub.subscribe('train.progress', (p) => progress.push((p as { step: number }).step));
    const job = app.jobs.create({ name: 'tiny sft', method: 'sft', config: config({ dev: { kind: 'jsonl', path: path.join(dir, 'dev.jsonl') }, eval: { maxTokens: 16 }, evalEvery: 4 }) });
    const done = await app.jobs.settled(job.id);
    expect(done).toMatchObject({ state: 'done', step: 8, totalSteps: 8, reason: null });
    const { metrics, evals } = app.jobs.metrics(job.id);
    expect(metrics.map((m) => m.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    for (const m of metrics) {
      expect(Number.isFinite(m.loss) && m.loss > 0).toBe(true);
      expect(m.lr).toBeGreaterThan(0);
      expect(m.tokensPerS).toBeGreaterThan(0);
      expect(m.rssBytes).toBeGreaterThan(0);
    }
    expect(metrics[0]!.lr).toBeGreaterThan(metrics[7]!.lr); // cosine
    expect(evals.map((e) => [e.step, e.total])).toEqual([[0, 2], [4, 2], [8, 2]]);
    expect(done.devExBefore).toBe(evals[0]!.devEx);
    expect(done.best).not.toBeNull();
    const { checkpoints } = app.jobs.get(job.id);
    expect(checkpoints.filter((c) => c.best)).toHaveLength(1);
    for (const c of checkpoints) expect(fs.existsSync(c.path)).toBe(true);
    expect(progress).toContain(8);
    // registered with the model manager, ready for the workbench
    const registered = app.models!.list();
    expect(registered).toHaveLength(1);
    expect(registered[0]!.adapters).toEqual([expect.objectContaining({ name: 'tiny sft', source: 'trained', path: fs.realpathSync(done.adapters[0]!.path) })]);
    expect(done.adapters[0]).toMatchObject({ role: 'main', adapterId: registered[0]!.adapters[0]!.id });
    const log = app.jobs.log(job.id).text;
    expect(log).toMatch(/main adapter: 6 samples/);
    expect(log).toMatch(/dev EX before training/);
    // the next estimate on this model takes its time from these steps' measured throughput (the first 2 are warm-up)
    const est = await app.jobs.estimate({ method: 'sft', config: config() });
    expect(est.timeFrom).toEqual({ kind: 'runs', steps: 6, tokensPerS: expect.any(Number) });
    const rates = metrics.slice(2).map((m) => m.tokensPerS).sort((a, b) => a - b);
    expect((est.timeFrom as { tokensPerS: number }).tokensPerS).toBe(rates[3]);
    expect(est.seconds).toBeCloseTo((8 * 2 * est.adapters[0]!.meanTokens) / rates[3]!, 6);
    await app.close();
  }, 600_000);

  it('restarts a trainer killed with SIGKILL from the last checkpoint: every step once, the same adapter', async () => {
    const app = open(path.join(dir, 'killed'));
    onStep(app.hub, 4, () => process.kill(app.jobs.trainerPid()!, 'SIGKILL'));
    const job = app.jobs.create({ method: 'sft', config: config() });
    const done = await app.jobs.settled(job.id);
    expect(done.state).toBe('done');
    expect(steps(app.store, job.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const log = app.jobs.log(job.id).text;
    expect(log).toMatch(/the trainer died at step \d: The trainer process killed by SIGKILL/);
    expect(log).toMatch(/re-doing 1 step\(s\) after the checkpoint at step 3/);
    expect(log).toMatch(/resumed from the checkpoint at step 3/);
    expect(finalAdapter(done).equals(baseline)).toBe(true);
    await app.close();
  }, 600_000);

  it('pauses at a checkpoint and resumes to the same adapter', async () => {
    const app = open(path.join(dir, 'paused'));
    const job = app.jobs.create({ method: 'sft', config: config() });
    onStep(app.hub, 2, () => app.jobs.pause(job.id));
    const paused = await app.jobs.settled(job.id);
    expect(paused.state).toBe('paused');
    const last = app.jobs.get(job.id).checkpoints.at(-1)!;
    expect(last.step).toBe(paused.step);
    expect(paused.step).toBeLessThan(8);
    app.jobs.resume(job.id);
    const done = await app.jobs.settled(job.id);
    expect(done.state).toBe('done');
    expect(steps(app.store, job.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(finalAdapter(done).equals(baseline)).toBe(true);
    await app.close();
  }, 600_000);

  it('resumes a job found running at start (the app quit mid-run) from the checkpoint written on quitting', async () => {
    const dataDir = path.join(dir, 'restart');
    const first = open(dataDir);
    const job = first.jobs.create({ method: 'sft', config: config() });
    let stopping: Promise<void> | null = null;
    onStep(first.hub, 5, () => (stopping = first.jobs.close()));
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (stopping) {
          clearInterval(timer);
          void stopping.then(resolve);
        }
      }, 20);
    });
    expect(first.jobs.get(job.id).job.state).toBe('running');
    const reached = steps(first.store, job.id).at(-1)!;
    expect(reached).toBeGreaterThanOrEqual(5);
    // closing let the step in flight finish and checkpointed it: nothing is re-done at the next start
    expect(first.jobs.get(job.id).checkpoints.at(-1)!.step).toBe(reached);
    await first.close();

    const second = open(dataDir);
    const done = await second.jobs.settled(job.id);
    expect(done.state).toBe('done');
    expect(steps(second.store, job.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(second.jobs.log(job.id).text).toMatch(/found running at start/);
    expect(second.jobs.log(job.id).text).toMatch(new RegExp(`resumed from the checkpoint at step ${reached}`));
    expect(second.jobs.log(job.id).text).not.toMatch(/re-doing/);
    expect(finalAdapter(done).equals(baseline)).toBe(true);
    await second.close();
  }, 600_000);

  it('takes a dev evaluation that a pause interrupted again on resume; logs the estimated and measured peak memory', async () => {
    const app = open(path.join(dir, 'paused-eval'));
    const job = app.jobs.create({ method: 'sft', config: config({ dev: { kind: 'jsonl', path: path.join(dir, 'dev.jsonl') }, eval: { maxTokens: 16 }, evalEvery: 4 }) });
    // the progress event of step 4 comes before that step's evaluation: the pause lands in it
    onStep(app.hub, 4, () => app.jobs.pause(job.id));
    const paused = await app.jobs.settled(job.id);
    expect(paused).toMatchObject({ state: 'paused', step: 4 });
    expect(app.jobs.metrics(job.id).evals.map((e) => e.step)).toEqual([0]);
    app.jobs.resume(job.id);
    const done = await app.jobs.settled(job.id);
    expect(done.state).toBe('done');
    expect(app.jobs.metrics(job.id).evals.map((e) => e.step)).toEqual([0, 4, 8]);
    expect(steps(app.store, job.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const log = app.jobs.log(job.id).text;
    expect(log).toMatch(/main adapter: estimated peak memory \d+ MiB \(context \d+, sequences up to \d+ tokens\)/);
    const measured = /main adapter: trainer peak memory (\d+) MiB, estimated (\d+) MiB \(([-+][\d.]+)%\)/.exec(log);
    expect(measured, log).not.toBeNull();
    console.log(`estimator on the tiny job: measured ${measured![1]} MiB, estimated ${measured![2]} MiB (${measured![3]}%)`);
    await app.close();
  }, 600_000);

  it('checks a run\'s data (invalid rows by line, split, benchmark overlap, tokens) and estimates it from its real samples', async () => {
    const bench = path.join(dir, 'bench-spider');
    fs.mkdirSync(bench, { recursive: true });
    fs.writeFileSync(path.join(bench, 'dev.json'), JSON.stringify([
      { db_id: 'concert_singer', question: 'how many singers are there', query: 'SELECT count(*) FROM singer' },
      { db_id: 'concert_singer', question: 'Show the stadium names', query: 'select name from stadium' },
    ]));
    const file = path.join(dir, 'check.jsonl');
    fs.writeFileSync(file, fs.readFileSync(path.join(dir, 'train.jsonl'), 'utf8') + '\n{broken\n' + JSON.stringify({ question: 'no sql', db_path: DB }) + '\n');
    const app = open(path.join(dir, 'check'), false, () => [{ bench: 'spider', path: bench }]);
    const cfg = config({ dataset: { kind: 'jsonl', path: file }, devFraction: 0.34 });
    const check = await app.jobs.checkData({ method: 'sft', config: cfg });
    expect(check.sources).toEqual([
      { role: 'dataset', kind: 'jsonl', path: file, examples: 6, invalid: [{ line: 7, reason: 'not a JSON object' }, { line: 8, reason: 'the SQL is missing' }], invalidTotal: 2 },
    ]);
    expect(check.train + check.dev).toBe(6);
    expect(check.dev).toBe(2);
    expect(check.devFrom).toBe('split');
    expect(check.databases).toEqual([{ dbId: 'concert_singer', train: check.train, dev: 2 }]);
    const [spider] = check.contamination;
    // which of the overlapping questions landed in train depends on the split; count them from the check itself
    const inTrain = check.sample.map((e) => e.question);
    const q = inTrain.filter((t) => t === 'How many singers are there?').length;
    const sql = inTrain.filter((t) => t === 'How many singers are there?' || t === 'List the names of all stadiums.').length;
    expect(spider).toMatchObject({ name: 'Spider dev', examples: 2, questionOverlap: q, sqlOverlap: sql, overlapExamples: sql });
    expect(spider!.overlapping.map((o) => o.question).sort()).toEqual(inTrain.filter((t) => t === 'How many singers are there?' || t === 'List the names of all stadiums.').sort());
    expect(check.tokens.question.max).toBeGreaterThan(3);
    expect(check.tokens.sql.mean).toBeGreaterThan(3);
    expect(check.sample[0]!.questionTokens).toBeGreaterThan(0);

    // the estimate's context is the one the job computes from the same samples (the reference run's snapshot)
    const [refJob] = fs.readdirSync(path.join(dir, 'reference', 'jobs'));
    const snapshot = JSON.parse(fs.readFileSync(path.join(dir, 'reference', 'jobs', refJob!, 'data.json'), 'utf8')) as { ctx: number; adapters: { sequences: { tokens: number[] }[] }[] };
    const est = await app.jobs.estimate({ method: 'sft', config: config() });
    expect(est.adapters).toHaveLength(1);
    expect(est.adapters[0]).toMatchObject({ role: 'main', samples: 6, steps: 8, ctx: snapshot.ctx });
    expect(Object.values(est.adapters[0]!.byTask).reduce((a, b) => a + b, 0)).toBe(6);
    expect(est.adapters[0]!.longestTokens).toBe(Math.max(...snapshot.adapters[0]!.sequences.map((q) => q.tokens.length)));
    expect(est.peakBytes).toBe(est.adapters[0]!.memory.totalBytes);
    expect(est.totalSteps).toBe(8);
    expect(est.seconds).toBeGreaterThan(0);
    expect(est.timeFrom).toEqual({ kind: 'flops' }); // no run on this model in this data folder yet
    expect(est.examples).toHaveLength(6);
    // a subset is previewed and scaled up; lrsql has two adapters trained one after the other
    const part = await app.jobs.estimate({ method: 'sft', config: config(), limit: 3 });
    expect(part).toMatchObject({ previewed: 3, trainExamples: 6 });
    expect(part.adapters[0]!.samples).toBe(6);
    const lrsql = await app.jobs.estimate({ method: 'lrsql', config: config() });
    expect(lrsql.adapters.map((a) => a.role)).toEqual(['link', 'main']);
    expect(lrsql.totalSteps).toBe(16);
    expect(lrsql.peakBytes).toBe(Math.max(...lrsql.adapters.map((a) => a.memory.totalBytes)));
    await expect(app.jobs.estimate({ method: 'sft', config: config({ model: { path: path.join(dir, 'missing.gguf') } }) })).rejects.toThrow(/does not exist/);
    await app.close();
  }, 600_000);
});
