/**
 * Where an ask's time goes, per strategy (direct, route, lrsql, vote): a random-weight model with the real Qwen2
 * vocabulary (151,936 tokens) in the Qwen2.5-0.5B shape, node-llama-cpp inference, the SQL sandbox, the demo
 * databases. Per strategy: total latency, model time (the trace steps' modelMs: prompt evaluation and decoding,
 * grammar evaluation included), and the rest split into token counting, prompt rendering + tokenizing + grammar
 * loading before each model call, sample-row reads, SQL execution, voting and other (prompt text, parsing, trace).
 * Goal: the non-model part stays at or under 5% of the total. Also generation tokens/s (tokens out / model time),
 * with and without the schema grammar when --grammar both.
 * Run: npm run bench:strategies [-- --shape tiny|25m|qwen2.5-0.5b] [-- --type f32|f16|bf16|q8_0|q4_0]
 *   [-- --grammar schema|none|both] [-- --max-tokens 64] [-- --samples 4] [-- --questions N (per database)]
 *   [-- --strategies direct,route,lrsql,vote] [-- --gpu-layers auto|N] [-- --ctx 4096]
 * The model is written once to $TMPDIR/squill-bench-cache and reused. SQUILL_THREADS caps inference threads.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { STRATEGIES, type GRAMMARS, type StrategyName, type Trace } from '../src/shared/contract/index.ts';
import { fileDbHandle, runStrategy, type DbHandle } from '../src/core/ai/index.ts';
import { createSandboxPool } from '../src/core/db/index.ts';
import { createModel, getLlama, inferenceThreads, openModelSpec, SHAPES, type TextModel, WEIGHT_TYPES, type WeightType } from '../src/core/llm/index.ts';

type Grammar = (typeof GRAMMARS)[number];

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? '') : fallback;
};
const fail = (message: string): never => {
  console.error(message);
  process.exit(2);
};
const int = (name: string, fallback: number): number => {
  const n = Number(arg(name, String(fallback)));
  return Number.isInteger(n) && n > 0 ? n : fail(`--${name} takes a positive whole number`);
};

const shapeName = arg('shape', 'qwen2.5-0.5b');
const shape = SHAPES[shapeName] ?? fail(`--shape takes ${Object.keys(SHAPES).join(', ')}, not ${shapeName}`);
const type = arg('type', 'q8_0') as WeightType;
if (!WEIGHT_TYPES.includes(type)) fail(`--type takes ${WEIGHT_TYPES.join(', ')}, not ${type}`);
const grammarArg = arg('grammar', 'schema');
const grammars: Grammar[] = grammarArg === 'both' ? ['schema', 'none'] : grammarArg === 'schema' || grammarArg === 'none' ? [grammarArg] : fail('--grammar takes schema, none or both');
const maxTokens = int('max-tokens', 64);
const samples = int('samples', 4);
const perDb = int('questions', 3);
const contextSize = int('ctx', 4096);
const strategies = arg('strategies', STRATEGIES.join(',')).split(',') as StrategyName[];
for (const s of strategies) if (!STRATEGIES.includes(s)) fail(`--strategies takes a comma list of ${STRATEGIES.join(', ')}, not ${s}`);
const gpuArg = arg('gpu-layers', 'auto');
const gpuLayers = gpuArg === 'auto' ? 'auto' : Number.isInteger(Number(gpuArg)) && Number(gpuArg) >= 0 ? Number(gpuArg) : fail('--gpu-layers takes auto or a whole number');

const DEMO = path.resolve(import.meta.dirname, '../resources/demo');
const QUESTIONS: Record<string, string[]> = {
  concert_singer: [
    'How many singers do we have?',
    'What are the names of the stadiums that hosted concerts in 2014?',
    'Show the name and country of all singers older than 40, ordered by age.',
    'Which singer performed in the most concerts?',
  ],
  world_1: [
    'What is the total population of the countries in Asia?',
    'Which languages are spoken in France?',
    'List the cities of Japan with more than a million inhabitants.',
    'Which country has the highest life expectancy?',
  ],
};

// the model: made once, reused by later runs
const cacheDir = path.join(os.tmpdir(), 'squill-bench-cache');
fs.mkdirSync(cacheDir, { recursive: true });
const arch = shape.arch ?? 'qwen2';
const modelFile = path.join(cacheDir, `strategies-${arch}-${shapeName}-${type}-seed1.gguf`);
if (!fs.existsSync(modelFile)) {
  const t0 = performance.now();
  const tmp = `${modelFile}.${process.pid}.tmp`;
  const made = createModel({ arch, shape, vocab: 'qwen2', out: tmp, seed: 1, type, cacheDir });
  fs.renameSync(tmp, modelFile);
  console.log(`made ${path.basename(modelFile)} (${(made.params / 1e6).toFixed(0)}M parameters) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

const llama = await getLlama();
const opened = await openModelSpec({ model: modelFile, contextSize, gpuLayers });
const pool = createSandboxPool({ size: 1 });
await pool.warm();

/** Time that never reaches the trace: token counting, and the work a model call does before its clock starts. */
const clock = { countMs: 0, prepMs: 0, sqlMs: 0, sampleRowsMs: 0 };
function timedModel(m: TextModel): TextModel {
  return {
    get name() {
      return m.name;
    },
    sha256: m.sha256,
    contextSize: m.contextSize,
    supportsGrammar: m.supportsGrammar,
    async countTokens(text) {
      const t0 = performance.now();
      try {
        return await m.countTokens(text);
      } finally {
        clock.countMs += performance.now() - t0;
      }
    },
    render: (messages) => m.render(messages),
    async generate(o) {
      const t0 = performance.now();
      const gen = await m.generate(o);
      clock.prepMs += performance.now() - t0 - gen.ms;
      return gen;
    },
    dispose: () => m.dispose(),
  };
}
const SAMPLE_ROWS_SQL = /^SELECT \* FROM ("[^"]*"|\S+) LIMIT \d+$/;
function timedDb(db: DbHandle): DbHandle {
  return {
    ...db,
    async execute(sql, limits) {
      const t0 = performance.now();
      try {
        return await db.execute(sql, limits);
      } finally {
        const ms = performance.now() - t0;
        if (SAMPLE_ROWS_SQL.test(sql) && limits?.timeoutMs === 2000) clock.sampleRowsMs += ms;
        else clock.sqlMs += ms;
      }
    },
  };
}
const model = timedModel(opened.textModel);
const dbs: { name: string; handle: DbHandle; questions: string[] }[] = [];
for (const [name, questions] of Object.entries(QUESTIONS)) {
  dbs.push({ name, handle: timedDb(await fileDbHandle(pool, path.join(DEMO, `${name}.sqlite`), name)), questions: questions.slice(0, perDb) });
}

const ask = (strategy: StrategyName, grammar: Grammar, db: DbHandle, question: string): Promise<Trace> =>
  runStrategy({
    question,
    evidence: null,
    db,
    strategy,
    grammar,
    settings: { sampling: { maxTokens }, vote: { samples } },
    model,
    modelInfo: { id: null, name: path.basename(modelFile), sha256: null },
    adapterInfo: null,
  });

interface Row {
  asks: number;
  failed: number;
  wallMs: number;
  totalMs: number;
  modelMs: number;
  tokensIn: number;
  tokensOut: number;
  modelCalls: number;
  countMs: number;
  prepMs: number;
  sampleRowsMs: number;
  sqlMs: number;
  voteMs: number;
}

const threads = inferenceThreads();
console.log(
  `strategies on ${shapeName} (${arch}, ${type}, Qwen2 vocab), ${opened.textModel.contextSize} context, max ${maxTokens} tokens, vote ${samples} samples; ` +
    `device ${llama.gpu ? `${llama.gpu} GPU, gpu-layers ${gpuLayers}` : 'CPU'}; threads ${threads ?? `${llama.cpuMathCores} (all math cores)`}; ` +
    `${dbs.map((d) => `${d.name} x${d.questions.length}`).join(', ')}; node ${process.version}, ${os.availableParallelism()} cores`,
);
// warm-up, not counted: pages the weights in and compiles the demo databases' grammars once, as a running app has
for (const d of dbs) for (const g of grammars) await ask('direct', g, d.handle, d.questions[0]!);

const results: { grammar: Grammar; strategy: StrategyName; row: Row }[] = [];
for (const grammar of grammars) {
  for (const strategy of strategies) {
    const row: Row = { asks: 0, failed: 0, wallMs: 0, totalMs: 0, modelMs: 0, tokensIn: 0, tokensOut: 0, modelCalls: 0, countMs: 0, prepMs: 0, sampleRowsMs: 0, sqlMs: 0, voteMs: 0 };
    for (const d of dbs) {
      for (const question of d.questions) {
        Object.assign(clock, { countMs: 0, prepMs: 0, sqlMs: 0, sampleRowsMs: 0 });
        const t0 = performance.now();
        const trace = await ask(strategy, grammar, d.handle, question);
        row.wallMs += performance.now() - t0;
        row.asks++;
        if (trace.status !== 'done') {
          row.failed++;
          console.log(`  ${strategy}/${grammar} on ${d.name} failed: ${trace.error}`);
        }
        row.totalMs += trace.totalMs;
        row.modelMs += trace.modelMs;
        for (const s of trace.steps) {
          row.tokensIn += s.tokensIn;
          row.tokensOut += s.tokensOut;
          if (s.kind === 'vote') row.voteMs += s.ms;
        }
        row.modelCalls += trace.steps.reduce((n, s) => n + (s.kind === 'sample' ? samples : s.modelMs > 0 ? 1 : 0), 0);
        row.countMs += clock.countMs;
        row.prepMs += clock.prepMs;
        row.sampleRowsMs += clock.sampleRowsMs;
        row.sqlMs += clock.sqlMs;
      }
    }
    results.push({ grammar, strategy, row });
    console.log(`  done ${strategy} / grammar ${grammar}: ${row.asks} asks in ${(row.wallMs / 1000).toFixed(1)} s`);
  }
}

const f0 = (x: number, w: number) => x.toFixed(0).padStart(w);
const f1 = (x: number, w: number) => x.toFixed(1).padStart(w);
console.log('\nper ask, mean ms (other = prompt text, parsing, trace; prep = render + tokenize + grammar load before each model call)');
console.log('strategy grammar  calls   total    model  tok in  tok out   tok/s   count    prep  samples     sql    vote   other  non-model   goal <=5%');
for (const { grammar, strategy, row } of results) {
  const n = row.asks;
  const nonModel = row.totalMs - row.modelMs;
  const other = nonModel - row.countMs - row.prepMs - row.sampleRowsMs - row.sqlMs - row.voteMs;
  const pct = (100 * nonModel) / row.totalMs;
  console.log(
    `${strategy.padEnd(8)} ${grammar.padEnd(7)} ${f1(row.modelCalls / n, 6)} ${f0(row.totalMs / n, 7)} ${f0(row.modelMs / n, 8)} ${f0(row.tokensIn / n, 7)} ${f1(row.tokensOut / n, 8)} ` +
      `${f1((row.tokensOut * 1000) / row.modelMs, 7)} ${f1(row.countMs / n, 7)} ${f1(row.prepMs / n, 7)} ${f1(row.sampleRowsMs / n, 8)} ${f1(row.sqlMs / n, 7)} ` +
      `${f1(row.voteMs / n, 7)} ${f1(other / n, 7)} ${f1(pct, 9)}%   ${pct <= 5 ? 'met' : 'NOT met'}${row.failed ? `  (${row.failed} failed)` : ''}`,
  );
}
if (grammars.length > 1) {
  console.log('\ngeneration tokens/s (tokens out / model time, all strategies)');
  for (const g of grammars) {
    const rows = results.filter((r) => r.grammar === g).map((r) => r.row);
    const out = rows.reduce((s, r) => s + r.tokensOut, 0);
    const ms = rows.reduce((s, r) => s + r.modelMs, 0);
    console.log(`  grammar ${g.padEnd(7)} ${((out * 1000) / ms).toFixed(1)} tok/s (${out} tokens in ${(ms / 1000).toFixed(1)} s)`);
  }
}

await opened.close();
await pool.close();
