/**
 * The whole reward on a real database through the real sandbox: R = F ? E + M : 0, E from BIRD's row-set match,
 * 1 + f(J) for a wrong result that runs, 0 for an error or a timeout; golds cached; the memory's M and growth with a
 * real (random-weight) GGUF embedder.
 */
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../../test/helpers.ts';
import { createSandboxPool, type SandboxPool } from '../../db/index.ts';
import { GoldCache } from '../../eval/index.ts';
import { openStore } from '../../store/index.ts';
import { createModel, openEmbedder, SHAPES, type OpenedEmbedder } from '../../llm/index.ts';
import { atomicOps, cosine, createReasoningMemory, createRewarder, jaccard, RewardSettingsSchema, shapeAtomic } from './index.ts';

const DB = path.resolve(import.meta.dirname, '../../../../resources/demo/concert_singer.sqlite');
const GOLD = "SELECT name FROM singer WHERE country = 'France' AND age > 30";
/** 40+ words, mentions the name, country and age columns: passes the memory's quality gate */
const REASONING = `The question asks for the names of French singers older than thirty. The singer table holds a name column,
  a country column and an age column, so no join is needed: filter country equal to France, keep age above thirty,
  and return the name of every row that remains after both conditions.`;
const completion = (sql: string, reasoning = REASONING) => `<think>\n${reasoning}\n</think>\n${sql}`;

/** counts gold executions: the cache must run each (database, gold) once */
class CountingCache extends GoldCache {
  executed = 0;
  override get(key: string, run: Parameters<GoldCache['get']>[1]) {
    return super.get(key, () => {
      this.executed++;
      return run();
    });
  }
}

describe('rewards', () => {
  let sandbox: SandboxPool;
  beforeAll(() => {
    sandbox = createSandboxPool({ size: 1 });
  });
  afterAll(async () => sandbox?.close());

  it('has the issue defaults', () => {
    expect(RewardSettingsSchema.parse({})).toEqual({
      atomic: { e: 0.05, b: 0.79, g: 0.2 },
      memory: { enabled: false, topK: 20, gate: { minWords: 30, maxWords: 2000, minColumnMentions: 2, minBigramTtr: 0.6, maxSimilarity: 0.9 } },
      timeoutMs: 10_000,
    });
  });

  it('gives 1 + 2 for the gold rows (as a set: order and duplicates aside), with the result preview', async () => {
    const cache = new CountingCache();
    const rewarder = await createRewarder({ sandbox, goldCache: cache });
    const input = { golds: [GOLD], dbPath: DB, dbId: 'concert_singer' };
    const r = await rewarder.score({ ...input, completion: completion("SELECT DISTINCT Name FROM singer AS s WHERE s.Age > 30 AND s.Country = 'France' ORDER BY Name DESC;") });
    expect(r).toMatchObject({ format: 1, execution: 2, memory: null, total: 3, error: null, goldError: null, sql: "SELECT DISTINCT Name FROM singer AS s WHERE s.Age > 30 AND s.Country = 'France' ORDER BY Name DESC" });
    expect(r.result).toEqual({ columns: ['Name'], rows: [['Rose White'], ['John Nizinik']], types: ['t', 't'], rowCount: 2 });
    expect(r.goldOps).toEqual(atomicOps(GOLD));
    expect(r.jaccard).toBe(jaccard(r.predOps, [r.goldOps]));
    expect(r.jaccard!).toBeLessThan(1); // the structure differs (DISTINCT, ORDER BY), the rows do not
    // the gold ran once for both scores
    await rewarder.score({ ...input, completion: completion('SELECT name FROM singer') });
    expect(cache.executed).toBe(1);
  });

  it('gives 1 + 1 + f(J) for a query that runs with other rows, J over the operation sets', async () => {
    const rewarder = await createRewarder({ sandbox, settings: { atomic: { e: 0.3, b: 0.71, g: 5 } } });
    const sql = "SELECT name FROM singer WHERE country = 'France' AND age > 42"; // John Nizinik only
    const r = await rewarder.score({ completion: completion(sql), golds: [GOLD], dbPath: DB, dbId: 'concert_singer' });
    // ops: FROM, SELECT_COL(name), the country predicate shared; the age predicate differs: 3 of 5 distinct ops
    expect(r.jaccard).toBeCloseTo(3 / 5, 12);
    expect(r.atomic).toBeCloseTo(shapeAtomic(0.6, { e: 0.3, b: 0.71, g: 5 }), 12);
    expect(r.execution).toBeCloseTo(1 + r.atomic!, 12);
    expect(r.total).toBeCloseTo(2 + r.atomic!, 12);
    expect(r.result?.rowCount).toBe(1);
    // J is the best over the golds: a second gold equal to the prediction's structure gives J = 1
    const two = await rewarder.score({ completion: completion(sql), golds: [GOLD, `${sql} AND 1 = 0`, sql.replace('42', '42 ')], dbPath: DB, dbId: 'x' });
    expect(two.execution).toBe(2); // it equals the third gold's rows
    const other = await rewarder.score({ completion: completion(`${sql} ORDER BY name`), golds: [GOLD, `${sql} AND 1 = 0`], dbPath: DB, dbId: 'x' });
    expect(other.jaccard).toBe(jaccard(other.predOps, [atomicOps(GOLD)!, atomicOps(`${sql} AND 1 = 0`)!]));
    expect(other.goldOps).toEqual(atomicOps(`${sql} AND 1 = 0`));
  });

  it('gives E = 0 for an error and a timeout, with the error kept', async () => {
    const rewarder = await createRewarder({ sandbox, settings: { timeoutMs: 300 } });
    const bad = await rewarder.score({ completion: completion('SELECT nme FROM singer'), golds: [GOLD], dbPath: DB, dbId: 'c' });
    expect(bad).toMatchObject({ format: 1, execution: 0, total: 1, result: null });
    expect(bad.error).toContain('no such column: nme');
    // a recursive CTE that never ends: stopped at 300 ms
    const slow = 'WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n';
    const timedOut = await rewarder.score({ completion: completion(slow), golds: [GOLD], dbPath: DB, dbId: 'c' });
    expect(timedOut).toMatchObject({ execution: 0, total: 1, result: null });
    expect(timedOut.error).toBeTruthy();
  });

  it('zeroes the total when the format is wrong, still showing what the SQL returned', async () => {
    const rewarder = await createRewarder({ sandbox });
    const r = await rewarder.score({ completion: completion(GOLD, 'too short'), golds: [GOLD], dbPath: DB, dbId: 'c' });
    expect(r).toMatchObject({ format: 0, execution: 2, total: 0 });
    expect(r.formatProblem).toContain('reasoning');
    expect(r.result?.rowCount).toBe(2);
  });

  it('gives J = null (no atomic credit) for SQL the parser cannot read, and says when no gold runs', async () => {
    const rewarder = await createRewarder({ sandbox });
    const r = await rewarder.score({ completion: completion('SELECT name FROM singer'), golds: ['SELECT name FROM singers'], dbPath: DB, dbId: 'c' });
    expect(r.execution).toBeCloseTo(1 + r.atomic!, 12);
    expect(r.goldError).toContain('no such table');
    // SQLite accepts `glob` as an alias, sql-parser-cst (0.42) does not: the query runs (E = 1) with no atomic credit
    const unreadableSql = 'SELECT name FROM singer AS glob';
    expect(atomicOps(unreadableSql)).toBeNull();
    const unreadable = await rewarder.score({ completion: completion(unreadableSql), golds: [GOLD], dbPath: DB, dbId: 'c' });
    expect(unreadable).toMatchObject({ jaccard: null, atomic: null, execution: 1, total: 2, predOps: [], goldOps: atomicOps(GOLD) });
    expect(unreadable.result?.rowCount).toBe(6);
  });

  describe('with the memory reward', () => {
    let embedder: OpenedEmbedder;
    beforeAll(async () => {
      const file = path.join(tempDir(), 'embed.gguf');
      createModel({ arch: 'qwen2', shape: SHAPES.tiny!, vocab: 'qwen2', out: file, seed: 5, cacheDir: path.join(os.tmpdir(), 'squill-test-cache') });
      embedder = await openEmbedder(file, { contextSize: 512 });
    }, 120_000);
    afterAll(async () => embedder?.close());

    it('adds M: 1 for a right result, else the cosine to other databases; grows the memory after a step', async () => {
      const memory = createReasoningMemory({ embedder });
      await expect(createRewarder({ sandbox, settings: { memory: { enabled: true } } })).rejects.toThrow(/no embedding model/);
      const rewarder = await createRewarder({ sandbox, settings: { memory: { enabled: true } }, memory });
      expect(rewarder.memory).toBe(memory);
      const right = await rewarder.score({ completion: completion(GOLD), golds: [GOLD], dbPath: DB, dbId: 'concert_singer' });
      expect(right).toMatchObject({ execution: 2, memory: 1, total: 4 });
      // an empty memory: a wrong answer gets M = 0; scoring stores nothing
      const other = `${REASONING} Then all names.`;
      const wrong = () => rewarder.score({ completion: completion('SELECT name FROM singer', other), golds: [GOLD], dbPath: DB, dbId: 'another_db' });
      expect((await wrong()).memory).toBe(0);
      expect(memory.size()).toBe(0);
      // after the step: the correct sample's reasoning passes the gate (the schema's Name, Country, Age columns)
      const bad = await rewarder.score({ completion: completion('SELECT nme FROM singer'), golds: [GOLD], dbPath: DB, dbId: 'concert_singer' });
      expect(await rewarder.grow([right, bad, (await wrong())].map((breakdown) => ({ dbId: 'concert_singer', dbPath: DB, breakdown })))).toEqual({ offered: 1, added: 1 });
      expect(memory.size()).toBe(1);
      // same database: nothing of another database to compare with
      const wrongHere = await rewarder.score({ completion: completion('SELECT name FROM singer', other), golds: [GOLD], dbPath: DB, dbId: 'concert_singer' });
      expect(wrongHere.memory).toBe(0);
      // another database's question: M is the cosine to the one stored reasoning
      const wrongElsewhere = await wrong();
      const [a, b] = await embedder.embed([other, REASONING]);
      expect(wrongElsewhere.memory).toBeCloseTo(cosine(a!, b!), 5);
      expect(wrongElsewhere.total).toBeCloseTo(1 + wrongElsewhere.execution + wrongElsewhere.memory!, 12);
      // F = 0: M is not computed
      const unformatted = await rewarder.score({ completion: GOLD, golds: [GOLD], dbPath: DB, dbId: 'another_db' });
      expect(unformatted).toMatchObject({ format: 0, memory: null, total: 0 });
      // a repeat of the stored reasoning is a near-duplicate
      expect(await rewarder.grow([{ dbId: 'x', dbPath: DB, breakdown: right }])).toEqual({ offered: 1, added: 0 });
      await rewarder.close();
    });

    it('opens settings.memory.model as the embedder and keeps the memory in the store', async () => {
      const dir = tempDir();
      const store = openStore(dir);
      const file = path.join(dir, 'embed.gguf');
      createModel({ arch: 'qwen2', shape: SHAPES.tiny!, vocab: 'qwen2', out: file, seed: 5, cacheDir: path.join(os.tmpdir(), 'squill-test-cache') });
      const lines: string[] = [];
      const settings = { memory: { enabled: true, model: file } };
      const first = await createRewarder({ sandbox, settings, store, log: (l) => lines.push(l) });
      const right = await first.score({ completion: completion(GOLD), golds: [GOLD], dbPath: DB, dbId: 'concert_singer' });
      expect(await first.grow([{ dbId: 'concert_singer', dbPath: DB, breakdown: right }])).toEqual({ offered: 1, added: 1 });
      await first.close();
      const second = await createRewarder({ sandbox, settings, store, log: (l) => lines.push(l) });
      expect(second.memory!.size()).toBe(1);
      expect(lines).toContain('memory reward: 1 stored reasoning(s) for embed.gguf');
      await second.close();
      store.close();
    }, 60_000);
  });
});
