/**
 * The real squill-trainer through its TypeScript client: the self-checks and the memorization check of
 * `squill trainer check`, and how the client reports engine errors and crashes. Needs the engine built
 * (npm install builds it); in CI a missing engine fails the suite, elsewhere it is skipped with the build's reason.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure, tempDir, trainerUnavailable } from '../../../test/helpers.ts';
import { createModel, readGgufHeader } from '../llm/index.ts';
import { runTrainerChecks } from './check.ts';
import { startTrainer, type Trainer } from './trainer.ts';

const unavailable = trainerUnavailable();
if (unavailable && !process.env.CI) console.warn(`trainer tests skipped: ${unavailable}`);

describe.skipIf(unavailable !== null && !process.env.CI)('squill-trainer', () => {
  let dir: string;
  let model: string;
  let trainer: Trainer;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(path.dirname(tempDir()), 'squill-trainer-test-'));
    model = path.join(dir, 'tiny.gguf');
    createModel({ arch: 'llama', shape: { layers: 2, embd: 64, ff: 128, heads: 4, kvHeads: 2 }, vocab: 'llama-bpe', out: model, seed: 5 });
    trainer = await startTrainer();
  });
  afterAll(async () => {
    await trainer?.shutdown();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('passes every self-check, and an adapter it trains reproduces memorized SQL in node-llama-cpp', async () => {
    const workDir = path.join(dir, 'checks');
    fs.mkdirSync(workDir);
    const results = await runTrainerChecks({ workDir });
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(results.map((r) => r.name)).toEqual(expect.arrayContaining([
      'fd_masked_weights', 'fd_negative_weights', 'fd_soft_labels', 'fd_lora_kv', 'packed_equals_separate', 'base_weights_frozen', 'resume_identical',
      'generate_reproducible', 'generate_sample_k_independent_of_n', 'generate_batched_equals_single', 'generate_grammar',
      'fd_distill_reverse_kl', 'fd_distill_forward_kl', 'fd_distill_with_cross_entropy', 'divergence_from_itself_is_zero',
    ]));
  }, 600_000);

  it('answers the handshake, and reports requests it cannot serve with typed errors', async () => {
    expect(trainer.ready).toMatchObject({ protocol: 1, engine: 'squill-trainer' });
    expect((await failure(trainer.step({ batch: [{ tokens: [1, 2, 3], weights: [0, 1, 1] }], lr: 1e-3 }))).code).toBe('CONFLICT');
    expect((await failure(trainer.load({ model: path.join(dir, 'missing.gguf'), lora: { rank: 4, alpha: 8, targets: ['q'] } }))).code).toBe('UNAVAILABLE');
    const info = await trainer.load({ model, ctx: 64, lora: { rank: 4, alpha: 8, targets: ['q', 'v'], seed: 1 } });
    expect(info).toMatchObject({ n_layer: 2, n_embd: 64, n_vocab: 128256 });
    expect(info.trainable_params).toBe(2 * 2 * (4 * 64 + 4 * 64) - 2 * (4 * 64) + 2 * (4 * 32)); // q: 64->64, v: 64->32
    const step = await trainer.step({ batch: [{ tokens: [128000, 1000, 2000, 3000], weights: [0, 1, -0.5, 1] }], lr: 1e-3 });
    expect(step).toMatchObject({ tokens: 3, step: 1 });
    expect(Number.isFinite(step.loss) && Number.isFinite(step.grad_norm)).toBe(true);
    const [lps] = await trainer.logprobs([[128000, 1000, 2000]]);
    expect(lps).toHaveLength(2);
    expect(lps!.every((x) => x < 0)).toBe(true);
    const stats = await trainer.stats();
    expect(stats.peak_rss).toBeGreaterThanOrEqual(stats.rss);
  });

  it('returns top-k log-probs of given sequences, and trains on a teacher\'s top-k with a divergence', async () => {
    await trainer.load({ model, ctx: 64, lora: { rank: 4, alpha: 8, targets: ['q', 'v'], seed: 3 } });
    const seq = [128000, 1000, 2000, 3000, 4000, 5000];
    const [top] = await trainer.topk([seq], { k: 5, from: [2] });
    const [lps] = await trainer.logprobs([seq]);
    expect(top).toHaveLength(seq.length - 2); // positions 2..5
    for (const [i, pairs] of top!.entries()) {
      expect(pairs).toHaveLength(5);
      expect(new Set(pairs.map(([t]) => t)).size).toBe(5);
      for (let k = 1; k < 5; k++) expect(pairs[k]![1]).toBeLessThanOrEqual(pairs[k - 1]![1]);
      // the logprobs pass and the top-k pass compute the same distribution: where the sequence's own token is among
      // the top 5 its log-probs agree (both F32 from the same graph; 1e-4 covers summation order)
      const own = pairs.find(([t]) => t === seq[i + 2]);
      if (own) expect(Math.abs(own[1] - lps![i + 1]!)).toBeLessThan(1e-4);
      // and no token outside the top 5 is likelier than its fifth
      expect(lps![i + 1]!).toBeLessThanOrEqual(pairs[4]![1] + 1e-4);
    }
    // k 1 is the argmax: the first of the top 5 at every position (from defaults to 1)
    const [own] = await trainer.topk([seq], { k: 5 });
    const [argmax] = await trainer.topk([seq], { k: 1 });
    expect(argmax!.map((p) => p[0]![0])).toEqual(own!.map((p) => p[0]![0]));
    expect(own!.slice(1)).toEqual(top);

    // a teacher: the model's own top-5 at every position, flattened to other probabilities (tail 0.3)
    const mass = [0.3, 0.2, 0.1, 0.06, 0.04];
    const teacher = [[], ...own!.map((pairs) => pairs.map(([t], k): [number, number] => [t, Math.log(mass[k]!)]))];
    const weights = [0, 0, 1, 1, 1, 1];
    const r = await trainer.step({ batch: [{ tokens: seq, weights, teacher, divergence: 'reverse_kl' }, { tokens: seq, weights: [0, 1, 1, 1, 1, 1] }], lr: 1e-3 });
    expect(r.distill).toBeDefined();
    expect(r.distill!.positions).toBe(4);
    expect(r.distill!.agree).toBeGreaterThanOrEqual(0);
    expect(r.distill!.agree).toBeLessThanOrEqual(4);
    // a KL of two distributions (here coarsened to the top 5 and the tail) is >= 0 for any model; the CE part too
    expect(r.distill!.kd).toBeGreaterThanOrEqual(0);
    expect(r.loss).toBeGreaterThan(r.distill!.kd);

    const bad = async (teacherAt: [number, number][], divergence = 'reverse_kl') =>
      (await failure(trainer.step({ batch: [{ tokens: seq, weights, teacher: [[], [], teacherAt, ...teacher.slice(3)], divergence: divergence as 'reverse_kl' }], lr: 1e-3 })));
    expect((await bad([[1000, -1], [1000, -2]])).message).toMatch(/appears twice/);
    expect((await bad([[1000, -0.1], [1001, -0.2]])).message).toMatch(/sum to more than 1/);
    expect((await bad([[1000, 0.5]])).message).toMatch(/<= 0/);
    expect((await bad([])).message).toMatch(/no teacher tokens/);
    expect((await bad([[1000, -1]], 'js')).message).toMatch(/reverse_kl or forward_kl/);
    expect((await failure(trainer.topk([seq], { k: 3, from: [6] }))).message).toMatch(/past the end/);
  });

  it('reports true log-probs far below log(FLT_MIN) (log-sum-exp, not log of an underflowed probability)', async () => {
    // Scaling the output matrix by s scales the logits by s (the final norm sits before it), so
    // log p_s(k) = s z_k - lse(s z) and, with L(s) = lse(s z) - s max(z) in [0, log V]:
    // log p_2s(k) - 2 log p_s(k) = 2 L(s) - L(2s), within +-2 log V. A log(softmax) clamped at FLT_MIN gives -87.3
    // for both instead.
    const scaled = (s: number) => {
      const file = path.join(dir, `sharp-${s}.gguf`);
      fs.copyFileSync(model, file);
      const header = readGgufHeader(file);
      const out = header.tensors.find((t) => t.name === 'output.weight')!;
      expect(out.ggmlType).toBe(0);
      const n = out.dims[0]! * out.dims[1]!;
      const fd = fs.openSync(file, 'r+');
      const buf = Buffer.alloc(n * 4);
      const at = header.dataOffset + Number(out.offset);
      fs.readSync(fd, buf, 0, buf.length, at);
      const w = new Float32Array(buf.buffer, buf.byteOffset, n);
      for (let i = 0; i < n; i++) w[i]! *= s;
      fs.writeSync(fd, buf, 0, buf.length, at);
      fs.closeSync(fd);
      return file;
    };
    const seq = [128000, 1000, 2000, 3000, 4000, 5000];
    const logprobs = async (file: string) => {
      await trainer.load({ model: file, ctx: 64, lora: { rank: 4, alpha: 8, targets: ['q'], seed: 1 } });
      const [lp] = await trainer.logprobs([seq]);
      // the loss of a step (before its update) is -sum of the same log-probs
      const step = await trainer.step({ batch: [{ tokens: seq, weights: seq.map((_, i) => (i ? 1 : 0)) }], lr: 1e-6 });
      expect(step.loss).toBeCloseTo(-lp!.reduce((a, b) => a + b, 0), 0);
      return lp!;
    };
    const a = await logprobs(scaled(1000));
    const b = await logprobs(scaled(2000));
    const logV = Math.log(128256);
    expect(a.every((x) => Number.isFinite(x) && x <= 0)).toBe(true);
    // the random head (embd 64, weights N(0, 0.02^2)) gives logits ~N(0, 0.16^2), so a token sits ~0.8 below the top
    // one (the max of 128k such draws), ~800 once scaled by 1000; all five within 0.2 of the top needs five > 3.5 sigma
    expect(Math.min(...a)).toBeLessThan(-200);
    for (let i = 0; i < a.length; i++) expect(Math.abs(b[i]! - 2 * a[i]!)).toBeLessThanOrEqual(2 * logV + 1e-2 * Math.abs(b[i]!));
  });

  it('turns a dead engine into an error that says so, and refuses a different protocol', async () => {
    const doomed = await startTrainer();
    await doomed.load({ model, ctx: 64, lora: { rank: 4, alpha: 8, targets: ['q'], seed: 1 } });
    const pending = doomed.step({ batch: [{ tokens: Array.from({ length: 60 }, (_, i) => 100 + i), weights: Array(60).fill(1) }], lr: 1e-3 });
    doomed.kill();
    const err = await failure(pending);
    expect(err.code).toBe('INTERNAL');
    expect(err.message).toMatch(/^The trainer process killed by SIGKILL/);
    expect((await failure(doomed.stats())).code).toBe('UNAVAILABLE');

    // an engine that speaks another protocol version (a stale build) is refused with the fix
    const stale = path.join(dir, 'stale-trainer.mjs');
    fs.writeFileSync(stale, '#!/usr/bin/env node\nconsole.log(JSON.stringify({ ready: { protocol: 99, engine: "squill-trainer", version: "9" } }));\nsetInterval(() => {}, 1000);\n', { mode: 0o755 });
    const refused = await failure(startTrainer({ binary: stale }));
    expect(refused.message).toMatch(/protocol 99, Squill 1; rebuild it with npm run build:trainer/);
  });
});
