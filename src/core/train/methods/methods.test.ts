/**
 * The method builders on real databases through the real sandbox: the demo databases with hand-written questions
 * (CI), a made-up database with several FK groups (several LR-SQL slices), and Spider's train split when
 * ../shared/bench/spider is present.
 */
import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grammarAccepts, tempDir } from '../../../../test/helpers.ts';
import { type DbHandle, ddlOf, DEFAULT_SLICE_BUDGET, DERIVED_LABEL, linkedBySql, LRSQL_LINK_SYSTEM, lrsqlSlices, ROUTE_TASKS, runStrategy, sqlGrammar } from '../../ai/index.ts';
import { createSandboxPool, type SandboxPool } from '../../db/index.ts';
import { exampleDbs, loadDataset, type TrainExample } from '../datasets/index.ts';
import { createModel, getLlama, openModelSpec } from '../../llm/index.ts';
import { openTokenizer } from '../tokens.ts';
import { buildSamples, chatExample, injectErrors, sampleTokens, type MethodOptions, type TrainSample } from './index.ts';

const ROOT = path.resolve(import.meta.dirname, '../../../..');
const DEMO = path.join(ROOT, 'resources/demo');
const SPIDER = path.resolve(ROOT, '../shared/bench/spider');
const hasSpider = fs.existsSync(path.join(SPIDER, 'train_spider.json')) && fs.existsSync(path.join(SPIDER, 'database'));

const words = async (text: string) => text.split(/\s+/).filter(Boolean).length;
const OPTIONS: MethodOptions = { count: words, schemaBudget: 4000, seed: 1 };

// the demo databases are Spider's: their examples run SQL with Spider's string rule, as loadDataset marks Spider rows
const demo = (id: string, db: string, question: string, sql: string): TrainExample => ({
  id, question, sql, evidence: null, dbId: db, dbPath: path.join(DEMO, `${db}.sqlite`), doubleQuotedStrings: true,
});
const DEMO_EXAMPLES: TrainExample[] = [
  demo('d1', 'concert_singer', 'How many singers are there?', 'SELECT count(*) FROM singer'),
  demo('d2', 'concert_singer', 'What are the names of the singers from France?', "SELECT Name FROM singer WHERE Country = 'France'"),
  demo('d3', 'concert_singer', 'Show each concert with the name of its stadium.', 'SELECT T1.concert_Name, T2.Name FROM concert AS T1 JOIN stadium AS T2 ON T1.Stadium_ID = T2.Stadium_ID'),
  demo('d4', 'concert_singer', 'What is the average age of singers older than 30?', 'SELECT avg(Age) FROM singer WHERE Age > 30;'),
  demo('d5', 'world_1', 'Which countries have more than 100 million people, most populous first?', 'SELECT Name FROM country WHERE Population > 100000000 ORDER BY Population DESC'),
  demo('d6', 'world_1', 'How many cities does each country have?', 'SELECT T2.Name, count(*) FROM city AS T1 JOIN country AS T2 ON T1.CountryCode = T2.Code GROUP BY T2.Code'),
  demo('d7', 'car_1', 'How many models does each maker have?', 'SELECT T1.Maker, count(*) FROM car_makers AS T1 JOIN model_list AS T2 ON T1.Id = T2.Maker GROUP BY T1.Id'),
  demo('d8', 'car_1', 'What is the maximum horsepower?', 'SELECT max(Horsepower) FROM cars_data'),
];

let pool: SandboxPool;
/** each example's database, with Spider's "double-quoted" string rule where the example carries it */
let handleOf: (e: TrainExample) => Promise<DbHandle>;

beforeAll(() => {
  pool = createSandboxPool({ size: 1 });
  handleOf = exampleDbs(pool);
});
afterAll(async () => {
  await pool.close();
});

const tablesOfTarget = (target: string) => (target === '#None#' ? [] : /^-- Tables: (.*);$/.exec(target)![1]!.split(', '));
const carriedOf = (s: TrainSample) => /selected tables so far: (.*)$/.exec(s.messages.at(-1)!.content)![1]!;

/** The LR-SQL invariants for a set of examples: targets, carried lists and counts per question. */
async function checkLrsql(examples: TrainExample[], o: MethodOptions) {
  const samples = await buildSamples('lrsql', examples, handleOf, o);
  let multiSlice = 0;
  for (const e of examples) {
    const h = await handleOf(e);
    const slices = await lrsqlSlices(h.schema, o.count, o.sliceBudget ?? DEFAULT_SLICE_BUDGET);
    const gold = linkedBySql(e.sql, h.schema).tables;
    const mine = samples.filter((s) => s.exampleId === e.id);
    const links = mine.filter((s) => s.adapter === 'link');
    const sql = mine.filter((s) => s.adapter === 'main');
    // slices + slices with earlier gold tables + 1
    const withEarlier = slices.filter((_, i) => slices.slice(0, i).some((s) => s.some((t) => gold.includes(t)))).length;
    expect(mine.length, e.id).toBe(slices.length + withEarlier + 1);
    expect(sql).toHaveLength(1);
    expect(sql[0]!.target).toBe(`-- SQL: ${e.sql.trim().replace(/;+\s*$/, '')};`);
    for (const t of gold) expect(sql[0]!.messages[0]!.content, `${e.id} ${t}`).toContain(t);
    // every gold table is a target in exactly the slices that hold it
    const targetedIn = new Map<string, Set<number>>();
    for (const s of links) {
      const slice = slices.findIndex((sl) => s.messages[0]!.content === `${LRSQL_LINK_SYSTEM}\n${ddlOf(h.schema, sl)}`);
      expect(slice, e.id).toBeGreaterThanOrEqual(0);
      for (const t of tablesOfTarget(s.target)) targetedIn.set(t, (targetedIn.get(t) ?? new Set()).add(slice));
    }
    for (const t of gold) expect([...targetedIn.get(t)!], `${e.id} ${t}`).toEqual([slices.findIndex((sl) => sl.includes(t))]);
    expect([...targetedIn.keys()].sort()).toEqual([...gold].sort());
    // one None sample per slice; carried samples list exactly the earlier slices' gold tables
    expect(links.filter((s) => carriedOf(s) === 'None')).toHaveLength(slices.length);
    for (const s of links.filter((x) => x.task === 'lrsql_link_carried')) expect(carriedOf(s)).not.toBe('None');
    if (slices.length > 1) multiSlice++;
  }
  return { samples, multiSlice };
}

/** ROUTE invariants: NC wrong SQLs differ from the gold in execution and carry the real error; CW splits the gold. */
async function checkRoute(examples: TrainExample[], o: MethodOptions) {
  const samples = await buildSamples('route', examples, handleOf, o);
  let wrong = 0;
  let failing = 0;
  for (const e of examples) {
    const h = await handleOf(e);
    const gold = e.sql.trim().replace(/;+\s*$/, '');
    const mine = samples.filter((s) => s.exampleId === e.id);
    expect(mine.filter((s) => s.task === 'ts' || s.task === 'ts_pruned').every((s) => s.target === gold)).toBe(true);
    expect(mine.filter((s) => s.task === 'sl')).toHaveLength(1);
    const correct = mine.filter((s) => s.task === 'nc' && s.target === 'correct');
    expect(correct).toHaveLength(1);
    expect(correct[0]!.messages[0]!.content).toContain(`/* SQL query */\n${gold}`);
    const goldRows = (await h.execute(gold)).rows;
    for (const s of mine.filter((x) => x.task === 'nc' && x.target !== 'correct')) {
      expect(s.target).toBe(gold);
      const m = /\/\* SQL query \*\/\n([\s\S]*?)(?:\n\/\* Execution exception \*\/\n([\s\S]*))?$/.exec(s.messages[0]!.content)!;
      const [, wrongSql, error] = m;
      expect(wrongSql).not.toBe(gold);
      let real: string | null = null;
      let rows: unknown = null;
      try {
        rows = (await h.execute(wrongSql!)).rows;
      } catch (err) {
        real = (err as Error).message;
      }
      if (real) {
        // the prompt carries sqlite's own error text
        expect(error, wrongSql).toBe(real);
        failing++;
      } else {
        expect(error).toBeUndefined();
        const sort = (r: unknown) => JSON.stringify((r as unknown[][]).map((x) => JSON.stringify(x)).sort());
        const ordered = /order\s+by/i.test(gold);
        expect(ordered ? JSON.stringify(rows) : sort(rows), wrongSql).not.toBe(ordered ? JSON.stringify(goldRows) : sort(goldRows));
      }
      wrong++;
    }
    for (const s of mine.filter((x) => x.task === 'cw')) {
      expect(s.prefix! + s.target).toBe(gold);
      expect(s.prefix!.length).toBeGreaterThan(0);
      expect(s.target.length).toBeGreaterThan(0);
      expect(s.messages[0]!.content.startsWith(ROUTE_TASKS.cw)).toBe(true);
      expect(s.messages[0]!.content.endsWith(`/* The incomplete SQL query */\n${s.prefix}`)).toBe(true);
    }
  }
  return { samples, wrong, failing };
}

describe('method builders on the demo databases', () => {
  it('sft: one sample per example, the direct prompt -> the gold SQL', async () => {
    const samples = await buildSamples('sft', DEMO_EXAMPLES, handleOf, OPTIONS);
    expect(samples).toHaveLength(DEMO_EXAMPLES.length);
    for (const [i, s] of samples.entries()) {
      expect(s.exampleId).toBe(DEMO_EXAMPLES[i]!.id);
      expect(s.adapter).toBe('main');
      expect(s.target).toBe(DEMO_EXAMPLES[i]!.sql.replace(/;$/, ''));
      expect(s.messages[0]!.content.startsWith(ROUTE_TASKS.ts)).toBe(true);
      expect(s.messages[0]!.content).toContain(DEMO_EXAMPLES[i]!.question);
    }
  });

  it('lrsql: link samples per slice (None and carried), one SQL sample on the gold DDL', async () => {
    const { samples } = await checkLrsql(DEMO_EXAMPLES, OPTIONS);
    expect(samples.filter((s) => s.adapter === 'main')).toHaveLength(DEMO_EXAMPLES.length);
  });

  it('lrsql on a database of several FK groups: several slices, carried lists', async () => {
    const file = path.join(tempDir(), 'shop.sqlite');
    const db = new BetterSqlite3(file);
    db.exec(`
      CREATE TABLE customer (id INTEGER PRIMARY KEY, name TEXT, city TEXT);
      CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customer (id), total REAL);
      CREATE TABLE supplier (id INTEGER PRIMARY KEY, name TEXT, country TEXT);
      CREATE TABLE product (id INTEGER PRIMARY KEY, supplier_id INTEGER REFERENCES supplier (id), name TEXT, price REAL);
      CREATE TABLE warehouse (id INTEGER PRIMARY KEY, city TEXT, capacity INTEGER);
      CREATE TABLE holiday (day TEXT, name TEXT);
      INSERT INTO customer VALUES (1, 'Ann', 'Oslo'), (2, 'Bo', 'Rome');
      INSERT INTO orders VALUES (1, 1, 10.5), (2, 1, 3), (3, 2, 7);
      INSERT INTO supplier VALUES (1, 'Acme', 'NO');
      INSERT INTO product VALUES (1, 1, 'Pen', 2.5), (2, 1, 'Ink', 4);
      INSERT INTO warehouse VALUES (1, 'Oslo', 100), (2, 'Rome', 50);
    `);
    db.close();
    const ex = (id: string, question: string, sql: string): TrainExample => ({ id, question, sql, evidence: null, dbId: 'shop', dbPath: file });
    const examples = [
      ex('s1', 'Total of the orders of each customer', 'SELECT T1.name, sum(T2.total) FROM customer AS T1 JOIN orders AS T2 ON T1.id = T2.customer_id GROUP BY T1.id'),
      ex('s2', 'Warehouses in cities where customers live', 'SELECT T1.id FROM warehouse AS T1 JOIN customer AS T2 ON T1.city = T2.city'),
      ex('s3', 'Products of Acme sold in customer cities with a warehouse', 'SELECT p.name FROM product AS p JOIN supplier AS s ON p.supplier_id = s.id, warehouse AS w, customer AS c WHERE w.city = c.city'),
      ex('s4', 'How many holidays?', 'SELECT count(*) FROM holiday'),
    ];
    // 150 scaffold + about 25 words: one FK group per slice
    const o = { ...OPTIONS, sliceBudget: 175 };
    const { samples, multiSlice } = await checkLrsql(examples, o);
    expect(multiSlice).toBe(examples.length);
    const slices = await lrsqlSlices((await handleOf(examples[0]!)).schema, words, 175);
    expect(slices).toEqual([['customer', 'orders'], ['supplier', 'product'], ['warehouse', 'holiday']]);
    // s2: gold tables customer (slice 1) and warehouse (slice 3): 3 None + 2 carried + 1 SQL
    expect(samples.filter((s) => s.exampleId === 's2')).toHaveLength(6);
    const carried = samples.filter((s) => s.exampleId === 's2' && s.task === 'lrsql_link_carried');
    expect(carried.map(carriedOf)).toEqual(['customer', 'customer']);
    expect(carried.map((s) => s.target)).toEqual(['#None#', '-- Tables: warehouse;']);
  });

  it('route: TS, SL, NC with executed injected errors, CW cuts of the gold', async () => {
    const { samples, wrong, failing } = await checkRoute(DEMO_EXAMPLES, { ...OPTIONS, settings: { nc: 3 } });
    expect(wrong).toBeGreaterThanOrEqual(DEMO_EXAMPLES.length * 2);
    expect(failing).toBeGreaterThan(0);
    expect(failing).toBeLessThan(wrong);
    // ratios: per example 2 TS (full + pruned), 1 SL, 1 "correct" + up to 3 wrong, 1 CW
    for (const e of DEMO_EXAMPLES) {
      const mine = samples.filter((s) => s.exampleId === e.id);
      expect(mine.filter((s) => s.task === 'cw')).toHaveLength(1);
      expect(mine.filter((s) => s.task.startsWith('ts'))).toHaveLength(2);
    }
    const none = await buildSamples('route', DEMO_EXAMPLES.slice(0, 2), handleOf, { ...OPTIONS, settings: { ts: 0, sl: 0, nc: 0, cw: 4 } });
    expect(none.map((s) => s.task)).toEqual(Array(8).fill('cw'));
  });

  it('route builds the same samples for the same seed, other cuts for another', async () => {
    const a = await buildSamples('route', DEMO_EXAMPLES, handleOf, { ...OPTIONS, settings: { cw: 3 } });
    const b = await buildSamples('route', DEMO_EXAMPLES, handleOf, { ...OPTIONS, settings: { cw: 3 } });
    const c = await buildSamples('route', DEMO_EXAMPLES, handleOf, { ...OPTIONS, seed: 2, settings: { cw: 3 } });
    expect(b).toEqual(a);
    expect(c.filter((s) => s.task === 'cw').map((s) => s.prefix)).not.toEqual(a.filter((s) => s.task === 'cw').map((s) => s.prefix));
  });

  it('injects each kind of error the SQL admits', async () => {
    const h = await handleOf(DEMO_EXAMPLES[2]!);
    const kinds = new Set(injectErrors(DEMO_EXAMPLES[2]!.sql, h.schema).map((i) => i.kind));
    expect([...kinds].sort()).toEqual(['column', 'comparison', 'join', 'table']);
    const join = injectErrors(DEMO_EXAMPLES[2]!.sql, h.schema).find((i) => i.kind === 'join')!;
    expect(join.sql).toBe('SELECT T1.concert_Name, T2.Name FROM concert AS T1 JOIN stadium AS T2');
    const agg = injectErrors(DEMO_EXAMPLES[3]!.sql, h.schema).filter((i) => i.kind === 'aggregate');
    expect(agg.map((i) => i.sql)).toEqual(['SELECT MAX(Age) FROM singer WHERE Age > 30;']);
  });
});

describe.skipIf(!hasSpider)('method builders on Spider train', () => {
  let examples: TrainExample[] = [];
  beforeAll(async () => {
    const loaded = await loadDataset({ kind: 'spider', path: SPIDER, split: 'train', limit: 2000 }, { sandbox: pool });
    // a spread of databases, several with many tables
    const byDb = new Map<string, TrainExample[]>();
    for (const e of loaded.examples) byDb.set(e.dbId, [...(byDb.get(e.dbId) ?? []), e]);
    examples = [...byDb.values()].flatMap((list) => list.filter((_, i) => i % 10 === 0).slice(0, 4));
  }, 120_000);

  it('lrsql: every gold table is a target in exactly the slices that hold it; counts per question', async () => {
    expect(examples.length).toBeGreaterThan(60);
    const { samples, multiSlice } = await checkLrsql(examples, { ...OPTIONS, sliceBudget: 170 });
    console.log(`lrsql on ${examples.length} Spider questions: ${multiSlice} over several slices, ${samples.length} samples`);
    expect(multiSlice).toBeGreaterThan(10);
    expect(samples.filter((s) => s.adapter === 'main')).toHaveLength(examples.length);
  }, 120_000);

  it('route: NC wrong SQLs differ from the gold in execution with the real error; CW prefix + target = gold', async () => {
    const { samples, wrong, failing } = await checkRoute(examples, { ...OPTIONS, settings: { nc: 2 } });
    console.log(`route on ${examples.length} Spider questions: ${samples.length} samples, ${wrong} wrong SQLs (${failing} fail, ${wrong - failing} return another result)`);
    expect(wrong).toBeGreaterThan(examples.length);
    expect(failing).toBeGreaterThan(0);
  }, 300_000);

  it('sft: one sample per example', async () => {
    expect(await buildSamples('sft', examples, handleOf, OPTIONS)).toHaveLength(examples.length);
  }, 120_000);
});

describe('tokens of a sample', () => {
  it('masks the prompt and, for continuation, the forced prefix', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'tiny.gguf');
    createModel({ arch: 'llama', shape: { layers: 2, embd: 64, ff: 128, heads: 4, kvHeads: 2 }, vocab: 'phi-3', out: file, seed: 7, cacheDir: path.join(dir, 'cache') });
    const tok = await openTokenizer(file);
    try {
      const samples = await buildSamples('route', DEMO_EXAMPLES.slice(0, 1), handleOf, { ...OPTIONS, settings: { ts: 1, sl: 0, nc: 0, cw: 1 } });
      const ts = samples.find((s) => s.task === 'ts')!;
      const cw = samples.find((s) => s.task === 'cw')!;
      expect(sampleTokens(tok, ts)).toEqual(tok.supervised(chatExample(ts)));
      const full = tok.supervised(chatExample(cw));
      const masked = sampleTokens(tok, cw);
      expect(masked.tokens).toEqual(full.tokens);
      const learned = masked.tokens.filter((_, i) => masked.weights[i] === 1);
      expect(learned.length).toBeLessThan(full.weights.filter((w) => w === 1).length);
      // what is learned is the rest of the gold SQL (and the end of turn), not the prefix: at most the model token
      // that straddles the cut
      const text = tok.detokenize(learned.slice(0, -1)).trim();
      expect(text.endsWith(cw.target.trim())).toBe(true);
      expect((cw.prefix! + cw.target).endsWith(text)).toBe(true);
      expect(text.length - cw.target.trim().length).toBeLessThan(cw.prefix!.length);
    } finally {
      await tok.dispose();
    }
  }, 120_000);
});

/** FINER's format (the F reward): one <think>, one </think>, nothing before, reasoning over 100 characters, an SQL. */
function finerFormat(text: string): { reasoning: string; sql: string } | null {
  const m = /^\s*<think>([\s\S]*)<\/think>([\s\S]*)$/.exec(text);
  if (!m || text.split('<think>').length !== 2 || text.split('</think>').length !== 2) return null;
  const [reasoning, sql] = [m[1]!.trim(), m[2]!.trim()];
  return reasoning.length > 100 && sql ? { reasoning, sql } : null;
}

describe('reason-sft (FINER stage 0)', () => {
  it('derived: one sample per example, FINER prompt -> <think> derived rationale </think> gold SQL, accepted by the reasoning grammar', async () => {
    const samples = await buildSamples('reason-sft', DEMO_EXAMPLES, handleOf, OPTIONS);
    expect(samples).toHaveLength(DEMO_EXAMPLES.length);
    const llama = await getLlama();
    let accepted = 0;
    for (const [i, s] of samples.entries()) {
      const e = DEMO_EXAMPLES[i]!;
      expect(s).toMatchObject({ exampleId: e.id, adapter: 'main', task: 'finer' });
      expect(s.messages[0]!.content).toMatch(/inside <think> <\/think>/); // finerPrompt's system message
      expect(s.messages.at(-1)!.content).toContain(e.question);
      const f = finerFormat(s.target);
      expect(f, s.target).not.toBeNull();
      expect(f!.sql).toBe(e.sql.replace(/;$/, ''));
      expect(f!.reasoning.startsWith(DERIVED_LABEL)).toBe(true);
      // the trained text is what the reason strategy decodes under: the reasoning grammar accepts it exactly when
      // the plain SQL grammar accepts the gold SQL (the <think> part is never what it refuses; some gold SQL lies
      // outside the grammar's bounds, e.g. a 9-digit number)
      const schema = (await handleOf(e)).schema;
      const compile = async (options: Parameters<typeof sqlGrammar>[1]) => {
        const g = sqlGrammar(schema, options);
        if (g.kind !== 'gbnf') throw new Error('a GBNF grammar expected');
        return llama.createGrammar({ grammar: g.source });
      };
      const plain = grammarAccepts(await compile({}), f!.sql);
      expect(grammarAccepts(await compile({ reasoning: true }), s.target), s.target).toBe(plain);
      if (plain) accepted++;
    }
    expect(accepted).toBeGreaterThanOrEqual(DEMO_EXAMPLES.length - 2);
  }, 120_000);

  it('maxReasoningChars bounds the rationale; its settings are checked', async () => {
    const [long] = await buildSamples('reason-sft', [DEMO_EXAMPLES[5]!], handleOf, OPTIONS);
    const [short] = await buildSamples('reason-sft', [DEMO_EXAMPLES[5]!], handleOf, { ...OPTIONS, settings: { maxReasoningChars: 200 } });
    expect(finerFormat(short!.target)!.reasoning.length + 2).toBeLessThanOrEqual(200);
    expect(finerFormat(short!.target)!.reasoning.length).toBeLessThan(finerFormat(long!.target)!.reasoning.length);
    await expect(buildSamples('reason-sft', DEMO_EXAMPLES.slice(0, 1), handleOf, { ...OPTIONS, settings: { source: 'teacher' } })).rejects.toThrow(/needs a teacher/);
    await expect(buildSamples('reason-sft', DEMO_EXAMPLES.slice(0, 1), handleOf, { ...OPTIONS, settings: { maxReasoningChars: 5000 } })).rejects.toThrow();
  });

  it('an estimate (preview) does not open the teacher: it counts the derived samples', async () => {
    const settings = { source: 'teacher', teacher: { path: path.join(tempDir(), 'missing.gguf') } };
    const samples = await buildSamples('reason-sft', DEMO_EXAMPLES, handleOf, { ...OPTIONS, settings, preview: true });
    expect(samples.map((s) => s.task)).toEqual(DEMO_EXAMPLES.map(() => 'finer'));
    // the real build opens it (and says the file is missing)
    await expect(buildSamples('reason-sft', DEMO_EXAMPLES.slice(0, 1), handleOf, { ...OPTIONS, settings })).rejects.toThrow(/does not exist/);
  });

  it("teacher: a trace is kept only when its SQL returns the gold result (a random model's count, computed independently)", async () => {
    const dir = tempDir();
    const file = path.join(dir, 'teacher.gguf');
    createModel({ arch: 'llama', shape: { layers: 2, embd: 64, ff: 128, heads: 4, kvHeads: 2 }, vocab: 'phi-3', out: file, seed: 5, cacheDir: path.join(dir, 'cache') });
    const examples = DEMO_EXAMPLES.slice(0, 4);
    const lines: string[] = [];
    const settings = { source: 'teacher', teacher: { path: file, contextSize: 4096 }, fallback: 'drop' };
    const samples = await buildSamples('reason-sft', examples, handleOf, { ...OPTIONS, settings, log: (l) => lines.push(l) });

    // the same model asked the same way, judged here with better-sqlite3: format, then equal sets of rows
    const opened = await openModelSpec({ model: file, contextSize: 4096 });
    let correct = 0;
    try {
      for (const e of examples) {
        const trace = await runStrategy({
          question: e.question, evidence: e.evidence, db: await handleOf(e), strategy: 'reason', grammar: 'schema',
          settings: { sampling: { temperature: 0 }, schemaBudget: OPTIONS.schemaBudget },
          model: opened.textModel, modelInfo: { id: null, name: 'teacher', sha256: null }, adapterInfo: null,
        });
        const output = trace.steps.find((s) => s.kind === 'reason')!.output ?? '';
        const f = finerFormat(output);
        if (!f) continue;
        const db = new BetterSqlite3(e.dbPath, { readonly: true });
        try {
          const rows = (sql: string) => new Set(db.prepare(sql).raw().all().map((r) => JSON.stringify(r)));
          const [gold, pred] = [rows(e.sql), (() => { try { return rows(trace.final.sql); } catch { return null; } })()];
          if (pred && pred.size === gold.size && [...gold].every((r) => pred.has(r))) correct++;
        } finally {
          db.close();
        }
      }
    } finally {
      await opened.close();
    }
    expect(samples.filter((s) => s.task === 'finer_teacher')).toHaveLength(correct);
    expect(samples).toHaveLength(correct); // fallback drop: nothing else
    for (const s of samples) expect(finerFormat(s.target)).not.toBeNull();
    expect(lines.join('\n')).toMatch(new RegExp(`teacher traces kept for ${correct} of ${examples.length} examples`));
  }, 300_000);
});
