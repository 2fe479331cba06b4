/**
 * The sandbox under attack: hostile SQL is refused or stopped, the database file stays byte-for-byte the same,
 * no file appears, and the pool answers the next query.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure, tempDir } from '../../../../test/helpers.ts';
import { createSandboxPool, type SandboxPool } from './pool.ts';

let pool: SandboxPool;
let dir: string;
let db: string;
const sha = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
const listing = () => fs.readdirSync(dir).sort();

beforeAll(() => {
  // tempDir() cleans up after each test; this folder lives for the whole file
  dir = fs.mkdtempSync(path.join(tempDir(), '..', 'squill-sandbox-'));
  db = path.join(dir, 'shop.sqlite');
  const setup = new BetterSqlite3(db);
  setup.exec(`
    CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT, price REAL, data BLOB);
    INSERT INTO item VALUES (1, 'pen', 1.5, x'00ff'), (2, '', 2.0, NULL), (3, NULL, 3, zeroblob(100)),
      (9007199254740993, 'big', 1e308 * 10, NULL);
    CREATE TABLE n (v INTEGER);
    WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000) INSERT INTO n SELECT x FROM c;
  `);
  setup.close();
  pool = createSandboxPool({ size: 2, memoryLimitBytes: 256 * 1024 * 1024 });
});
afterAll(async () => {
  await pool.close();
  fs.rmSync(dir, { recursive: true, force: true });
});


describe('the SQL sandbox', () => {
  it('returns columns, declared types, storage classes and exact integers', async () => {
    const r = await pool.query(db, 'SELECT id, name, price, data FROM item ORDER BY id');
    expect(r.columns).toEqual([
      { name: 'id', declType: 'INTEGER' },
      { name: 'name', declType: 'TEXT' },
      { name: 'price', declType: 'REAL' },
      { name: 'data', declType: 'BLOB' },
    ]);
    expect(r.types).toEqual(['itrb', 'itrn', 'inrb', 'itrn']);
    expect(r.rows[0]).toEqual([1, 'pen', 1.5, { blob: 'AP8=', size: 2 }]);
    expect(r.rows[1]).toEqual([2, '', 2, null]); // REAL 2.0: the 'r' in types keeps it apart from INTEGER 2
    expect(r.rows[2]![3]).toEqual({ blob: expect.any(String), size: 100 });
    expect(r.rows[3]).toEqual(['9007199254740993', 'big', 'Infinity', null]);
    expect(r.truncated).toBe(false);
    expect(r.elapsedMs).toBeGreaterThan(0);
  });

  it('caps rows and bytes and says which cap stopped it', async () => {
    const byRows = await pool.query(db, 'SELECT v FROM n', { maxRows: 10 });
    expect(byRows.rows).toHaveLength(10);
    expect([byRows.truncated, byRows.truncatedBy]).toEqual([true, 'rows']);
    const byBytes = await pool.query(db, "SELECT v, printf('%.500c', 'x') FROM n", { maxBytes: 64 * 1024 });
    expect(byBytes.rows.length).toBeLessThan(2000);
    expect([byBytes.truncated, byBytes.truncatedBy]).toEqual([true, 'bytes']);
  });

  const before = { hash: '', files: [] as string[] };
  it('records the database before the attacks', () => {
    before.hash = sha(db);
    before.files = listing();
  });

  const refused: [string, RegExp][] = [
    ["INSERT INTO item (name) VALUES ('x')", /INSERT/],
    ["REPLACE INTO item VALUES (1, 'x', 1, NULL)", /INSERT\/REPLACE/],
    ["UPDATE item SET name = 'x'", /UPDATE/],
    ['DELETE FROM item', /DELETE/],
    ['WITH x AS (SELECT 1) DELETE FROM item', /DELETE/],
    ['CREATE TABLE evil (a)', /CREATE/],
    ['CREATE TEMP TABLE evil (a)', /CREATE/],
    ['CREATE INDEX evil ON item (name)', /CREATE/],
    ["CREATE TRIGGER evil AFTER INSERT ON item BEGIN SELECT 1; END", /CREATE/],
    ['CREATE VIEW evil AS SELECT 1', /CREATE/],
    ['DROP TABLE item', /DROP/],
    ['ALTER TABLE item ADD COLUMN evil', /ALTER/],
    ["ATTACH '__DIR__/attached.db' AS evil", /ATTACH/],
    ['DETACH main', /DETACH/],
    ['VACUUM', /VACUUM/],
    ["VACUUM INTO '__DIR__/copy.db'", /VACUUM/],
    ['PRAGMA journal_mode = DELETE', /PRAGMA/],
    ['PRAGMA user_version = 7', /PRAGMA/],
    ['PRAGMA writable_schema = ON', /PRAGMA/],
    ['PRAGMA query_only = OFF', /PRAGMA/],
    ['BEGIN IMMEDIATE', /transaction/],
    ['COMMIT', /transaction/],
    ['SAVEPOINT s', /transaction/],
    ['ANALYZE', /ANALYZE/],
    ['REINDEX', /REINDEX/],
    ["SELECT load_extension('__DIR__/evil.so')", /load_extension/],
    ["SELECT * FROM item WHERE name = load_extension('x', 'y')", /load_extension/],
    ['SELECT 1; DELETE FROM item', /more than one statement/],
    ['SELECT 1; SELECT 2', /more than one statement/],
    ['EXPLAIN DELETE FROM item', /DELETE/],
  ];
  it.each(refused)('refuses %s, naming what and why', async (sql, reason) => {
    const err = await failure(pool.query(db, sql.replaceAll('__DIR__', dir)));
    expect(err.code).toBe('REFUSED');
    expect(err.message).toMatch(reason);
    expect((await pool.query(db, 'SELECT count(*) FROM item')).rows).toEqual([[4]]);
  });

  it('stops a runaway recursive CTE at its time limit and replaces the process', async () => {
    const killedBefore = pool.stats().killed;
    const started = Date.now();
    const err = await failure(
      pool.query(db, 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT max(x) FROM c', { timeoutMs: 300 }),
    );
    expect(err.code).toBe('TIMEOUT');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(pool.stats().killed).toBe(killedBefore + 1);
    expect((await pool.query(db, 'SELECT 41 + 1')).rows).toEqual([[42]]);
  });

  it('stops a cross-join bomb', async () => {
    const err = await failure(pool.query(db, 'SELECT count(*) FROM n a, n b, n c, n d', { timeoutMs: 300 }));
    expect(err.code).toBe('TIMEOUT');
    expect((await pool.query(db, 'SELECT 1')).rows).toEqual([[1]]);
  });

  it.skipIf(process.platform !== 'linux')('stops a huge blob or a giant sort at the memory limit', async () => {
    const err = await failure(pool.query(db, 'SELECT length(randomblob(500000000))', { timeoutMs: 20_000 }));
    expect(err.code).toBe('LIMIT');
    expect(err.message).toBe('The query was stopped: it used more than 256 MiB of memory');
    const sort = await failure(pool.query(db, 'SELECT length(b) FROM (SELECT randomblob(200000) AS b FROM n ORDER BY b)', { timeoutMs: 20_000 }));
    expect(sort.code).toBe('LIMIT');
    expect((await pool.query(db, 'SELECT 1')).rows).toEqual([[1]]);
  });

  it('refuses a blob beyond SQLite\'s size limit', async () => {
    const err = await failure(pool.query(db, 'SELECT zeroblob(2000000000)'));
    expect(err.code).toBe('SQL_ERROR');
    expect(err.message).toMatch(/too big/);
  });

  it('survives many hostile queries at once and keeps answering', async () => {
    const results = await Promise.allSettled([
      pool.query(db, 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT max(x) FROM c', { timeoutMs: 200 }),
      pool.query(db, 'DROP TABLE item'),
      pool.query(db, 'SELECT count(*) FROM n'),
      pool.query(db, 'SELECT count(*) FROM n a, n b, n c', { timeoutMs: 200 }),
      pool.query(db, 'SELECT name FROM item WHERE id = 1'),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'fulfilled', 'rejected', 'fulfilled']);
    expect((await pool.query(db, 'SELECT count(*) FROM n')).rows).toEqual([[2000]]);
  });

  it('reports SQLite errors with their position', async () => {
    const err = await failure(pool.query(db, 'SELECT nope FROM item'));
    expect(err.code).toBe('SQL_ERROR');
    expect(err.message).toBe('no such column: nope');
    expect(err.details).toMatchObject({ offset: 7 });
  });

  it('left the database bytes identical and created no file', () => {
    expect(sha(db)).toBe(before.hash);
    expect(listing()).toEqual(before.files);
  });
});
