/**
 * squill-trainer on a frozen base stored as F32, F16, BF16, Q8_0 or Q4_0 (squill model create --type): it loads,
 * it memorizes a short sequence to a convergence criterion (with a bound), log-probs are finite and agree with the
 * loss, and the saved adapter loads in node-llama-cpp against that same base and makes it continue the sequence. Needs the engine built; skipped
 * (outside CI) with the build's reason otherwise, as trainer.test.ts is.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Token } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, trainerUnavailable } from '../../../test/helpers.ts';
import { createModel, getLlama, SHAPES, WEIGHT_TYPES, type WeightType } from '../llm/index.ts';
import { trainUntilMemorized } from './check.ts';
import { startTrainer, type Trainer } from './trainer.ts';

const unavailable = trainerUnavailable();
if (unavailable && !process.env.CI) console.warn(`trainer base-type tests skipped: ${unavailable}`);

describe.skipIf(unavailable !== null && !process.env.CI)('squill-trainer on each base weight type', () => {
  let dir: string;
  let trainer: Trainer;
  const model = (type: WeightType) => path.join(dir, `tiny-${type}.gguf`);
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(path.dirname(tempDir()), 'squill-base-types-'));
    // a sharp output head (outputStd): with the default one no continuation can pass ~1e-4 probability, and which
    // token wins a greedy step after a few steps was luck (see check.ts)
    for (const type of WEIGHT_TYPES) createModel({ arch: 'llama', shape: SHAPES.tiny!, vocab: 'llama-bpe', out: model(type), seed: 5, type, outputStd: 0.2 });
    trainer = await startTrainer();
  }, 120_000);
  afterAll(async () => {
    await trainer?.shutdown();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  // BOS, then a sequence the random model does not predict; the adapter learns its continuation
  const sequence = [128000, 1000, 2000, 3000, 4000, 5000, 6000, 7000];

  it.each(WEIGHT_TYPES)('%s: trains, scores and saves an adapter node-llama-cpp applies to that base', async (type) => {
    const info = await trainer.load({ model: model(type), ctx: 64, lora: { rank: 4, alpha: 8, targets: ['q', 'k', 'v', 'o', 'gate', 'up', 'down'], seed: 1 } });
    expect(info.base_type).toBe(type);
    const batch = [{ tokens: sequence, weights: sequence.map((_, i) => (i === 0 ? 0 : 1)) }];
    const first = await trainer.step({ batch, lr: 3e-3 });
    expect(Number.isFinite(first.loss) && Number.isFinite(first.grad_norm) && first.grad_norm > 0).toBe(true);
    // every trained token at p >= 0.9 given its prefix, so greedy continuation is the sequence whatever the CPU;
    // it takes ~20 steps on every type (see the log line); the bound leaves 5x
    const m = await trainUntilMemorized(trainer, batch, { lr: 3e-3, maxSteps: 100 });
    console.log(`${type}: memorized at step ${m.step + 1}, loss ${first.loss.toFixed(2)} -> ${m.loss.toFixed(4)}, lowest p ${m.lowest.toFixed(4)}`);
    expect(m.converged).toBe(true);
    expect(m.loss).toBeLessThan(first.loss);
    const [lps] = await trainer.logprobs([sequence]);
    expect(lps).toHaveLength(sequence.length - 1);
    expect(lps!.every((x) => Number.isFinite(x) && x < 0)).toBe(true);
    // log-probs agree with the loss of the trained state (loss = -sum of the weighted log-probs)
    const next = await trainer.step({ batch, lr: 1e-12 });
    expect(next.loss).toBeCloseTo(-lps!.reduce((a, b) => a + b, 0), 2);
    const adapter = path.join(dir, `adapter-${type}.gguf`);
    await trainer.save({ adapter });

    const llama = await getLlama();
    const base = await llama.loadModel({ modelPath: model(type) });
    try {
      const greedy = async (lora?: string) => {
        const context = await base.createContext({ contextSize: 256, ...(lora ? { lora: { adapters: [{ filePath: lora }] } } : {}) });
        try {
          const out: number[] = [];
          for await (const token of context.getSequence().evaluate(sequence.slice(0, 4) as Token[], { temperature: 0 })) {
            out.push(token);
            if (out.length === 2) break;
          }
          return out;
        } finally {
          await context.dispose();
        }
      };
      expect(await greedy(adapter)).toEqual(sequence.slice(4, 6));
      expect(await greedy()).not.toEqual(sequence.slice(4, 6));
    } finally {
      await base.dispose();
    }
  }, 120_000);
});
