import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore } from '../src/core/index.ts';
import { createModel } from '../src/core/llm/index.ts';
import { createJobStore, jobDir, methods, writeRollouts } from '../src/core/train/index.ts';
import type { RolloutGroup, TrainMethodInfo } from '../src/shared/contract/index.ts';
import { callApi, collectErrors, expect, test, type Served } from './fixtures.ts';

/**
 * The dashboard and the rollout browser of a GRPO job. The job's records are set up through the real job store
 * and the rollout file writer (a done job: the server does not run it), so the page is tested on known rollouts
 * in seconds; every execution result in them is what the demo database really answers (query.run). The wizard's
 * GRPO settings are the second test; the last one runs a real GRPO job and checks the same views against what the
 * API answers for it.
 */

/** GRPO is built in: a build without it fails here. */
async function builtInGrpo(served: Served): Promise<TrainMethodInfo> {
  const grpo = (await callApi(served, 'train.methods', {})).find((m) => m.name === 'grpo');
  expect(grpo, 'the built-in GRPO method').toBeDefined();
  return grpo!;
}

/** The tiny phi-3 model the SFT e2e trains (made once, cached), registered as "Tiny Phi3". */
async function addTinyModel(served: Served, dir: string) {
  const file = path.join(dir, 'tiny-phi3.gguf');
  createModel({ arch: 'llama', shape: { layers: 2, embd: 64, ff: 128, heads: 4, kvHeads: 2 }, vocab: 'phi-3', out: file, seed: 11, name: 'tiny-phi3', cacheDir: path.join(os.tmpdir(), 'squill-test-cache') });
  return callApi(served, 'models.add', { path: file, name: 'Tiny Phi3' });
}

const STEPS = [1, 2, 3];
const THINK = (step: number, what: string) =>
  `<think>Step ${step}. The question asks ${what}. The singer table holds one row per singer, so the answer reads that table; no join or condition is needed here.</think>`;

/** One sample as the method writes it: the SQL run on the demo database for its real result or error. */
async function sample(served: Served, connectionId: string, o: { step: number; sql: string; what: string; rewards: RolloutGroup['samples'][number]['rewards']; predOps: string[]; advantage: number; truncated?: boolean }) {
  let result: RolloutGroup['samples'][number]['result'] = null;
  let error: string | null = null;
  if (o.sql && !o.truncated) {
    try {
      const r = await callApi(served, 'query.run', { connectionId, sql: o.sql });
      result = { columns: r.columns.map((c) => c.name), rows: r.rows, rowCount: r.rows.length };
    } catch (err) {
      error = (err as Error).message;
    }
  }
  const reasoning = o.truncated ? null : THINK(o.step, o.what).slice('<think>'.length, -'</think>'.length);
  return { text: o.truncated ? `<think>Step ${o.step}. The question asks ${o.what}` : `${THINK(o.step, o.what)}${o.sql}`, reasoning, sql: o.sql, result, error, rewards: o.rewards, predOps: o.predOps, advantage: o.advantage, tokens: o.truncated ? 64 : 48, truncated: o.truncated ?? false };
}

const R = (format: number, execution: number, jaccard: number | null, atomic: number | null, total: number) => ({ format, execution, jaccard, atomic, memory: null, total });

async function seedGrpoJob(served: Served, grpo: TrainMethodInfo): Promise<{ id: string; dbPath: string }> {
  const connections = await callApi(served, 'connections.list', {});
  const db = connections.find((c) => path.basename(c.path) === 'concert_singer.sqlite')!;
  const store = openStore(served.dataDir);
  try {
    const jobs = createJobStore(store, methods);
    const config = methods.parseConfig('grpo', { model: { id: 'absent-model' }, dataset: { kind: 'jsonl', path: '/absent/train.jsonl' }, steps: 3, eval: { voteSamples: 4 } });
    const job = jobs.create({ name: 'e2e grpo', config });
    // every series the method declares, so the dashboard is checked against what it lists, not names known here
    STEPS.forEach((step) => {
      const extra = Object.fromEntries(grpo.curves.map((c, i) => [c.key, (i + 1) * 0.1 * step]));
      jobs.addMetric(job.id, { step, loss: 0.5 / step, lr: 5e-6, gradNorm: 0.2, tokensPerS: 40, rssBytes: 3e8, at: new Date().toISOString(), extra });
    });
    jobs.addEval(job.id, { step: 0, devEx: 0.25, correct: 1, total: 4, ms: 10, at: '', vote: { devEx: 0.5, correct: 2, total: 4, samples: 4 } });
    jobs.addEval(job.id, { step: 3, devEx: 0.5, correct: 2, total: 4, ms: 10, at: '', vote: { devEx: 0.75, correct: 3, total: 4, samples: 4 } });
    for (const step of STEPS) {
      const count = await Promise.all([
        sample(served, db.id, { step, sql: 'SELECT count(*) FROM singer', what: 'how many singers there are', rewards: R(1, 2, 1, 1, 3), predOps: ['FROM(singer as T1)', 'SELECT_AGG(COUNT, *)'], advantage: 1.41 }),
        sample(served, db.id, { step, sql: 'SELECT count(*) FROM singers', what: 'how many singers there are', rewards: R(1, 0, null, null, 1), predOps: ['FROM(singers as T1)', 'SELECT_AGG(COUNT, *)'], advantage: -0.71 }),
        sample(served, db.id, { step, sql: 'SELECT count(*) FROM stadium', what: 'how many stadiums there are', rewards: R(1, 1.53, 0.33, 0.53, 2.53), predOps: ['FROM(stadium as T1)', 'SELECT_AGG(COUNT, *)'], advantage: 0.3 }),
        sample(served, db.id, { step, sql: '', what: 'how many singers', rewards: R(0, 0, null, null, 0), predOps: [], advantage: -1, truncated: true }),
      ]);
      const names = await Promise.all(
        [0, 1].map(() => sample(served, db.id, { step, sql: 'SELECT Name FROM singer', what: 'the names of all singers', rewards: R(1, 2, 1, 1, 3), predOps: ['FROM(singer as T1)', 'SELECT_COL(name)'], advantage: 0 })),
      );
      writeRollouts(jobDir(served.dataDir, job.id), step, [
        { exampleId: `count-${step}`, question: `How many singers are there? (step ${step})`, dbId: 'concert_singer', dbPath: db.path, gold: 'SELECT count(*) FROM singer', goldOps: ['FROM(singer as T1)', 'SELECT_AGG(COUNT, *)'], mean: 1.63, std: 1.18, skipped: false, samples: count },
        { exampleId: 'names', question: 'List the names of all singers.', dbId: 'concert_singer', dbPath: db.path, gold: 'SELECT Name FROM singer', goldOps: ['FROM(singer as T1)', 'SELECT_COL(name)'], mean: 3, std: 0, skipped: true, samples: names },
      ], { rollout: 2.5, reward: 0.25, update: 1.5 });
    }
    jobs.setProgress(job.id, 3, 3);
    jobs.setState(job.id, 'done', null);
    return { id: job.id, dbPath: db.path };
  } finally {
    store.close();
  }
}

test("a GRPO job's dashboard draws its method's curves and dev EX greedy and voted, and the rollout browser shows any kept step", async ({ page, served }) => {
  const errors = collectErrors(page);
  const grpo = await builtInGrpo(served);
  expect(grpo).toMatchObject({ kind: 'online' });
  const { id } = await seedGrpoJob(served, grpo);

  await page.goto(`${served.url}#/finetune/${id}`);
  const run = page.getByRole('article', { name: 'Run e2e grpo' });
  await expect(run).toBeVisible();

  // one chart per `chart` name the method lists, each with a point per step
  const charts = [...new Set(grpo.curves.map((c) => c.chart))];
  expect(charts.length).toBeGreaterThan(0);
  for (const chart of charts) {
    const figure = run.getByTestId(`ft-chart-method-${chart}`);
    await expect(figure).toHaveAttribute('data-points', String(STEPS.length));
    for (const c of grpo.curves.filter((x) => x.chart === chart)) await expect(figure.locator('.u-legend')).toContainText(c.label);
  }
  // dev EX: greedy and vote lines, and the vote beside the greedy headline
  const devEx = run.getByTestId('ft-chart-devEx');
  await expect(devEx.locator('.u-legend')).toContainText('e2e grpo greedy');
  await expect(devEx.locator('.u-legend')).toContainText('e2e grpo vote');
  await expect(run.getByTestId('ft-dev')).toContainText('before 25.0% → after 50.0%');
  await expect(run.getByTestId('ft-dev-vote')).toContainText('with vote (4 samples): before 50.0% → after 75.0%');
  await run.getByTestId(`ft-chart-method-${charts[0]}`).scrollIntoViewIfNeeded();
  await page.screenshot({ path: test.info().outputPath('grpo-dashboard.png'), fullPage: true });

  // the rollout browser opens on the latest kept step
  const rollouts = run.getByRole('region', { name: 'Rollouts' });
  await expect(rollouts.getByTestId('ft-rollout-step')).toHaveText('3');
  await expect(rollouts.getByLabel('Step', { exact: true })).toHaveValue('3');
  await expect(rollouts.getByTestId('ft-rollout-summary')).toContainText('2 prompts, 1 skipped (no variance)');
  await expect(rollouts.getByTestId('ft-rollout-summary')).toContainText('sampling 2.5 s, rewards 0.3 s, update 1.5 s');
  const groups = rollouts.getByTestId('ft-rollout-group');
  await expect(groups).toHaveCount(2);
  const count = groups.nth(0);
  await expect(count).toContainText('How many singers are there? (step 3)');
  await expect(count).toContainText('database concert_singer');
  await expect(count.getByLabel('Gold SQL')).toHaveText('SELECT count(*) FROM singer');
  await expect(count).not.toContainText('skipped (no variance)');
  await expect(groups.nth(1)).toContainText('skipped (no variance)');
  const samples = count.getByTestId('ft-sample');
  await expect(samples).toHaveCount(4);
  // advantages coloured by sign; the truncated sample flagged
  await expect(samples.nth(0).getByTestId('ft-advantage')).toHaveClass(/\bok\b/);
  await expect(samples.nth(1).getByTestId('ft-advantage')).toHaveClass(/\bbad\b/);
  await expect(samples.nth(3)).toContainText('truncated');

  // the correct sample: reasoning collapsed until opened, the rows the database gave, the operations all shared
  await samples.nth(0).getByRole('button').first().click();
  const first = samples.nth(0);
  await expect(first.getByRole('table', { name: 'Rewards' })).toContainText('3.00');
  const reasoning = first.locator('details.trace-reasoning');
  await expect(reasoning).not.toHaveAttribute('open', '');
  await reasoning.locator('summary').click();
  await expect(reasoning).toContainText('Step 3. The question asks how many singers there are');
  await expect(first.getByRole('table', { name: "Rows of the sample's SQL" })).toContainText('6');
  await expect(first.getByLabel('Prediction operations').locator('[data-shared="true"]')).toHaveCount(2);
  // the schema, linked as the trace view links it: the table both SQLs use
  const singer = first.getByRole('list', { name: 'Schema with linked tables and columns' }).locator('li[data-linked="true"]');
  await expect(singer).toHaveCount(1);
  await expect(singer.locator('.trace-table-name')).toHaveText('singer');
  await expect(singer.locator('.trace-table-name')).toHaveAttribute('title', 'used by the gold SQL and the prediction');

  // a failing sample: the database's error; another table: only the aggregate shared, stadium linked as the prediction's
  await samples.nth(1).getByRole('button').first().click();
  await expect(samples.nth(1).getByTestId('ft-sample-result')).toContainText('no such table: singers');
  // the summary line gives f(J), the shaped J the execution reward adds, beside J
  await expect(samples.nth(2).getByRole('button').first()).toContainText('J 0.33 · f(J) 0.53 · M —');
  await samples.nth(2).getByRole('button').first().click();
  await expect(samples.nth(2).getByLabel('Prediction operations').locator('[data-shared="true"]')).toHaveText(['SELECT_AGG(COUNT, *)']);
  await expect(samples.nth(2).locator('.trace-table-name[title="used by the prediction only"]')).toHaveText('stadium');
  await rollouts.getByRole('heading', { name: 'Rollouts' }).scrollIntoViewIfNeeded();
  await page.screenshot({ path: test.info().outputPath('grpo-rollouts.png') });
  await samples.nth(2).scrollIntoViewIfNeeded();
  await page.screenshot({ path: test.info().outputPath('grpo-rollout-sample.png') });

  // another kept step
  await rollouts.getByLabel('Step', { exact: true }).selectOption('1');
  await expect(rollouts.getByTestId('ft-rollout-step')).toHaveText('1');
  await expect(groups.nth(0)).toContainText('How many singers are there? (step 1)');
  await expect(rollouts.getByRole('checkbox', { name: /latest/ })).not.toBeChecked();
  await rollouts.getByRole('checkbox', { name: /latest/ }).check();
  await expect(rollouts.getByTestId('ft-rollout-step')).toHaveText('3');
  expect(errors).toEqual([]);
});

test('GRPO in the wizard: settings by kind, bounds named, presets setting them, the start-from picker, the online note', async ({ page, served }) => {
  test.setTimeout(180_000);
  const errors = collectErrors(page);
  const grpo = await builtInGrpo(served);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'squill-e2e-grpo-'));
  try {
    await addTinyModel(served, dir);
    const data = path.join(dir, 'train.jsonl');
    const DB = path.resolve('resources/demo/concert_singer.sqlite');
    fs.writeFileSync(data, ['SELECT count(*) FROM singer', 'SELECT Name FROM singer', 'SELECT count(*) FROM stadium', 'SELECT Name FROM stadium'].map((sql, i) => JSON.stringify({ id: `r${i}`, question: `Question ${i}?`, sql, db_path: DB })).join('\n'));

    await page.goto(`${served.url}#/finetune/new`);
    await page.getByRole('radio', { name: /Tiny Phi3/ }).check();
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByLabel('Dataset path').fill(data);
    await page.getByLabel('Dev fraction').fill('0.25');
    await expect(page.getByTestId('ft-data-check')).toContainText('3 training examples, 1 dev example');
    await page.getByRole('button', { name: 'Next' }).click();

    await page.getByRole('radio', { name: grpo.label }).check();
    await expect(page.getByTestId('ft-online-note')).toContainText('makes its samples during training');
    if (grpo.startFrom) {
      // the model has no adapter yet: a fresh LoRA is the only choice, and the page says why
      await expect(page.getByLabel('Start from').locator('option')).toHaveText(['a fresh LoRA']);
      await expect(page.getByText('The chosen base model has no adapter yet')).toBeVisible();
    }
    // each setting by its kind, at the method's own defaults (or its first preset's values)
    const fields = grpo.options?.fields ?? [];
    const first = grpo.presets[0]!.settings ?? {};
    for (const f of fields) {
      const input = page.getByLabel(f.label, { exact: true });
      const value = first[f.key] ?? f.default;
      if (f.kind === 'toggle') await (value ? expect(input).toBeChecked() : expect(input).not.toBeChecked());
      else if (f.kind === 'choice') await expect(input).toHaveValue(String(value));
      else {
        await expect(input).toHaveAttribute('type', 'number');
        await expect(input).toHaveValue(String(value));
      }
    }
    // a number past its maximum is refused by name
    const bounded = fields.find((f) => f.kind === 'number' && f.max !== undefined);
    if (bounded) {
      await page.getByLabel(bounded.label, { exact: true }).fill(String(bounded.max! + 1));
      await page.getByRole('button', { name: 'Next' }).click();
      await expect(page.getByRole('alert')).toContainText(`${bounded.label} must be at most ${bounded.max}`);
      await page.getByLabel(bounded.label, { exact: true }).fill(String(first[bounded.key] ?? bounded.default));
    }
    await page.screenshot({ path: test.info().outputPath('grpo-wizard-method.png'), fullPage: true });
    await page.getByRole('button', { name: 'Next' }).click();

    // the last preset: its hyperparameters and the settings it sets
    const preset = grpo.presets.at(-1)!;
    await page.getByRole('radio', { name: preset.label }).check();
    await expect(page.getByLabel('Learning rate')).toHaveValue(String(preset.hyper.lr));
    await page.getByRole('button', { name: 'Next' }).click();
    const review = page.getByTestId('ft-review');
    await expect(review).toContainText('samples made during training');
    for (const [key, value] of Object.entries(preset.settings ?? {})) {
      const f = fields.find((x) => x.key === key)!;
      const shown = f.kind === 'toggle' ? (value ? 'on' : 'off') : f.kind === 'choice' ? f.choices!.find((c) => c.value === value)!.label : String(value);
      await expect(review).toContainText(`${f.label} ${shown}`);
    }
    if (grpo.startFrom) await expect(review).toContainText('a fresh LoRA');
    await page.screenshot({ path: test.info().outputPath('grpo-wizard-review.png'), fullPage: true });
    expect(errors).toEqual([]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** A reward part as the rollout browser prints it (null: not computed). */
const shown = (v: number | null, digits = 2) => (v === null ? '—' : v.toFixed(digits));
const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

/**
 * Series a step records only when some sample allows it: f(J) needs a SQL that parses, M a sample with F = 1. A
 * random tiny model writes either only now and then (whatever the CPU's rounding makes of its samples), so these
 * are checked against the steps that recorded them; every other series must have a point at every step.
 */
const CONDITIONAL = new Set(['reward_atomic', 'reward_memory']);

test('a real GRPO job: its curves, dev EX greedy and voted, and the rollout browser showing what train.rollouts answers', async ({ page, served }) => {
  // the wizard, data preparation, 3 GRPO steps and two dev evaluations (greedy and a vote of 2) of a tiny model:
  // ~25 s on an idle core; the margin is for a busy shared CI machine
  test.setTimeout(300_000);
  const errors = collectErrors(page);
  const grpo = await builtInGrpo(served);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'squill-e2e-grpo-live-'));
  try {
    await addTinyModel(served, dir);
    // the demo database named through a link (the app knows it by its real path), and a copy the app does not know
    fs.symlinkSync(path.resolve('resources/demo'), path.join(dir, 'linked'));
    const linked = path.join(dir, 'linked', 'concert_singer.sqlite');
    const copy = path.join(dir, 'concert_copy.sqlite');
    fs.copyFileSync(path.resolve('resources/demo/concert_singer.sqlite'), copy);
    const jsonl = (rows: [string, string, string][]) => rows.map(([question, sql, db], i) => JSON.stringify({ id: `q${i}`, question, sql, db_path: db })).join('\n');
    fs.writeFileSync(path.join(dir, 'train.jsonl'), jsonl([
      ['How many singers are there?', 'SELECT count(*) FROM singer', linked],
      ['List the names of all stadiums.', 'SELECT Name FROM stadium', linked],
      ['How many concerts are there?', 'SELECT count(*) FROM concert', copy],
      ['What is the average age of singers?', 'SELECT avg(Age) FROM singer', copy],
    ]));
    fs.writeFileSync(path.join(dir, 'dev.jsonl'), jsonl([
      ['How many stadiums are there?', 'SELECT count(*) FROM stadium', linked],
      ['List the names of all singers.', 'SELECT Name FROM singer', linked],
    ]));
    const STEPS = 3;

    // launched from the wizard, every setting by its label
    await page.goto(`${served.url}#/finetune/new`);
    await page.getByRole('radio', { name: /Tiny Phi3/ }).check();
    await page.getByLabel('Run name').fill('e2e live grpo');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByLabel('Dataset path').fill(path.join(dir, 'train.jsonl'));
    await page.getByRole('radio', { name: 'a separate dataset' }).check();
    await page.getByLabel('Dev set path').fill(path.join(dir, 'dev.jsonl'));
    await expect(page.getByTestId('ft-data-check')).toContainText('4 training examples, 2 dev examples');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByRole('radio', { name: grpo.label }).check();
    const setting = (key: string) => page.getByLabel(grpo.options!.fields.find((f) => f.key === key)!.label, { exact: true });
    await setting('group').fill('4');
    await setting('maxTokens').fill('128');
    await setting('beta').fill('0.04');
    // the schema grammar makes a random model's answers `<think>…</think>SQL` with real names, so some parse, some
    // run and the rewards differ; the memory reward (the policy's base model as the embedder) gives M
    await setting('grammar').selectOption('schema');
    await setting('rewards.memory.enabled').check();
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByLabel('LoRA rank').fill('4');
    await page.getByLabel('LoRA alpha').fill('8');
    await page.getByLabel('Steps', { exact: true }).fill(String(STEPS));
    // every prompt every step: both databases' groups are in each step's rollouts
    await page.getByLabel('Batch size').fill('4');
    await page.getByLabel('Evaluate every (steps)').fill('0');
    await page.getByLabel('Checkpoint every (steps)').fill(String(STEPS));
    await page.getByLabel('Dev max tokens').fill('64');
    await page.getByLabel('Dev vote samples').fill('2');
    await page.getByRole('button', { name: 'Next' }).click();
    await expect(page.getByTestId('ft-review')).toContainText("SQL after </think> under the database's schema grammar");
    await page.getByRole('button', { name: 'Launch' }).click();
    await expect(page).toHaveURL(/#\/finetune\/[^/]+$/);
    const job = (await callApi(served, 'train.jobs', {})).find((j) => j.name === 'e2e live grpo')!;
    // the wizard's settings are the job's
    expect(job.config).toMatchObject({ steps: STEPS, batchSize: 4, eval: { voteSamples: 2, maxTokens: 64 }, grpo: { group: 4, maxTokens: 128, beta: 0.04, grammar: 'schema', rewards: { memory: { enabled: true } } } });
    const run = page.getByRole('article', { name: 'Run e2e live grpo' });
    await expect(run).toBeVisible();
    await expect(run.getByTestId('ft-state')).toHaveText('done', { timeout: 280_000 });

    // the curves: every series the method lists, with the points the job recorded
    const { metrics, evals } = await callApi(served, 'train.metrics', { id: job.id });
    expect(metrics.map((m) => m.step)).toEqual([1, 2, 3]);
    const recorded = (key: string) => metrics.filter((m) => Number.isFinite(m.extra?.[key])).length;
    for (const c of grpo.curves) if (!CONDITIONAL.has(c.key)) expect(recorded(c.key), c.key).toBe(STEPS);
    for (const chart of [...new Set(grpo.curves.map((c) => c.chart))]) {
      const figure = run.getByTestId(`ft-chart-method-${chart}`);
      const curves = grpo.curves.filter((c) => c.chart === chart);
      await expect(figure).toHaveAttribute('data-line-points', JSON.stringify(Object.fromEntries(curves.map((c) => [c.label, recorded(c.key)]))));
      for (const c of curves) await expect(figure.locator('.u-legend')).toContainText(c.label);
    }
    // dev EX before and after, greedy and with the vote, as the job recorded them
    const { job: finished } = await callApi(served, 'train.job', { id: job.id });
    expect(evals.map((e) => e.step)).toEqual([0, STEPS]);
    const devEx = run.getByTestId('ft-chart-devEx');
    await expect(devEx).toHaveAttribute('data-line-points', JSON.stringify({ 'e2e live grpo greedy': 2, 'e2e live grpo vote': 2 }));
    await expect(run.getByTestId('ft-dev')).toContainText(`before ${pct(finished.devExBefore!)} → after ${pct(finished.devExAfter!)}`);
    await expect(run.getByTestId('ft-dev-vote')).toContainText(`with vote (2 samples): before ${pct(evals[0]!.vote!.devEx)} → after ${pct(evals[1]!.vote!.devEx)}`);
    // the page scrolls inside the app's frame: a tall window shows every curve in one screenshot
    const viewport = page.viewportSize()!;
    await page.setViewportSize({ width: viewport.width, height: 2400 });
    await page.screenshot({ path: test.info().outputPath('grpo-live-dashboard.png') });
    await page.setViewportSize(viewport);

    // the rollout browser at every step against train.rollouts
    const demo = (await callApi(served, 'connections.list', {})).find((c) => c.kind === 'demo' && path.basename(c.path) === 'concert_singer.sqlite')!;
    const rollouts = run.getByRole('region', { name: 'Rollouts' });
    const kept: Awaited<ReturnType<typeof callApi<'train.rollouts'>>>[] = [];
    for (const step of [1, 2, 3]) {
      const api = await callApi(served, 'train.rollouts', { id: job.id, step });
      kept.push(api);
      expect(api.steps).toEqual([1, 2, 3]);
      // the linked path is the demo's file; the copy is no connection of the app's
      expect(api.connections).toEqual({ [linked]: demo.id, [copy]: null });
      await rollouts.getByLabel('Step', { exact: true }).selectOption(String(step));
      await expect(rollouts.getByTestId('ft-rollout-step')).toHaveText(String(step));
      const skipped = api.groups.filter((g) => g.skipped).length;
      await expect(rollouts.getByTestId('ft-rollout-summary')).toContainText(`${api.groups.length} prompts${skipped ? `, ${skipped} skipped (no variance)` : ''}`);
      const groups = rollouts.getByTestId('ft-rollout-group');
      await expect(groups).toHaveCount(api.groups.length);
      for (const [i, g] of api.groups.entries()) {
        const view = groups.nth(i);
        await expect(view.locator('.trace-question')).toContainText(g.question);
        await expect(view).toContainText(`database ${g.dbId}`);
        await expect(view).toContainText(`reward mean ${g.mean.toFixed(2)}, std ${g.std.toFixed(2)}`);
        await expect(view.getByLabel('Gold SQL')).toHaveText(g.gold);
        const samples = view.getByTestId('ft-sample');
        await expect(samples).toHaveCount(g.samples.length);
        await expect(samples.locator('.ft-sample-sql')).toHaveText(g.samples.map((s) => s.sql || '(no SQL)'));
        await expect(samples.locator('.ft-sample-total')).toHaveText(g.samples.map((s) => s.rewards.total.toFixed(2)));
        await expect(samples.getByTestId('ft-advantage')).toHaveText(g.samples.map((s) => `${s.advantage > 0 ? '+' : ''}${s.advantage.toFixed(2)}`));
        const r = g.samples.map((s) => s.rewards);
        await expect(samples.locator('.trace-step-facts')).toHaveText(
          r.map((x) => new RegExp(`^F ${x.format.toFixed(0)} · E ${shown(x.execution)} · J ${shown(x.jaccard)} · f\\(J\\) ${shown(x.atomic)} · M ${shown(x.memory)} · `.replaceAll('.', '\\.'))),
        );
        const advantage = samples.getByTestId('ft-advantage');
        for (const [j, s] of g.samples.entries()) await expect(advantage.nth(j)).toHaveClass(new RegExp(`\\b${s.advantage > 0 ? 'ok' : s.advantage < 0 ? 'bad' : 'muted'}\\b`));
      }
    }

    // one sample opened on each database: its rewards and execution result as the API has them, and the schema
    // linked for the demo's file, the copy offered to be added
    const groups = rollouts.getByTestId('ft-rollout-group');
    for (const dbPath of [linked, copy]) {
      const candidates = kept.flatMap((api) => api.groups.flatMap((g, i) => (g.dbPath === dbPath ? g.samples.map((s, j) => ({ step: api.step!, g, i, s, j })) : [])));
      // the most telling sample of any step: one whose SQL ran, else one with the format, else the first
      const { step, g, i, s, j } = candidates.find((c) => c.s.result !== null) ?? candidates.find((c) => c.s.rewards.format === 1) ?? candidates[0]!;
      await rollouts.getByLabel('Step', { exact: true }).selectOption(String(step));
      await expect(rollouts.getByTestId('ft-rollout-step')).toHaveText(String(step));
      const sample = groups.nth(i).getByTestId('ft-sample').nth(j);
      await sample.getByRole('button').first().click();
      await expect(sample.getByRole('table', { name: 'Rewards' }).locator('tbody td')).toHaveText([
        shown(s.rewards.format, 0), shown(s.rewards.execution), shown(s.rewards.jaccard), shown(s.rewards.atomic), shown(s.rewards.memory), s.rewards.total.toFixed(2), s.advantage.toFixed(3), new RegExp(`^${s.tokens}`),
      ]);
      const result = sample.getByTestId('ft-sample-result');
      if (s.result) await expect(result).toContainText(`${s.result.rowCount} ${s.result.rowCount === 1 ? 'row' : 'rows'}`);
      else if (s.error) await expect(result).toContainText(s.error);
      else await expect(result).toContainText('Not run');
      if (s.reasoning !== null) await expect(sample.locator('details.trace-reasoning summary')).toHaveText(`Reasoning · ${s.reasoning.length.toLocaleString('en-US')} characters`);
      const schema = sample.getByRole('list', { name: 'Schema with linked tables and columns' });
      if (dbPath === linked) {
        // the gold's table is linked (the prediction may use it too)
        const table = /FROM (\w+)/i.exec(g.gold)![1]!;
        await expect(schema.locator('li[data-linked="true"] .trace-table-name').filter({ hasText: new RegExp(`^${table}$`) })).toHaveAttribute('title', /gold SQL/);
        await sample.scrollIntoViewIfNeeded();
        await page.screenshot({ path: test.info().outputPath('grpo-live-sample.png') });
      } else {
        const unknown = sample.getByTestId('ft-unknown-db');
        await expect(unknown).toContainText(`The database ${g.dbId} is not among the app's databases`);
        await expect(unknown).toContainText(copy);
        await unknown.scrollIntoViewIfNeeded();
        await page.screenshot({ path: test.info().outputPath('grpo-live-unknown-db.png') });
        await unknown.getByRole('button', { name: 'Add this database' }).click();
        // added: the schema shows in its place, linked
        await expect(schema.locator('li[data-linked="true"]').first()).toBeVisible();
        await expect(unknown).toHaveCount(0);
        const added = (await callApi(served, 'connections.list', {})).find((c) => c.path === fs.realpathSync(copy));
        expect(added).toMatchObject({ kind: 'file', status: 'ok' });
        expect((await callApi(served, 'train.rollouts', { id: job.id, step })).connections[copy]).toBe(added!.id);
      }
    }
    await rollouts.getByRole('heading', { name: 'Rollouts' }).scrollIntoViewIfNeeded();
    await page.screenshot({ path: test.info().outputPath('grpo-live-rollouts.png') });
    expect(errors).toEqual([]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
