/**
 * The job estimator: its parts from the model header (LoRA parameters the engine really creates), and its total
 * against the engine's measured peak RSS (within 20%) on the tiny shape with the qwen2 vocabulary and on a small
 * phi-3-vocabulary model, each in a fresh trainer process. The measurement needs the engine built (skipped
 * elsewhere with the build's reason, as trainer.test.ts does).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, trainerUnavailable } from '../../../test/helpers.ts';
import { createModel, SHAPES, type ModelShape } from '../llm/index.ts';
import { estimateJob, modelDims } from './estimate.ts';
import { startTrainer, type LoraSpec } from './trainer.ts';

const unavailable = trainerUnavailable();

const ALL: LoraSpec['targets'] = ['q', 'k', 'v', 'o', 'gate', 'up', 'down'];
const PHI3_SHAPE: ModelShape = { layers: 2, embd: 64, ff: 128, heads: 4, kvHeads: 2 };

let dir: string;
let tinyQwen: string;
let phi3: string;
let phi3q8: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(path.dirname(tempDir()), 'squill-estimate-test-'));
  tinyQwen = path.join(dir, 'tiny-qwen2.gguf');
  phi3 = path.join(dir, 'phi3.gguf');
  phi3q8 = path.join(dir, 'phi3-q8_0.gguf');
  createModel({ arch: 'qwen2', shape: SHAPES.tiny!, vocab: 'qwen2', out: tinyQwen, seed: 1 });
  createModel({ arch: 'llama', shape: PHI3_SHAPE, vocab: 'phi-3', out: phi3, seed: 1 });
  createModel({ arch: 'llama', shape: PHI3_SHAPE, vocab: 'phi-3', out: phi3q8, seed: 1, type: 'q8_0' });
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('estimateJob', () => {
  it('reads the shape from the header and sizes LoRA as rank*(in+out) F32 per target matrix', () => {
    const d = modelDims(phi3);
    expect(d).toMatchObject({ arch: 'llama', layers: 2, embd: 64, ff: 128, heads: 4, kvHeads: 2, vocab: 32064 });
    const e = estimateJob({ modelPath: phi3, rank: 8, targets: ['q', 'v'], seqLen: 128, batch: 1 });
    // q: 64 -> 64; v: 64 -> 32 (2 KV heads of 16)
    expect(e.trainableParams).toBe(2 * 8 * ((64 + 64) + (64 + 32)));
    expect(e.loraBytes).toBe(e.trainableParams * 4);
    expect(e.optimizerBytes).toBe(4 * e.loraBytes);
    expect(e.totalBytes).toBe(e.baseBytes + e.loraBytes + e.optimizerBytes + e.activationBytes + e.lossBytes);
    expect(e.baseBytes).toBeGreaterThan(2 * 32064 * 64 * 4); // embeddings + output head, F32
  });

  it('charges sequence length and loss chunk to memory, batch only to time', () => {
    const base = { modelPath: phi3, rank: 8, targets: ALL, seqLen: 256, batch: 1 };
    const e = estimateJob(base);
    expect(estimateJob({ ...base, seqLen: 512 }).activationBytes).toBeGreaterThan(2 * e.activationBytes); // seq^2 scores
    // the loss chunk: all 256 positions fit the default loss memory with a 32k vocabulary; a fixed chunk of 64 or a
    // memory for 100 positions (split evenly: 3 chunks of 86) shrink it
    expect(estimateJob({ ...base, lossChunk: 64 }).lossBytes).toBe(e.lossBytes / 4);
    expect(estimateJob({ ...base, lossMemory: 32064 * 4 * 100 }).lossBytes).toBe((e.lossBytes / 256) * 86);
    const batched = estimateJob({ ...base, batch: 4 });
    expect(batched.totalBytes).toBe(e.totalBytes);
    expect(batched.secondsPerStep).toBeCloseTo(4 * e.secondsPerStep);
    expect(e.tokensPerSecond).toBeGreaterThan(0);
    // the output head runs only where the loss is (the answer): a masked prompt costs its body, not its logits
    const answerOnly = estimateJob({ ...base, activeTokens: 16 });
    expect(answerOnly.lossBytes).toBe(e.lossBytes / 16);
    expect([answerOnly.baseBytes, answerOnly.activationBytes]).toEqual([e.baseBytes, e.activationBytes]);
    expect(answerOnly.secondsPerStep).toBeLessThan(e.secondsPerStep / 2); // the 32k-vocabulary head dominates this tiny shape
  });

  it('refuses settings that make no job', () => {
    expect(() => estimateJob({ modelPath: phi3, rank: 0, targets: ALL, seqLen: 256, batch: 1 })).toThrow(/rank/);
  });
});

describe.skipIf(unavailable !== null && !process.env.CI)('estimateJob against the engine', () => {
  const cases = [
    { name: 'tiny shape, qwen2 vocab, r16 all layers, seq 256', model: () => tinyQwen, rank: 16, targets: ALL, seq: 256 },
    { name: 'phi-3 vocab, r8 q/v, seq 512', model: () => phi3, rank: 8, targets: ['q', 'v'] as LoraSpec['targets'], seq: 512 },
    // a quantized base: the BLAS build's F32 copy of the output head counts
    { name: 'phi-3 vocab, Q8_0 base, r16 all layers, seq 256', model: () => phi3q8, rank: 16, targets: ALL, seq: 256 },
  ];
  for (const c of cases) {
    it(`is within 20% of the measured peak RSS (${c.name})`, async () => {
      const trainer = await startTrainer();
      try {
        const info = await trainer.load({ model: c.model(), ctx: c.seq, lora: { rank: c.rank, alpha: 2 * c.rank, targets: c.targets, seed: 1 } });
        const tokens = Array.from({ length: c.seq }, (_, i) => 100 + ((i * 7919) % 30000));
        await trainer.step({ batch: [{ tokens, weights: tokens.map(() => 1) }], lr: 1e-4 });
        const { peak_rss: peak } = await trainer.stats();
        const e = estimateJob({ modelPath: c.model(), rank: c.rank, targets: c.targets, seqLen: c.seq, batch: 1 });
        expect(e.trainableParams).toBe(info.trainable_params);
        expect(Math.abs(e.totalBytes / peak - 1)).toBeLessThan(0.2);
      } finally {
        await trainer.shutdown();
      }
    }, 180_000);
  }
});
