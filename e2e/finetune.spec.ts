import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createModel } from '../src/core/llm/index.ts';
import { callApi, collectErrors, expect, test } from './fixtures.ts';

// the llama.cpp bundle is cloned once for every test run, as the unit tests do
const cacheDir = path.join(os.tmpdir(), 'squill-test-cache');
const DB = path.resolve('resources/demo/concert_singer.sqlite');
const ROWS = [
  ['How many singers are there?', 'SELECT count(*) FROM singer'],
  ['How many stadiums are there?', 'SELECT count(*) FROM stadium'],
  ['How many concerts are there?', 'SELECT count(*) FROM concert'],
  ['List the names of all singers.', 'SELECT Name FROM singer'],
  ['List the names of all stadiums.', 'SELECT Name FROM stadium'],
  ['List all concert names.', 'SELECT concert_Name FROM concert'],
  ['List all song names.', 'SELECT Song_Name FROM singer'],
  ['How many singers are there in total?', 'SELECT count(*) FROM singer'],
];

/**
 * Records, from inside the page, the most loss points the chart showed while the run was still running: a DOM
 * observer sees every render, however quickly the tiny model finishes.
 */
function watchLiveCurve() {
  const seen = { live: 0 };
  (window as unknown as { __squillCurve: typeof seen }).__squillCurve = seen;
  new MutationObserver(() => {
    const state = document.querySelector('article [data-testid="ft-state"]')?.textContent;
    const points = Number(document.querySelector('[data-testid="ft-chart-loss"]')?.getAttribute('data-points') ?? 0);
    if (state === 'running' && points > seen.live) seen.live = points;
  }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
}

test('runs a short SFT job through the wizard, watches its curves and opens the adapter in the workbench', async ({ page, served }) => {
  // training and two dev evaluations of a tiny model on a busy shared CPU
  test.setTimeout(540_000);
  const errors = collectErrors(page);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'squill-e2e-finetune-'));
  try {
    // the phi-3 vocab (32k tokens) trains several times faster than qwen2's
    const file = path.join(dir, 'tiny-phi3.gguf');
    createModel({ arch: 'llama', shape: { layers: 2, embd: 64, ff: 128, heads: 4, kvHeads: 2 }, vocab: 'phi-3', out: file, seed: 11, name: 'tiny-phi3', cacheDir });
    const model = await callApi(served, 'models.add', { path: file, name: 'Tiny Phi3' });
    const data = path.join(dir, 'train.jsonl');
    // line 9 has no SQL: the data check reports it by line, and the run trains on the 8 others
    const lines = [...ROWS.map(([question, sql], i) => JSON.stringify({ id: `r${i}`, question, sql, db_path: DB })), JSON.stringify({ id: 'r8', question: 'No SQL here', db_path: DB })];
    fs.writeFileSync(data, lines.join('\n'));

    await page.goto(served.url);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Fine-tune' }).click();
    await page.getByRole('link', { name: 'New run' }).click();
    await expect(page.getByRole('heading', { name: 'New fine-tuning run' })).toBeVisible();

    // 1. base model: Next without a choice names what is missing
    await page.getByRole('button', { name: 'Next' }).click();
    await expect(page.getByRole('alert')).toContainText('Choose a base model');
    await page.getByRole('radio', { name: /Tiny Phi3/ }).check();
    await page.getByLabel('Run name').fill('e2e sft');
    await page.getByRole('button', { name: 'Next' }).click();

    // 2. data
    await expect(page.getByLabel('Dataset kind')).toHaveValue('jsonl');
    // a path with no file: the check says so, and Next names it
    await page.getByLabel('Dataset path').fill(path.join(dir, 'nope.jsonl'));
    await expect(page.getByRole('alert')).toContainText('No JSONL file at');
    await page.getByRole('button', { name: 'Next' }).click();
    await expect(page.getByRole('alert').filter({ hasText: 'The data cannot be used' }).first()).toBeVisible();
    await expect(page.getByRole('heading', { name: 'Data' })).toBeVisible();
    await page.getByLabel('Dataset path').fill(data);
    await page.getByLabel('Dev fraction').fill('0.25');
    // the data as the job will read it: split, the invalid row by its line, benchmark overlap, token counts
    const check = page.getByTestId('ft-data-check');
    await expect(check).toContainText('6 training examples, 2 dev examples');
    await expect(check.getByRole('table', { name: 'Invalid rows' })).toContainText('the SQL is missing');
    await expect(check.getByRole('table', { name: 'Invalid rows' }).getByRole('row').nth(1)).toContainText('9');
    await expect(check).toContainText('Overlap with evaluation sets');
    await expect(check).toContainText(/Questions: [\d.]+ tokens on average/);
    await page.getByRole('button', { name: 'Next' }).click();

    // 3. method
    await expect(page.getByRole('radio', { name: 'Plain SFT' })).toBeChecked();
    await page.getByRole('button', { name: 'Next' }).click();

    // 4. hyperparameters: the quick preset, made shorter
    await expect(page.getByRole('radio', { name: 'quick (small models)' })).toBeChecked();
    await page.getByLabel('LoRA rank').fill('4');
    await page.getByLabel('LoRA alpha').fill('8');
    await page.getByLabel('Steps', { exact: true }).fill('6');
    await page.getByLabel('Batch size').fill('2');
    await page.getByLabel('Evaluate every (steps)').fill('0');
    await page.getByLabel('Checkpoint every (steps)').fill('3');
    await page.getByLabel('Dev max tokens').fill('16');
    // the estimator, from the model file and the method's real samples of these settings
    const perAdapter = page.getByRole('table', { name: 'Estimate per adapter' });
    await expect(perAdapter).toContainText('SQL adapter');
    await expect(perAdapter.getByRole('row').nth(1).getByRole('cell').nth(3)).toHaveText('6'); // steps
    await expect(page.getByTestId('ft-estimate')).toContainText(/Peak memory ≈ [\d.]+ MiB/);
    await page.getByRole('button', { name: 'Next' }).click();

    // 5. review, then launch
    const review = page.getByTestId('ft-review');
    await expect(review).toContainText('Tiny Phi3');
    await expect(review).toContainText('6 steps');
    await expect(review.getByTestId('ft-estimate')).toContainText('Peak memory');
    await expect(review.getByTestId('ft-data-summary')).toContainText('6 training and 2 dev examples from 1 database, 1 invalid row left out');
    await page.evaluate(watchLiveCurve);
    await page.getByRole('button', { name: 'Launch' }).click();

    await expect(page).toHaveURL(/#\/finetune\/[^/]+$/);
    const run = page.getByRole('article', { name: 'Run e2e sft' });
    await expect(run).toBeVisible();
    // the loss curve gets its points as the steps stream in
    const loss = run.getByTestId('ft-chart-loss');
    await expect(loss).toHaveAttribute('data-points', /^[1-9]\d*$/, { timeout: 400_000 });
    await expect(run.getByTestId('ft-state')).toHaveText('done', { timeout: 400_000 });
    await expect(loss).toHaveAttribute('data-points', '6');
    // points arrived while it ran, not only at the end
    expect(await page.evaluate(() => (window as unknown as { __squillCurve: { live: number } }).__squillCurve.live)).toBeGreaterThan(0);
    await expect(run.getByTestId('ft-chart-devEx')).toHaveAttribute('data-points', /^[1-9]/);
    await expect(run.getByTestId('ft-dev')).toContainText('before');
    await expect(run.getByTestId('ft-checkpoints')).toContainText('3');
    await run.getByRole('button', { name: 'Refresh' }).click();
    await expect(run.getByTestId('ft-log')).toContainText('main adapter');

    // the finished adapter is registered with the model and chosen in the workbench
    const models = await callApi(served, 'models.list', {});
    const adapter = models.find((m) => m.id === model.id)!.adapters.find((a) => a.name === 'e2e sft');
    expect(adapter).toMatchObject({ source: 'trained', status: 'ok' });
    await run.getByRole('button', { name: 'Try in workbench' }).click();
    await expect(page).toHaveURL(/#\/workbench/);
    const ask = page.getByRole('region', { name: 'Ask a question' });
    await expect(ask.getByLabel('Model', { exact: true })).toHaveValue(model.id);
    await expect(ask.getByLabel('Adapter', { exact: true })).toHaveValue(adapter!.id);
    await expect(ask.getByLabel('Adapter', { exact: true }).locator('option:checked')).toHaveText('e2e sft');
    expect(errors).toEqual([]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
