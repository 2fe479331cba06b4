/**
 * GRPO: the advantage and token-weight algebra (the weights are the gradient of GRPO's objective, checked by finite
 * differences), and a GRPO job end to end with the real trainer: rollouts under the schema grammar, rewards from the
 * sandbox, one update per step, rollouts kept per step, and a trainer killed with SIGKILL resuming to the same
 * rollouts and the same adapter as an uninterrupted run.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrainConfigBaseSchema, type TrainJob } from '../../../shared/contract/index.ts';
import { createEventHub } from '../../../shared/rpc/events.ts';
import { mulberry32 } from '../../../shared/random.ts';
import { DEFAULT_RESOURCES_DIR } from '../../index.ts';
import { createSandboxPool, type SandboxPool } from '../../db/index.ts';
import { createModel } from '../../llm/index.ts';
import { openStore } from '../../store/index.ts';
import { createJobs, jobDir } from '../jobs/index.ts';
import { advantages, k3, tokenWeights } from './grpo.ts';
import { trainerUnavailable } from '../../../../test/helpers.ts';

describe('GRPO algebra', () => {
  it('normalises advantages per group and skips a group without variance', () => {
    const a = advantages([0, 1, 2, 3], 1e-4);
    expect(a.skipped).toBe(false);
    expect(a.advantages.reduce((x, y) => x + y, 0)).toBeCloseTo(0, 12);
    // (R - mean) / (std + eps) with the sample std sqrt(5/3)
    expect(a.advantages[3]).toBeCloseTo(1.5 / (Math.sqrt(5 / 3) + 1e-4), 12);
    expect(advantages([2, 2, 2], 1e-4)).toEqual({ advantages: [0, 0, 0], mean: 2, std: 0, skipped: true });
  });

  it('k3 is a non-negative KL estimate that is 0 where policy and reference agree', () => {
    const rng = mulberry32(5);
    for (let i = 0; i < 1000; i++) {
      const lp = -10 * rng();
      const ref = -10 * rng();
      expect(k3(lp, ref)).toBeGreaterThanOrEqual(0);
    }
    expect(k3(-1.3, -1.3)).toBe(0);
  });

  it('token weights are the gradient of n * (A * lp - beta * k3(lp, ref)) with respect to each log-prob (finite differences)', () => {
    const rng = mulberry32(9);
    for (let trial = 0; trial < 50; trial++) {
      const T = 1 + Math.floor(rng() * 6);
      const lp = Array.from({ length: T }, () => -6 * rng());
      const ref = Array.from({ length: T }, () => -6 * rng());
      const advantage = 4 * rng() - 2;
      const beta = rng() < 0.3 ? 0 : rng();
      const norm = 1 / (T * (1 + Math.floor(rng() * 8)));
      const objective = (x: number[]) => x.reduce((s, l, t) => s + norm * (advantage * l - beta * k3(l, ref[t]!)), 0);
      const w = tokenWeights({ advantage, lp, ref, beta, norm });
      for (let t = 0; t < T; t++) {
        const h = 1e-5;
        const up = [...lp];
        const down = [...lp];
        up[t]! += h;
        down[t]! -= h;
        const numeric = (objective(up) - objective(down)) / (2 * h);
        // central differences of a smooth function in doubles: error ~h^2 * |f'''| + eps/h, far below 1e-6 here
        expect(Math.abs(w[t]! - numeric)).toBeLessThan(1e-6);
      }
    }
  });
});

const unavailable = trainerUnavailable();

const DB = path.join(DEFAULT_RESOURCES_DIR, 'demo', 'concert_singer.sqlite');
const TRAIN = [
  ['How many singers are there?', 'SELECT count(*) FROM singer'],
  ['List the names of all stadiums.', 'SELECT Name FROM stadium'],
  ['What is the average age of singers?', 'SELECT avg(Age) FROM singer'],
];

describe.skipIf(unavailable !== null && !process.env.CI)('a GRPO job', () => {
  let dir: string;
  let model: string;
  let sandbox: SandboxPool;

  const config = () =>
    TrainConfigBaseSchema.parse({
      model: { path: model },
      dataset: { kind: 'jsonl', path: path.join(dir, 'train.jsonl') },
      devFraction: 0,
      lora: { rank: 4, alpha: 8, targets: ['q', 'v'] },
      lr: 1e-2,
      schedule: { kind: 'constant' },
      steps: 4,
      batchSize: 2,
      checkpointEvery: 2,
      seed: 3,
      prompt: { sampleRows: 0 },
      // the schema grammar gives a random model's samples the format and executable SQL: rewards vary
      grpo: { group: 4, maxTokens: 128, grammar: 'schema', maxReasoningChars: 110, beta: 0.04 },
    });
  const open = (dataDir: string) => {
    const store = openStore(dataDir);
    const hub = createEventHub();
    const jobs = createJobs({ store, hub, dataDir, sandbox });
    return {
      store, hub, jobs, dataDir,
      async close() {
        await jobs.close();
        hub.close();
        store.close();
      },
    };
  };
  const rollouts = (dataDir: string, job: TrainJob) => {
    const d = path.join(jobDir(dataDir, job.id), 'rollouts');
    return fs.readdirSync(d).sort().map((f) => JSON.parse(fs.readFileSync(path.join(d, f), 'utf8')) as { step: number; groups: { skipped: boolean; samples: { text: string; advantage: number; rewards: { format: number; execution: number; memory: number | null; total: number } }[] }[] });
  };

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'squill-grpo-test-'));
    model = path.join(dir, 'tiny.gguf');
    createModel({ arch: 'llama', shape: { layers: 2, embd: 64, ff: 128, heads: 4, kvHeads: 2 }, vocab: 'phi-3', out: model, seed: 5 });
    fs.writeFileSync(path.join(dir, 'train.jsonl'), TRAIN.map(([question, sql], i) => JSON.stringify({ id: `t${i}`, question, sql, db_path: DB })).join('\n'));
    sandbox = createSandboxPool({ size: 1 });
  });
  afterAll(async () => {
    await sandbox?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('samples, scores and updates per step, keeps the rollouts, and resumes after SIGKILL and after a pause to the same rollouts and adapter', async () => {
    const reference = open(path.join(dir, 'reference'));
    const job = reference.jobs.create({ method: 'grpo', config: config() });
    const done = await reference.jobs.settled(job.id);
    expect(done.state).toBe('done');
    const { metrics } = reference.jobs.metrics(job.id);
    expect(metrics.map((m) => m.step)).toEqual([1, 2, 3, 4]);
    for (const m of metrics) {
      for (const key of ['reward', 'reward_format', 'reward_execution', 'reward_std', 'zero_variance_groups', 'completion_tokens', 'rollout_tok_s', 'rollout_s', 'update_s']) {
        expect(Number.isFinite(m.extra?.[key]), key).toBe(true);
      }
      expect(m.extra!.reward).toBeGreaterThanOrEqual(0);
      expect(m.extra!.reward).toBeLessThanOrEqual(4);
      expect(m.extra!.kl).toBeGreaterThanOrEqual(0);
    }
    const kept = rollouts(reference.dataDir, done);
    expect(kept.map((r) => r.step)).toEqual([1, 2, 3, 4]);
    let varied = 0;
    for (const r of kept) {
      expect(r.groups).toHaveLength(2);
      for (const g of r.groups) {
        expect(g.samples).toHaveLength(4);
        // advantages are centred within a group and ordered as the rewards are
        expect(Math.abs(g.samples.reduce((s, x) => s + x.advantage, 0))).toBeLessThan(1e-6);
        for (const a of g.samples) {
          expect(a.rewards.total).toBeGreaterThanOrEqual(0);
          expect(a.rewards.total).toBeLessThanOrEqual(4);
          if (a.rewards.format === 0) expect(a.rewards.total).toBe(0);
          for (const b of g.samples) if (a.rewards.total > b.rewards.total) expect(a.advantage).toBeGreaterThan(b.advantage);
        }
        expect(g.skipped).toBe(g.samples.every((x) => x.rewards.total === g.samples[0]!.rewards.total));
        if (!g.skipped) varied++;
      }
    }
    // under the schema grammar with a 110-character reasoning budget a random model's samples differ in format,
    // execution and operations (rewards 0, 1, 2, 2.5… in one group); all 8 groups tying would mean the rewards
    // ignore the samples. With variance the update is not zero: the adapter left its start (B = 0)
    expect(varied).toBeGreaterThan(0);
    expect(metrics.some((m) => m.gradNorm > 0)).toBe(true);
    expect(reference.jobs.rollouts(job.id, 2).step).toBe(2);
    expect(() => reference.jobs.rollouts(job.id, 9)).toThrow(/No rollouts are kept for step 9/);
    const baseline = fs.readFileSync(done.adapters[0]!.path);
    // the estimate sizes an update of G completions per prompt: sequences of prompt + completion, G x batch of them
    const est = await reference.jobs.estimate({ method: 'grpo', config: config() });
    const data = JSON.parse(fs.readFileSync(path.join(jobDir(reference.dataDir, job.id), 'data.json'), 'utf8')) as { ctx: number; adapters: { prompts: { tokens: number[] }[] }[] };
    const longestPrompt = Math.max(...data.adapters[0]!.prompts.map((p) => p.tokens.length));
    expect(est.adapters[0]!.longestTokens).toBeGreaterThanOrEqual(longestPrompt + 128);
    expect(est.adapters[0]!.ctx).toBe(data.ctx);
    expect(est.adapters[0]!.meanTokens).toBeGreaterThan(128);
    await reference.close();

    const killed = open(path.join(dir, 'killed'));
    let fired = false;
    killed.hub.subscribe('train.progress', (p) => {
      const payload = p as { step: number; metric: unknown };
      if (!fired && payload.metric && payload.step >= 3) {
        fired = true;
        process.kill(killed.jobs.trainerPid()!, 'SIGKILL');
      }
    });
    const job2 = killed.jobs.create({ method: 'grpo', config: config() });
    const done2 = await killed.jobs.settled(job2.id);
    expect(done2.state).toBe('done');
    expect(killed.jobs.metrics(job2.id).metrics.map((m) => m.step)).toEqual([1, 2, 3, 4]);
    expect(killed.jobs.log(job2.id).text).toMatch(/re-doing 1 step\(s\) after the checkpoint at step 2/);
    // the re-done step sampled exactly what the uninterrupted run sampled, and the adapters are byte-identical
    expect(rollouts(killed.dataDir, done2).map((r) => r.groups.map((g) => g.samples.map((s) => s.text)))).toEqual(kept.map((r) => r.groups.map((g) => g.samples.map((s) => s.text))));
    expect(fs.readFileSync(done2.adapters[0]!.path).equals(baseline)).toBe(true);
    await killed.close();

    // a pause checkpoints and stops; resume continues to the same rollouts and adapter
    const paused = open(path.join(dir, 'paused'));
    const job3 = paused.jobs.create({ method: 'grpo', config: config() });
    let asked = false;
    paused.hub.subscribe('train.progress', (p) => {
      const payload = p as { step: number; metric: unknown };
      if (!asked && payload.metric && payload.step >= 1) {
        asked = true;
        paused.jobs.pause(job3.id);
      }
    });
    const stopped = await paused.jobs.settled(job3.id);
    expect(stopped.state).toBe('paused');
    expect(stopped.step).toBeLessThan(4);
    expect(paused.jobs.get(job3.id).checkpoints.at(-1)!.step).toBe(stopped.step);
    paused.jobs.resume(job3.id);
    const done3 = await paused.jobs.settled(job3.id);
    expect(done3.state).toBe('done');
    expect(paused.jobs.metrics(job3.id).metrics.map((m) => m.step)).toEqual([1, 2, 3, 4]);
    expect(rollouts(paused.dataDir, done3).map((r) => r.groups.map((g) => g.samples.map((s) => s.text)))).toEqual(kept.map((r) => r.groups.map((g) => g.samples.map((s) => s.text))));
    expect(fs.readFileSync(done3.adapters[0]!.path).equals(baseline)).toBe(true);
    await paused.close();
  }, 600_000);

  it('with the memory reward on: the memory is seeded from the training golds, M is computed and recorded', async () => {
    const app = open(path.join(dir, 'memory'));
    const base = config();
    const job = app.jobs.create({ method: 'grpo', config: { ...base, steps: 2, grpo: { ...(base.grpo as object), rewards: { memory: { enabled: true } } } } });
    const done = await app.jobs.settled(job.id);
    expect(done.state).toBe('done');
    // without an embedding model the policy's base model embeds; the three training golds seed the memory
    expect(app.jobs.log(job.id).text).toMatch(/memory reward: seeded with 3 rationales derived from the training golds/);
    for (const m of app.jobs.metrics(job.id).metrics) {
      expect(m.extra!.reward_memory).toBeGreaterThanOrEqual(0);
      expect(m.extra!.reward_memory).toBeLessThanOrEqual(1);
    }
    for (const r of rollouts(app.dataDir, done)) {
      for (const g of r.groups) for (const x of g.samples) if (x.rewards.format === 1) expect(x.rewards.total).toBeCloseTo(1 + x.rewards.execution + (x.rewards.memory ?? 0), 9);
    }
    await app.close();
  }, 600_000);
});
