/**
 * Model-driven evaluation runs end to end: a tiny Spider-format benchmark made here, a random tiny model made by
 * createModel and loaded by the real node-llama-cpp, the direct strategy under the schema grammar, the real
 * sandbox and app store; and `squill eval run` writing its three files.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Payload, Trace } from '../../shared/contract/index.ts';
import { until } from '../../../test/helpers.ts';
import { createModel, SHAPES } from '../llm/index.ts';
import { createCore, type Core } from '../index.ts';

const cacheDir = path.join(os.tmpdir(), 'squill-test-cache');
const DEMO = path.resolve(import.meta.dirname, '../../../resources/demo/concert_singer.sqlite');
const BIN = path.resolve(import.meta.dirname, '../../../bin/squill.js');

const QUESTIONS = [
  { question: 'How many singers do we have?', query: 'SELECT count(*) FROM singer' },
  { question: 'What are the names of the stadiums?', query: 'SELECT name FROM stadium' },
];

let dir: string;
let bench: string;
let modelFile: string;
let core: Core;
let modelId: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'squill-generate-test-'));
  bench = path.join(dir, 'spider');
  fs.mkdirSync(path.join(bench, 'database', 'concert_singer'), { recursive: true });
  fs.copyFileSync(DEMO, path.join(bench, 'database', 'concert_singer', 'concert_singer.sqlite'));
  fs.writeFileSync(path.join(bench, 'dev.json'), JSON.stringify(QUESTIONS.map((q) => ({ db_id: 'concert_singer', ...q }))));
  // tables.json as Spider has it, from the database (only schema linking reads it)
  const db = new BetterSqlite3(DEMO, { readonly: true });
  const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").pluck().all() as string[];
  const columns: [number, string][] = [[-1, '*']];
  tables.forEach((t, i) => {
    for (const c of db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all(t) as string[]) columns.push([i, c]);
  });
  db.close();
  fs.writeFileSync(path.join(bench, 'tables.json'), JSON.stringify([{ db_id: 'concert_singer', table_names_original: tables, table_names: tables, column_names_original: columns, column_names: columns, column_types: columns.map(() => 'text'), primary_keys: [], foreign_keys: [] }]));
  modelFile = path.join(dir, 'tiny.gguf');
  createModel({ arch: 'qwen2', shape: SHAPES.tiny!, vocab: 'qwen2', out: modelFile, seed: 5, cacheDir });
  core = createCore({ dataDir: path.join(dir, 'data'), host: 'cli', log: () => undefined });
  modelId = (await core.models.add(modelFile)).id;
}, 300_000);

afterAll(async () => {
  await core?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const call = async <T,>(method: string, input: unknown): Promise<T> => {
  const res = await core.backend.call(method, input);
  if (!res.ok) throw new Error(`${method}: ${res.error.message}`);
  return res.output as T;
};

// a random model writes until the token limit (grammar-constrained tokens are slow on a 152k vocabulary): a few
// tokens keep the test quick. An SQL cut by the limit is no answer (its last name may be half written): the
// prediction is empty and the step keeps the cut draft, which the grammar held to SELECT …
const settings = { sampling: { maxTokens: 8 } };

/** The prediction is the trace's SQL: a SELECT, or empty when the model was cut off (the draft then says so). */
function expectAnswerOrCut(trace: Trace, pred: string): void {
  expect(trace.final.sql.trim()).toBe(pred);
  if (pred !== '') return void expect(pred).toMatch(/^SELECT /i);
  const drafts = trace.steps.flatMap((step) => step.drafts ?? []);
  expect(drafts).toContainEqual({ text: expect.stringMatching(/^\s*SELECT /i), why: expect.stringMatching(/token limit/) });
}

describe('eval.generate', () => {
  it('answers every question with a kept trace, listed as running from the start, and scores the predictions', async () => {
    const events: Payload<'eval.progress'>[] = [];
    const off = core.hub.subscribe('eval.progress', (p) => events.push(p as Payload<'eval.progress'>));
    const { runId } = await call<{ runId: string }>('eval.generate', { bench: 'spider', dataDir: bench, modelId, strategy: 'direct', grammar: 'schema', settings });
    expect(core.evaluations.list().find((r) => r.id === runId)).toMatchObject({ status: 'running', total: 4 });
    const run = await core.evaluations.finished(runId);
    off();
    expect(run.status).toBe('done');
    expect(run).toMatchObject({ total: 2, done: 2, unavailable: 0, name: expect.stringContaining('direct') });
    expect(Object.keys(run.summary).sort()).toEqual(['bird_ex', 'soft_f1', 'spider_exec']);
    expect(run.summary.spider_exec!.count).toBe(2);
    expect(run.record!.model).toMatchObject({
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      adapterSha256: null,
      strategy: 'direct',
      decoding: { grammar: 'schema', sampling: { temperature: 0, maxTokens: 8 } },
    });
    expect(run.record!.predictionsSha256).toMatch(/^[0-9a-f]{64}$/);
    // progress went through generation (steps 1..2 of 4) and scoring, and ended on the examples
    expect(events.filter((e) => e.runId === runId && e.status === 'running').slice(0, 2)).toMatchObject([{ done: 1, total: 4 }, { done: 2, total: 4 }]);
    expect(events.at(-1)).toMatchObject({ runId, status: 'done', done: 2, total: 2 });

    const examples = core.evaluations.examples(runId, {}, 0, 10).items;
    expect(examples.map((e) => e.question)).toEqual(QUESTIONS.map((q) => q.question));
    for (const ex of examples) {
      expect(ex.traceId).toEqual(expect.any(String));
      const trace = core.ai.traces.get(ex.traceId!);
      expect(trace).toMatchObject({ question: ex.question, database: 'concert_singer', strategy: 'direct', grammar: 'schema', status: 'done' });
      expectAnswerOrCut(trace, ex.pred);
      expect(trace.final.execution).toMatchObject({ sql: trace.final.sql, ok: expect.any(Boolean) });
      expect(ex.scores.spider_exec).toEqual(expect.any(Number));
      expect(ex.reasons.spider_exec!.code).toMatch(trace.final.execution!.ok ? /./ : /^(pred_error|empty_prediction)$/);
    }
  }, 300_000);

  it('stops mid-run on cancel, abandoning the example in progress and scoring what was generated', async () => {
    const tracesBefore = core.ai.traces.list({ limit: 1000 }).length;
    const { runId } = await call<{ runId: string }>('eval.generate', { bench: 'spider', dataDir: bench, modelId, strategy: 'direct', grammar: 'none', settings: { sampling: { maxTokens: 400 } } });
    // cancel once the first answer is in: the second is being generated
    await until(() => core.evaluations.get(runId).done >= 1, 240_000, 'the first answer');
    expect(await call('eval.cancel', { runId })).toEqual({ cancelled: true });
    const run = await core.evaluations.finished(runId);
    expect(run.status).toBe('cancelled');
    expect(run.total).toBe(2);
    const examples = core.evaluations.examples(runId, {}, 0, 10).items;
    expect(examples.length).toBeGreaterThanOrEqual(1);
    expect(examples.length).toBeLessThan(2);
    expect(run.done).toBe(examples.length);
    expect(examples[0]!.scores.spider_exec).toEqual(expect.any(Number));
    // the abandoned answer leaves no trace behind
    expect(core.ai.traces.list({ limit: 1000 }).length - tracesBefore).toBe(examples.length);
  }, 300_000);

  it('refuses an unknown model at once', async () => {
    const res = await core.backend.call('eval.generate', { bench: 'spider', dataDir: bench, modelId: 'nope', strategy: 'direct' });
    expect(res.ok).toBe(false);
    expect(!res.ok && res.error.code).toBe('NOT_FOUND');
  });
});

describe('squill eval run', () => {
  it('writes the predictions, traces.jsonl and summary.json, with progress on stderr and the summary on stdout', async () => {
    const out = path.join(dir, 'out');
    const child = spawn(process.execPath, [BIN, 'eval', 'run', '--bench', 'spider', '--data', bench, '--model', modelFile, '--strategy', 'direct', '--grammar', 'schema', '--limit', '1', '--max-tokens', '8', '--out', out], {
      env: { ...process.env, SQUILL_DATA_DIR: path.join(dir, 'cli-data') },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toMatch(/\[1\/1\] 0 concert_singer/);
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/spider_exec\s+[\d.]+\s+over 1 scored/);

    const predicted = fs.readFileSync(path.join(out, 'predicted.sql'), 'utf8').trimEnd().split('\n');
    expect(predicted).toHaveLength(1);
    expect(fs.readFileSync(path.join(out, 'gold.sql'), 'utf8')).toBe(`${QUESTIONS[0]!.query}\tconcert_singer\n`);
    const predictions = fs.readFileSync(path.join(out, 'predictions.jsonl'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
    // predicted.sql (the official program's file) needs a line per example: an empty prediction is written as SELECT
    expect(predictions.map((p) => [p.id, p.db_id, p.pred || 'SELECT'])).toEqual(predicted.map((sql, i) => [String(i), 'concert_singer', sql]));
    const traces = fs.readFileSync(path.join(out, 'traces.jsonl'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(traces.map((t) => t.question)).toEqual([QUESTIONS[0]!.question]);
    expect(traces.map((t) => t.final.sql.trim())).toEqual(predictions.map((p) => p.pred));
    traces.forEach((t, i) => expectAnswerOrCut(t, predictions[i]!.pred));
    const summary = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8'));
    expect(summary).toMatchObject({
      status: 'done',
      examples: 1,
      generated: 1,
      metrics: { spider_exec: { count: 1, score: expect.any(Number) }, bird_ex: { count: 1 } },
      timing: { totalMs: expect.any(Number), generationMs: expect.any(Number), meanPerExampleMs: expect.any(Number) },
      model: { sha256: expect.stringMatching(/^[0-9a-f]{64}$/), strategy: 'direct' },
    });
  }, 300_000);
});
