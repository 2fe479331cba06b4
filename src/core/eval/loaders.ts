/**
 * Reading a benchmark for a run: its questions and gold SQL matched to a predictions file (JSON lines {id, db_id,
 * gold, pred, evidence?}), each with the database files to run on. Spider, BIRD and a generic JSONL format; where
 * their files and databases are is benchmarks.ts's to say.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { SquillError } from '../../shared/errors.ts';
import { benchmarkFolder, jsonlDatabase, jsonlDefaultDatabase, type Bench } from './benchmarks.ts';
import { hardnessOfSpiderSql, type SpiderSql } from './hardness.ts';


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

const keyOf = (dbId: string, sql: string) => `${dbId}\u0000${sql.trim()}`;

function loadSpider(dataDir: string, predictions: Prediction[]): LoadedBenchmark {
  const folder = benchmarkFolder('spider', dataDir);
  requireDir(folder.databasesDir('dev'), 'Spider database');
  const questionFiles = [folder.questions('dev'), folder.questions('train')].filter((f): f is string => f !== null);
  const tables = folder.tables('dev');
  const datasetFiles = tables ? [...questionFiles, tables] : questionFiles;
  // question and parsed gold (for hardness) by (db_id, gold query)
  const known = new Map<string, { question: string; sql?: SpiderSql }>();
  for (const file of questionFiles) {
    for (const e of readJson(file) as { db_id: string; query: string; question: string; sql?: SpiderSql }[]) {
      if (!known.has(keyOf(e.db_id, e.query))) known.set(keyOf(e.db_id, e.query), { question: e.question, sql: e.sql });
    }
  }
  const examples = predictions.map((p, index): EvalExampleInput => {
    const entry = known.get(keyOf(p.db_id, p.gold));
    // Spider's execution metric runs on the database and its test-suite variants
    const db = folder.database('dev', p.db_id, { variants: true });
    return {
      index,
      id: p.id,
      dbId: p.db_id,
      question: entry?.question ?? '',
      evidence: p.evidence ?? null,
      gold: p.gold,
      pred: p.pred,
      group: entry?.sql ? hardnessOfSpiderSql(entry.sql) : null,
      dbFiles: db.files,
      unavailable: db.unavailable,
    };
  });
  return { bench: 'spider', dataDir, examples, datasetFiles, tablesFile: tables };
}

function loadBird(dataDir: string, predictions: Prediction[]): LoadedBenchmark {
  const folder = benchmarkFolder('bird', dataDir);
  const devFile = folder.questions('dev');
  if (!devFile) throw new SquillError('NOT_FOUND', `No BIRD dev.json in ${dataDir}`);
  const dev = readJson(devFile) as { question_id: number; db_id: string; question: string; evidence: string; SQL: string; difficulty?: string }[];
  const byId = new Map(dev.map((e) => [String(e.question_id), e]));
  const byGold = new Map(dev.map((e) => [keyOf(e.db_id, e.SQL), e]));
  const examples = predictions.map((p, index): EvalExampleInput => {
    const entry = byId.get(p.id) ?? byGold.get(keyOf(p.db_id, p.gold));
    const db = folder.database('dev', p.db_id);
    return {
      index,
      id: p.id,
      dbId: p.db_id,
      question: entry?.question ?? '',
      evidence: p.evidence ?? entry?.evidence ?? null,
      gold: p.gold,
      pred: p.pred,
      group: entry?.difficulty ?? null,
      dbFiles: db.files,
      unavailable: db.unavailable,
    };
  });
  const tables = folder.tables('dev');
  const datasetFiles = [devFile, tables, folder.hashList()].filter((f): f is string => f !== null);
  return { bench: 'bird', dataDir, examples, datasetFiles, tablesFile: tables };
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
  const dbFileOf = (e: z.output<typeof JsonlExample> | undefined, dbId: string) =>
    e?.db_path ? path.resolve(base, e.db_path) : (jsonlDatabase(base, dbId) ?? jsonlDefaultDatabase(base, dbId));
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
    const dev = benchmarkFolder('spider', dir).questions('dev');
    if (!dev) throw new SquillError('NOT_FOUND', `No Spider dev.json in ${dir}`);
    return (readJson(dev) as { db_id: string; query: string; question: string }[]).map((e, i) => ({
      id: String(i), db_id: e.db_id, gold: e.query, pred: '', question: e.question,
    }));
  }
  if (bench === 'bird') {
    const dev = benchmarkFolder('bird', dir).questions('dev');
    if (!dev) throw new SquillError('NOT_FOUND', `No BIRD dev.json in ${dir}`);
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
