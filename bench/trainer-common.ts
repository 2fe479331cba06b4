/**
 * What the CPU and GPU training benchmarks (bench/trainer.ts, bench/gpu.ts) share: the LoRA they train, the
 * step's FLOP count, and the timed steps on one loaded model.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createModel, type ModelShape, SHAPES, type WeightType } from '../src/core/llm/index.ts';
import type { startTrainer } from '../src/core/train/index.ts';

export const VOCAB = 151936; // the qwen2 vocabulary createModel writes (vocab: 'qwen2')
export const RANK = 16;
export const ALPHA = 32;
export const LORA = { rank: RANK, alpha: ALPHA, targets: ['q', 'k', 'v', 'o', 'gate', 'up', 'down'] as ('q' | 'k' | 'v' | 'o' | 'gate' | 'up' | 'down')[], seed: 1 };

/**
 * Matrix-product FLOPs of one training step of T tokens (multiply + add = 2 per term), the same count for every
 * engine compared since they all compute the same products:
 * - frozen linear layers (P = L * (2 E^2 + 2 E Ekv + 3 E F) weights, Ekv = E / heads * kvHeads): 2 T P forward
 *   and 2 T P backward (gradient of the input only: the weight is frozen) = 4 T P;
 * - output head (E x V): the same, 4 T E V (Squill's chunked loss computes exactly these two products);
 * - attention: per layer Q K^T and A V are 2 T^2 E each forward (full T x T, no engine here skips the masked half),
 *   twice that backward (gradients of both operands) = 12 T^2 E L;
 * - LoRA (rank r on an n_in x n_out weight): 2 T r (n_in + n_out) forward, twice that backward (input and both
 *   adapter matrices) = 6 T r (n_in + n_out), summed over the seven targets of each layer.
 * Element-wise ops (norms, RoPE, softmax, SwiGLU, AdamW) are O(T E) or O(T V) and not counted.
 * 25M shape, T = 512: 51.8 (linear) + 159.3 (head) + 12.9 (attention) + 3.8 (LoRA) = 228 GFLOP.
 */
export function flopsPerStep(s: ModelShape, T: number, vocab = VOCAB, rank = RANK): number {
  const E = s.embd, F = s.ff, L = s.layers, Ekv = (s.embd / s.heads) * s.kvHeads;
  const linear = L * (2 * E * E + 2 * E * Ekv + 3 * E * F);
  const loraIO = L * ((E + E) * 2 + (E + Ekv) * 2 + (E + F) * 3);
  return 4 * T * linear + 4 * T * E * vocab + 12 * T * T * E * L + 6 * T * rank * loraIO;
}

type Trainer = Awaited<ReturnType<typeof startTrainer>>;

/** The slowest ops of a profiled step as printable lines: time, share, count, GFLOP/s of products, op. */
export function profileLines(profile: { ms: number; ops: { op: string; ms: number; count: number; gflop: number }[] }, top = 12): string[] {
  return profile.ops.slice(0, top).map((o) => {
    const rate = o.gflop > 0 ? `${(o.gflop / (o.ms / 1000)).toFixed(0).padStart(5)} GFLOP/s` : ' '.repeat(13);
    return `    ${o.ms.toFixed(1).padStart(8)} ms ${((100 * o.ms) / profile.ms).toFixed(1).padStart(5)}%  x${String(o.count).padEnd(5)} ${rate}  ${o.op}`;
  });
}

/**
 * Loads `model` with a fresh LORA at ctx = seq, runs `warmup` steps on one fixed sequence of seq tokens (every
 * position weighted), then times `steps` more: tokens/s, ms per step, the load's warnings and the last step's
 * compute buffer bytes; with `profile`, one more step timed op by op (its per-op table, slowest first).
 */
export async function timeSteps(trainer: Trainer, model: string, seq: number, warmup: number, steps: number, profile = false) {
  const info = await trainer.load({ model, ctx: seq, lora: LORA });
  const tokens = Array.from({ length: seq }, (_, i) => 1000 + ((i * 7919) % 50000));
  const batch = [{ tokens, weights: tokens.map(() => 1) }];
  for (let i = 0; i < warmup; i++) await trainer.step({ batch, lr: 1e-4 });
  let computeBytes = 0;
  const started = performance.now();
  for (let i = 0; i < steps; i++) computeBytes = Number((await trainer.step({ batch, lr: 1e-4 })).compute_bytes ?? 0);
  const seconds = (performance.now() - started) / 1000;
  const ops = profile ? (await trainer.step({ batch, lr: 1e-4, profile: true })).profile : undefined;
  return { tokS: (seq * steps) / seconds, stepMs: (seconds / steps) * 1000, warnings: info.warnings ?? [], computeBytes, profile: ops };
}

/**
 * The models both benchmarks measure, in their order: per shape and base type, a random-weight Qwen2 GGUF with the
 * Qwen2 vocabulary written to `dir` (seed 1) and removed once the caller has measured it.
 */
export function* benchModels(dir: string, shapeNames: string[], types: WeightType[]) {
  for (const name of shapeNames) {
    const shape = SHAPES[name]!;
    for (const type of types) {
      const file = path.join(dir, `model-${name}-${type}.gguf`);
      createModel({ arch: 'qwen2', shape, vocab: 'qwen2', out: file, seed: 1, type });
      yield { name, shape, type, file };
      fs.rmSync(file, { force: true });
    }
  }
}
