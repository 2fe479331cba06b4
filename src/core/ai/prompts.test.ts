/** Prompt layout, slicing and output parsing on the demo databases (real schemas through the sandbox). */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandboxPool, type SandboxPool } from '../db/index.ts';
import { DEFAULT_RESOURCES_DIR } from '../index.ts';
import { extractSql, linkedBySql, parseSchemaLink, parseTableList, splitReasoning } from './parse.ts';
import { createTableLine, foreignKeyGroups, lrsqlSlices, readSampleRows, routeSchema, SLICE_SCAFFOLD_TOKENS } from './prompts.ts';
import { fileDbHandle, type DbHandle } from './index.ts';
import { vote } from './strategies/index.ts';
import type { Executed } from './trace.ts';

const demo = (name: string) => path.join(DEFAULT_RESOURCES_DIR, 'demo', `${name}.sqlite`);
/** a whitespace token count is enough to test budgets */
const words = async (t: string) => t.split(/\s+/).filter(Boolean).length;

let pool: SandboxPool;
let concert: DbHandle;
let car: DbHandle;
beforeAll(async () => {
  pool = createSandboxPool({ size: 1 });
  concert = await fileDbHandle(pool, demo('concert_singer'), 'concert_singer');
  car = await fileDbHandle(pool, demo('car_1'), 'car_1');
});
afterAll(() => pool.close());

describe('ROUTE schema serialization', () => {
  it('writes one single-line CREATE TABLE per table with keys, and 3 sample rows per table', async () => {
    const rows = await readSampleRows(concert, 3);
    const s = await routeSchema(concert.schema, rows, words, 100_000);
    expect(s.omittedTables).toEqual([]);
    const lines = s.text.split('\n');
    expect(lines[0]).toBe('/* Database schema */');
    const creates = lines.filter((l) => l.startsWith('CREATE TABLE'));
    expect(creates).toHaveLength(concert.schema.tables.length);
    const sic = creates.find((l) => l.startsWith('CREATE TABLE singer_in_concert'))!;
    expect(sic).toContain('PRIMARY KEY (concert_ID, Singer_ID)');
    expect(sic).toContain('FOREIGN KEY (Singer_ID) REFERENCES singer (Singer_ID)');
    expect(s.text).toContain('/* Sample rows of each table */');
    expect(s.text).toContain('/* 3 example rows from table singer: */');
  });

  it('drops sample rows first, then tables from the end, when over budget', async () => {
    const rows = await readSampleRows(concert, 3);
    const full = await routeSchema(concert.schema, rows, words, 100_000);
    const noRows = await routeSchema(concert.schema, rows, words, (await words(full.text)) - 1);
    expect(noRows.droppedSampleRows).toBe(true);
    expect(noRows.text).not.toContain('example rows');
    const tight = await routeSchema(concert.schema, rows, words, 30);
    expect(tight.omittedTables.length).toBeGreaterThan(0);
    expect(await words(tight.text)).toBeLessThanOrEqual(30);
  });

  it('prunes to the selected tables and columns but keeps key columns', () => {
    const singer = concert.schema.tables.find((t) => t.name === 'singer')!;
    const line = createTableLine(singer, new Set(['name']));
    expect(line).toMatch(/^CREATE TABLE singer \(Singer_ID INT, Name TEXT, PRIMARY KEY \(Singer_ID\)\);$/);
  });
});

describe('LR-SQL slices', () => {
  it('keeps each foreign-key group whole, groups first, every table exactly once', async () => {
    const groups = foreignKeyGroups(car.schema);
    expect(groups.flat().sort()).toEqual(car.schema.tables.map((t) => t.name).sort());
    for (const budget of [SLICE_SCAFFOLD_TOKENS + 20, SLICE_SCAFFOLD_TOKENS + 60, 2000]) {
      const slices = await lrsqlSlices(car.schema, words, budget);
      expect(slices.flat().sort()).toEqual(car.schema.tables.map((t) => t.name).sort());
      for (const g of groups) {
        const holding = slices.filter((s) => g.some((t) => s.includes(t)));
        expect(holding).toHaveLength(1); // a group is never split
      }
    }
    expect(await lrsqlSlices(car.schema, words, 100_000)).toHaveLength(1);
  });
});

describe('parsing model output', () => {
  it('extracts the first statement from fences, labels, prose and reasoning', () => {
    expect(extractSql('```sql\nSELECT 1;\n```')).toBe('SELECT 1');
    expect(extractSql('-- SQL: SELECT name FROM singer;')).toBe('SELECT name FROM singer');
    expect(extractSql("Here it is: SELECT ';' FROM t; SELECT 2")).toBe("SELECT ';' FROM t");
    expect(extractSql('<think>count the rows; easy</think>\nSELECT count(*) FROM singer')).toBe('SELECT count(*) FROM singer');
    expect(splitReasoning('<think> a </think> SELECT 1')).toEqual({ reasoning: 'a', answer: 'SELECT 1' });
  });

  it('reads table lists and schema-link JSON, keeping only real names', () => {
    expect(parseTableList('-- Tables: Singer, nope, concert;', ['singer', 'concert', 'stadium'])).toEqual(['singer', 'concert']);
    expect(parseTableList('#None#', ['singer'])).toEqual([]);
    const l = parseSchemaLink('{"tables":[{"table":"SINGER","columns":["name","bogus"]},{"table":"x","columns":[]}]}', concert.schema);
    expect(l).toEqual({ tables: ['singer'], columns: [{ table: 'singer', column: 'Name' }] });
    expect(parseSchemaLink('{"singer": ["Age"]}', concert.schema).columns).toEqual([{ table: 'singer', column: 'Age' }]);
    expect(parseSchemaLink('not json', concert.schema)).toEqual({ tables: [], columns: [] });
  });

  it('finds the real tables and columns an SQL names', () => {
    const l = linkedBySql('SELECT T1.name FROM singer AS T1 JOIN "singer_in_concert" AS T2 ON T1.singer_id = T2.singer_id', concert.schema);
    expect(l.tables).toEqual(['singer', 'singer_in_concert']);
    expect(l.columns).toContainEqual({ table: 'singer', column: 'Name' });
    expect(l.columns).toContainEqual({ table: 'singer_in_concert', column: 'Singer_ID' });
  });
});

describe('value-aware voting', () => {
  const ok = (rows: (number | string | null)[][]): Executed => ({
    trace: { sql: '', ok: true, ms: 0 },
    result: { columns: [], rows, types: [], truncated: false, truncatedBy: null, elapsedMs: 0 },
  });
  const err: Executed = { trace: { sql: '', ok: false, error: 'no such column', ms: 0 }, result: null };

  it('groups by the set of rows (order and duplicates ignored); the largest eligible group wins', () => {
    const r = vote([
      { sql: 'a', executed: ok([[1], [2]]) },
      { sql: 'b', executed: ok([[2], [1], [1]]) },
      { sql: 'c', executed: err },
      { sql: 'd', executed: err },
      { sql: 'e', executed: err },
      { sql: 'f', executed: ok([[3]]) },
    ]);
    const winner = r.groups[r.winner!]!;
    expect(winner.members).toEqual([0, 1]);
    expect(r.groups.find((g) => g.sql === 'c')).toMatchObject({ size: 3, ok: false, ignored: 'the SQL failed' });
  });

  it('ignores empty and all-zero results, falling back to them only when nothing else ran', () => {
    const r = vote([{ sql: 'z', executed: ok([[0]]) }, { sql: 'z2', executed: ok([[0]]) }, { sql: 'e', executed: ok([]) }, { sql: 'x', executed: ok([['a']]) }]);
    expect(r.groups[r.winner!]!.sql).toBe('x');
    const fallback = vote([{ sql: 'z', executed: ok([[0]]) }, { sql: 'z2', executed: ok([[0]]) }, { sql: 'e', executed: ok([]) }]);
    expect(fallback.groups[fallback.winner!]!.sql).toBe('z');
    expect(vote([{ sql: 'c', executed: err }]).winner).toBeNull();
  });
});
