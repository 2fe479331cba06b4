/** Evaluation runs end to end: real benchmark data, the real sandbox, the app store. */
import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure, tempDir } from '../../../test/helpers.ts';
import { createCore, type Core } from '../index.ts';

const BENCH = path.resolve(import.meta.dirname, '../../../../shared/bench');
const SPIDER = path.join(BENCH, 'spider');
const BIRD = path.join(BENCH, 'bird');
const hasSpider = fs.existsSync(path.join(SPIDER, 'dev_gold.sql'));
const hasBird = fs.existsSync(path.join(BIRD, 'dev.json'));

let core: Core;
let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(path.dirname(tempDir()), 'squill-eval-'));
  core = createCore({ dataDir: path.join(dir, 'data'), host: 'cli', log: () => undefined });
});
afterAll(async () => {
  await core.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const jsonl = (rows: object[]) => `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`;

async function evaluate(input: Parameters<Core['evaluations']['start']>[0]) {
  const { runId } = await core.evaluations.start(input);
  return core.evaluations.finished(runId);
}

describe.skipIf(!hasSpider)('Spider dev gold against itself', () => {
  it('scores all 972 runnable gold queries 1 on every metric, and leaves wta_1 unscored', async () => {
    const lines = fs.readFileSync(path.join(SPIDER, 'dev_gold.sql'), 'utf8').split('\n').filter((l) => l.trim());
    const predictions = lines.map((l, i) => {
      const [gold, db] = l.split('\t') as [string, string];
      return { id: String(i), db_id: db.trim(), gold, pred: gold };
    });
    const run = await evaluate({
      bench: 'spider',
      dataDir: SPIDER,
      predictions: { content: jsonl(predictions), fileName: 'gold.jsonl' },
      metrics: ['spider_exec', 'bird_ex', 'soft_f1', 'schema_linking'],
    });
    expect(run.status).toBe('done');
    expect(run.total).toBe(1034);
    expect(run.unavailable).toBe(62);
    for (const metric of ['spider_exec', 'bird_ex', 'soft_f1'] as const) {
      expect(run.summary[metric]).toMatchObject({ score: 100, count: 972 });
    }
    expect(run.summary.spider_exec!.byGroup).toMatchObject({ easy: { count: 232 }, medium: { count: 416 }, hard: { count: 160 }, extra: { count: 164 } });
    expect(run.summary.schema_linking).toMatchObject({ score: 100, count: 1034 });
    const wta = core.evaluations.examples(run.id, {}, 0, 1034).items.filter((e) => e.dbId === 'wta_1');
    expect(wta).toHaveLength(62);
    expect(wta.every((e) => e.unavailable !== null && e.scores.spider_exec === undefined)).toBe(true);
    expect(run.record).toMatchObject({
      bench: 'spider',
      metricVersion: expect.stringContaining('test-suite-sql-eval'),
      datasetHashes: { 'dev.json': expect.stringMatching(/^[0-9a-f]{64}$/), 'tables.json': expect.any(String) },
      options: { keepDistinct: false, timeoutMs: 30000 },
    });
    expect(Object.keys(run.record!.databaseHashes)).toHaveLength(19);
  });

  it('scores spider_exec on the text before the first TAB, as the official CLI reads it; BIRD EX sees it all', async () => {
    const gold = 'SELECT name FROM singer ORDER BY age';
    const rows = [
      { id: 'cut', db_id: 'concert_singer', gold, pred: `SELECT\t${gold.slice(7)}` }, // the CLI scores "SELECT"
      { id: 'tail', db_id: 'concert_singer', gold, pred: `${gold}\tSELECT 1` }, // the CLI never sees "SELECT 1"
      { id: 'strip', db_id: 'concert_singer', gold, pred: `\t${gold}\t` }, // stripped first: nothing dropped
    ];
    const run = await evaluate({ bench: 'spider', dataDir: SPIDER, predictions: { content: jsonl(rows), fileName: 'tabs.jsonl' } });
    const byId = Object.fromEntries(core.evaluations.examples(run.id, {}, 0, 10).items.map((e) => [e.id, e]));
    expect(byId.cut!.scores).toMatchObject({ spider_exec: 0, bird_ex: 1 });
    expect(byId.cut!.reasons.spider_exec).toMatchObject({ code: 'pred_error', quirk: expect.stringMatching(/first TAB/) });
    expect(byId.tail!.scores).toMatchObject({ spider_exec: 1, bird_ex: 0 });
    expect(byId.tail!.reasons.spider_exec).toMatchObject({ code: 'match', detail: expect.stringContaining('"SELECT 1"'), quirk: expect.stringMatching(/first TAB/) });
    expect(byId.strip!.scores).toMatchObject({ spider_exec: 1, bird_ex: 1 });
    expect(byId.strip!.reasons.spider_exec!.quirk).toBeUndefined();
    // the drill-down runs what spider_exec ran
    expect((await core.evaluations.example(run.id, 0)).predError).toMatch(/incomplete input|syntax error/);
  });

  it('gives wrong predictions their reasons, filters them, drills down, and compares runs', async () => {
    const base = { db_id: 'concert_singer' };
    const gold = 'SELECT name FROM singer ORDER BY age';
    const good = { ...base, id: 'a', gold, pred: gold };
    const rows = [
      good,
      { ...base, id: 'b', gold, pred: 'SELECT country FROM singer ORDER BY age' },
      { ...base, id: 'c', gold, pred: '' },
      { ...base, id: 'd', gold, pred: 'SELEC name FROM singer' },
      { ...base, id: 'e', gold, pred: 'SELECT name FROM singer ORDER BY age DESC' },
      { ...base, id: 'f', gold: 'SELECT count(*) FROM singer', pred: 'SELECT count(*) FROM singer WHERE "x" = "x"' },
    ];
    const first = await evaluate({ bench: 'spider', dataDir: SPIDER, predictions: { content: jsonl(rows), fileName: 'mixed.jsonl' } });
    const byId = Object.fromEntries(core.evaluations.examples(first.id, {}, 0, 10).items.map((e) => [e.id, e]));
    expect(byId.a!.scores).toEqual({ spider_exec: 1, bird_ex: 1, soft_f1: 1 });
    expect(byId.b!.reasons.spider_exec!.code).toBe('values');
    expect(byId.c!.reasons.spider_exec!.code).toBe('empty_prediction');
    expect(byId.d!.reasons.spider_exec).toMatchObject({ code: 'pred_error', detail: expect.stringMatching(/syntax error/) });
    expect(byId.e!.reasons.spider_exec!.code).toBe('order');
    expect(byId.e!.scores.bird_ex).toBe(1); // BIRD ignores order
    expect(byId.e!.disagree).toBe(true);
    expect(byId.f!.scores.spider_exec).toBe(1); // "x" = "x": SQLite's legacy double-quoted strings
    expect(first.summary.spider_exec!.score).toBeCloseTo((2 / 6) * 100, 6);
    expect(first.summary.spider_exec!.reasons).toEqual({ match: 2, values: 1, empty_prediction: 1, pred_error: 1, order: 1 });

    expect(core.evaluations.examples(first.id, { wrongOnly: true }, 0, 10).items.map((e) => e.id)).toEqual(['b', 'c', 'd', 'e']);
    expect(core.evaluations.examples(first.id, { reason: 'order' }, 0, 10).items.map((e) => e.id)).toEqual(['e']);
    expect(core.evaluations.examples(first.id, { disagree: true }, 0, 10).items.map((e) => e.id)).toEqual(['e']);

    const drill = await core.evaluations.example(first.id, 1);
    expect(drill.orderMatters).toBe(true);
    expect(drill.goldResult!.rows).toHaveLength(6);
    expect(drill.predResult!.columns[0]!.name.toLowerCase()).toBe('country');

    const fixedRows = rows.map((r) => (r.id === 'b' ? { ...r, pred: gold } : r.id === 'a' ? { ...r, pred: 'SELECT 1' } : r));
    const second = await evaluate({ bench: 'spider', dataDir: SPIDER, predictions: { content: jsonl(fixedRows), fileName: 'fixed.jsonl' } });
    const cmp = core.evaluations.compare(first.id, second.id, 'spider_exec');
    expect(cmp.fixed.map((f) => f.id)).toEqual(['b']);
    expect(cmp.broken.map((f) => f.id)).toEqual(['a']);
    expect(cmp.common).toBe(6);
    expect(core.evaluations.list().map((r) => r.id).slice(0, 2)).toEqual([second.id, first.id]);
    expect(core.evaluations.delete(second.id)).toBe(true);
    expect((await failure(Promise.resolve().then(() => core.evaluations.get(second.id)))).code).toBe('NOT_FOUND');
  });

  it('times correct predictions for VES and R-VES', async () => {
    const q = 'SELECT name FROM singer';
    const run = await evaluate({
      bench: 'spider',
      dataDir: SPIDER,
      predictions: { content: jsonl([{ id: '1', db_id: 'concert_singer', gold: q, pred: q }, { id: '2', db_id: 'concert_singer', gold: q, pred: 'SELECT 1' }]), fileName: 'v.jsonl' },
      metrics: ['bird_ex', 'ves', 'rves'],
      vesIterations: 10,
    });
    const [right, wrong] = core.evaluations.examples(run.id, {}, 0, 2).items;
    expect(right!.scores.ves).toBeGreaterThan(0);
    expect(right!.reasons.ves!.detail).toMatch(/time ratio gold\/pred [\d.]+ over 10 runs/);
    expect([100 * Math.sqrt(0.75), 100, 100 * Math.sqrt(1.25), 100 * Math.sqrt(0.5), 50]).toContainEqual(right!.scores.rves);
    expect(wrong!.scores).toMatchObject({ bird_ex: 0, ves: 0, rves: 0 });
  });
});

describe.skipIf(!hasBird)('BIRD without its databases', () => {
  it('reports execution as unavailable and scores schema linking of dev gold as 1', async () => {
    const dev = JSON.parse(fs.readFileSync(path.join(BIRD, 'dev.json'), 'utf8')) as { question_id: number; db_id: string; SQL: string; evidence: string }[];
    const run = await evaluate({
      bench: 'bird',
      dataDir: BIRD,
      predictions: { content: jsonl(dev.map((e) => ({ id: e.question_id, db_id: e.db_id, gold: e.SQL, pred: e.SQL, evidence: e.evidence }))), fileName: 'bird.jsonl' },
      metrics: ['bird_ex', 'schema_linking'],
    });
    expect(run.unavailable).toBe(1534);
    expect(run.summary.bird_ex!.count).toBe(0);
    expect(run.summary.schema_linking).toMatchObject({ score: 100, count: 1534 });
    expect(Object.keys(run.summary.schema_linking!.byGroup).sort()).toEqual(['challenging', 'moderate', 'simple']);
  });
});

describe('benchmark files and predictions', () => {
  it('reads the generic JSONL format with db_path and db_id', async () => {
    const bench = path.join(dir, 'custom');
    fs.mkdirSync(path.join(bench, 'database', 'shop'), { recursive: true });
    const file = new BetterSqlite3(path.join(bench, 'database', 'shop', 'shop.sqlite'));
    file.exec("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO item VALUES (1, 'pen'), (2, 'ink');");
    file.close();
    fs.copyFileSync(path.join(bench, 'database', 'shop', 'shop.sqlite'), path.join(bench, 'other.sqlite'));
    fs.writeFileSync(path.join(bench, 'examples.jsonl'), jsonl([
      { id: 'q1', question: 'How many items?', gold: 'SELECT count(*) FROM item', db_id: 'shop' },
      { id: 'q2', question: 'Names?', gold: 'SELECT name FROM item', db_path: 'other.sqlite' },
      { id: 'q3', question: 'Gone?', gold: 'SELECT 1', db_id: 'missing' },
    ]));
    const run = await evaluate({
      bench: 'jsonl',
      dataDir: bench,
      predictions: { content: jsonl([
        { id: 'q1', db_id: 'shop', gold: 'SELECT count(*) FROM item', pred: 'SELECT count(id) FROM item' },
        { id: 'q2', db_id: 'other', gold: 'SELECT name FROM item', pred: 'SELECT name FROM item WHERE id = 1' },
        { id: 'q3', db_id: 'missing', gold: 'SELECT 1', pred: 'SELECT 1' },
      ]), fileName: 'p.jsonl' },
    });
    const items = core.evaluations.examples(run.id, {}, 0, 5).items;
    expect(items.map((e) => [e.question, e.scores.spider_exec ?? null])).toEqual([['How many items?', 1], ['Names?', 0], ['Gone?', null]]);
    expect(items[1]!.reasons.spider_exec!.code).toBe('row_count');
    expect(items[1]!.scores.soft_f1).toBeCloseTo(2 / 3, 10);
    expect(items[2]!.unavailable).toMatch(/is not present/);
  });

  it('names the line and field of a bad predictions file', async () => {
    const err = await failure(core.evaluations.start({ bench: 'spider', dataDir: SPIDER, predictions: { content: '{"id": 1, "db_id": "x", "gold": "SELECT 1", "pred": "SELECT 1"}\n{"id": 2, "gold": 3}\n', fileName: 'bad' } }));
    expect(err.code).toBe('VALIDATION');
    expect(err.message).toMatch(/^Predictions line 2: db_id/);
    expect((await failure(core.evaluations.start({ bench: 'spider', dataDir: SPIDER, predictions: { content: 'nope', fileName: 'bad' } }))).message).toBe('Predictions line 1 is not JSON');
    expect((await failure(core.evaluations.start({ bench: 'spider', dataDir: dir, predictions: { content: jsonl([{ id: 1, db_id: 'x', gold: 'a', pred: 'b' }]), fileName: 'p' } }))).code).toBe('NOT_FOUND');
  });

  it('refuses BIRD databases whose sha256 differs from the expected list', async () => {
    const bird = path.join(dir, 'bird');
    fs.mkdirSync(path.join(bird, 'dev_databases', 'tiny'), { recursive: true });
    const file = new BetterSqlite3(path.join(bird, 'dev_databases', 'tiny', 'tiny.sqlite'));
    file.exec('CREATE TABLE t (a INTEGER); INSERT INTO t VALUES (1);');
    file.close();
    fs.writeFileSync(path.join(bird, 'dev.json'), JSON.stringify([{ question_id: 0, db_id: 'tiny', question: 'q', evidence: '', SQL: 'SELECT a FROM t', difficulty: 'simple' }]));
    fs.writeFileSync(path.join(bird, 'dev_databases_expected_sha256_size.txt'), `tiny sha256:${'0'.repeat(64)} 8192\n`);
    const run = await evaluate({ bench: 'bird', dataDir: bird, predictions: { content: jsonl([{ id: 0, db_id: 'tiny', gold: 'SELECT a FROM t', pred: 'SELECT a FROM t' }]), fileName: 'p' } });
    const [ex] = core.evaluations.examples(run.id, {}, 0, 1).items;
    expect(ex!.unavailable).toMatch(/does not match the expected sha256/);
    fs.writeFileSync(path.join(bird, 'dev_databases_expected_sha256_size.txt'), '');
    const ok = await evaluate({ bench: 'bird', dataDir: bird, predictions: { content: jsonl([{ id: 0, db_id: 'tiny', gold: 'SELECT a FROM t', pred: 'SELECT a FROM t' }]), fileName: 'p' } });
    expect(ok.summary.bird_ex).toMatchObject({ score: 100, count: 1, byGroup: { simple: { score: 100, count: 1 } } });
  });
});
