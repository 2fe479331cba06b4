import fs from 'node:fs';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures.ts';

/** Opens the Workbench of a database and waits for the editor. */
async function openWorkbench(page: Page, url: string, connectionId: string) {
  await page.goto(url);
  await page.goto(`${new URL(url).origin}/#/workbench/${connectionId}`);
  await expect(page.locator('.monaco-editor')).toBeVisible();
  await expect(page.getByRole('button', { name: '▶ Run' })).toBeEnabled();
}

const editor = (page: Page) => page.locator('.monaco-editor').first();

/** The editor's visible text (Monaco renders spaces as no-break spaces). */
async function editorText(page: Page): Promise<string> {
  return (await editor(page).locator('.view-lines').innerText()).replace(/\u00a0/g, ' ');
}

/** Replaces the editor's text. `keyboard.type` drops characters in Monaco; `insertText` does not. */
async function setSql(page: Page, sql: string) {
  await editor(page).click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('Delete');
  if (sql) await page.keyboard.insertText(sql);
}

async function run(page: Page, sql: string) {
  await setSql(page, sql);
  await page.keyboard.press('Control+Enter');
}

const summary = (page: Page) => page.getByTestId('result-summary');
const historyEntries = (page: Page) => page.getByRole('complementary', { name: 'Query history' }).getByTestId('history-entry');

test('writes a query with completion, runs it, formats it, exports CSV and finds it in the history', async ({ page, served }) => {
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  // Monaco is bundled: nothing may leave the server's origin
  page.on('request', (r) => {
    if (!/^(http:\/\/127\.0\.0\.1:\d+|blob:|data:)/.test(r.url())) problems.push(`request to ${r.url()}`);
  });

  await openWorkbench(page, served.url, 'concert_singer');
  await setSql(page, 'SELECT name, country FROM sin');
  await page.keyboard.press('Control+Space');
  const suggestions = page.locator('.suggest-widget');
  await expect(suggestions.locator('.monaco-list-row.focused')).toContainText('singer');
  await expect(suggestions.locator('.monaco-list-row')).toHaveCount(2); // singer, singer_in_concert
  await page.keyboard.press('Enter');
  await page.keyboard.insertText(' ORDER BY name');
  expect(await editorText(page)).toBe('SELECT name, country FROM singer ORDER BY name');

  // after `alias.`, the columns of the aliased table
  await setSql(page, 'SELECT * FROM singer AS s WHERE s.');
  await page.keyboard.press('Control+Space');
  await expect(suggestions.locator('.monaco-list-row')).toContainText(['Age', 'Country', 'Is_male', 'Name', 'Singer_ID', 'Song_Name', 'Song_release_year']);
  await page.keyboard.press('Escape');

  await run(page, 'SELECT name, country FROM singer ORDER BY name');
  await expect(summary(page)).toContainText('6 rows');
  const grid = page.getByRole('grid');
  await expect(grid.getByRole('row')).toHaveCount(7); // header + 6
  await expect(grid.getByRole('row').nth(1)).toContainText('Joe Sharp');
  // SQLite names a bare column reference as the table declares it; the header also shows the declared type
  await expect(grid.getByRole('columnheader')).toHaveText([/^Name\s*TEXT$/, /^Country\s*TEXT$/]);

  await page.getByRole('button', { name: 'Format' }).click();
  await expect.poll(() => editorText(page)).toBe('SELECT\n  name,\n  country\nFROM\n  singer\nORDER BY\n  name');

  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export CSV' }).click();
  const file = await download;
  expect(file.suggestedFilename()).toMatch(/^concert_singer-.*\.csv$/);
  const csv = fs.readFileSync((await file.path())!, 'utf8').split('\r\n');
  expect(csv[0]).toBe('Name,Country');
  expect(csv.slice(1)).toHaveLength(6);
  expect(csv[1]).toBe('Joe Sharp,Netherlands');

  await expect(historyEntries(page).first()).toContainText('SELECT name, country FROM singer ORDER BY name');
  await expect(historyEntries(page).first()).toContainText('ok');
  await expect(historyEntries(page).first()).toContainText('6 rows');
  expect(problems).toEqual([]);
});

test('the history searches, loads, re-runs and deletes, and updates live', async ({ page, served }) => {
  await openWorkbench(page, served.url, 'concert_singer');
  await run(page, 'SELECT count(*) AS concerts FROM concert');
  await expect(summary(page)).toContainText('1 row');
  await run(page, 'SELECT name, capacity FROM stadium ORDER BY capacity DESC');
  await expect(summary(page)).toContainText('9 rows');
  // newest first, arriving through the history.added event
  await expect(historyEntries(page)).toHaveCount(2);
  await expect(historyEntries(page).first()).toContainText('FROM stadium');

  await page.getByLabel('Search the history').fill('concerts');
  await expect(historyEntries(page)).toHaveCount(1);
  await expect(historyEntries(page).first()).toContainText('count(*) AS concerts');

  // click loads the SQL into the editor; re-run runs it
  await setSql(page, '');
  await historyEntries(page).first().getByRole('button', { name: /count\(\*\) AS concerts/ }).click();
  await expect.poll(() => editorText(page)).toBe('SELECT count(*) AS concerts FROM concert');
  await run(page, 'SELECT 1');
  await historyEntries(page).first().getByRole('button', { name: 'Re-run' }).click();
  await expect(page.getByRole('grid').getByRole('columnheader')).toHaveText(['concerts']);
  await expect(historyEntries(page)).toHaveCount(2); // both runs of it match the search

  await page.getByLabel('Search the history').fill('');
  await expect(historyEntries(page)).toHaveCount(4);
  await historyEntries(page).first().getByRole('button', { name: 'Delete' }).click();
  await expect(historyEntries(page)).toHaveCount(3);
  await page.getByRole('button', { name: 'Clear all' }).click();
  await page.getByRole('button', { name: 'Delete all' }).click();
  await expect(historyEntries(page)).toHaveCount(0);
  await expect(page.getByText('Queries you run appear here.')).toBeVisible();
});

test('a refused statement shows the refusal; an SQL error is marked in the editor', async ({ page, served }) => {
  await openWorkbench(page, served.url, 'concert_singer');
  await run(page, 'DELETE FROM singer');
  const error = page.getByTestId('query-error');
  await expect(error).toContainText('Refused by the sandbox');
  await expect(error).toContainText('DELETE writes to the database');
  await expect(historyEntries(page).first()).toContainText('refused');

  await run(page, 'SELECT name\nFROM singer\nWHERE nme = 1');
  await expect(error).toContainText('SQLite error');
  await expect(error).toContainText('no such column: nme');
  await expect(editor(page).locator('.squiggly-error')).toHaveCount(1);
  await expect(error.getByRole('button', { name: 'Show in the editor: line 3, column 7' })).toBeVisible();
  // editing drops the marker, which no longer points at the right place
  await page.keyboard.insertText(' ');
  await expect(editor(page).locator('.squiggly-error')).toHaveCount(0);
});

test('runs the selection, explains a query as a tree, keeps the draft across pages and follows the theme', async ({ page, served }) => {
  await openWorkbench(page, served.url, 'concert_singer');
  await setSql(page, 'SELECT 1 AS first;\nSELECT 2 AS second');
  await expect(page.getByRole('button', { name: 'Run selection' })).toBeDisabled();
  await page.keyboard.press('Shift+Home');
  await expect(page.getByRole('button', { name: 'Run selection' })).toBeEnabled();
  await page.keyboard.press('Control+Enter');
  await expect(page.getByRole('grid').getByRole('columnheader')).toHaveText(['second']);
  // the whole text is two statements: refused, with the marker where the second begins
  await page.getByRole('button', { name: '▶ Run' }).click();
  await expect(page.getByTestId('query-error')).toContainText('more than one statement');

  await setSql(page, 'SELECT s.name, c.concert_Name FROM singer s JOIN singer_in_concert sc ON sc.Singer_ID = s.Singer_ID JOIN concert c ON c.concert_ID = sc.concert_ID');
  await page.getByRole('button', { name: 'Explain' }).click();
  const plan = page.getByRole('tree', { name: 'Query plan' });
  await expect(plan).toBeVisible();
  expect(await plan.getByRole('treeitem').count()).toBeGreaterThanOrEqual(3);
  await expect(plan).toContainText('SCAN');

  // the same from the keyboard: Ctrl+Shift+E explains (a nested plan is a tree), Shift+Alt+F formats
  await setSql(page, 'SELECT name FROM singer WHERE Singer_ID IN (SELECT Singer_ID FROM singer_in_concert)');
  await page.keyboard.press('Control+Shift+E');
  await expect(plan.getByRole('group').getByRole('treeitem').first()).toBeVisible();
  await page.keyboard.press('Shift+Alt+F');
  await expect.poll(() => editorText(page)).toMatch(/^SELECT\n  name\nFROM\n  singer\nWHERE/);
  await setSql(page, 'SELECT s.name, c.concert_Name FROM singer s JOIN singer_in_concert sc ON sc.Singer_ID = s.Singer_ID JOIN concert c ON c.concert_ID = sc.concert_ID');

  await page.getByRole('link', { name: 'Status', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Status', level: 1 })).toBeVisible();
  await page.goBack();
  await expect.poll(() => editorText(page)).toContain('JOIN concert c ON c.concert_ID = sc.concert_ID');

  await page.getByLabel('Theme').selectOption('dark');
  await expect(editor(page)).toHaveClass(/vs-dark/);
  await page.getByLabel('Theme').selectOption('light');
  await expect(editor(page)).not.toHaveClass(/vs-dark/);
});

test('a 4,079-row result scrolls virtualized, and selected rows copy as TSV', async ({ page, served, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await openWorkbench(page, served.url, 'world_1');
  await run(page, 'SELECT ID, Name, CountryCode, Population FROM city ORDER BY ID');
  await expect(summary(page)).toContainText('4,079 rows');
  const grid = page.getByRole('grid');
  await expect(grid).toHaveAttribute('aria-rowcount', '4080');
  const domRows = await grid.getByRole('row').count();
  expect(domRows).toBeLessThan(100);

  await page.getByTestId('result-grid').evaluate((el) => (el.scrollTop = el.scrollHeight));
  await expect(grid.getByRole('rowheader', { name: '4079', exact: true })).toBeVisible();
  expect(await grid.getByRole('row').count()).toBeLessThan(100);

  // numbers right-aligned; click a cell, shift-click another row: rows 4078-4079 selected
  const last = grid.getByRole('row').filter({ has: page.getByRole('rowheader', { name: '4079', exact: true }) });
  await expect(last.getByRole('gridcell').first()).toHaveClass(/cell-num/);
  await grid.getByRole('row').filter({ has: page.getByRole('rowheader', { name: '4078', exact: true }) }).getByRole('gridcell').nth(1).click();
  await last.getByRole('gridcell').nth(1).click({ modifiers: ['Shift'] });
  await expect(page.getByText('2 rows selected')).toBeVisible();
  await page.keyboard.press('Control+C');
  await expect(page.getByText('Copied 2 rows as TSV.')).toBeVisible();
  const tsv = await page.evaluate(() => navigator.clipboard.readText());
  expect(tsv.split('\n')).toEqual(['ID\tName\tCountryCode\tPopulation', '4078\tNablus\tPSE\t100231', '4079\tRafah\tPSE\t92020']);

  // a lower row limit cuts the result short, and says so
  await page.getByLabel('Row limit').selectOption('1000');
  await page.getByRole('button', { name: '▶ Run' }).click();
  await expect(summary(page)).toContainText('1,000 rows (truncated)');
  await expect(page.getByTestId('truncated-notice')).toContainText('Truncated at 1,000 rows (the row limit)');
});

test('the database picker switches databases; an entry of another database opens there', async ({ page, served }) => {
  await openWorkbench(page, served.url, 'concert_singer');
  await run(page, 'SELECT count(*) AS singers FROM singer');
  await expect(summary(page)).toContainText('1 row');

  await page.getByLabel('Database', { exact: true }).selectOption('world_1');
  await expect(page).toHaveURL(/#\/workbench\/world_1$/);
  await expect(page.getByText('Queries you run appear here.')).toBeVisible(); // this database only
  await expect.poll(() => editorText(page)).toBe(''); // world_1 has its own draft
  await page.getByLabel('All databases').check();
  await expect(historyEntries(page)).toHaveCount(1);
  await expect(historyEntries(page).first()).toContainText('Concert singers');

  await historyEntries(page).first().getByRole('button', { name: 'Re-run' }).click();
  await expect(page).toHaveURL(/#\/workbench\/concert_singer$/);
  await expect(page.getByRole('grid').getByRole('columnheader')).toHaveText(['singers']);
  await expect.poll(() => editorText(page)).toBe('SELECT count(*) AS singers FROM singer');
});
