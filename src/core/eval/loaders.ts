/**
 * Benchmarks on disk: Spider (dev/train json, tables.json, database/<db>/*.sqlite), BIRD (dev.json with evidence and
 * difficulty, dev_tables.json, dev_databases/<db>/<db>.sqlite checked against the expected sha256 list) and a
 * generic JSONL format. Predictions are JSON lines {id, db_id, gold, pred, evidence?}.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { SquillError } from '../../shared/errors.ts';
import { hardnessOfSpiderSql, type SpiderSql } from './hardness.ts';

export type Bench = 'spider' | 'bird' | 'jsonl';

export interface EvalExampleInput {
  index: number;
  id: string;
  dbId: string;
  question: string;
  evidence: string | null;
  gold: string;
  pred: string;
  group: string | null;
  /** the database files to run on (Spider: every *.sqlite* in the folder); empty when unavailable */
  dbFiles: string[];
  unavailable: string | null;
  /** the trace that produced `pred` (runs that generate with a model) */
  traceId?: string | null;
}

export interface LoadedBenchmark {
  bench: Bench;
  dataDir: string;
  examples: EvalExampleInput[];
  /** dataset files read, for the reproducibility record */
  datasetFiles: string[];
  /** the schema description (Spider tables.json / BIRD dev_tables.json), for schema linking */
  tablesFile: string | null;
}

const PredictionLine = z.object({
  id: z.union([z.string(), z.number()]).transform(String),
  db_id: z.string().min(1),
  gold: z.string(),
  pred: z.string().nullable().transform((p) => p ?? ''),
  evidence: z.string().nullable().optional(),
});
export type Prediction = z.output<typeof PredictionLine>;

/** Parses a predictions file; a bad line is a VALIDATION error naming its line number and field. */
export function parsePredictions(text: string): Prediction[] {
  const out: Prediction[] = [];
  text.split(/\r?\n/).forEach((line, n) => {
    if (!line.trim()) return;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      throw new SquillError('VALIDATION', `Predictions line ${n + 1} is not JSON`);
    }
    const parsed = PredictionLine.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new SquillError('VALIDATION', `Predictions line ${n + 1}: ${issue.path.join('.') || 'line'}: ${issue.message}`);
    }
    out.push(parsed.data);
  });
  if (out.length === 0) throw new SquillError('VALIDATION', 'The predictions file has no lines');
  return out;
}

const readJson = (file: string): unknown => {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new SquillError('VALIDATION', `${file} cannot be read as JSON: ${(err as Error).message}`);
  }
};

const requireDir = (dir: string, what: string) => {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new SquillError('NOT_FOUND', `No ${what} folder at ${dir}`);
};

/** Every file in a Spider database folder whose name contains ".sqlite" (test-suite's rule). */
function spiderDbFiles(dataDir: string, dbId: string): string[] {
  const dir = path.join(dataDir, 'database', dbId);
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => f.includes('.sqlite')).sort().map((f) => path.join(dir, f));
}

const keyOf = (dbId: string, sql: string) => `${dbId}\u0000${sql.trim()}`;

function loadSpider(dataDir: string, predictions: Prediction[]): LoadedBenchmark {
  requireDir(path.join(dataDir, 'database'), 'Spider database');
  const datasetFiles = ['dev.json', 'train_spider.json', 'tables.json'].map((f) => path.join(dataDir, f)).filter((f) => fs.existsSync(f));
  // question and parsed gold (for hardness) by (db_id, gold query)
  const known = new Map<string, { question: string; sql?: SpiderSql }>();
  for (const file of datasetFiles.filter((f) => !f.endsWith('tables.json'))) {
    for (const e of readJson(file) as { db_id: string; query: string; question: string; sql?: SpiderSql }[]) {
      if (!known.has(keyOf(e.db_id, e.query))) known.set(keyOf(e.db_id, e.query), { question: e.question, sql: e.sql });
    }
  }
  const examples = predictions.map((p, index): EvalExampleInput => {
    const entry = known.get(keyOf(p.db_id, p.gold));
    const dbFiles = spiderDbFiles(dataDir, p.db_id);
    return {
      index,
      id: p.id,
      dbId: p.db_id,
      question: entry?.question ?? '',
      evidence: p.evidence ?? null,
      gold: p.gold,
      pred: p.pred,
      group: entry?.sql ? hardnessOfSpiderSql(entry.sql) : null,
      dbFiles,
      unavailable: dbFiles.length ? null : `The database ${p.db_id} is not in ${path.join(dataDir, 'database')}`,
    };
  });
  const tables = path.join(dataDir, 'tables.json');
  return { bench: 'spider', dataDir, examples, datasetFiles, tablesFile: fs.existsSync(tables) ? tables : null };
}

/** sha256 of a file, cached by path, size and mtime (BIRD databases are large). */
const hashCache = new Map<string, string>();
export function sha256File(file: string): string {
  const stat = fs.statSync(file);
  const key = `${file}:${stat.size}:${stat.mtimeMs}`;
  let hash = hashCache.get(key);
  if (!hash) {
    const h = crypto.createHash('sha256');
    const fd = fs.openSync(file, 'r');
    try {
      const buffer = Buffer.alloc(1 << 20);
      let n: number;
      while ((n = fs.readSync(fd, buffer, 0, buffer.length, null)) > 0) h.update(buffer.subarray(0, n));
    } finally {
      fs.closeSync(fd);
    }
    hash = h.digest('hex');
    hashCache.set(key, hash);
  }
  return hash;
}

function loadBird(dataDir: string, predictions: Prediction[]): LoadedBenchmark {
  const devFile = path.join(dataDir, 'dev.json');
  if (!fs.existsSync(devFile)) throw new SquillError('NOT_FOUND', `No BIRD dev.json in ${dataDir}`);
  const dev = readJson(devFile) as { question_id: number; db_id: string; question: string; evidence: string; SQL: string; difficulty?: string }[];
  const byId = new Map(dev.map((e) => [String(e.question_id), e]));
  const byGold = new Map(dev.map((e) => [keyOf(e.db_id, e.SQL), e]));
  // name -> expected sha256, from "db sha256:HEX size" lines
  const expected = new Map<string, string>();
  const expectedFile = path.join(dataDir, 'dev_databases_expected_sha256_size.txt');
  if (fs.existsSync(expectedFile)) {
    for (const line of fs.readFileSync(expectedFile, 'utf8').split('\n')) {
      const m = /^(\S+)\s+sha256:([0-9a-f]{64})/.exec(line.trim());
      if (m) expected.set(m[1]!, m[2]!);
    }
  }
  const verdicts = new Map<string, string | null>();
  const availability = (dbId: string): { file: string | null; why: string | null } => {
    const file = path.join(dataDir, 'dev_databases', dbId, `${dbId}.sqlite`);
    if (!fs.existsSync(file)) {
      return { file: null, why: `The BIRD database ${dbId} is not present (${file}); BIRD ships without its databases` };
    }
    if (!verdicts.has(dbId)) {
      const want = expected.get(dbId);
      verdicts.set(dbId, want && sha256File(file) !== want ? `${file} does not match the expected sha256 ${want.slice(0, 12)}…` : null);
    }
    const why = verdicts.get(dbId)!;
    return { file: why ? null : file, why };
  };
  const examples = predictions.map((p, index): EvalExampleInput => {
    const entry = byId.get(p.id) ?? byGold.get(keyOf(p.db_id, p.gold));
    const { file, why } = availability(p.db_id);
    return {
      index,
      id: p.id,
      dbId: p.db_id,
      question: entry?.question ?? '',
      evidence: p.evidence ?? entry?.evidence ?? null,
      gold: p.gold,
      pred: p.pred,
      group: entry?.difficulty ?? null,
      dbFiles: file ? [file] : [],
      unavailable: why,
    };
  });
  const tables = path.join(dataDir, 'dev_tables.json');
  const datasetFiles = [devFile, tables, expectedFile].filter((f) => fs.existsSync(f));
  return { bench: 'bird', dataDir, examples, datasetFiles, tablesFile: fs.existsSync(tables) ? tables : null };
}

const JsonlExample = z.object({
  id: z.union([z.string(), z.number()]).transform(String),
  question: z.string(),
  gold: z.string(),
  db_path: z.string().optional(),
  db_id: z.string().optional(),
  evidence: z.string().nullable().optional(),
  group: z.string().optional(),
});

/** `dataDir` is a .jsonl file or a folder holding examples.jsonl; db_path is relative to it. */
function loadJsonl(dataDir: string, predictions: Prediction[]): LoadedBenchmark {
  const file = fs.existsSync(dataDir) && fs.statSync(dataDir).isDirectory() ? path.join(dataDir, 'examples.jsonl') : dataDir;
  if (!fs.existsSync(file)) throw new SquillError('NOT_FOUND', `No JSONL benchmark at ${file}`);
  const base = path.dirname(file);
  const byId = new Map<string, z.output<typeof JsonlExample>>();
  fs.readFileSync(file, 'utf8').split(/\r?\n/).forEach((line, n) => {
    if (!line.trim()) return;
    const parsed = JsonlExample.safeParse((() => {
      try {
        return JSON.parse(line);
      } catch {
        return null;
      }
    })());
    if (!parsed.success) throw new SquillError('VALIDATION', `${file} line ${n + 1} is not a valid example {id, question, gold, db_path | db_id}`);
    byId.set(parsed.data.id, parsed.data);
  });
  const dbFileOf = (e: z.output<typeof JsonlExample> | undefined, dbId: string) => {
    if (e?.db_path) return path.resolve(base, e.db_path);
    for (const candidate of [path.join(base, 'database', dbId, `${dbId}.sqlite`), path.join(base, `${dbId}.sqlite`)]) {
      if (fs.existsSync(candidate)) return candidate;
    }
    return path.join(base, 'database', dbId, `${dbId}.sqlite`);
  };
  const examples = predictions.map((p, index): EvalExampleInput => {
    const e = byId.get(p.id);
    const dbFile = dbFileOf(e, p.db_id);
    const present = fs.existsSync(dbFile);
    return {
      index,
      id: p.id,
      dbId: p.db_id,
      question: e?.question ?? '',
      evidence: p.evidence ?? e?.evidence ?? null,
      gold: p.gold,
      pred: p.pred,
      group: e?.group ?? null,
      dbFiles: present ? [dbFile] : [],
      unavailable: present ? null : `The database file ${dbFile} is not present`,
    };
  });
  return { bench: 'jsonl', dataDir, examples, datasetFiles: [file], tablesFile: null };
}

export function loadBenchmark(bench: Bench, dataDir: string, predictions: Prediction[]): LoadedBenchmark {
  const dir = path.resolve(dataDir);
  if (bench === 'spider') return loadSpider(dir, predictions);
  if (bench === 'bird') return loadBird(dir, predictions);
  return loadJsonl(dir, predictions);
}

/**
 * The questions of a benchmark's dev split (jsonl: every example) as predictions with an empty `pred`, for runs
 * that generate the SQL with a model. Ids: Spider's position in dev.json (as `eval score` numbers dev_gold.sql),
 * BIRD's question_id, the JSONL id.
 */
export function loadQuestions(bench: Bench, dataDir: string): (Prediction & { question: string })[] {
  const dir = path.resolve(dataDir);
  if (bench === 'spider') {
    const dev = path.join(dir, 'dev.json');
    if (!fs.existsSync(dev)) throw new SquillError('NOT_FOUND', `No Spider dev.json in ${dir}`);
    return (readJson(dev) as { db_id: string; query: string; question: string }[]).map((e, i) => ({
      id: String(i), db_id: e.db_id, gold: e.query, pred: '', question: e.question,
    }));
  }
  if (bench === 'bird') {
    const dev = path.join(dir, 'dev.json');
    if (!fs.existsSync(dev)) throw new SquillError('NOT_FOUND', `No BIRD dev.json in ${dir}`);
    return (readJson(dev) as { question_id: number; db_id: string; question: string; evidence?: string; SQL: string }[]).map((e) => ({
      id: String(e.question_id), db_id: e.db_id, gold: e.SQL, pred: '', evidence: e.evidence?.trim() ? e.evidence : null, question: e.question,
    }));
  }
  const file = fs.existsSync(dir) && fs.statSync(dir).isDirectory() ? path.join(dir, 'examples.jsonl') : dir;
  if (!fs.existsSync(file)) throw new SquillError('NOT_FOUND', `No JSONL benchmark at ${file}`);
  const out: (Prediction & { question: string })[] = [];
  fs.readFileSync(file, 'utf8').split(/\r?\n/).forEach((line, n) => {
    if (!line.trim()) return;
    let json: unknown = null;
    try {
      json = JSON.parse(line);
    } catch {
      // reported below
    }
    const parsed = JsonlExample.safeParse(json);
    if (!parsed.success) throw new SquillError('VALIDATION', `${file} line ${n + 1} is not a valid example {id, question, gold, db_path | db_id}`);
    const e = parsed.data;
    const dbId = e.db_id ?? (e.db_path ? path.basename(e.db_path).replace(/\.[^.]*$/, '') : '');
    if (!dbId) throw new SquillError('VALIDATION', `${file} line ${n + 1} names no database (db_id or db_path)`);
    out.push({ id: e.id, db_id: dbId, gold: e.gold, pred: '', evidence: e.evidence ?? null, question: e.question });
  });
  return out;
}
