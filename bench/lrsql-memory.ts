/**
 * LR-SQL's memory claim, measured (issue 7 item 5): the schema-link task trained two ways on the same model and
 * questions, with the same LoRA config, seed, learning rate and number of steps, each in a fresh engine process:
 * - full: one link sample per question on the whole schema's DDL (the prompt grows with the database);
 * - sliced: LR-SQL's link samples (buildSamples('lrsql') adapter "link": per FK-group slice under a token budget,
 *   None and carried-forward variants).
 * Prints peak RSS of each (trainer.stats().peak_rss after training, before evaluation), their ratio, and the table
 * recall/precision of each adapter on held-out questions of the same databases (greedy; sliced: slice by slice with
 * the tables selected so far carried forward, as the lrsql strategy does, union of the parsed lists).
 * The LR-SQL paper reports ~40% less memory for ~2 points lower table accuracy (7B model, long BIRD schemas).
 * Data: Spider train questions on databases with >= --min-tables tables (../shared/bench/spider), else the demo
 * databases. Run: npm run bench:lrsql-memory [-- --shape tiny|25m] [--steps 30 | --epochs E] [--questions 40] [--eval 20]
 *   [--slice-budget N (default: scaled to the schemas)] [--min-tables 9] [--lr 0.005] [--rank 16]
 * --epochs gives each arm E passes over its own samples instead of the same step count: the sliced arm has ~2.5x
 * the samples (one per slice), most with the answer None, so at equal steps it has seen each question's positive
 * slice far less often than the full arm has seen the question.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ddlOf, linkedBySql, lrsqlLinkPrompt, lrsqlLinkTarget, lrsqlSlices, parseTableList, SLICE_SCAFFOLD_TOKENS } from '../src/core/ai/index.ts';
import { createSandboxPool } from '../src/core/db/index.ts';
import { createModel, SHAPES } from '../src/core/llm/index.ts';
import { benchmarkFolder } from '../src/core/eval/index.ts';
import { buildSamples, chatExample, estimateJob, exampleDbs, type LoraSpec, openTokenizer, sampleTokens, startTrainer, type TrainExample, type TrainSample } from '../src/core/train/index.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SPIDER = path.resolve(ROOT, '../shared/bench/spider');
const arg = (name: string, fallback: string) => (process.argv.includes(`--${name}`) ? process.argv[process.argv.indexOf(`--${name}`) + 1] ?? fallback : fallback);
const shapeName = arg('shape', 'tiny');
const fixedSteps = Number(arg('steps', '30'));
const epochs = process.argv.includes('--epochs') ? Number(arg('epochs', '1')) : null;
const stepsOf = (samples: number) => (epochs ? Math.ceil(epochs * samples) : fixedSteps);
const nTrain = Number(arg('questions', '40'));
const nEval = Number(arg('eval', '20'));
const minTables = Number(arg('min-tables', '9'));
const lr = Number(arg('lr', '0.005'));
const rank = Number(arg('rank', '16'));
const seed = 1;
if (!SHAPES[shapeName]) {
  console.error(`--shape takes ${Object.keys(SHAPES).join(', ')}`);
  process.exit(2);
}

const MiB = 2 ** 20;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'squill-bench-lrsql-'));
const modelFile = path.join(dir, 'model.gguf');
// a 32k vocabulary keeps the output layer small, as the tests' models do
createModel({ arch: 'llama', shape: SHAPES[shapeName]!, vocab: 'phi-3', out: modelFile, seed, name: `bench-${shapeName}` });
const tok = await openTokenizer(modelFile);
const count = async (text: string) => tok.tokenize(text).length;
const pool = createSandboxPool({ size: 1 });

// ---- data: questions on databases with many tables, split by question (same databases in both parts)
interface Raw { db_id: string; question: string; query: string }
let source: 'spider' | 'demo';
let rows: TrainExample[];
const spider = benchmarkFolder('spider', SPIDER);
const spiderTrain = spider.questions('train');
const spiderTables = spider.tables('train');
if (spiderTrain && spiderTables) {
  source = 'spider';
  const tables = JSON.parse(fs.readFileSync(spiderTables, 'utf8')) as { db_id: string; table_names_original: string[] }[];
  const big = new Set(tables.filter((t) => t.table_names_original.length >= minTables).map((t) => t.db_id));
  const raw = JSON.parse(fs.readFileSync(spiderTrain, 'utf8')) as Raw[];
  rows = raw
    .map((r, i) => ({ r, i, db: spider.database('train', r.db_id) }))
    .filter(({ r, db }) => big.has(r.db_id) && !db.unavailable)
    .map(({ r, i, db }) => ({ id: `spider-train-${i}`, question: r.question, sql: r.query, evidence: null, dbId: r.db_id, dbPath: db.file, doubleQuotedStrings: true }));
} else {
  // the demo databases have 3-6 tables: the difference will be small (examples/demo-*.jsonl questions)
  source = 'demo';
  const examples = path.join(ROOT, 'examples');
  rows = ['demo-train.jsonl', 'demo-dev.jsonl'].flatMap((f) =>
    fs.readFileSync(path.join(examples, f), 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as { id: string; question: string; sql: string; db_path: string }),
  ).map((r) => {
    const dbPath = path.resolve(examples, r.db_path);
    // the demo databases are Spider's, run with its string rule as the Spider rows are
    return { id: r.id, question: r.question, sql: r.sql, evidence: null, dbId: path.basename(dbPath, '.sqlite'), dbPath, doubleQuotedStrings: true };
  }).filter((r) => fs.existsSync(r.dbPath));
}
// a seeded shuffle so that train and eval both cover several databases
const rand = (() => {
  let a = seed;
  return () => ((a = (Math.imul(a, 1103515245) + 12345) >>> 0) / 2 ** 32);
})();
const shuffled = rows.map((r) => [rand(), r] as const).sort((x, y) => x[0] - y[0]).map(([, r]) => r);

// Spider's golds use "double-quoted" strings as Python's sqlite3 allows (the rows below are marked so)
const handleOf = exampleDbs(pool);

// slice budget: given, or scaled so that a typical schema here splits into 2-3 slices (Spider's schemas are far
// shorter than the 1100-token budget LR-SQL uses on BIRD, which would leave every schema in one slice)
const candidates = [...new Set(shuffled.map((r) => r.dbId))];
const ddlTokens = new Map<string, number>();
for (const db of candidates) {
  const h = await handleOf(shuffled.find((r) => r.dbId === db)!);
  ddlTokens.set(db, await count(ddlOf(h.schema, h.schema.tables.map((t) => t.name))));
}
const sortedDdl = [...ddlTokens.values()].sort((a, b) => a - b);
const sliceBudget = Number(arg('slice-budget', String(SLICE_SCAFFOLD_TOKENS + Math.ceil(sortedDdl[Math.floor(sortedDdl.length / 2)]! / 2.5))));
// peak memory follows the longest sequence, and a slice holds whole FK groups: most of Spider's large databases are
// one FK group (one slice, no difference), so keep the 4 whose largest slice is the smallest part of the schema
const ratio = new Map<string, number>();
const largestSlice = new Map<string, number>();
for (const db of candidates) {
  const h = await handleOf(shuffled.find((r) => r.dbId === db)!);
  const slices = await lrsqlSlices(h.schema, count, sliceBudget);
  let largest = 0;
  for (const slice of slices) largest = Math.max(largest, await count(ddlOf(h.schema, slice)));
  largestSlice.set(db, largest);
  if ((slices.length > 1 && largest <= 0.85 * ddlTokens.get(db)!) || source === 'demo') ratio.set(db, largest / ddlTokens.get(db)!);
}
const dbs = [...ratio.keys()].sort((a, b) => ratio.get(a)! - ratio.get(b)!).slice(0, 4);
if (!dbs.length) {
  console.error(`No database splits into several slices at budget ${sliceBudget}; try --slice-budget or --min-tables`);
  process.exit(1);
}
const picked = shuffled.filter((r) => dbs.includes(r.dbId));
const train = picked.slice(0, nTrain);
const held = picked.slice(nTrain, nTrain + nEval);

// ---- samples of each arm
const fullSamples: TrainSample[] = [];
for (const e of train) {
  const h = await handleOf(e);
  const gold = linkedBySql(e.sql, h.schema).tables;
  fullSamples.push({
    task: 'link_full',
    messages: lrsqlLinkPrompt(ddlOf(h.schema, h.schema.tables.map((t) => t.name)), e.question, e.evidence, []),
    target: lrsqlLinkTarget(gold),
    exampleId: e.id,
    adapter: 'link',
  });
}
const slicedSamples = (await buildSamples('lrsql', train, handleOf, { count, schemaBudget: 100000, sliceBudget, seed })).filter((s) => s.adapter === 'link');

const LORA: LoraSpec = { rank, alpha: 2 * rank, targets: ['q', 'k', 'v', 'o', 'gate', 'up', 'down'], seed };
const MAX_NEW = 48;

interface ArmResult {
  name: string;
  samples: number;
  steps: number;
  maxSeq: number;
  meanSeq: number;
  peakMiB: number;
  loadMiB: number;
  estimateMiB: number;
  secondsPerStep: number;
  firstLoss: number;
  lastLoss: number;
  recall: number;
  precision: number;
  exact: number;
}

async function runArm(name: 'full' | 'sliced', samples: TrainSample[]): Promise<ArmResult> {
  const seqs = samples.map((s) => sampleTokens(tok, s));
  const maxSeq = Math.max(...seqs.map((s) => s.tokens.length));
  // the eval prompts must fit the same context as training's longest sequence plus the answer
  const ctx = maxSeq + MAX_NEW;
  // seeded order, longest sequence first: the peak is then that of the longest sequence the job holds (what a
  // machine must provide), whatever the number of steps
  const order = seqs.map((_, i) => i).sort((a, b) => ((a * 2654435761) % 1000) - ((b * 2654435761) % 1000));
  const longest = seqs.findIndex((s) => s.tokens.length === maxSeq);
  order.splice(order.indexOf(longest), 1);
  order.unshift(longest);
  const steps = stepsOf(seqs.length);
  const trainer = await startTrainer();
  try {
    await trainer.load({ model: modelFile, ctx, seed, lora: LORA });
    const loaded = await trainer.stats();
    const losses: number[] = [];
    const started = performance.now();
    for (let i = 0; i < steps; i++) {
      const s = seqs[order[i % order.length]!]!;
      const r = await trainer.step({ batch: [s], lr, clip: 1 });
      losses.push(r.loss / Math.max(1, r.tokens));
    }
    const secondsPerStep = (performance.now() - started) / 1000 / steps;
    const stats = await trainer.stats(); // before evaluation: generation's buffers are not training's
    const estimate = estimateJob({ modelPath: modelFile, rank, targets: LORA.targets, seqLen: ctx, batch: 1 });

    // held-out table recall/precision
    let hits = 0, goldN = 0, predN = 0, exact = 0;
    for (const e of held) {
      const h = await handleOf(e);
      const all = h.schema.tables.map((t) => t.name);
      const gold = linkedBySql(e.sql, h.schema).tables;
      const gen = async (ddl: string, selected: string[], allowed: string[]) => {
        const prompt = tok.promptTokens(chatExample({ task: 'link', messages: lrsqlLinkPrompt(ddl, e.question, e.evidence, selected), target: '', exampleId: e.id, adapter: 'link' }));
        const [samplesOut] = await trainer.generate({ prompts: [prompt.slice(-(ctx - MAX_NEW))], n: 1, temperature: 0, max_tokens: MAX_NEW, stop: [tok.endToken], seed });
        return parseTableList(tok.detokenize(samplesOut?.[0]?.tokens ?? []), allowed);
      };
      let pred: string[];
      if (name === 'full') pred = await gen(ddlOf(h.schema, all), [], all);
      else {
        pred = [];
        for (const slice of await lrsqlSlices(h.schema, count, sliceBudget)) {
          for (const t of await gen(ddlOf(h.schema, slice), [...pred], slice)) if (!pred.includes(t)) pred.push(t);
        }
      }
      const hit = pred.filter((t) => gold.includes(t)).length;
      hits += hit;
      goldN += gold.length;
      predN += pred.length;
      if (hit === gold.length && pred.length === gold.length) exact++;
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
    return {
      name,
      samples: samples.length,
      steps,
      maxSeq,
      meanSeq: mean(seqs.map((s) => s.tokens.length)),
      peakMiB: stats.peak_rss / MiB,
      loadMiB: loaded.rss / MiB,
      estimateMiB: estimate.totalBytes / MiB,
      secondsPerStep,
      firstLoss: mean(losses.slice(0, 3)),
      lastLoss: mean(losses.slice(-3)),
      recall: goldN ? hits / goldN : 0,
      precision: predN ? hits / predN : 0,
      exact: held.length ? exact / held.length : 0,
    };
  } finally {
    await trainer.shutdown();
  }
}

console.log(`LR-SQL schema-link training, full schema vs slices: ${shapeName} model (phi-3 vocab), LoRA r${rank} on all linear layers, ${epochs ? `${epochs} epochs` : `${fixedSteps} steps`} of 1 sequence per step, lr ${lr}`);
console.log(`data: ${source}, ${dbs.length} databases with >= ${minTables} tables, slice budget ${sliceBudget} tokens: ${dbs.map((d) => `${d} (DDL ${ddlTokens.get(d)}, largest slice ${largestSlice.get(d)})`).join(', ')}`);
console.log(`${train.length} training questions, ${held.length} held-out questions; node ${process.version}, ${os.availableParallelism()} cores`);
const results: ArmResult[] = [];
for (const [name, samples] of [['full', fullSamples], ['sliced', slicedSamples]] as const) results.push(await runArm(name, samples));

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
console.log('');
console.log('arm     samples  steps  max seq  mean seq  peak RSS MiB  (loaded  estimate)  s/step  loss first->last  table recall  precision  exact');
for (const r of results) {
  console.log(
    `${r.name.padEnd(7)} ${String(r.samples).padStart(7)} ${String(r.steps).padStart(6)} ${String(r.maxSeq).padStart(8)} ${r.meanSeq.toFixed(0).padStart(9)} ${r.peakMiB.toFixed(1).padStart(13)}  (${r.loadMiB.toFixed(1).padStart(6)} ${r.estimateMiB.toFixed(1).padStart(9)}) ${r.secondsPerStep.toFixed(2).padStart(7)}  ${r.firstLoss.toFixed(2).padStart(7)} -> ${r.lastLoss.toFixed(2).padEnd(6)} ${pct(r.recall).padStart(12)} ${pct(r.precision).padStart(10)} ${pct(r.exact).padStart(6)}`,
  );
}
const [full, sliced] = results as [ArmResult, ArmResult];
console.log('');
console.log(`peak RSS sliced/full: ${(sliced.peakMiB / full.peakMiB).toFixed(3)} (${pct(1 - sliced.peakMiB / full.peakMiB)} less); above the loaded model: ${((sliced.peakMiB - sliced.loadMiB) / (full.peakMiB - full.loadMiB)).toFixed(3)}`);
console.log(`table recall sliced - full: ${((sliced.recall - full.recall) * 100).toFixed(1)} points; precision: ${((sliced.precision - full.precision) * 100).toFixed(1)} points`);
console.log('paper (LR-SQL, 7B on BIRD): ~40% less memory for ~2 points lower table accuracy');

await tok.dispose();
await pool.close();
fs.rmSync(dir, { recursive: true, force: true });
