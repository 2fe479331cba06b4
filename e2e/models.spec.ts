import os from 'node:os';
import path from 'node:path';
import { createModel } from '../src/core/llm/index.ts';
import { collectErrors, expect, test } from './fixtures.ts';

const cacheDir = path.join(os.tmpdir(), 'squill-test-cache');

test('adds a GGUF model by path, shows its metadata and fit, loads and unloads it', async ({ page, served }) => {
  const errors = collectErrors(page);
  const file = path.join(served.dataDir, 'tiny-llama.gguf');
  createModel({ arch: 'llama', shape: { layers: 2, embd: 64, ff: 128, heads: 4, kvHeads: 2 }, vocab: 'llama-bpe', out: file, seed: 11, cacheDir });

  await page.goto(served.url);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Models' }).click();
  await expect(page.getByRole('heading', { name: 'Models', level: 1 })).toBeVisible();
  await expect(page.getByText('0 models')).toBeVisible();

  const add = page.getByRole('region', { name: 'Add a model' });
  await add.getByLabel('Model file path').fill(file);
  await add.getByLabel('Model name (optional)').fill('Tiny llama');
  await add.getByRole('button', { name: 'Add model' }).click();
  await expect(add.getByRole('status')).toContainText('Added Tiny llama');

  const item = page.getByRole('listitem', { name: 'Tiny llama' });
  await expect(item.getByTestId('model-status')).toHaveText('ok');
  const facts = item.getByTestId('model-facts');
  await expect(facts).toContainText('llama');
  await expect(facts).toContainText('F32');
  await expect(facts).toContainText('8,192'); // context length
  await expect(facts).toContainText('128,256'); // vocabulary
  // the hash arrives in the background through models.changed
  await expect(facts).not.toContainText('computing…', { timeout: 30_000 });

  await item.getByLabel('GPU layers').fill('0');
  await item.getByLabel('Context size').fill('512');
  await expect(item.getByTestId('model-fit')).toContainText('fits');
  await expect(item.getByTestId('model-fit')).toContainText('context 512');
  await item.getByRole('button', { name: 'Load' }).click();
  await expect(item.getByTestId('model-loaded')).toBeVisible({ timeout: 30_000 });
  await item.getByRole('button', { name: 'Unload' }).click();
  await expect(item.getByTestId('model-loaded')).toHaveCount(0);

  // a file that is not a model is refused with the reason
  await add.getByLabel('Model file path').fill(path.join(served.dataDir, 'squill.db'));
  await add.getByRole('button', { name: 'Add model' }).click();
  await expect(add.getByRole('alert')).toContainText('is not a GGUF file');
  expect(errors).toEqual([]);
});
