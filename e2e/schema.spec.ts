import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { collectErrors, expect, test } from './fixtures.ts';

const CONCERT_TABLES = ['stadium', 'singer', 'concert', 'singer_in_concert'];


test('explores a demo schema: tree and filter, table detail, foreign keys, sample rows', async ({ page, served }) => {
  const errors = collectErrors(page);
  await page.goto(served.url);
  await page.goto(`${served.origin}/#/schema/concert_singer`);
  await expect(page.getByLabel('Database')).toHaveValue('concert_singer');

  const tree = page.getByRole('navigation', { name: 'Tables and views' });
  for (const name of CONCERT_TABLES) await expect(tree.getByRole('link', { name, exact: true })).toBeVisible();
  // the overview lists every table with its row count
  await expect(page.getByRole('region', { name: 'All tables' }).getByRole('row', { name: /^stadium/ })).toContainText('9');

  // the filter matches table names...
  const filter = tree.getByLabel('Filter tables and columns');
  await filter.fill('singer');
  await expect(tree.getByRole('link')).toHaveText(['singer', 'singer_in_concert']);
  // ...and column names, opening the tables to show the matching columns
  await filter.fill('stadium_id');
  await expect(tree.getByRole('link')).toHaveText(['stadium', 'concert']);
  await expect(tree.getByTestId('tree-concert')).toContainText('Stadium_ID');
  await expect(tree.getByTestId('tree-concert')).not.toContainText('Theme');
  await filter.fill('no such thing');
  await expect(tree).toContainText('Nothing matches');
  await filter.fill('');

  await tree.getByRole('link', { name: 'singer_in_concert', exact: true }).click();
  await expect(page).toHaveURL(/#\/schema\/concert_singer\/singer_in_concert$/);
  const detail = page.getByRole('article', { name: 'Table singer_in_concert' });
  await expect(detail.getByRole('heading', { name: 'singer_in_concert', level: 2 })).toBeVisible();
  await expect(detail.getByTestId('row-count')).toHaveText('10');
  const columns = detail.getByRole('region', { name: 'Columns' });
  await expect(columns.getByRole('row', { name: /concert_ID/ })).toContainText('PK');
  await expect(columns.getByRole('row', { name: /concert_ID/ })).toContainText('FK');
  const fks = detail.getByRole('region', { name: 'Foreign keys' });
  await expect(fks.getByRole('listitem')).toHaveCount(2);
  await expect(fks).toContainText('(concert_ID) → concert (concert_ID)');
  await expect(fks).toContainText('(Singer_ID) → singer (Singer_ID)');
  await expect(detail.getByRole('region', { name: 'CREATE statement' })).toContainText('CREATE TABLE "singer_in_concert"');

  // click through to the referenced table
  await fks.getByRole('link', { name: 'singer', exact: true }).click();
  await expect(page).toHaveURL(/#\/schema\/concert_singer\/singer$/);
  const singer = page.getByRole('article', { name: 'Table singer' });
  await expect(singer.getByRole('heading', { name: 'singer', level: 2 })).toBeVisible();
  await expect(singer.getByRole('region', { name: 'Referenced by' })).toContainText('singer_in_concert');
  const sample = singer.getByRole('region', { name: 'Sample rows' });
  await expect(sample.getByTestId('sample-summary')).toContainText('All 6 rows');
  await expect(sample.getByRole('row')).toHaveCount(7); // header + 6
  await expect(sample.getByRole('columnheader', { name: /Song_Name/ })).toBeVisible();
  await expect(sample.getByRole('cell', { name: 'Joe Sharp' })).toBeVisible();
  expect(errors).toEqual([]);
});

test('shows NULL apart from text in sample rows', async ({ page, served }) => {
  await page.goto(served.url);
  await page.goto(`${served.origin}/#/schema/world_1/country`);
  const sample = page.getByRole('region', { name: 'Sample rows' });
  await expect(sample.getByTestId('sample-summary')).toContainText('First 20 rows');
  // Antarctica-like rows have no IndepYear: NULL is marked, not an empty cell
  const nulls = sample.locator('td.cell-null');
  await expect(nulls.first()).toHaveText('NULL');
  await expect(nulls.first()).toHaveAttribute('title', 'NULL');
  await sample.getByLabel('Sample size').selectOption('100');
  await expect(sample.getByTestId('sample-summary')).toContainText('First 100 rows');
});

test('draws the ER diagram and opens a table from it', async ({ page, served }) => {
  const errors = collectErrors(page);
  await page.goto(served.url);
  await page.goto(`${served.origin}/#/schema/concert_singer`);
  await page.getByRole('tab', { name: 'Diagram' }).click();
  await expect(page.getByRole('tab', { name: 'Diagram' })).toHaveAttribute('aria-selected', 'true');

  const diagram = page.getByTestId('er-diagram');
  for (const name of CONCERT_TABLES) await expect(diagram.getByTestId(`er-node-${name}`)).toBeVisible();
  await expect(diagram.getByTestId(/^er-node-/)).toHaveCount(4);
  await expect(diagram.getByTestId('er-node-singer_in_concert')).toContainText('concert_ID');
  // three foreign keys: concert -> stadium, singer_in_concert -> concert and -> singer
  await expect(diagram.locator('.react-flow__edge')).toHaveCount(3);
  await expect(diagram.getByRole('button', { name: /zoom in/i })).toBeVisible();

  await diagram.getByTestId('er-node-stadium').click();
  await expect(page).toHaveURL(/#\/schema\/concert_singer\/stadium$/);
  await expect(page.getByRole('tab', { name: 'Tables' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByRole('article', { name: 'Table stadium' })).toBeVisible();

  // back on the diagram, the opened table is marked
  await page.getByRole('tab', { name: 'Diagram' }).click();
  await expect(diagram.getByTestId('er-node-stadium')).toHaveClass(/er-node-current/);
  expect(errors).toEqual([]);
});

test('adds a database by path, refuses a file that is not SQLite, and removes it', async ({ page, served }) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'squill-e2e-add-'));
  try {
    const notSqlite = path.join(dir, 'notes.sqlite');
    fs.writeFileSync(notSqlite, 'these are my notes, not a database\n');
    const copy = path.join(dir, 'my_cars.sqlite');
    fs.copyFileSync('resources/demo/car_1.sqlite', copy);

    await page.goto(served.url);
    await expect(page.getByRole('heading', { name: 'Databases', level: 1 })).toBeVisible();
    const known = page.getByRole('region', { name: 'Known databases' });
    await expect(known.getByRole('listitem')).toHaveCount(3);

    const pathInput = page.getByLabel('Database file path');
    await pathInput.fill(notSqlite);
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    const alert = page.getByRole('region', { name: 'Add a database' }).getByRole('alert');
    await expect(alert).toContainText('Could not add the database.');
    await expect(alert).toContainText('is not a SQLite database');
    await expect(pathInput).toHaveValue(notSqlite); // kept, to fix and retry
    await expect(known.getByRole('listitem')).toHaveCount(3);

    await pathInput.fill(copy);
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await expect(page.getByRole('status')).toContainText('Added my_cars.sqlite (6 tables)');
    await expect(pathInput).toHaveValue('');
    const added = known.getByRole('listitem', { name: 'my_cars.sqlite' });
    await expect(added).toContainText(fs.realpathSync(copy));
    await expect(added.getByTestId('connection-status')).toHaveText('ok');
    await expect(added).toContainText('6'); // tables
    await expect(added).not.toContainText('demo');
    // demos first, the new one last
    await expect(known.getByRole('listitem').last()).toHaveAccessibleName('my_cars.sqlite');
    await expect(added.getByRole('link', { name: 'Schema' })).toHaveAttribute('href', /#\/schema\/my_cars$/);

    // demos cannot be removed
    await expect(known.getByRole('listitem', { name: 'Concert singers' }).getByRole('button')).toHaveCount(0);

    await added.getByRole('button', { name: 'Remove…' }).click();
    await expect(added.getByRole('group')).toContainText('The file is left alone');
    await added.getByRole('button', { name: 'Cancel' }).click();
    await expect(added).toBeVisible();
    await added.getByRole('button', { name: 'Remove…' }).click();
    await added.getByRole('button', { name: 'Remove', exact: true }).click();
    await expect(known.getByRole('listitem')).toHaveCount(3);
    expect(fs.existsSync(copy)).toBe(true);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a database whose file went away shows as missing, with the reason', async ({ page, served }) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'squill-e2e-missing-'));
  try {
    const file = path.join(dir, 'gone.sqlite');
    fs.copyFileSync('resources/demo/car_1.sqlite', file);
    await page.goto(served.url);
    await page.getByLabel('Database file path').fill(file);
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    const item = page.getByRole('listitem', { name: 'gone.sqlite' });
    await expect(item.getByTestId('connection-status')).toHaveText('ok');

    fs.rmSync(file);
    await page.getByRole('button', { name: 'Check again' }).click();
    await expect(item.getByTestId('connection-status')).toHaveText('missing');
    await expect(item).toContainText('The file is missing.');
    await expect(item).toContainText('no longer exists');
    await expect(item.getByRole('link', { name: 'Schema' })).toHaveCount(0);

    // the Schema page says so too instead of failing on it
    await page.goto(`${served.origin}/#/schema/gone`);
    await expect(page.getByRole('alert')).toContainText('gone.sqlite is missing');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * Stands in for the Electron preload in a browser page: window.squill speaks the contract over the server's
 * WebSocket, answers the file dialog with `picked`, and gives each dropped file the path listed under its name.
 */
function fakeDesktopPreload({ picked, dropped }: { picked: string; dropped: Record<string, string> }) {
  const socket = new WebSocket(`ws://${location.host}/ws`);
  const opened = new Promise((resolve) => socket.addEventListener('open', resolve, { once: true }));
  const waiting = new Map<number, (result: unknown) => void>();
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  let nextId = 1;
  socket.addEventListener('message', (e) => {
    const message = JSON.parse(String(e.data));
    if (message.type === 'result') waiting.get(message.id)?.(message.result);
    if (message.type === 'event') for (const l of listeners.get(message.event) ?? []) l(message.payload);
  });
  const send = async (message: unknown) => {
    await opened;
    socket.send(JSON.stringify(message));
  };
  Object.assign(window, {
    squill: {
      call(method: string, input: unknown) {
        if (method === 'connections.pickFile') return Promise.resolve({ ok: true, output: { path: picked } });
        const id = nextId++;
        return new Promise((resolve) => {
          waiting.set(id, resolve);
          void send({ type: 'call', id, method, input });
        });
      },
      subscribe(event: string, listener: (payload: unknown) => void) {
        if (!listeners.has(event)) listeners.set(event, new Set());
        listeners.get(event)!.add(listener);
        void send({ type: 'subscribe', event });
        return () => listeners.get(event)?.delete(listener);
      },
      pathForFile: (file: File) => dropped[file.name] ?? '',
    },
  });
}

test('in the desktop app, Browse… and dropping files add databases', async ({ page, served }) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'squill-e2e-desktop-'));
  try {
    const picked = path.join(dir, 'picked.sqlite');
    const dropped = path.join(dir, 'dropped.sqlite');
    fs.copyFileSync('resources/demo/concert_singer.sqlite', picked);
    fs.copyFileSync('resources/demo/world_1.sqlite', dropped);
    await page.goto(served.url); // for the auth cookie the fake preload's WebSocket needs
    await page.addInitScript(fakeDesktopPreload, { picked, dropped: { 'dropped.sqlite': dropped } });
    await page.reload();

    const known = page.getByRole('region', { name: 'Known databases' });
    await expect(known.getByRole('listitem')).toHaveCount(3);
    await page.getByRole('button', { name: 'Browse…' }).click();
    await expect(known.getByRole('listitem', { name: 'picked.sqlite' })).toBeVisible();

    await page.getByTestId('drop-zone').evaluate((zone) => {
      const data = new DataTransfer();
      data.items.add(new File(['not read: the path is what counts'], 'dropped.sqlite'));
      zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: data, bubbles: true, cancelable: true }));
      zone.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
    });
    const added = known.getByRole('listitem', { name: 'dropped.sqlite' });
    await expect(added).toBeVisible();
    await expect(added).toContainText('3'); // world_1's tables
    await expect(known.getByRole('listitem')).toHaveCount(5);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
