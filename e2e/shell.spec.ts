import { expect, test } from './fixtures.ts';

test('opens with the printed token URL and shows the status view', async ({ page, served }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });

  await page.goto(served.url);
  // the token left the address bar for a cookie
  expect(page.url()).not.toContain('token=');
  await expect(page.getByTestId('statusbar')).toContainText('Connected');
  await expect(page.getByTestId('statusbar')).toContainText('Engine: CPU');

  await page.getByRole('link', { name: 'Status', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Status', level: 1 })).toBeVisible();
  await expect(page.getByTestId('data-dir')).toHaveText(served.dataDir);
  await expect(page.getByTestId('engine')).toContainText('CPU');
  await expect(page.getByTestId('health')).toHaveText('healthy');
  await expect(page.getByText('squill serve (browser mode)')).toBeVisible();
  await expect(page.getByTestId('metrics')).toContainText('Memory (RSS)');
  expect(errors).toEqual([]);
});

test('navigates between pages and shows a demo database', async ({ page, served }) => {
  await page.goto(served.url);
  await expect(page.getByRole('heading', { name: 'Databases', level: 1 })).toBeVisible();
  const nav = page.getByRole('navigation', { name: 'Main' });
  await expect(nav.getByRole('link')).toHaveText(['Workbench', 'Schema', 'Evaluate', 'Fine-tune', 'Models', 'Databases', 'Status']);

  const world = page.getByRole('listitem', { name: 'World' });
  await expect(world).toContainText('demo');
  await expect(world.getByTestId('connection-status')).toHaveText('ok');
  await world.getByRole('link', { name: 'Schema' }).click();
  await expect(page).toHaveURL(/#\/schema\/world_1$/);
  const tables = page.getByRole('region', { name: 'All tables' });
  await expect(tables.getByRole('row', { name: /city/ })).toContainText('4,079');

  await nav.getByRole('link', { name: 'Status' }).click();
  await expect(page.getByTestId('health')).toBeVisible();
  await page.goBack();
  await expect(tables).toBeVisible();

  await page.goto(`${served.origin}/#/no-such-page`);
  await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
});

test('the theme choice is kept in the app store and survives a reload', async ({ page, served }) => {
  await page.goto(served.url);
  await expect(page.getByTestId('statusbar')).toContainText('Connected');
  await page.getByLabel('Theme').selectOption('dark');
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await page.reload();
  await expect(page.getByLabel('Theme')).toHaveValue('dark');
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await page.getByLabel('Theme').selectOption('light');
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
});

test('without the token the server shows how to get in, and the API stays closed', async ({ page, served }) => {
  const res = await page.goto(served.origin);
  expect(res?.status()).toBe(401);
  await expect(page.getByRole('heading', { name: /needs its access token/ })).toBeVisible();
  const api = await page.request.get(`${served.origin}/api/health`);
  expect(api.status()).toBe(401);
  const withToken = await page.request.get(`${served.origin}/api/health`, {
    headers: { Authorization: `Bearer ${served.token}` },
  });
  expect(withToken.status()).toBe(200);
});
