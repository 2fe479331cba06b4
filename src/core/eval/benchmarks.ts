/**
 * Benchmark folders on disk: the one place that knows the Spider and BIRD layouts, for evaluation and training
 * alike (eval's loaders, the benchmarks found on this machine, training datasets, bench/). The rules:
 *
 * Spider (a folder such as ../shared/bench/spider)
 * - questions: dev split `dev.json`; train split `train_spider.json`, else `train.json`. Arrays of
 *   {db_id, question, query}.
 * - schema: `tables.json`, for the databases of both splits.
 * - databases: `database/<db_id>/<db_id>.sqlite`, both splits. That file IS the database: a folder without it is an
 *   unavailable database (the shared copy's wta_1 holds only wta_1.sql). Evaluation runs Spider's execution metric
 *   on the database and on every other file of the folder whose name ends in `.sqlite` (test-suite-sql-eval's
 *   distilled variants), the database first. test-suite matches ".sqlite" anywhere in the name; SQLite's side files
 *   (`-journal`, `-wal`, `-shm`) and backups (`.sqlite.bak`) are not databases, so they are not run.
 * - a folder is a Spider benchmark (found by `findBenchmarks`) when it holds `tables.json` and `database/`.
 *
 * BIRD (../shared/bench/bird)
 * - questions: dev split `dev.json`; train split `train.json`. Arrays of {question_id, db_id, question, evidence,
 *   SQL, difficulty?}.
 * - schema: `dev_tables.json` / `train_tables.json`.
 * - databases: each split has its own folder, `dev_databases/<db_id>/<db_id>.sqlite` and
 *   `train_databases/<db_id>/<db_id>.sqlite`; a split never reads the other's.
 * - `dev_databases_expected_sha256_size.txt` ("<db_id> sha256:<hex> <size>" lines): a dev database whose file does
 *   not hash to its line is unavailable — it is a different copy, and scores or training on it would not be BIRD's.
 * - "BIRD without databases": the question file is there, but not one `<split>_databases/<db>/<db>.sqlite` (the
 *   databases, 1.49 GB, are a separate download; the shared copy holds only their description CSVs). Evaluation
 *   then reports every example's execution metrics as unavailable while schema linking scores from
 *   `dev_tables.json`; training rejects every row, by line, naming the missing file.
 * - a folder is a BIRD benchmark when it holds `dev.json`.
 *
 * Both: a path may name the folder or a question file in it; a file's split is in its name (`dev*.json` is dev).
 *
 * JSONL (eval's examples.jsonl and training's JSONL files): a `db_path` is relative to the file; a `db_id` names
 * `database/<db_id>/<db_id>.sqlite` or `<db_id>.sqlite` beside the file (`jsonlDatabase`).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { BENCHES, Output, TrainDatasetSpec } from '../../shared/contract/index.ts';
import { SquillError } from '../../shared/errors.ts';
import { sha256File } from './hash.ts';

export type Bench = (typeof BENCHES)[number];
/** the benchmarks with a folder layout */
export type BenchFolderKind = Exclude<Bench, 'jsonl'>;
export type Split = NonNullable<TrainDatasetSpec['split']>;

const LAYOUT: Record<BenchFolderKind, { label: string; questions: Record<Split, string[]>; tables: Record<Split, string>; databases: Record<Split, string> }> = {
  spider: {
    label: 'Spider',
    questions: { dev: ['dev.json'], train: ['train_spider.json', 'train.json'] },
    tables: { dev: 'tables.json', train: 'tables.json' },
    databases: { dev: 'database', train: 'database' },
  },
  bird: {
    label: 'BIRD',
    questions: { dev: ['dev.json'], train: ['train.json'] },
    tables: { dev: 'dev_tables.json', train: 'train_tables.json' },
    databases: { dev: 'dev_databases', train: 'train_databases' },
  },
};

export const BIRD_EXPECTED_HASHES = 'dev_databases_expected_sha256_size.txt';

const isDir = (p: string) => fs.existsSync(p) && fs.statSync(p).isDirectory();

/** The split a question file holds, from its name. */
export const splitOfFile = (file: string): Split => (path.basename(file).startsWith('dev') ? 'dev' : 'train');

/** A database of a benchmark split: its files (the database first) when available, else why not. */
export interface BenchDatabase {
  /** where the database file is (or would be) */
  file: string;
  /** what to execute on: empty when unavailable; Spider adds its test-suite variants after the database */
  files: string[];
  unavailable: string | null;
}

export interface BenchmarkFolder {
  bench: BenchFolderKind;
  dir: string;
  /** the split's question file, when present (Spider train: train_spider.json, else train.json) */
  questions(split: Split): string | null;
  /** the split's schema file (tables.json, BIRD's <split>_tables.json), when present */
  tables(split: Split): string | null;
  databasesDir(split: Split): string;
  /** the database `dbId` of a split; `variants` adds Spider's test-suite variants (evaluation's rule) */
  database(split: Split, dbId: string, o?: { variants?: boolean }): BenchDatabase;
  /** the expected-hash list read, when the folder has one (BIRD dev) */
  hashList(): string | null;
}

/** The layout of a Spider or BIRD folder; verdicts on database hashes are kept for the folder object's life. */
export function benchmarkFolder(bench: BenchFolderKind, dataDir: string): BenchmarkFolder {
  const dir = path.resolve(dataDir);
  const layout = LAYOUT[bench];
  const at = (name: string) => path.join(dir, name);
  let expected: Map<string, string> | undefined;
  const expectedHashes = () => {
    if (!expected) {
      expected = new Map();
      const file = at(BIRD_EXPECTED_HASHES);
      if (bench === 'bird' && fs.existsSync(file)) {
        for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
          const m = /^(\S+)\s+sha256:([0-9a-f]{64})/.exec(line.trim());
          if (m) expected.set(m[1]!, m[2]!);
        }
      }
    }
    return expected;
  };
  const verdicts = new Map<string, string | null>();
  return {
    bench,
    dir,
    questions: (split) => layout.questions[split].map(at).find((f) => fs.existsSync(f)) ?? null,
    tables: (split) => (fs.existsSync(at(layout.tables[split])) ? at(layout.tables[split]) : null),
    databasesDir: (split) => at(layout.databases[split]),
    hashList: () => (bench === 'bird' && fs.existsSync(at(BIRD_EXPECTED_HASHES)) ? at(BIRD_EXPECTED_HASHES) : null),
    database(split, dbId, o = {}) {
      const folder = path.join(at(layout.databases[split]), dbId);
      const file = path.join(folder, `${dbId}.sqlite`);
      if (!dbId || !fs.existsSync(file)) {
        const unavailable =
          bench === 'spider'
            ? `The database ${dbId} is not in ${at(layout.databases[split])}`
            : `The BIRD database ${dbId} is not present (${file}); BIRD ships without its databases`;
        return { file, files: [], unavailable };
      }
      if (bench === 'bird' && split === 'dev') {
        if (!verdicts.has(dbId)) {
          const want = expectedHashes().get(dbId);
          verdicts.set(dbId, want && sha256File(file) !== want ? `${file} does not match the expected sha256 ${want.slice(0, 12)}…` : null);
        }
        const why = verdicts.get(dbId)!;
        if (why) return { file, files: [], unavailable: why };
      }
      const variants =
        bench === 'spider' && o.variants
          ? fs.readdirSync(folder).filter((f) => f.endsWith('.sqlite') && f !== `${dbId}.sqlite`).sort().map((f) => path.join(folder, f))
          : [];
      return { file, files: [file, ...variants], unavailable: null };
    },
  };
}

/**
 * The folder and question file that `p` names (the folder, or a question file inside it) and the split that file
 * holds; in a folder the split's file is looked for (train by default).
 */
export function benchmarkFile(bench: BenchFolderKind, p: string, split: Split = 'train'): { folder: BenchmarkFolder; file: string; split: Split } {
  const abs = path.resolve(p);
  if (!fs.existsSync(abs)) throw new SquillError('NOT_FOUND', `No dataset at ${abs}`);
  if (fs.statSync(abs).isFile()) return { folder: benchmarkFolder(bench, path.dirname(abs)), file: abs, split: splitOfFile(abs) };
  const folder = benchmarkFolder(bench, abs);
  const file = folder.questions(split);
  if (!file) throw new SquillError('NOT_FOUND', `No ${LAYOUT[bench].questions[split].join(' or ')} in ${abs}`);
  return { folder, file, split };
}

/** The question files a path's data comes from (a folder: every split's present file), to notice when they change. */
export function questionFiles(p: string): string[] {
  const abs = path.resolve(p);
  if (!isDir(abs)) return [abs];
  const names = new Set(Object.values(LAYOUT).flatMap((l) => [...l.questions.train, ...l.questions.dev]));
  return [...names].map((f) => path.join(abs, f)).filter((f) => fs.existsSync(f));
}

/** JSONL: the database file a db_id names beside the file, when one exists. */
export function jsonlDatabase(base: string, dbId: string): string | null {
  return [path.join(base, 'database', dbId, `${dbId}.sqlite`), path.join(base, `${dbId}.sqlite`)].find((f) => fs.existsSync(f)) ?? null;
}
/** JSONL: where a db_id's database is looked for first (for messages when it is nowhere). */
export const jsonlDefaultDatabase = (base: string, dbId: string) => path.join(base, 'database', dbId, `${dbId}.sqlite`);

/**
 * A benchmark folder found on this machine (eval.benchmarks): its dev questions, the databases present (folders
 * holding their <db>.sqlite; BIRD's are not hashed here), and a note when something a run needs is missing.
 */
export type FoundBenchmark = Output<'eval.benchmarks'>[number];

const countJson = (file: string | null) => (file ? (JSON.parse(fs.readFileSync(file, 'utf8')) as unknown[]).length : 0);

/** The Spider and BIRD folders under each of `dirs` (as <dir>/spider and <dir>/bird), with what is present. */
export function findBenchmarks(dirs: string[]): FoundBenchmark[] {
  const found: FoundBenchmark[] = [];
  for (const dir of dirs) {
    const spider = benchmarkFolder('spider', path.join(dir, 'spider'));
    if (spider.tables('dev') && isDir(spider.databasesDir('dev'))) {
      found.push({ bench: 'spider', path: spider.dir, examples: countJson(spider.questions('dev')), databases: presentDatabases(spider, 'dev'), note: null });
    }
    const bird = benchmarkFolder('bird', path.join(dir, 'bird'));
    const dev = bird.questions('dev');
    if (dev) {
      // presence only: hashing 1.5 GB to list a folder would stall the page; a run checks each database it uses
      const dbs = presentDatabases(bird, 'dev');
      found.push({
        bench: 'bird',
        path: bird.dir,
        examples: countJson(dev),
        databases: dbs,
        note: dbs ? null : 'No BIRD databases: execution metrics will report every example as unavailable; schema linking works',
      });
    }
  }
  return found;
}

/** Database folders of a split that hold their <db>.sqlite. */
function presentDatabases(folder: BenchmarkFolder, split: Split): number {
  const root = folder.databasesDir(split);
  if (!isDir(root)) return 0;
  return fs.readdirSync(root).filter((d) => fs.existsSync(path.join(root, d, `${d}.sqlite`))).length;
}
