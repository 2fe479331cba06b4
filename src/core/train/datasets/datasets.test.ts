/**
 * Datasets on real files: JSONL with broken rows next to the demo databases, the workbench's corrections in a real
 * app store, splits, contamination and the preview; Spider's train split when ../shared/bench/spider is present.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../../test/helpers.ts';
import { addCorrection } from '../../ai/index.ts';
import { createConnections, createSandboxPool, type SandboxPool } from '../../db/index.ts';
import { loadBenchmark, sha256File } from '../../eval/index.ts';
import { openStore } from '../../store/index.ts';
import { contamination, exampleDbs, loadDataset, normalizeQuestion, normalizeSql, splitDataset, type TrainExample } from './index.ts';

const ROOT = path.resolve(import.meta.dirname, '../../../..');
const RESOURCES = path.join(ROOT, 'resources');
const DEMO = path.join(RESOURCES, 'demo');
const SPIDER = path.resolve(ROOT, '../shared/bench/spider');
const hasSpider = fs.existsSync(path.join(SPIDER, 'train_spider.json')) && fs.existsSync(path.join(SPIDER, 'database'));

let pool: SandboxPool;
beforeAll(() => {
  pool = createSandboxPool({ size: 1 });
});
afterAll(async () => {
  await pool.close();
});

function writeJsonl(lines: (object | string)[]): string {
  const file = path.join(tempDir(), 'pairs.jsonl');
  fs.writeFileSync(file, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n'));
  return file;
}

describe('BIRD folders', () => {
  it('reads BIRD-format train.json (SQL, evidence, question_id) beside train_databases/, with double-quoted strings as BIRD writes them', async () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'train_databases', 'concert_singer'), { recursive: true });
    fs.copyFileSync(path.join(DEMO, 'concert_singer.sqlite'), path.join(dir, 'train_databases', 'concert_singer', 'concert_singer.sqlite'));
    const rows = [
      { question_id: 7, db_id: 'concert_singer', question: 'How many French singers?', evidence: 'French refers to Country = "France"', SQL: 'SELECT count(*) FROM singer WHERE Country = "France"', difficulty: 'simple' },
      { question_id: 8, db_id: 'concert_singer', question: 'Stadium names', evidence: '', SQL: 'SELECT Name FROM stadium', difficulty: 'simple' },
      { question_id: 9, db_id: 'missing_db', question: 'Anything', evidence: '', SQL: 'SELECT 1' },
      { question_id: 10, db_id: 'concert_singer', question: '', evidence: '', SQL: 'SELECT 1' },
    ];
    fs.writeFileSync(path.join(dir, 'train.json'), JSON.stringify(rows));
    const { examples, invalid } = await loadDataset({ kind: 'bird', path: dir }, { sandbox: pool });
    expect(examples).toEqual([
      expect.objectContaining({ id: 'bird-train-7', evidence: 'French refers to Country = "France"', dbId: 'concert_singer', doubleQuotedStrings: true }),
      expect.objectContaining({ id: 'bird-train-8', evidence: null }),
    ]);
    expect(invalid).toEqual([
      { line: 3, reason: expect.stringMatching(/^unknown database missing_db/) },
      { line: 4, reason: 'the question is missing' },
    ]);
    // the double-quoted string runs through the example's own handle as the benchmark's tooling runs it
    const h = await exampleDbs(pool)(examples[0]!);
    expect((await h.execute(rows[0]!.SQL)).rows).toEqual([[expect.any(Number)]]);
  });

  it.skipIf(!fs.existsSync(path.resolve(ROOT, '../shared/bench/bird/dev.json')))('reports every BIRD dev row by line when its databases are absent', async () => {
    const bird = path.resolve(ROOT, '../shared/bench/bird');
    const { examples, invalid } = await loadDataset({ kind: 'bird', path: bird, split: 'dev', limit: 25 }, { sandbox: pool });
    const present = fs.existsSync(path.join(bird, 'dev_databases'));
    expect(examples.length + invalid.length).toBe(25);
    if (!present) expect(invalid.map((r) => r.line)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
  });
});

describe('benchmark layouts shared with evaluation (eval/benchmarks.ts)', () => {
  it('a BIRD dev folder gives training the databases it gives evaluation: a copy that differs from the expected sha256 is refused by both', async () => {
    const dir = tempDir();
    const singer = path.join(DEMO, 'concert_singer.sqlite');
    for (const id of ['a', 'b', 'c']) {
      fs.mkdirSync(path.join(dir, 'dev_databases', id), { recursive: true });
      fs.copyFileSync(singer, path.join(dir, 'dev_databases', id, `${id}.sqlite`));
    }
    // a is listed with its real hash, b with another one, c is not listed (nothing to check), d has no file
    const hash = sha256File(singer);
    fs.writeFileSync(path.join(dir, 'dev_databases_expected_sha256_size.txt'), `a sha256:${hash} 1\nb sha256:${'0'.repeat(64)} 1\n`);
    const sql = 'SELECT count(*) FROM singer';
    const rows = ['a', 'b', 'c', 'd'].map((db, i) => ({ question_id: i, db_id: db, question: `q${i}`, evidence: '', SQL: sql }));
    fs.writeFileSync(path.join(dir, 'dev.json'), JSON.stringify(rows));
    const scored = loadBenchmark('bird', dir, rows.map((r) => ({ id: String(r.question_id), db_id: r.db_id, gold: sql, pred: sql })));
    const { examples, invalid } = await loadDataset({ kind: 'bird', path: dir, split: 'dev' }, { sandbox: pool });
    expect(scored.examples.map((e) => e.unavailable === null)).toEqual([true, false, true, false]);
    expect(examples.map((e) => e.dbId)).toEqual(['a', 'c']);
    expect(invalid).toEqual([
      { line: 2, reason: expect.stringContaining('does not match the expected sha256') },
      { line: 4, reason: expect.stringMatching(/^unknown database d \(no file at .*dev_databases/) },
    ]);
  });
});

describe('JSONL datasets', () => {
  it('loads valid rows and reports every invalid one with its line number', async () => {
    const singer = path.join(DEMO, 'concert_singer.sqlite');
    const file = writeJsonl([
      { id: 'a', question: 'How many singers?', sql: 'SELECT count(*) FROM singer', db_path: singer },
      { question: 'Names of stadiums', query: 'SELECT Name FROM stadium', db_path: singer },
      '{ not json',
      { id: 'c', sql: 'SELECT 1', db_path: singer },
      { id: 'd', question: 'No SQL here', db_path: singer },
      '',
      { id: 'e', question: 'Which database?', sql: 'SELECT 1', db_id: 'no_such_db' },
      { id: 'f', question: 'A column that is not there', sql: 'SELECT nope FROM singer', db_path: singer },
      { id: 'g', question: 'Countries', sql: 'SELECT Name FROM country', db_id: 'world_1' },
      { id: 'a', question: 'Same id again', sql: 'SELECT 2', db_path: singer },
      ['an', 'array'],
    ]);
    const store = openStore(path.join(tempDir(), 'data'));
    const connections = createConnections(store, RESOURCES);
    const { examples, invalid } = await loadDataset({ kind: 'jsonl', path: file }, { sandbox: pool, connections });
    expect(examples.map((e) => e.id)).toEqual(['a', 'line-2', 'g']);
    expect(examples[1]).toMatchObject({ question: 'Names of stadiums', sql: 'SELECT Name FROM stadium', dbId: 'concert_singer', dbPath: singer, evidence: null });
    // a db_id that names a connection (here a demo) finds its file
    expect(examples[2]!.dbPath).toBe(path.join(DEMO, 'world_1.sqlite'));
    expect(invalid.map((r) => r.line)).toEqual([3, 4, 5, 7, 8, 10, 11]);
    const reason = (line: number) => invalid.find((r) => r.line === line)!.reason;
    expect(reason(3)).toMatch(/not a JSON object/);
    expect(reason(4)).toMatch(/question is missing/);
    expect(reason(5)).toMatch(/SQL is missing/);
    expect(reason(7)).toMatch(/unknown database no_such_db/);
    expect(reason(8)).toMatch(/does not run: .*no such column: nope/);
    expect(reason(10)).toMatch(/id a is used/);
    store.close();
  });

  it('limit counts rows read, valid or not', async () => {
    const singer = path.join(DEMO, 'concert_singer.sqlite');
    const file = writeJsonl(['nope', { question: 'q', sql: 'SELECT 1', db_path: singer }, { question: 'r', sql: 'SELECT 2', db_path: singer }]);
    const { examples, invalid } = await loadDataset({ kind: 'jsonl', path: file, limit: 2 }, { sandbox: pool });
    expect(examples).toHaveLength(1);
    expect(invalid).toEqual([{ line: 1, reason: 'not a JSON object' }]);
  });
});

describe('corrections', () => {
  it('become examples on their connection\'s file; a broken one is reported', async () => {
    const store = openStore(path.join(tempDir(), 'data'));
    const connections = createConnections(store, RESOURCES);
    const base = { database: 'main', evidence: null, originalSql: null, traceId: null };
    addCorrection(store, { ...base, connectionId: 'concert_singer', question: 'Oldest singer?', sql: 'SELECT Name FROM singer ORDER BY Age DESC LIMIT 1' });
    addCorrection(store, { ...base, connectionId: 'world_1', question: 'Broken', sql: 'SELEC Name FROM city' });
    addCorrection(store, { ...base, connectionId: 'car_1', question: 'Makers?', sql: 'SELECT Maker FROM car_makers', evidence: 'makers are companies' });
    const { examples, invalid } = await loadDataset({ kind: 'corrections' }, { store, connections, sandbox: pool });
    expect(examples.map((e) => [e.question, path.basename(e.dbPath), e.evidence])).toEqual([
      ['Makers?', 'car_1.sqlite', 'makers are companies'],
      ['Oldest singer?', 'concert_singer.sqlite', null],
    ]);
    expect(invalid).toHaveLength(1);
    expect(invalid[0]!.line).toBe(2);
    expect(invalid[0]!.reason).toMatch(/syntax error/);
    store.close();
  });
});

const ex = (id: string, question: string, sql = 'SELECT 1', dbId = 'db'): TrainExample => ({ id, question, sql, evidence: null, dbId, dbPath: `/x/${dbId}.sqlite` });

describe('splits', () => {
  const examples: TrainExample[] = [];
  for (let i = 0; i < 200; i++) examples.push(ex(`e${i}`, `Question number ${i % 150}?`, `SELECT ${i}`, `db${i % 7}`));
  examples.push(ex('dup', 'question NUMBER 3', 'SELECT 3 + 0'));

  it('is deterministic, disjoint by question and near the fraction', () => {
    const a = splitDataset(examples, 0.2, 42);
    const b = splitDataset(examples, 0.2, 42);
    expect(b).toEqual(a);
    expect(a.train.length + a.dev.length).toBe(examples.length);
    const trainQ = new Set(a.train.map((e) => normalizeQuestion(e.question)));
    expect(a.dev.filter((e) => trainQ.has(normalizeQuestion(e.question)))).toEqual([]);
    expect(a.dev.length).toBeGreaterThanOrEqual(40);
    expect(a.dev.length).toBeLessThanOrEqual(44);
    const c = splitDataset(examples, 0.2, 43);
    expect(c.dev.map((e) => e.id)).not.toEqual(a.dev.map((e) => e.id));
  });

  it('can split by database', () => {
    const { train, dev } = splitDataset(examples, 0.3, 1, { by: 'database' });
    const devDbs = new Set(dev.map((e) => e.dbId));
    expect(train.filter((e) => devDbs.has(e.dbId))).toEqual([]);
    expect(dev.length).toBeGreaterThan(0);
  });
});

describe('contamination', () => {
  it('finds planted question and SQL overlaps after normalization', () => {
    const train = [
      ex('t1', 'How many singers do we have?', 'SELECT count(*) FROM singer'),
      ex('t2', 'What is the name of the oldest singer', 'select name from singer order by age desc limit 1;'),
      ex('t3', 'List the stadiums.', 'SELECT  Name\n FROM stadium'),
      ex('t4', 'Something else entirely', 'SELECT 42'),
    ];
    const bench = {
      name: 'spider-dev',
      examples: [
        { question: 'how many   singers do we have', sql: 'SELECT count(*) FROM singer WHERE 1' },
        { question: 'What is the NAME of the oldest singer?!', sql: 'SELECT name FROM singer ORDER BY age DESC LIMIT 1' },
        { question: 'Show every stadium', sql: 'select name from stadium' },
      ],
    };
    const [r] = contamination(train, [bench, { name: 'clean', examples: [{ question: 'unrelated', sql: 'SELECT 7' }] }]).slice(0, 1);
    expect(r).toEqual({
      name: 'spider-dev',
      questionOverlap: 2,
      sqlOverlap: 2,
      examples: [
        { id: 't1', by: 'question' },
        { id: 't2', by: 'both' },
        { id: 't3', by: 'sql' },
      ],
    });
    expect(contamination(train, [{ name: 'clean', examples: [{ question: 'unrelated', sql: 'SELECT 7' }] }])[0]).toMatchObject({ questionOverlap: 0, sqlOverlap: 0, examples: [] });
    expect(normalizeSql("SELECT  a\n FROM t -- note\n;")).toBe('select a from t');
  });
});

describe.skipIf(!hasSpider)('Spider train', () => {
  it('loads 7000 pairs; the 3 known bad golds and the missing databases are reported by line', async () => {
    const { examples, invalid } = await loadDataset({ kind: 'spider', path: SPIDER, split: 'train' }, { sandbox: pool });
    const raw = JSON.parse(fs.readFileSync(path.join(SPIDER, 'train_spider.json'), 'utf8')) as { db_id: string }[];
    const missing = raw.map((e, i) => [e.db_id, i + 1] as const).filter(([db]) => db === 'baseball_1' || db === 'soccer_1').map(([, line]) => line);
    const notRunning = invalid.filter((r) => r.reason.startsWith('the SQL does not run')).map((r) => r.line);
    console.log(`Spider train: ${examples.length} examples, ${invalid.length} invalid (${missing.length} on missing databases, SQL failing on lines ${notRunning.join(', ')})`);
    expect(notRunning).toEqual([3154, 4514, 4515]);
    expect(invalid.filter((r) => r.reason.startsWith('unknown database')).map((r) => r.line)).toEqual(missing);
    expect(examples.length + invalid.length).toBe(raw.length);
    expect(examples[0]!.id).toBe('spider-train_spider-0');
  }, 300_000);

  it('dev split loads too', async () => {
    const { examples, invalid } = await loadDataset({ kind: 'spider', path: path.join(SPIDER, 'dev.json'), limit: 50 }, { sandbox: pool });
    expect(examples.length + invalid.length).toBe(50);
  }, 60_000);
});
