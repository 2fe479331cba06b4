/** The database procedures of the contract, called as the renderer calls them (through the backend). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure, tempDir } from '../../../test/helpers.ts';
import type { HistoryEntry } from '../../shared/contract/index.ts';
import { createClient, type SquillClient } from '../../shared/rpc/client.ts';
import { createCore, type Core } from '../index.ts';

let core: Core;
let client: SquillClient;
beforeAll(() => {
  core = createCore({ dataDir: tempDir(), host: 'server', log: () => undefined, sandboxSize: 1 });
  client = createClient(core.backend);
});
afterAll(() => core.close());


describe('database procedures', () => {
  it('schema.get describes tables with keys, samples and row counts', async () => {
    const schema = await client.call('schema.get', { connectionId: 'concert_singer' });
    const singer = schema.tables.find((t) => t.name === 'singer')!;
    expect(singer.rowCount).toBe(6);
    expect(singer.columns.find((c) => c.name === 'Singer_ID')).toMatchObject({ pk: 1, affinity: 'INTEGER' });
    expect(singer.columns.find((c) => c.name === 'Country')!.sampleValues).toContain('Netherlands');
    expect((await failure(client.call('schema.get', { connectionId: 'nope' }))).code).toBe('NOT_FOUND');
  });

  it('schema.sampleRows reads the first rows of a table and refuses unknown tables', async () => {
    const rows = await client.call('schema.sampleRows', { connectionId: 'world_1', table: 'city', limit: 5 });
    expect(rows.rows).toHaveLength(5);
    expect(rows.columns.map((c) => c.name)).toEqual(['ID', 'Name', 'CountryCode', 'District', 'Population']);
    const err = await failure(client.call('schema.sampleRows', { connectionId: 'world_1', table: 'x"; DROP TABLE city; --' }));
    expect(err.code).toBe('NOT_FOUND');
  });

  it('query.explain returns the plan as a tree', async () => {
    const { steps } = await client.call('query.explain', {
      connectionId: 'world_1',
      sql: 'SELECT c.Name FROM city c JOIN country k ON k.Code = c.CountryCode WHERE k.Continent = \'Europe\';',
    });
    expect(steps.length).toBeGreaterThan(0);
    expect(steps.every((s) => typeof s.detail === 'string')).toBe(true);
    expect(steps.map((s) => s.detail).join(' ')).toMatch(/SCAN|SEARCH/);
  });

  it('query.run records successes and failures in the history, with an event each', async () => {
    const added: HistoryEntry[] = [];
    const off = client.on('history.added', (e) => added.push(e));
    await client.call('query.run', { connectionId: 'world_1', sql: 'SELECT count(*) FROM city', recordHistory: true });
    await failure(client.call('query.run', { connectionId: 'world_1', sql: 'DELETE FROM city', recordHistory: true }));
    await failure(client.call('query.run', { connectionId: 'world_1', sql: 'SELECT nope', recordHistory: true }));
    await client.call('query.run', { connectionId: 'world_1', sql: 'SELECT 100 AS "50%_done"' });
    off();
    expect(added.map((e) => e.status)).toEqual(['ok', 'refused', 'error']);
    const history = await client.call('history.list', {});
    expect(history.map((h) => [h.sql, h.status, h.rowCount, h.connectionName])).toEqual([
      ['SELECT nope', 'error', null, 'World'],
      ['DELETE FROM city', 'refused', null, 'World'],
      ['SELECT count(*) FROM city', 'ok', 1, 'World'],
    ]);
    expect((await client.call('history.list', { search: 'city' })).length).toBe(2);
    expect((await client.call('history.list', { search: '%' })).length).toBe(0); // % is literal, not a wildcard
    expect((await client.call('history.delete', { id: history[0]!.id })).deleted).toBe(1);
    expect((await client.call('history.delete', {})).deleted).toBe(2);
    expect(await client.call('history.list', {})).toEqual([]);
  });

  it('validates limits at the boundary', async () => {
    const err = await failure(client.call('query.run', { connectionId: 'world_1', sql: 'SELECT 1', limits: { timeoutMs: 1 } }));
    expect(err.code).toBe('VALIDATION');
    expect(err.details).toEqual({ issues: [expect.objectContaining({ path: 'limits.timeoutMs' })] });
  });

  it('connections.pickFile says it needs the desktop app', async () => {
    expect(await failure(client.call('connections.pickFile'))).toMatchObject({ code: 'UNAVAILABLE' });
  });
});
