/**
 * `squill trainer check`: the engine's own self-checks (finite-difference gradients, frozen base, resume, seeded
 * generation) plus the end-to-end one only the TypeScript side can do: an adapter trained to memorize a few
 * question -> SQL pairs makes node-llama-cpp reproduce them greedily, while the base model alone does not. It trains
 * to a convergence criterion with a bound (not a fixed step count) and reports the step it converged at.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createModel, getLlama, GREEDY, openLocalTextModel } from '../llm/index.ts';
import { openTokenizer } from './tokens.ts';
import { startTrainer, type Trainer } from './trainer.ts';

export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
}

export const MEMORIZE = [
  { user: 'How many singers are there?', assistant: 'SELECT count(*) FROM singer' },
  { user: 'List the names of all stadiums.', assistant: 'SELECT name FROM stadium' },
  { user: 'What is the average age of singers?', assistant: 'SELECT avg(age) FROM singer' },
];

export interface CheckOptions {
  binary?: string;
  workDir?: string;
  /** the bound on memorization steps (default 300; it converges in a few dozen) */
  maxSteps?: number;
  onProgress?: (line: string) => void;
}

/**
 * The memorization model: the tiny qwen2 shape with a sharper output head (see createModel's outputStd). With the
 * default 0.02 the final RMS norm caps every logit near 2.6, no answer token can pass ~1e-4 probability over the
 * 152k vocabulary, and the loss stops at that ceiling (~9.3 per answer token, 167.5 for the three answers, with
 * every build): the adapter can only just put each answer token first, so whether a prompt it was not trained on
 * still gets the right SQL is luck. At 0.2 a logit can reach ~25 and memorization converges to near-certain answers.
 */
const CHECK_MODEL = { arch: 'qwen2', shape: { layers: 2, embd: 128, ff: 256, heads: 4, kvHeads: 2 }, vocab: 'qwen2', seed: 3, outputStd: 0.2 } as const;

/**
 * Convergence criterion: every answer token (and the end of turn) has probability >= 0.9 given the gold prefix.
 * Then it is the greedy choice at every step, so greedy decoding of the prompt yields exactly the answer and stops,
 * and its logit exceeds every other token's by >= ln(0.9 / 0.1) = 2.2. Another ggml build (node-llama-cpp's, an
 * AVX2 or AVX-512 one, an F16 KV cache) computes the same logits up to rounding: the answer tokens' log-probs in
 * node-llama-cpp and in the trainer differed by at most 1.5e-4 where it was measured, four orders of magnitude
 * below the 1.1 that could swap two tokens, so the answers it decodes are fixed by construction.
 */
const MIN_ANSWER_P = 0.9;
/** how often the criterion is measured (a forward pass over the three sequences, ~1/3 of a step) */
const MEASURE_EVERY = 5;

export async function runTrainerChecks(o: CheckOptions = {}): Promise<CheckResult[]> {
  const dir = o.workDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'squill-trainer-check-'));
  const modelPath = path.join(dir, 'tiny.gguf');
  createModel({ ...CHECK_MODEL, out: modelPath });
  const results: CheckResult[] = [];
  const trainer = await startTrainer({ binary: o.binary });
  try {
    await trainer.load({ model: modelPath, lora: { rank: 8, alpha: 16, targets: ['q', 'k', 'v', 'o', 'gate', 'up', 'down'], seed: 1 } });
    for (const c of await trainer.check()) {
      results.push(c);
      o.onProgress?.(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
    }
    results.push(await memorization(trainer, modelPath, dir, o));
  } finally {
    await trainer.shutdown();
  }
  return results;
}

/** the lowest probability the trainer gives an answer token (weight > 0) of any sequence, given the gold prefix */
export async function lowestAnswerP(trainer: Trainer, batch: { tokens: number[]; weights: number[] }[]): Promise<number> {
  const lps = await trainer.logprobs(batch.map((b) => b.tokens));
  let lowest = 0;
  batch.forEach((b, i) => lps[i]!.forEach((lp, p) => {
    if (b.weights[p + 1]! > 0) lowest = Math.min(lowest, lp); // logprobs[p] is the log-prob of tokens[p + 1]
  }));
  return Math.exp(lowest);
}

export interface Memorized {
  /** the optimizer steps taken */
  step: number;
  /** the last step's loss */
  loss: number;
  /** lowestAnswerP at the end */
  lowest: number;
  converged: boolean;
}

/**
 * Trains the loaded adapter on the batch until every answer token has probability >= minP given the gold prefix
 * (measured every `every` steps), or maxSteps: a convergence criterion with a bound instead of a step count that
 * happened to be enough on one machine. With minP > 0.5 each answer token is the greedy choice with its logit
 * ln(minP / (1 - minP)) above any other (2.2 at 0.9), so greedy decoding of each prompt yields exactly its answer
 * in any ggml build whose logits agree with the trainer's to within half that.
 */
export async function trainUntilMemorized(
  trainer: Trainer,
  batch: { tokens: number[]; weights: number[] }[],
  o: { lr: number; maxSteps: number; clip?: number; minP?: number; every?: number; onMeasure?: (m: Memorized) => void },
): Promise<Memorized> {
  const minP = o.minP ?? MIN_ANSWER_P;
  const every = o.every ?? MEASURE_EVERY;
  let m: Memorized = { step: 0, loss: Number.POSITIVE_INFINITY, lowest: 0, converged: false };
  while (m.step < o.maxSteps) {
    const loss = (await trainer.step({ batch, lr: o.lr, clip: o.clip ?? 5 })).loss;
    const step = m.step + 1;
    m = { ...m, step, loss };
    if (step % every !== 0 && step !== o.maxSteps) continue;
    const lowest = await lowestAnswerP(trainer, batch);
    m = { step, loss, lowest, converged: lowest >= minP };
    o.onMeasure?.(m);
    if (m.converged) break;
  }
  return m;
}

async function memorization(trainer: Trainer, modelPath: string, dir: string, o: CheckOptions): Promise<CheckResult> {
  const name = 'memorized question -> SQL pairs reproduce in node-llama-cpp with the adapter, not without';
  const tokenizer = await openTokenizer(modelPath);
  const batch = MEMORIZE.map((e) => tokenizer.supervised(e));
  await tokenizer.dispose();
  // a fresh adapter, so the self-checks' steps do not matter
  await trainer.load({ model: modelPath, lora: { rank: 8, alpha: 16, targets: ['q', 'k', 'v', 'o', 'gate', 'up', 'down'], seed: 2 } });
  const maxSteps = o.maxSteps ?? 300;
  const m = await trainUntilMemorized(trainer, batch, {
    lr: 3e-3,
    maxSteps,
    onMeasure: (x) => {
      if (x.converged || x.step % 25 === 0) o.onProgress?.(`     training step ${x.step}: loss ${x.loss.toFixed(3)}, lowest answer-token probability ${x.lowest.toFixed(4)}`);
    },
  });
  const trained = `loss ${m.loss.toFixed(3)}, lowest answer-token probability ${m.lowest.toFixed(4)}`;
  if (!m.converged) {
    return { name, ok: false, detail: `not memorized within ${maxSteps} steps (${trained}; the criterion is ${MIN_ANSWER_P})` };
  }
  const adapter = path.join(dir, 'memorized.lora.gguf');
  await trainer.save({ adapter });

  // the answers through Squill's own inference path (the chat template, no system prompt: what training saw)
  const llama = await getLlama();
  const model = await llama.loadModel({ modelPath });
  const answers = async (adapterPath: string | null) => {
    const text = await openLocalTextModel(model, { name: 'trainer-check', sha256: null, adapterPath, contextSize: 256 });
    try {
      const out: string[] = [];
      for (const e of MEMORIZE) out.push((await text.generate({ messages: [{ role: 'user', content: e.user }], ...GREEDY, maxTokens: 24 })).text.trim());
      return out;
    } finally {
      await text.dispose();
    }
  };
  try {
    const tuned = await answers(adapter);
    const base = await answers(null);
    const reproduced = MEMORIZE.filter((e, i) => tuned[i] === e.assistant).length;
    const baseHits = MEMORIZE.filter((e, i) => base[i] === e.assistant).length;
    const ok = reproduced === MEMORIZE.length && baseHits === 0;
    return {
      name,
      ok,
      detail: `converged at step ${m.step} (${trained}); with adapter ${reproduced}/${MEMORIZE.length} exact${ok ? '' : ` (${JSON.stringify(tuned)})`}; base alone ${baseHits}/${MEMORIZE.length}`,
    };
  } finally {
    await model.dispose();
  }
}
