import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { collectErrors, expect, test } from './fixtures.ts';

const SPIDER = path.resolve(import.meta.dirname, '../../shared/bench/spider');
const hasSpider = fs.existsSync(path.join(SPIDER, 'dev.json')) && fs.existsSync(path.join(SPIDER, 'database', 'concert_singer'));


interface DevEntry {
  db_id: string;
  query: string;
}

/**
 * Eight Spider dev predictions (ids are dev indexes): four exact or equivalent, then a wrong column, an empty
 * prediction, a syntax error, and the gold's rows in the other order under its ORDER BY (wrong for Spider EX,
 * right for BIRD EX, which compares sets). `changes` overrides predictions by id.
 */
function predictionsFile(name: string, changes: Record<string, string> = {}): string {
  const dev = JSON.parse(fs.readFileSync(path.join(SPIDER, 'dev.json'), 'utf8')) as DevEntry[];
  const line = (i: number, pred: string) => ({ id: String(i), db_id: dev[i]!.db_id, gold: dev[i]!.query, pred: changes[String(i)] ?? pred });
  const rows = [
    line(0, dev[0]!.query),
    line(10, dev[10]!.query),
    line(12, dev[12]!.query),
    line(20, 'SELECT count(*) FROM concert WHERE year IN (2014, 2015)'),
    line(2, 'SELECT name , country , song_name FROM singer ORDER BY age DESC'),
    line(4, ''),
    line(6, 'SELECT song_name song_release_year FROM singer ORDER BY age LIMIT'),
    line(3, 'SELECT name , country , age FROM singer ORDER BY age ASC'),
  ];
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'squill-e2e-preds-')), name);
  fs.writeFileSync(file, `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`);
  return file;
}

async function startRun(page: Page, file: string, name: string): Promise<string> {
  const form = page.getByRole('region', { name: 'New evaluation' });
  await expect(form.getByRole('radio', { name: 'Spider' })).toBeChecked();
  await form.getByLabel('Data folder path').fill(SPIDER);
  await form.getByLabel('Predictions file').setInputFiles(file);
  await expect(form.getByTestId('upload-summary')).toContainText('8 lines');
  await expect(form.getByTestId('upload-summary')).toContainText('1 empty prediction');
  for (const metric of ['Spider EX', 'BIRD EX', 'Soft-F1']) await expect(form.getByRole('checkbox', { name: metric })).toBeChecked();
  for (const metric of [/^VES/, /^R-VES/, /^Schema linking/]) await expect(form.getByRole('checkbox', { name: metric })).not.toBeChecked();
  await form.getByLabel('Name (optional)').fill(name);
  await form.getByRole('button', { name: 'Start evaluation' }).click();
  await expect(page).toHaveURL(/#\/evaluate\/[\w-]+$/);
  await expect(page.getByRole('heading', { name, level: 1 })).toBeVisible();
  await expect(page.getByTestId('run-status')).toHaveText('done', { timeout: 60_000 });
  return page.url().split('/').at(-1)!;
}

test.describe('Evaluate', () => {
  test.skip(!hasSpider, `needs the Spider benchmark at ${SPIDER}`);

  test('scores uploaded predictions, filters, drills down, and compares two runs', async ({ page, served }) => {
    test.setTimeout(120_000);
    const errors = collectErrors(page);
    await page.goto(served.url);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Evaluate' }).click();
    await expect(page.getByRole('heading', { name: 'Evaluate', level: 1 })).toBeVisible();
    await expect(page.getByRole('region', { name: 'Evaluation runs' })).toContainText('No evaluation yet');

    // --- a run -------------------------------------------------------------------------------------------------
    const first = await startRun(page, predictionsFile('baseline.jsonl'), 'baseline');
    await expect(page.getByTestId('run-examples')).toHaveText('8 of 8 scored');
    const spiderCard = page.getByTestId('score-spider_exec');
    await expect(spiderCard.getByTestId('score-value')).toHaveText('50.0%');
    await expect(spiderCard.getByTestId('score-count')).toHaveText('4 / 8 correct');
    const birdCard = page.getByTestId('score-bird_ex');
    await expect(birdCard.getByTestId('score-value')).toHaveText('62.5%');
    await expect(birdCard.getByTestId('score-count')).toHaveText('5 / 8 correct');
    await expect(page.getByTestId('score-soft_f1').getByTestId('score-count')).toHaveText('mean over 8 examples');
    // the reasons of the main metric, as bars
    const reasons = page.getByRole('list', { name: 'Spider EX reasons' });
    await expect(reasons.getByRole('button', { name: /^match\s*4$/ })).toBeVisible();
    await expect(reasons).toContainText('empty_prediction');
    await expect(reasons).toContainText('pred_error');
    await expect(reasons).toContainText('order');
    // by hardness, with the overall line
    const groups = page.getByRole('region', { name: 'Scores by hardness' });
    await expect(groups.getByRole('row', { name: 'all' })).toContainText('50.0%');
    await expect(groups.getByRole('row', { name: 'easy' })).toBeVisible();
    // the reproducibility record, collapsed, with shortened hashes
    const repro = page.getByTestId('repro');
    await repro.locator('summary').click();
    await expect(repro).toContainText('dev.json');
    await expect(repro.getByRole('button', { name: 'Copy the predictions hash' })).toBeVisible();

    // --- examples and filters ----------------------------------------------------------------------------------
    const examples = page.getByRole('region', { name: 'Examples' });
    await expect(examples.getByTestId('examples-count')).toHaveText('1–8 of 8');
    await expect(examples.getByRole('row', { name: /^Example \d+:/ })).toHaveCount(8);
    await examples.getByRole('checkbox', { name: 'Wrong only' }).check();
    await expect(examples.getByTestId('examples-count')).toHaveText('1–4 of 4 matching (of 8)');
    await expect(examples.getByRole('row', { name: /^Example \d+:/ })).toHaveCount(4);
    // on BIRD EX the row-order change is right
    await examples.getByLabel('Metric', { exact: true }).selectOption({ label: 'BIRD EX' });
    await expect(examples.getByTestId('examples-count')).toHaveText('1–3 of 3 matching (of 8)');
    await examples.getByLabel('Metric', { exact: true }).selectOption({ label: 'Spider EX' });
    await examples.getByRole('checkbox', { name: 'Wrong only' }).uncheck();
    await examples.getByRole('checkbox', { name: 'Metrics disagree' }).check();
    await expect(examples.getByRole('row', { name: /^Example \d+:/ })).toHaveCount(1);
    await expect(examples.getByRole('row', { name: 'Example 7: 3' })).toContainText('order');
    await examples.getByRole('checkbox', { name: 'Metrics disagree' }).uncheck();
    await examples.getByLabel('Reason').selectOption('pred_error');
    await expect(examples.getByRole('row', { name: /^Example \d+:/ })).toHaveCount(1);
    await expect(examples.getByRole('row', { name: 'Example 6: 6' })).toBeVisible();
    await examples.getByLabel('Reason').selectOption('');
    await examples.getByLabel('Search examples').fill('song_release_year');
    await expect(examples.getByRole('row', { name: /^Example \d+:/ })).toHaveCount(1);
    await examples.getByRole('button', { name: 'Clear' }).click();
    await expect(examples.getByTestId('examples-count')).toHaveText('1–8 of 8');

    // --- drill-down of the wrong column -------------------------------------------------------------------------
    await examples.getByRole('checkbox', { name: 'Wrong only' }).check();
    await expect(examples.getByRole('row', { name: /^Example \d+:/ })).toHaveCount(4);
    await examples.getByRole('row', { name: 'Example 4: 2' }).click();
    await expect(page).toHaveURL(new RegExp(`#/evaluate/${first}/4$`));
    await expect(page.getByRole('heading', { name: 'Example 4', level: 1 })).toBeVisible();
    await expect(page.getByTestId('question')).not.toBeEmpty();
    await expect(page.getByTestId('nav-position')).toHaveText('1 of 4 · wrong on Spider EX');
    // the SQL diff marks the changed column
    await expect(page.getByTestId('gold-sql').locator('del')).toHaveText(['age']);
    await expect(page.getByTestId('pred-sql').locator('ins')).toHaveText(['song_name']);
    // both result tables, side by side, each row of the prediction missing its counterpart
    const gold = page.getByTestId('gold-result');
    const pred = page.getByTestId('pred-result');
    await expect(gold.getByRole('columnheader', { name: 'Age' })).toBeVisible();
    await expect(pred.getByRole('columnheader', { name: 'Song_Name' })).toBeVisible();
    await expect(gold.locator('tbody tr')).toHaveCount(6);
    await expect(pred.locator('tbody tr')).toHaveCount(6);
    await expect(gold.locator('tbody tr[data-status="missing"]')).toHaveCount(6);
    await expect(pred.locator('tbody tr[data-status="extra"]')).toHaveCount(6);
    await expect(pred.locator('td.ev-cell-differs')).toHaveCount(6);
    await expect(pred.getByRole('cell', { name: 'Gentleman' })).toBeVisible();
    await expect(page.getByTestId('result-diff-summary')).toContainText('0 of 6 rows match in place');
    // every metric's verdict and reason
    const spiderVerdict = page.getByTestId('verdict-spider_exec');
    await expect(spiderVerdict.locator('[data-verdict]')).toHaveAttribute('data-verdict', 'wrong');
    await expect(spiderVerdict.locator('code.ev-code')).toHaveText('values');
    await expect(page.getByTestId('verdict-bird_ex').locator('[data-verdict]')).toHaveAttribute('data-verdict', 'wrong');
    await expect(page.getByTestId('verdict-soft_f1').locator('[data-verdict]')).toHaveAttribute('data-verdict', 'partial');

    // next within the filter, by the arrow key: the empty prediction
    await page.keyboard.press('ArrowRight');
    await expect(page).toHaveURL(new RegExp(`#/evaluate/${first}/5$`));
    await expect(page.getByTestId('nav-position')).toHaveText('2 of 4 · wrong on Spider EX');
    await expect(page.getByText('No result: the prediction is empty.')).toBeVisible();
    await expect(page.getByTestId('verdict-spider_exec').locator('code.ev-code')).toHaveText('empty_prediction');
    // then the syntax error
    await page.getByRole('button', { name: 'Next →' }).click();
    await expect(page).toHaveURL(new RegExp(`#/evaluate/${first}/6$`));
    await expect(page.getByTestId('pred-error')).toContainText('The predicted SQL failed');
    await page.keyboard.press('ArrowLeft');
    await expect(page).toHaveURL(new RegExp(`#/evaluate/${first}/5$`));
    await page.keyboard.press('Escape');
    await expect(page).toHaveURL(new RegExp(`#/evaluate/${first}$`));
    // the filter was kept for the run
    await expect(page.getByRole('region', { name: 'Examples' }).getByRole('checkbox', { name: 'Wrong only' })).toBeChecked();

    // --- a second run and the comparison ------------------------------------------------------------------------
    await page.getByRole('link', { name: 'Evaluate', exact: true }).first().click();
    await expect(page).toHaveURL(/#\/evaluate$/);
    await page.getByRole('button', { name: 'New evaluation…' }).click();
    // the wrong column fixed, the first count broken
    const second = await startRun(page, predictionsFile('fixed.jsonl', { '2': 'SELECT name , country , age FROM singer ORDER BY age DESC', '0': 'SELECT count(*) FROM stadium' }), 'fixed');
    await expect(page.getByTestId('score-spider_exec').getByTestId('score-count')).toHaveText('4 / 8 correct');

    await page.goto(`${served.origin}/#/evaluate`);
    const runs = page.getByRole('region', { name: 'Evaluation runs' });
    await expect(runs.getByRole('row', { name: /baseline|fixed/ })).toHaveCount(2);
    await expect(runs.getByRole('row', { name: 'baseline' })).toContainText('50.0%');
    await runs.getByRole('checkbox', { name: 'Compare baseline' }).check();
    await runs.getByRole('checkbox', { name: 'Compare fixed' }).check();
    await runs.getByRole('button', { name: 'Compare' }).click();
    await expect(page).toHaveURL(new RegExp(`#/evaluate/compare/${first}/${second}$`));
    await expect(page.getByTestId('compare-a')).toContainText('50.0%');
    await expect(page.getByTestId('compare-b')).toContainText('50.0%');
    await expect(page.getByTestId('compare-delta')).toContainText('±0.0 pp');
    const fixed = page.getByRole('region', { name: 'Fixed' });
    const broken = page.getByRole('region', { name: 'Broken' });
    await expect(fixed.getByRole('row')).toHaveCount(2); // header + 1
    await expect(fixed.getByTestId('fixed-2')).toBeVisible();
    await expect(broken.getByTestId('broken-0')).toBeVisible();
    // another metric: BIRD EX agrees on these two flips
    await page.getByLabel('Metric').selectOption({ label: 'BIRD EX' });
    await expect(page.getByTestId('compare-a')).toContainText('62.5%');
    await expect(fixed.getByTestId('fixed-2')).toBeVisible();
    // into the drill-down of the fixed example in run B
    await fixed.getByTestId('fixed-2').getByRole('link', { name: '#4' }).nth(1).click();
    await expect(page).toHaveURL(new RegExp(`#/evaluate/${second}/4$`));
    await expect(page.getByTestId('verdict-spider_exec').locator('[data-verdict]')).toHaveAttribute('data-verdict', 'right');
    await expect(page.getByTestId('result-diff-summary')).toHaveText('All 6 rows match, in order');

    // deleting asks first
    await page.goto(`${served.origin}/#/evaluate`);
    await runs.getByRole('button', { name: 'Delete fixed…' }).click();
    await runs.getByRole('group', { name: 'Delete fixed' }).getByRole('button', { name: 'Delete' }).click();
    await expect(runs.getByRole('row', { name: /baseline|fixed/ })).toHaveCount(1);
    expect(errors).toEqual([]);
  });

  test('shows why a run cannot start, inline', async ({ page, served }) => {
    const errors = collectErrors(page);
    await page.goto(served.url);
    await page.goto(`${served.origin}/#/evaluate`);
    const form = page.getByRole('region', { name: 'New evaluation' });
    // nothing chosen: said before anything is sent
    await form.getByRole('button', { name: 'Start evaluation' }).click();
    await expect(form.getByRole('alert')).toContainText('Choose a predictions file to upload.');
    // a file that is not JSON lines: the backend's validation, in the form
    const bad = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'squill-e2e-preds-')), 'bad.jsonl');
    fs.writeFileSync(bad, 'SELECT 1\tconcert_singer\n');
    await form.getByLabel('Predictions file').setInputFiles(bad);
    await expect(form.getByRole('list', { name: 'Warnings about the file' })).toContainText('1 line is not a JSON object (line 1).');
    await form.getByLabel('Data folder path').fill(SPIDER);
    await form.getByRole('button', { name: 'Start evaluation' }).click();
    await expect(form.getByTestId('start-error')).toContainText('line 1');
    await expect(form.getByTestId('start-error')).toContainText('VALIDATION');
    await expect(page).toHaveURL(/#\/evaluate$/);
    // a run that does not exist
    await page.goto(`${served.origin}/#/evaluate/nope`);
    await expect(page.getByRole('alert')).toContainText('Could not load the evaluation run');
    expect(errors.filter((e) => !e.includes('Failed to load resource'))).toEqual([]);
  });
});
