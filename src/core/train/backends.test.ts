/**
 * What squill-trainer says about its backends: the op probe of the load check (op_check.cpp: every op of a
 * training step and the backends that compute it) and the matrix-product peak the trainer benchmark compares
 * against (bench.cpp's sgemm_peak). Needs the engine built; skipped (outside CI) with the build's reason otherwise,
 * as trainer.test.ts is.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, trainerUnavailable } from '../../../test/helpers.ts';
import { createModel, SHAPES, WEIGHT_TYPES, type WeightType } from '../llm/index.ts';
import { startTrainer, type Trainer } from './trainer.ts';

const unavailable = trainerUnavailable();
if (unavailable && !process.env.CI) console.warn(`trainer backend tests skipped: ${unavailable}`);

describe.skipIf(unavailable !== null && !process.env.CI)('squill-trainer backends', () => {
  let dir: string;
  let trainer: Trainer;
  const model = (type: WeightType) => path.join(dir, `tiny-${type}.gguf`);
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(path.dirname(tempDir()), 'squill-backends-'));
    for (const type of WEIGHT_TYPES) createModel({ arch: 'llama', shape: SHAPES.tiny!, vocab: 'llama-bpe', out: model(type), seed: 5, type });
    trainer = await startTrainer();
  }, 120_000);
  afterAll(async () => {
    await trainer?.shutdown();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it.each(WEIGHT_TYPES)('%s base: the load check probes the backward ops of the whole step, and a CPU build computes each', async (type) => {
    const info = await trainer.load({ model: model(type), ctx: 64, lora: { rank: 4, alpha: 8, targets: ['q', 'k', 'v', 'o', 'gate', 'up', 'down'], seed: 1 } });
    const ops = await trainer.ops();
    const names = ops.map((o) => o.op);
    // the backward of a frozen weight of this type (mul_mat -> out_prod), and of attention, norm and RoPE: the ops
    // a GPU backend may lack. Only the backward expansion of the graph creates them, so their presence shows the
    // probe saw the training graph, not just the forward one.
    expect(names).toContain(`OUT_PROD(${type}, f32)`);
    for (const op of ['SOFT_MAX_BACK', 'RMS_NORM_BACK', 'ROPE_BACK']) expect(names.some((n) => n.startsWith(`${op}(`))).toBe(true);
    // the loss head of train.cpp: its fused passes (CUSTOM) and dL/dh written by position (SET_ROWS)
    for (const op of ['CUSTOM', 'SET_ROWS']) expect(names.some((n) => n.startsWith(`${op}(`))).toBe(true);
    // the CPU backend computes every op, so nothing is refused and a CPU build has no CPU-only warnings
    expect(ops.filter((o) => !o.backends.includes('CPU'))).toEqual([]);
    expect(info.warnings).toEqual([]);
  });

  it('measures the matrix-product peak on the backend the engine gives its matrix products to', async () => {
    const r = await trainer.sgemmPeak({ n: 256, reps: 1 });
    expect(r.engine_backend).toBe(trainer.ready.blas ? 'BLAS' : 'CPU');
    const engine = r.devices.find((d) => d.name === r.engine_backend);
    expect(engine?.supported).toBe(true);
    expect(r.peak_gflops).toBe(engine?.gflops);
    // any CPU of the last decade multiplies 256x256 F32 matrices at well over 0.1 GFLOP/s, even on a loaded core
    expect(r.peak_gflops).toBeGreaterThan(0.1);
    expect(r.devices.some((d) => d.name === 'CPU' && d.supported)).toBe(true);
  });
});
