/**
 * The method registry: a method added as one spec through the same resolver the built-in ones use (a test-only toy
 * method, registered with createMethodRegistry) is listed by train.methods, estimated, and trained end to end by the
 * real trainer with no other change; the configs and stored jobs of before the registry are still accepted.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { TrainConfigBaseSchema, TrainMethodInfoSchema, type TrainEstimate, type TrainJob } from '../../../shared/contract/index.ts';
import { createEventHub } from '../../../shared/rpc/events.ts';
import { strategyExamples } from '../../ai/index.ts';
import { createCore, DEFAULT_RESOURCES_DIR, type Core } from '../../index.ts';
import { createSandboxPool } from '../../db/index.ts';
import { createModel } from '../../llm/index.ts';
import { openStore } from '../../store/index.ts';
import { createJobs } from '../jobs/index.ts';
import { BUILT_IN, createMethodRegistry, defineMethod, MAIN_ROLE, methods, QUICK } from './index.ts';
import { trainerUnavailable } from '../../../../test/helpers.ts';

/**
 * A two-adapter method in a dozen lines, as a new method's file would hold it: an "aux" adapter learns SQL ->
 * question, the SQL adapter the direct prompt `copies` times (its own setting).
 */
const toy = defineMethod({
  name: 'toy',
  label: 'Toy',
  description: 'test-only: SQL -> question on an aux adapter, the direct prompt on the SQL adapter',
  adapters: [
    { role: 'aux', label: 'aux adapter' },
    { role: MAIN_ROLE, label: 'SQL adapter' },
  ],
  settings: z.strictObject({ copies: z.number().int().min(1).max(4).optional() }),
  evalStrategy: 'direct',
  strategy: null,
  presets: [QUICK],
  async build(e, ctx) {
    const [direct] = await strategyExamples(ctx.db, e, 'direct', ctx.options, await ctx.sampleRows());
    return [
      { task: 'toy_question', messages: [{ role: 'user', content: `Which question does this SQL answer? ${e.sql}` }], target: e.question, adapter: 'aux' },
      ...Array.from({ length: ctx.settings?.copies ?? 1 }, () => ({ ...direct!, adapter: MAIN_ROLE })),
    ];
  },
});

const DB = path.join(DEFAULT_RESOURCES_DIR, 'demo', 'concert_singer.sqlite');
const ROWS = [
  ['How many singers are there?', 'SELECT count(*) FROM singer'],
  ['How many stadiums are there?', 'SELECT count(*) FROM stadium'],
  ['List the names of all singers.', 'SELECT Name FROM singer'],
  ['List all concert names.', 'SELECT concert_Name FROM concert'],
];
const unavailable = trainerUnavailable();

let dir: string;
let data: string;
let model: string;
beforeAll(() => {
  // the whole file's folder (test/helpers' tempDir is emptied after each test)
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'squill-methods-registry-'));
  data = path.join(dir, 'train.jsonl');
  fs.writeFileSync(data, ROWS.map(([question, sql], i) => JSON.stringify({ id: `t${i}`, question, sql, db_path: DB })).join('\n'));
  model = path.join(dir, 'tiny.gguf');
  createModel({ arch: 'llama', shape: { layers: 2, embd: 64, ff: 128, heads: 4, kvHeads: 2 }, vocab: 'phi-3', out: model, seed: 11, cacheDir: path.join(dir, 'cache') });
}, 120_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** a config as a caller sends it (no method: it goes beside the config) */
const config = (extra: Record<string, unknown> = {}) => ({
  model: { path: model },
  dataset: { kind: 'jsonl', path: data },
  devFraction: 0,
  lora: { rank: 4, alpha: 8, targets: ['q', 'v'] },
  lr: 2e-3,
  steps: 3,
  batchSize: 2,
  checkpointEvery: 3,
  seed: 7,
  prompt: { sampleRows: 0 },
  ...extra,
});

describe('a method added through the registry', () => {
  let core: Core;
  const call = async <T,>(method: string, input: unknown): Promise<T> => {
    const res = await core.backend.call(method, input);
    if (!res.ok) throw new Error(`${method}: ${res.error.message}`);
    return res.output as T;
  };
  beforeAll(() => {
    core = createCore({ dataDir: path.join(dir, 'data'), host: 'cli', runJobs: true, methods: createMethodRegistry([toy]), log: () => undefined });
  });
  afterAll(async () => {
    await core?.close();
  });

  it('is listed by train.methods after the built-in ones, as the wizard reads it', async () => {
    const listed = z.array(TrainMethodInfoSchema).parse(await call('train.methods', {}));
    expect(listed.map((m) => m.name)).toEqual([...BUILT_IN.map((m) => m.name), 'toy']);
    expect(listed.at(-1)).toMatchObject({ label: 'Toy', adapters: [{ role: 'aux', linkModel: false }, { role: MAIN_ROLE }], evalStrategy: 'direct', strategy: null, options: null });
    // the default registry does not know it
    expect(() => methods.get('toy')).toThrow(/Unknown training method toy; use one of/);
  });

  it('is estimated per adapter from its own samples, and its settings are checked by its schema', async () => {
    const estimate = await call<TrainEstimate>('train.estimate', { method: 'toy', config: config({ toy: { copies: 2 } }) });
    expect(estimate.adapters.map((a) => [a.role, a.label, a.samples, a.byTask])).toEqual([
      ['aux', 'aux adapter', ROWS.length, { toy_question: ROWS.length }],
      [MAIN_ROLE, 'SQL adapter', 2 * ROWS.length, { ts: 2 * ROWS.length }],
    ]);
    expect(estimate.totalSteps).toBe(6); // 3 steps per adapter
    await expect(call('train.create', { method: 'toy', config: config({ toy: { copies: 9 } }) })).rejects.toThrow(/toy\.copies/);
    await expect(call('train.create', { method: 'nope', config: config() })).rejects.toThrow(/Unknown training method nope/);
  }, 120_000);

  it.skipIf(unavailable !== null && !process.env.CI)('trains end to end: a phase per adapter in its order, both adapters registered', async () => {
    const created = await call<TrainJob>('train.create', { name: 'toy run', method: 'toy', config: config() });
    expect(created.config.eval.strategy).toBe('direct'); // the method's dev strategy fills the config's
    const done = await core.jobs.settled(created.id);
    expect(done.state, done.reason ?? '').toBe('done');
    expect(done.step).toBe(6);
    expect(done.adapters.map((a) => [a.role, a.step])).toEqual([['aux', 3], [MAIN_ROLE, 6]]);
    for (const a of done.adapters) expect(fs.statSync(a.path).size).toBeGreaterThan(0);
    const registered = core.models.list().find((m) => m.id === done.modelId)!.adapters.map((a) => a.name).sort();
    expect(registered).toEqual(['toy run (aux)', 'toy run (main)']);
    expect(core.jobs.log(done.id).text).toMatch(/aux adapter: 4 samples \(toy_question 4\)/);
  }, 300_000);
});

describe('configs and jobs of before the registry', () => {
  const base = () => TrainConfigBaseSchema.parse(config());

  it('a config without the method gets the method added and its dev strategy unless it names one', () => {
    for (const m of methods.catalog()) {
      const parsed = methods.parseConfig(m.name, base());
      expect(parsed.method).toBe(m.name);
      expect(parsed.eval.strategy).toBe(m.evalStrategy);
      expect(methods.parseConfig(m.name, { ...base(), eval: { strategy: 'vote' } }).eval.strategy).toBe('vote');
      // parsing what parsing gave is a fixed point (stored jobs are read through it again)
      expect(methods.parseConfig(m.name, parsed)).toEqual(parsed);
    }
  });

  it("another method's section is dropped (it was never read), the method's own is checked strictly", () => {
    const withSection = BUILT_IN.filter((m) => m.settings);
    expect(withSection.length).toBeGreaterThan(0);
    for (const owner of withSection) {
      for (const other of BUILT_IN.filter((m) => m !== owner)) {
        expect(methods.parseConfig(other.name, { ...base(), [owner.name]: {} })).not.toHaveProperty(owner.name);
      }
      expect(methods.parseConfig(owner.name, { ...base(), [owner.name]: {} })).toHaveProperty(owner.name, {});
      expect(() => methods.parseConfig(owner.name, { ...base(), [owner.name]: { nonsense: 1 } })).toThrow(new RegExp(`${owner.name}: Unrecognized key`));
    }
    expect(() => methods.parseConfig(BUILT_IN[0]!.name, { ...base(), nonsense: 1 })).toThrow(/Unrecognized key/);
    expect(() => methods.parseConfig(BUILT_IN[0]!.name, { ...base(), method: BUILT_IN[1]!.name })).toThrow(/is for the method/);
  });

  it('a job stored before the registry is listed and runs with its config as it was', async () => {
    const store = openStore(path.join(dir, 'old-store'));
    const sandbox = createSandboxPool({ size: 1 });
    const hub = createEventHub();
    try {
      // the row as the jobs of before wrote it: the contract's parsed config, no method in it, dev strategy filled,
      // and another method's section that a caller had sent along
      const sections = Object.fromEntries(BUILT_IN.filter((m) => m.settings).map((m) => [m.name, {}]));
      const old = { ...base(), eval: { strategy: 'direct', maxTokens: 128 }, ...sections };
      for (const m of BUILT_IN) {
        store.db.prepare('INSERT INTO train_jobs (id, name, method, config, state, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(`old-${m.name}`, `old ${m.name}`, m.name, JSON.stringify(old), 'paused', new Date().toISOString());
      }
      store.db.prepare('INSERT INTO train_jobs (id, name, method, config, state, created_at) VALUES (?, ?, ?, ?, ?, ?)').run('old-gone', 'gone', 'gone', JSON.stringify(old), 'done', new Date().toISOString());
      const jobs = createJobs({ store, hub, dataDir: path.join(dir, 'old-data'), sandbox, run: false });
      const listed = new Map(jobs.list().map((j) => [j.id, j]));
      for (const m of BUILT_IN) {
        const job = listed.get(`old-${m.name}`)!;
        expect(job.method).toBe(m.name);
        expect(job.config.eval.strategy).toBe('direct'); // as stored, not the method's default
        for (const other of BUILT_IN) expect(other.name in job.config).toBe(other === m && other.settings !== undefined);
      }
      // a method this build does not know is still listed, as stored
      expect(listed.get('old-gone')!.config).toEqual(old);
      await jobs.close();
    } finally {
      await sandbox.close();
      hub.close();
      store.close();
    }
  });

  it('refuses a registry that would be ambiguous', () => {
    expect(() => createMethodRegistry([{ ...toy, name: BUILT_IN[0]!.name }])).toThrow(/Two training methods/);
    expect(() => createMethodRegistry([{ ...toy, name: 'lora' }])).toThrow(/is a config field/);
    expect(() => createMethodRegistry([{ ...toy, adapters: [{ role: 'aux', label: 'aux' }] }])).toThrow(/one of them "main"/);
  });
});
