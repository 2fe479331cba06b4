/**
 * Training datasets: question/SQL pairs from Spider/BIRD folders, JSONL files or the workbench's corrections; a
 * deterministic train/dev split; a contamination check against evaluation benchmarks. A row that cannot be used is reported with its line number (JSONL line, or
 * its index in the JSON array + 1), never silently dropped.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Connection, TrainDatasetSpec } from '../../../shared/contract/index.ts';
import { SquillError } from '../../../shared/errors.ts';
import { significant, tokenize } from '../../../shared/sql/tokenize.ts';
import { fileDbHandle, listCorrections, type DbHandle } from '../../ai/index.ts';
import { benchmarkFile, jsonlDatabase, jsonlDefaultDatabase, questionFiles, type BenchmarkFolder, type Split } from '../../eval/index.ts';
import { createSandboxPool, type SandboxPool } from '../../db/index.ts';
import type { Store } from '../../store/index.ts';

export interface TrainExample {
  id: string;
  question: string;
  sql: string;
  evidence: string | null;
  dbId: string;
  dbPath: string;
  /** Spider/BIRD: SQL runs with SQLite's legacy "string" rule, as the benchmarks' Python tooling does */
  doubleQuotedStrings?: boolean;
}
export interface InvalidRow { line: number; reason: string }
/** a dataset as a training config names it (spider/bird: the folder or a json file inside it; jsonl: the file) */
export type DatasetSpec = TrainDatasetSpec;

export interface DatasetDeps {
  /** the app store (corrections) */
  store?: Store;
  /** connections, to find a correction's database file (and a JSONL db_id naming a connection) */
  connections?: { list(): Connection[] };
  /** runs each gold SQL to check it; a temporary one-process pool when absent */
  sandbox?: SandboxPool;
  /** false skips the execution check (default true) */
  execute?: boolean;
  /** per-query limit of the execution check (default 10 s) */
  timeoutMs?: number;
}

interface RawRow {
  line: number;
  id: string;
  question: unknown;
  sql: unknown;
  evidence: unknown;
  dbId: string;
  dbPath: string | null;
  /** why the database cannot be used though its file exists (benchmark layouts' rule) */
  dbUnavailable?: string | null;
  /** why the row could not even be read */
  broken?: string;
}

const readJson = (file: string): unknown => {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new SquillError('VALIDATION', `${file} cannot be read as JSON: ${(err as Error).message}`);
  }
};

const str = (v: unknown): string | null => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null);

function jsonArray(file: string): unknown[] {
  const data = readJson(file);
  if (!Array.isArray(data)) throw new SquillError('VALIDATION', `${file} is not a JSON array of examples`);
  return data;
}

/** Spider/BIRD rows: where the files and databases are is the benchmark layout's (eval/benchmarks.ts). */
function spiderRows(spec: DatasetSpec): RawRow[] {
  if (!spec.path) throw new SquillError('VALIDATION', 'A Spider dataset needs the path of its folder');
  const { folder, file, split } = benchmarkFile('spider', spec.path, spec.split === 'dev' ? 'dev' : 'train');
  const tag = path.basename(file, '.json');
  return jsonArray(file).map((raw, i) => {
    const e = (raw ?? {}) as Record<string, unknown>;
    const dbId = str(e.db_id) ?? '';
    return { line: i + 1, id: `spider-${tag}-${i}`, question: e.question, sql: e.query, evidence: null, dbId, ...benchmarkDb(folder, split, dbId) };
  });
}

function birdRows(spec: DatasetSpec): RawRow[] {
  if (!spec.path) throw new SquillError('VALIDATION', 'A BIRD dataset needs the path of its folder');
  const split = spec.split ?? 'train';
  // a file's databases are its own split's (dev.json: dev_databases), whatever the spec says
  const { folder, file, split: fileSplit } = benchmarkFile('bird', spec.path, split);
  return jsonArray(file).map((raw, i) => {
    const e = (raw ?? {}) as Record<string, unknown>;
    const dbId = str(e.db_id) ?? '';
    const evidence = str(e.evidence);
    return {
      line: i + 1,
      id: `bird-${split}-${str(e.question_id) ?? i}`,
      question: e.question,
      sql: e.SQL,
      evidence: evidence?.trim() ? evidence : null,
      dbId,
      ...benchmarkDb(folder, fileSplit, dbId),
    };
  });
}

/** A benchmark row's database: its file, and why it cannot be used though the file is there (a BIRD copy that differs) */
function benchmarkDb(folder: BenchmarkFolder, split: Split, dbId: string): Pick<RawRow, 'dbPath' | 'dbUnavailable'> {
  if (!dbId) return { dbPath: null };
  const db = folder.database(split, dbId);
  return { dbPath: db.file, dbUnavailable: db.unavailable };
}

/**
 * JSONL: one object per line, {question, sql (or query, SQL, gold), db_path (relative to the file) or db_id,
 * evidence?, id?}. A db_id is looked up as database/<id>/<id>.sqlite or <id>.sqlite beside the file, then as a
 * connection id.
 */
function jsonlRows(spec: DatasetSpec, deps: DatasetDeps): RawRow[] {
  if (!spec.path) throw new SquillError('VALIDATION', 'A JSONL dataset needs the path of its file');
  const file = path.resolve(spec.path);
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new SquillError('NOT_FOUND', `No JSONL file at ${file}`);
  const base = path.dirname(file);
  const connections = deps.connections?.list() ?? [];
  const rows: RawRow[] = [];
  fs.readFileSync(file, 'utf8').split(/\r?\n/).forEach((text, n) => {
    if (!text.trim()) return;
    let e: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(text);
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      e = parsed as Record<string, unknown>;
    } catch {
      rows.push({ line: n + 1, id: '', question: null, sql: null, evidence: null, dbId: '', dbPath: null, broken: 'not a JSON object' });
      return;
    }
    const dbPathField = str(e.db_path);
    let dbId = str(e.db_id) ?? '';
    let dbPath: string | null = null;
    if (dbPathField) {
      dbPath = path.resolve(base, dbPathField);
      if (!dbId) dbId = path.basename(dbPathField).replace(/\.[^.]*$/, '');
    } else if (dbId) {
      dbPath = jsonlDatabase(base, dbId) ?? connections.find((c) => c.id === dbId)?.path ?? jsonlDefaultDatabase(base, dbId);
    }
    rows.push({
      line: n + 1,
      id: str(e.id) ?? `line-${n + 1}`,
      question: e.question,
      sql: e.sql ?? e.query ?? e.SQL ?? e.gold,
      evidence: e.evidence ?? null,
      dbId,
      dbPath,
    });
  });
  return rows;
}

/** Corrections, newest first as the store lists them; "line" is the position in that list. */
function correctionRows(deps: DatasetDeps): RawRow[] {
  if (!deps.store) throw new SquillError('INTERNAL', 'Loading corrections needs the app store');
  const connections = new Map((deps.connections?.list() ?? []).map((c) => [c.id, c]));
  return listCorrections(deps.store).map((c, i) => {
    const conn = connections.get(c.connectionId);
    return { line: i + 1, id: `correction-${c.id}`, question: c.question, sql: c.sql, evidence: c.evidence, dbId: c.database || c.connectionId, dbPath: conn?.path ?? null };
  });
}

export async function loadDataset(spec: DatasetSpec, deps: DatasetDeps = {}): Promise<{ examples: TrainExample[]; invalid: InvalidRow[] }> {
  const invalid: InvalidRow[] = [];
  const raw =
    spec.kind === 'spider' ? spiderRows(spec)
    : spec.kind === 'bird' ? birdRows(spec)
    : spec.kind === 'jsonl' ? jsonlRows(spec, deps)
    : correctionRows(deps);
  // the limit counts rows read, valid or not
  const rows = spec.limit !== undefined ? raw.slice(0, spec.limit) : raw;

  const candidates: (TrainExample & { line: number })[] = [];
  const seenIds = new Set<string>();
  for (const r of rows) {
    const question = str(r.question)?.trim() ?? '';
    const sql = str(r.sql)?.trim() ?? '';
    const evidence = typeof r.evidence === 'string' && r.evidence.trim() ? r.evidence : null;
    if (r.broken) invalid.push({ line: r.line, reason: r.broken });
    else if (!question) invalid.push({ line: r.line, reason: 'the question is missing' });
    else if (!sql) invalid.push({ line: r.line, reason: 'the SQL is missing' });
    else if (!r.dbId && !r.dbPath) invalid.push({ line: r.line, reason: 'no database is named (db_id or db_path)' });
    else if (!r.dbPath || !fs.existsSync(r.dbPath)) invalid.push({ line: r.line, reason: `unknown database ${r.dbId || r.dbPath}${r.dbPath ? ` (no file at ${r.dbPath})` : ''}` });
    else if (r.dbUnavailable) invalid.push({ line: r.line, reason: r.dbUnavailable });
    else if (seenIds.has(r.id)) invalid.push({ line: r.line, reason: `the id ${r.id} is used by an earlier row` });
    else {
      seenIds.add(r.id);
      candidates.push({ id: r.id, question, sql, evidence, dbId: r.dbId, dbPath: r.dbPath, line: r.line });
    }
  }

  const examples: TrainExample[] = [];
  const doubleQuotedStrings = spec.kind === 'spider' || spec.kind === 'bird';
  const failures = deps.execute === false ? new Map<number, string>() : await checkExecution(candidates, deps, doubleQuotedStrings);
  for (const { line, ...e } of candidates) {
    const error = failures.get(line);
    if (error) invalid.push({ line, reason: `the SQL does not run: ${error}` });
    else examples.push(doubleQuotedStrings ? { ...e, doubleQuotedStrings } : e);
  }
  invalid.sort((a, b) => a.line - b.line);
  return { examples, invalid };
}

export type DatasetCache = (spec: DatasetSpec, deps: DatasetDeps) => Promise<{ examples: TrainExample[]; invalid: InvalidRow[] }>;

/**
 * Keeps the last few loaded file datasets, keyed by spec and the file's size and mtime, so the wizard's data check,
 * its estimates and the job's start read (and execution-check) a big dataset once. Corrections are always re-read.
 */
export function createDatasetCache(max = 4): DatasetCache {
  const entries = new Map<string, Promise<{ examples: TrainExample[]; invalid: InvalidRow[] }>>();
  return (spec, deps) => {
    if (spec.kind === 'corrections' || !spec.path) return loadDataset(spec, deps);
    let stamp = 'missing';
    try {
      const abs = path.resolve(spec.path);
      const st = fs.statSync(abs);
      // a folder's own mtime does not change when its data file is rewritten: stamp the file loaders will read
      const files = st.isDirectory() ? questionFiles(abs) : [abs];
      stamp = files
        .map((f) => {
          const fst = fs.statSync(f);
          return `${f}:${fst.size}:${fst.mtimeMs}`;
        })
        .join('|');
    } catch {
      return loadDataset(spec, deps); // its own error message
    }
    const key = `${JSON.stringify(spec)}\u0000${stamp}`;
    let hit = entries.get(key);
    if (hit) {
      entries.delete(key);
      entries.set(key, hit); // most recently used last
      return hit;
    }
    hit = loadDataset(spec, deps);
    entries.set(key, hit);
    hit.catch(() => entries.delete(key));
    while (entries.size > max) entries.delete(entries.keys().next().value!);
    return hit;
  };
}

/** Runs every gold SQL through the sandbox (read-only, one row read); returns line -> error. */
async function checkExecution(rows: (TrainExample & { line: number })[], deps: DatasetDeps, doubleQuotedStrings: boolean): Promise<Map<number, string>> {
  const failures = new Map<number, string>();
  if (rows.length === 0) return failures;
  const sandbox = deps.sandbox ?? createSandboxPool({ size: 1 });
  try {
    await Promise.all(
      rows.map(async (r) => {
        try {
          await sandbox.query(r.dbPath, r.sql, { timeoutMs: deps.timeoutMs ?? 10_000, maxRows: 1, doubleQuotedStrings });
        } catch (err) {
          failures.set(r.line, (err as Error).message);
        }
      }),
    );
  } finally {
    if (!deps.sandbox) await sandbox.close();
  }
  return failures;
}

/**
 * The strategies' view of each example's database, opened once per file; Spider/BIRD examples keep their
 * double-quoted-string rule so golds and injected-error SQL run as the benchmark tooling runs them.
 */
export function exampleDbs(sandbox: SandboxPool): (example: Pick<TrainExample, 'dbPath' | 'dbId' | 'doubleQuotedStrings'>) => Promise<DbHandle> {
  const handles = new Map<string, Promise<DbHandle>>();
  return (e) => {
    const key = `${e.doubleQuotedStrings ? 'dq' : 'sq'}\u0000${e.dbPath}`;
    let h = handles.get(key);
    if (!h) handles.set(key, (h = fileDbHandle(sandbox, e.dbPath, e.dbId, { doubleQuotedStrings: e.doubleQuotedStrings === true })));
    return h;
  };
}

// ---------------------------------------------------------------------------------------------------------------
// splits

/** Lower-case, punctuation stripped, whitespace collapsed. */
export const normalizeQuestion = (q: string): string =>
  q.toLowerCase().replace(/[^\p{L}\p{N}\s]+/gu, ' ').replace(/\s+/g, ' ').trim();

/** SQL as its significant tokens (no spaces, comments or final semicolons), lower-cased, joined by one space. */
export function normalizeSql(sql: string): string {
  const tokens = significant(tokenize(sql)).map((t) => t.text.toLowerCase());
  while (tokens.at(-1) === ';') tokens.pop();
  return tokens.join(' ');
}

const rank = (key: string, seed: number) => crypto.createHash('sha256').update(`${seed}\u0000${key}`).digest('hex');

/**
 * A deterministic split: examples are grouped by normalized question (or by database, `by: 'database'`), groups
 * ordered by a seeded hash, and whole groups go to dev until it holds `devFraction` of the examples — so no
 * question (or database) is on both sides. Order within each side follows the input.
 */
export function splitDataset(
  examples: TrainExample[],
  devFraction: number,
  seed: number,
  o: { by?: 'question' | 'database' } = {},
): { train: TrainExample[]; dev: TrainExample[] } {
  if (!(devFraction >= 0 && devFraction < 1)) throw new SquillError('VALIDATION', `The dev fraction must be in [0, 1), got ${devFraction}`);
  const keyOf = (e: TrainExample) => (o.by === 'database' ? `db:${e.dbId}` : `q:${normalizeQuestion(e.question)}`);
  const groups = new Map<string, number>();
  for (const e of examples) groups.set(keyOf(e), (groups.get(keyOf(e)) ?? 0) + 1);
  const want = Math.round(examples.length * devFraction);
  const devKeys = new Set<string>();
  let inDev = 0;
  for (const key of [...groups.keys()].sort((a, b) => (rank(a, seed) < rank(b, seed) ? -1 : 1))) {
    if (inDev >= want) break;
    devKeys.add(key);
    inDev += groups.get(key)!;
  }
  const train: TrainExample[] = [];
  const dev: TrainExample[] = [];
  for (const e of examples) (devKeys.has(keyOf(e)) ? dev : train).push(e);
  return { train, dev };
}

// ---------------------------------------------------------------------------------------------------------------
// contamination

/**
 * Per benchmark: how many training examples share a normalized question, how many a normalized SQL, and the
 * examples that share either (with which).
 */
export function contamination(
  examples: TrainExample[],
  benchmarks: { name: string; examples: { question: string; sql: string }[] }[],
): { name: string; questionOverlap: number; sqlOverlap: number; examples: { id: string; by: 'question' | 'sql' | 'both' }[] }[] {
  // the training side is normalized once, not once per benchmark
  const normalized = examples.map((e) => ({ id: e.id, question: normalizeQuestion(e.question), sql: normalizeSql(e.sql) }));
  return benchmarks.map((b) => {
    const questions = new Set(b.examples.map((e) => normalizeQuestion(e.question)).filter(Boolean));
    const sqls = new Set(b.examples.map((e) => normalizeSql(e.sql)).filter(Boolean));
    let questionOverlap = 0;
    let sqlOverlap = 0;
    const ids: { id: string; by: 'question' | 'sql' | 'both' }[] = [];
    for (const e of normalized) {
      const q = questions.has(e.question);
      const s = sqls.has(e.sql);
      if (q) questionOverlap++;
      if (s) sqlOverlap++;
      if (q || s) ids.push({ id: e.id, by: q && s ? 'both' : q ? 'question' : 'sql' });
    }
    return { name: b.name, questionOverlap, sqlOverlap, examples: ids };
  });
}
