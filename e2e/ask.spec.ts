import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { createModel, SHAPES } from '../src/core/llm/index.ts';
import { callApi, collectErrors, expect, test } from './fixtures.ts';

// the llama.cpp bundle is cloned once for every test run, as the unit tests do
const cacheDir = path.join(os.tmpdir(), 'squill-test-cache');

/** The editor's visible text (Monaco renders spaces as no-break spaces). */
const editorText = async (page: Page) => (await page.locator('.monaco-editor').first().locator('.view-lines').innerText()).replace(/\u00a0/g, ' ');

/**
 * Records, from inside the page, whether the streaming area ever showed text while the ask was still running (the
 * answer had not arrived): a DOM observer sees every render, however quickly the tiny model finishes.
 */
function watchStreaming() {
  const seen = { streamed: '' };
  (window as unknown as { __squillStream: typeof seen }).__squillStream = seen;
  new MutationObserver(() => {
    const progress = document.querySelector('[data-testid="ask-progress"]');
    const stream = document.querySelector('[data-testid="ask-stream"]');
    const text = stream?.textContent?.trim() ?? '';
    if (progress?.getAttribute('aria-busy') === 'true' && text.length > seen.streamed.length) seen.streamed = text;
  }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
}

test('asks a question with a local model, streams the steps, runs the SQL and shows the trace', async ({ page, served }) => {
  // a random model under the schema grammar on a busy CPU can take minutes
  test.setTimeout(480_000);
  const errors = collectErrors(page);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'squill-e2e-ask-'));
  try {
    const file = path.join(dir, 'tiny-qwen2.gguf');
    createModel({ arch: 'qwen2', shape: SHAPES.tiny!, vocab: 'qwen2', out: file, seed: 3, name: 'tiny-qwen2', cacheDir });
    const model = await callApi(served, 'models.add', { path: file, name: 'Tiny Qwen2' });

    await page.goto(served.url);
    await page.goto(`${served.origin}/#/workbench/concert_singer`);
    await expect(page.locator('.monaco-editor')).toBeVisible();
    const ask = page.getByRole('region', { name: 'Ask a question' });
    await expect(ask.getByLabel('Model', { exact: true })).toHaveValue(model.id);
    await ask.getByLabel('Strategy', { exact: true }).selectOption('direct');
    await ask.getByLabel('Grammar', { exact: true }).selectOption('schema');
    await page.evaluate(watchStreaming);

    const question = ask.getByLabel('Question');
    await question.fill('How many singers are there?');
    // Shift+Enter is a new line, not an ask
    await question.press('Shift+Enter');
    await expect(question).toHaveValue('How many singers are there?\n');
    await question.press('Backspace');
    await question.press('Enter');

    const progress = ask.getByTestId('ask-progress');
    await expect(progress.getByRole('status')).toHaveText('Answered', { timeout: 400_000 });
    const streamed = await page.evaluate(() => (window as unknown as { __squillStream: { streamed: string } }).__squillStream.streamed);
    expect(streamed.length).toBeGreaterThan(0);
    await expect(progress.getByTestId('ask-step').first()).toContainText('✓');

    // the answer's SQL is in the editor and was run in full
    const trace = page.getByRole('complementary', { name: 'Trace of the answer' });
    const finalSql = (await trace.getByTestId('trace-final-sql').innerText()).trim();
    expect(finalSql).toMatch(/^select\b/i);
    await expect.poll(async () => (await editorText(page)).replace(/\s+/g, ' ').trim()).toBe(finalSql.replace(/\s+/g, ' '));
    await expect(page.getByTestId('result-summary')).toContainText(/\d+ rows?/);

    // the trace: open a step and its prompt
    const step = trace.getByTestId('trace-step').first();
    await step.getByRole('button').first().click();
    await expect(step.getByRole('button').first()).toHaveAttribute('aria-expanded', 'true');
    const prompt = step.locator('details.trace-prompt');
    await prompt.locator('summary').click();
    await expect(prompt.locator('summary')).toContainText(/Prompt · [\d,]+ tokens/);
    await expect(prompt.locator('pre')).toContainText('How many singers are there?');
    await expect(prompt.locator('pre')).toContainText('singer');

    // the corrected SQL becomes a training example, listed in the Corrections tab
    await page.getByRole('button', { name: 'Save as training example' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Saved as training example' })).toBeVisible();
    await page.getByRole('tab', { name: 'Corrections' }).click();
    await expect(page.getByTestId('correction-entry')).toHaveCount(1);
    await expect(page.getByTestId('correction-entry')).toContainText('How many singers are there?');

    // the Traces tab lists the ask; its page shows the same trace
    await page.getByRole('tab', { name: 'Traces' }).click();
    const entry = page.getByTestId('trace-entry');
    await expect(entry).toHaveCount(1);
    await entry.getByRole('link', { name: 'Open the trace page' }).click();
    await expect(page).toHaveURL(/#\/trace\//);
    await expect(page.getByTestId('trace-final-sql')).toHaveText(finalSql);
    await expect(page.getByRole('region', { name: 'Linked schema' })).toContainText('singer');

    expect(errors).toEqual([]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
