/**
 * The benchmark layouts (benchmarks.ts) against the shared Spider/BIRD copy (skipped where absent) and against small
 * folders made here for what the shared copy lacks: test-suite variants, side files, BIRD databases and their hash
 * list, a train split. That training reads folders by the same rules is checked in train/datasets/datasets.test.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure, tempDir } from '../../../test/helpers.ts';
import { createSandboxPool, type SandboxPool } from '../db/index.ts';
import { benchmarkFile, benchmarkFolder, findBenchmarks, jsonlDatabase, questionFiles } from './benchmarks.ts';
import { loadBenchmark, type EvalExampleInput } from './loaders.ts';
import { sha256File } from './hash.ts';
import { GoldCache, scoreExample } from './score.ts';

const BENCH = path.resolve(import.meta.dirname, '../../../../shared/bench');
const SPIDER = path.join(BENCH, 'spider');
const BIRD = path.join(BENCH, 'bird');
const hasSpider = fs.existsSync(path.join(SPIDER, 'tables.json'));
const hasBird = fs.existsSync(path.join(BIRD, 'dev.json'));

/** a one-table database whose table `t` holds `rows` */
function makeDb(file: string, rows: number[]) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new BetterSqlite3(file);
  db.exec('CREATE TABLE t (v INTEGER)');
  for (const v of rows) db.prepare('INSERT INTO t VALUES (?)').run(v);
  db.close();
}
const writeJson = (file: string, value: unknown) => {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(value));
};

let pool: SandboxPool;
beforeAll(() => {
  pool = createSandboxPool({ size: 1 });
});
afterAll(async () => {
  await pool.close();
});

describe.skipIf(!hasSpider)('the shared Spider copy', () => {
  it('is found with its dev questions and the 163 databases present (wta_1 holds only its .sql)', () => {
    const spider = findBenchmarks([BENCH]).find((b) => b.bench === 'spider');
    // README: dev.json has 1034 examples; 163 of 166 databases are present
    expect(spider).toEqual({ bench: 'spider', path: SPIDER, examples: 1034, databases: 163, note: null });
    const folder = benchmarkFolder('spider', SPIDER);
    expect(folder.database('dev', 'wta_1')).toMatchObject({ files: [], unavailable: expect.stringContaining('wta_1 is not in') });
    const singer = path.join(SPIDER, 'database', 'concert_singer', 'concert_singer.sqlite');
    expect(folder.database('dev', 'concert_singer', { variants: true })).toEqual({ file: singer, files: [singer], unavailable: null });
    expect(folder.questions('train')).toBe(path.join(SPIDER, 'train_spider.json'));
    expect(folder.tables('dev')).toBe(path.join(SPIDER, 'tables.json'));
  });
});

describe.skipIf(!hasBird)('the shared BIRD copy (without its databases)', () => {
  it('is found with its 1534 dev questions, no databases, and a note saying what still works', () => {
    const bird = findBenchmarks([BENCH]).find((b) => b.bench === 'bird');
    // README: the SQLite databases are not in the shared copy, only their description CSVs
    expect(bird).toEqual({ bench: 'bird', path: BIRD, examples: 1534, databases: 0, note: expect.stringContaining('schema linking works') });
    const folder = benchmarkFolder('bird', BIRD);
    expect(folder.database('dev', 'california_schools')).toMatchObject({ files: [], unavailable: expect.stringContaining('not present') });
    expect(folder.tables('dev')).toBe(path.join(BIRD, 'dev_tables.json'));
    expect(folder.hashList()).toBe(path.join(BIRD, 'dev_databases_expected_sha256_size.txt'));
  });
});

describe('Spider folders', () => {
  it('a database is <db>/<db>.sqlite; evaluation adds the test-suite variants, never side files or backups', () => {
    const dir = tempDir();
    const db = path.join(dir, 'database');
    makeDb(path.join(db, 'x', 'x.sqlite'), [1]);
    makeDb(path.join(db, 'x', 'x_2.sqlite'), [1]);
    makeDb(path.join(db, 'x', 'x_10.sqlite'), [1]);
    for (const side of ['x.sqlite-journal', 'x.sqlite-wal', 'x.sqlite.bak', 'schema.sql']) fs.writeFileSync(path.join(db, 'x', side), 'not a database');
    makeDb(path.join(db, 'y', 'y_1.sqlite'), [1]); // variants without the database itself
    const folder = benchmarkFolder('spider', dir);
    const x = (f: string) => path.join(db, 'x', f);
    expect(folder.database('dev', 'x')).toEqual({ file: x('x.sqlite'), files: [x('x.sqlite')], unavailable: null });
    expect(folder.database('train', 'x', { variants: true }).files).toEqual([x('x.sqlite'), x('x_10.sqlite'), x('x_2.sqlite')]);
    expect(folder.database('dev', 'y', { variants: true })).toMatchObject({ files: [], unavailable: `The database y is not in ${db}` });
    expect(folder.database('dev', '')).toMatchObject({ files: [] });
  });

  it('finds the split\'s question file in a folder, takes a named file as it is, and says what is missing', async () => {
    const dir = tempDir();
    writeJson(path.join(dir, 'train.json'), []);
    writeJson(path.join(dir, 'dev.json'), []);
    // Spider's train split: train_spider.json, else train.json
    expect(benchmarkFile('spider', dir)).toMatchObject({ file: path.join(dir, 'train.json'), split: 'train' });
    writeJson(path.join(dir, 'train_spider.json'), []);
    expect(benchmarkFile('spider', dir).file).toBe(path.join(dir, 'train_spider.json'));
    expect(benchmarkFile('spider', dir, 'dev')).toMatchObject({ file: path.join(dir, 'dev.json'), split: 'dev' });
    // a named file: its split is in its name, its folder the one around it
    const named = benchmarkFile('spider', path.join(dir, 'dev.json'), 'train');
    expect(named).toMatchObject({ file: path.join(dir, 'dev.json'), split: 'dev' });
    expect(named.folder.dir).toBe(dir);
    expect(questionFiles(dir).sort()).toEqual(['dev.json', 'train.json', 'train_spider.json'].map((f) => path.join(dir, f)));
    const empty = tempDir();
    expect(await failure((async () => benchmarkFile('bird', empty, 'dev'))())).toMatchObject({ code: 'NOT_FOUND', message: `No dev.json in ${empty}` });
    expect(await failure((async () => benchmarkFile('spider', path.join(empty, 'nope')))())).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('is found only with tables.json and database/, counting databases that have their file', () => {
    const root = tempDir();
    const spider = path.join(root, 'spider');
    makeDb(path.join(spider, 'database', 'a', 'a.sqlite'), [1]);
    fs.mkdirSync(path.join(spider, 'database', 'b'), { recursive: true }); // no b.sqlite
    expect(findBenchmarks([root])).toEqual([]);
    writeJson(path.join(spider, 'tables.json'), []);
    writeJson(path.join(spider, 'dev.json'), [{}, {}]);
    expect(findBenchmarks([root])).toEqual([{ bench: 'spider', path: spider, examples: 2, databases: 1, note: null }]);
  });

  it('evaluation runs Spider predictions on the database and every variant: one that disagrees makes the prediction wrong', async () => {
    const dir = tempDir();
    makeDb(path.join(dir, 'database', 'x', 'x.sqlite'), [1, 2]);
    // right on x.sqlite (rows 1, 2 either way), wrong on a variant holding 3
    const prediction = { id: '0', db_id: 'x', gold: 'SELECT v FROM t', pred: 'SELECT v FROM t WHERE v < 3' };
    const score = (ex: EvalExampleInput) => scoreExample(ex, pool, { metrics: ['spider_exec'], keepDistinct: false, timeoutMs: 10_000, vesIterations: 1, schemas: new Map() }, new GoldCache());
    const alone = loadBenchmark('spider', dir, [prediction]).examples[0]!;
    expect(alone.dbFiles).toEqual([path.join(dir, 'database', 'x', 'x.sqlite')]);
    expect((await score(alone)).scores.spider_exec).toBe(1);
    makeDb(path.join(dir, 'database', 'x', 'x_1.sqlite'), [3]);
    fs.writeFileSync(path.join(dir, 'database', 'x', 'x.sqlite-journal'), '');
    const withVariant = loadBenchmark('spider', dir, [prediction]).examples[0]!;
    expect(withVariant.dbFiles.map((f) => path.basename(f))).toEqual(['x.sqlite', 'x_1.sqlite']);
    const verdict = await score(withVariant);
    expect(verdict.scores.spider_exec).toBe(0);
    expect(verdict.reasons.spider_exec!.detail).toContain('(on x_1.sqlite)');
  });
});

describe('BIRD folders', () => {
  /** a BIRD folder with dev databases a (listed with its hash), b (listed with another hash), c (not listed) */
  function birdFolder() {
    const dir = tempDir();
    for (const id of ['a', 'b', 'c']) makeDb(path.join(dir, 'dev_databases', id, `${id}.sqlite`), [1]);
    const hashA = sha256File(path.join(dir, 'dev_databases', 'a', 'a.sqlite'));
    fs.writeFileSync(path.join(dir, 'dev_databases_expected_sha256_size.txt'), `a sha256:${hashA} 8192\nb sha256:${'0'.repeat(64)} 8192\n`);
    const rows = ['a', 'b', 'c', 'd'].map((db, i) => ({ question_id: i, db_id: db, question: `q${i}`, evidence: '', SQL: 'SELECT v FROM t', difficulty: 'simple' }));
    writeJson(path.join(dir, 'dev.json'), rows);
    return dir;
  }

  it('a dev database is dev_databases/<db>/<db>.sqlite and, when listed, must match its expected sha256', () => {
    const dir = birdFolder();
    const folder = benchmarkFolder('bird', dir);
    expect(folder.database('dev', 'a').unavailable).toBeNull();
    expect(folder.database('dev', 'b')).toMatchObject({ files: [], unavailable: expect.stringContaining('does not match the expected sha256 000000000000') });
    expect(folder.database('dev', 'c').unavailable).toBeNull(); // not listed: nothing to check against
    expect(folder.database('dev', 'd').unavailable).toContain('BIRD ships without its databases');
    // each split has its own folder: the dev databases are not the train split's
    expect(folder.database('train', 'a')).toMatchObject({ file: path.join(dir, 'train_databases', 'a', 'a.sqlite'), files: [] });
  });

  it('is found by its dev.json; with no database present it says what still works', () => {
    const root = tempDir();
    writeJson(path.join(root, 'bird', 'dev.json'), [{}]);
    expect(findBenchmarks([root])).toEqual([{ bench: 'bird', path: path.join(root, 'bird'), examples: 1, databases: 0, note: expect.stringContaining('unavailable') }]);
    makeDb(path.join(root, 'bird', 'dev_databases', 'a', 'a.sqlite'), [1]);
    expect(findBenchmarks([root])[0]).toMatchObject({ databases: 1, note: null });
  });
});

describe('JSONL', () => {
  it('a db_id names database/<db>/<db>.sqlite, else <db>.sqlite beside the file', () => {
    const dir = tempDir();
    expect(jsonlDatabase(dir, 'x')).toBeNull();
    makeDb(path.join(dir, 'x.sqlite'), [1]);
    expect(jsonlDatabase(dir, 'x')).toBe(path.join(dir, 'x.sqlite'));
    makeDb(path.join(dir, 'database', 'x', 'x.sqlite'), [1]);
    expect(jsonlDatabase(dir, 'x')).toBe(path.join(dir, 'database', 'x', 'x.sqlite'));
  });
});
