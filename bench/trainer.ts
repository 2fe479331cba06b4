/**
 * LoRA training throughput of squill-trainer: tokens/s (forward + backward + AdamW update) and peak RSS for LoRA
 * r16 on all seven linear layers, batch 1, at sequence 256 and 512, for a tiny model, a ~25M-parameter model and
 * the Qwen2.5-0.5B shape with the real Qwen2 vocabulary (151,936). Reference (trainer.md, same machine class):
 * PyTorch 1.13 CPU, 25M shape seq 256: 317-338 tok/s at 700-733 MiB; Qwen2.5-0.5B shape: 45.8 tok/s at 6.05 GiB.
 * Run: npm run bench:trainer [-- --quick] [-- --type f32|f16|bf16|q8_0|q4_0|all (or a comma list; default f32)]
 * --type sets the storage type of the frozen base's weight matrices (squill model create --type).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createModel, type ModelShape, SHAPES, TYPES, WEIGHT_TYPES, type WeightType } from '../src/core/llm/index.ts';
import { startTrainer } from '../src/core/train/index.ts';

const quick = process.argv.includes('--quick');
const typeArg = process.argv.includes('--type') ? process.argv[process.argv.indexOf('--type') + 1] ?? '' : 'f32';
const types = (typeArg === 'all' ? [...WEIGHT_TYPES] : typeArg.split(',')) as WeightType[];
for (const t of types) {
  if (!WEIGHT_TYPES.includes(t)) {
    console.error(`--type takes ${WEIGHT_TYPES.join(', ')} or all, not ${t}`);
    process.exit(2);
  }
}
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'squill-bench-trainer-'));
const models: { name: string; shape: ModelShape; reference?: string }[] = [
  { name: 'tiny (2x128)', shape: SHAPES.tiny! },
  { name: '~25M (8x512)', shape: SHAPES['25m']!, reference: 'PyTorch 317-338 tok/s, 700-733 MiB (seq 256)' },
  ...(quick ? [] : [{ name: 'Qwen2.5-0.5B shape', shape: SHAPES['qwen2.5-0.5b']!, reference: 'PyTorch 45.8 tok/s, 6.05 GiB (seq 256)' }]),
];
const MiB = 1024 * 1024;
console.log(`squill-trainer LoRA r16 on q,k,v,o,gate,up,down; batch 1; node ${process.version}, ${os.availableParallelism()} cores`);
console.log('model                 base  seq   tok/s   step ms   peak RSS MiB   reference');
for (const m of models) for (const type of types) {
  const file = path.join(dir, 'model.gguf');
  createModel({ arch: 'qwen2', shape: m.shape, vocab: 'qwen2', out: file, seed: 1, type });
  for (const seq of [256, 512]) {
    const trainer = await startTrainer();
    try {
      await trainer.load({ model: file, ctx: seq, lora: { rank: 16, alpha: 32, targets: ['q', 'k', 'v', 'o', 'gate', 'up', 'down'], seed: 1 } });
      const tokens = Array.from({ length: seq }, (_, i) => 1000 + ((i * 7919) % 50000));
      const batch = [{ tokens, weights: tokens.map(() => 1) }];
      for (let i = 0; i < 2; i++) await trainer.step({ batch, lr: 1e-4 }); // warm-up
      const steps = quick ? 3 : 5;
      const started = performance.now();
      for (let i = 0; i < steps; i++) await trainer.step({ batch, lr: 1e-4 });
      const seconds = (performance.now() - started) / 1000;
      const stats = await trainer.stats();
      console.log(
        `${m.name.padEnd(20)} ${TYPES[type].name.padEnd(5)} ${String(seq).padStart(4)} ${(seq * steps / seconds).toFixed(0).padStart(7)} ${((seconds / steps) * 1000).toFixed(0).padStart(9)} ${(stats.peak_rss / MiB).toFixed(0).padStart(14)}   ${seq === 256 && type === 'f32' ? m.reference ?? '' : ''}`,
      );
    } finally {
      await trainer.shutdown();
    }
  }
  fs.rmSync(file, { force: true });
}
fs.rmSync(dir, { recursive: true, force: true });
