/**
 * Rollout throughput: n samples x 128 tokens from one prompt (GRPO's group, a vote's samples) with squill-trainer's
 * batched `generate`, against llama.cpp's own batched decoding (llama-batched-bench, built from the same patched tree
 * by `npm run build:trainer -- --tools`) on the same model, the same LoRA adapter, the same batch (-npp PROMPT -ntg 128
 * -npl 16 -pps: the prompt decoded once and shared, unified KV cache) and the same threads, in the same run.
 * llama-batched-bench decodes random tokens and samples nothing; generate also samples every token on the CPU (T = 1,
 * whole vocabulary, per-token log-probs), so the ratio includes that work. Both tok/s count generated tokens over
 * the wall time including the prompt's decode.
 * Run: npm run bench:rollouts [-- --quick] [-- --threads 2] [-- --prompt 32] [-- --n 16] [-- --batched-bench PATH]
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createModel, type ModelShape, SHAPES } from '../src/core/llm/index.ts';
import { startTrainer, trainerBinary } from '../src/core/train/index.ts';
import { LORA } from './trainer-common.ts';

const arg = (name: string, fallback: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] ?? fallback : fallback);
const quick = process.argv.includes('--quick');
const threads = Number(arg('--threads', '2'));
const promptLength = Number(arg('--prompt', '32'));
const n = Number(arg('--n', '16'));
const generated = 128;
const runs = quick ? 2 : 3;
const batchedBench = arg('--batched-bench', path.join(path.dirname(trainerBinary()), 'bin', 'llama-batched-bench'));
const haveBatchedBench = fs.existsSync(batchedBench);
if (!haveBatchedBench) console.warn(`llama-batched-bench not found at ${batchedBench}; build it with npm run build:trainer -- --tools (or pass --batched-bench PATH)`);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'squill-bench-rollouts-'));
const models: { name: string; shape: ModelShape }[] = [
  { name: 'tiny (2x128)', shape: SHAPES.tiny! },
  ...(quick ? [] : [{ name: '~25M (8x512)', shape: SHAPES['25m']! }]),
];

/** llama-batched-bench's generated tokens per second over prompt + generation, and its generation-only rate */
function llamaBatched(model: string, adapter: string): { tokS: number; tgTokS: number } | null {
  const r = spawnSync(batchedBench, [
    '-m', model, '--lora', adapter, '-c', String(promptLength + n * generated + 256), '-b', '512', '-ub', '512',
    '-npp', String(promptLength), '-ntg', String(generated), '-npl', String(n), '-pps', '-kvu', '-t', String(threads), '-tb', String(threads),
    '--output-format', 'jsonl',
  ], { encoding: 'utf8' });
  const line = `${r.stdout}\n${r.stderr}`.split('\n').find((l) => l.startsWith('{') && l.includes('"speed_tg"'));
  if (r.status !== 0 || !line) {
    console.warn(`llama-batched-bench failed (exit ${r.status ?? r.signal}): ${r.stderr.split('\n').slice(-3).join(' | ')}`);
    return null;
  }
  const j = JSON.parse(line) as { pl: number; tg: number; t: number; speed_tg: number };
  return { tokS: (j.pl * j.tg) / j.t, tgTokS: j.speed_tg };
}

console.log(`rollouts: ${n} samples x ${generated} tokens from one ${promptLength}-token prompt, ${threads} threads, LoRA r${LORA.rank} on ${LORA.targets.join(',')}, qwen2 vocab, F32; node ${process.version}, ${os.availableParallelism()} cores`);
console.log('model                 squill tok/s   llama-batched-bench tok/s (generation only)   ratio');
for (const m of models) {
  const file = path.join(dir, 'model.gguf');
  const adapter = path.join(dir, 'adapter.gguf');
  createModel({ arch: 'qwen2', shape: m.shape, vocab: 'qwen2', out: file, seed: 1 });
  const trainer = await startTrainer();
  let squill = 0;
  try {
    await trainer.load({ model: file, ctx: 512, threads, lora: LORA });
    await trainer.save({ adapter });
    const prompt = Array.from({ length: promptLength }, (_, i) => 1000 + ((i * 7919) % 50000));
    await trainer.generate({ prompts: [prompt], n, temperature: 1, max_tokens: 8, seed: 0 }); // warm-up: creates the inference context
    for (let r = 0; r < runs; r++) {
      const started = performance.now();
      const [samples] = await trainer.generate({ prompts: [prompt], n, temperature: 1, max_tokens: generated, seed: r + 1 });
      const seconds = (performance.now() - started) / 1000;
      const tokens = samples!.reduce((a, s) => a + s.tokens.length, 0); // an end-of-generation token ends a sample early
      if (process.env.SQUILL_BENCH_VERBOSE) console.log(`  run ${r}: ${tokens} tokens in ${seconds.toFixed(2)} s`);
      squill = Math.max(squill, tokens / seconds);
    }
  } finally {
    await trainer.shutdown();
  }
  let llama: { tokS: number; tgTokS: number } | null = null;
  if (haveBatchedBench) {
    for (let r = 0; r < runs; r++) {
      const x = llamaBatched(file, adapter);
      if (x && (!llama || x.tokS > llama.tokS)) llama = x;
    }
  }
  console.log(
    `${m.name.padEnd(20)} ${squill.toFixed(0).padStart(13)}   ${llama ? `${llama.tokS.toFixed(0).padStart(25)} (${llama.tgTokS.toFixed(0)})`.padEnd(44) : 'n/a'.padEnd(44)} ${llama ? `${(squill / llama.tokS).toFixed(2)}x` : ''}`,
  );
  fs.rmSync(file, { force: true });
  fs.rmSync(adapter, { force: true });
}
fs.rmSync(dir, { recursive: true, force: true });
