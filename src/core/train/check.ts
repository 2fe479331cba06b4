/**
 * `squill trainer check`: the engine's own self-checks (finite-difference gradients, frozen base, resume, seeded
 * generation) plus the end-to-end one only the TypeScript side can do: an adapter trained to memorize a few
 * question -> SQL pairs makes node-llama-cpp reproduce them greedily, while the base model alone does not.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LlamaChatSession } from 'node-llama-cpp';
import { getLlama } from '../llm/engine.ts';
import { createModel } from '../llm/modelCreate.ts';
import { openTokenizer } from './tokens.ts';
import { startTrainer } from './trainer.ts';

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
  steps?: number;
  onProgress?: (line: string) => void;
}

export async function runTrainerChecks(o: CheckOptions = {}): Promise<CheckResult[]> {
  const dir = o.workDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'squill-trainer-check-'));
  const modelPath = path.join(dir, 'tiny.gguf');
  createModel({ arch: 'qwen2', shape: { layers: 2, embd: 128, ff: 256, heads: 4, kvHeads: 2 }, vocab: 'qwen2', out: modelPath, seed: 3 });
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

async function memorization(trainer: Awaited<ReturnType<typeof startTrainer>>, modelPath: string, dir: string, o: CheckOptions): Promise<CheckResult> {
  const name = 'memorized question -> SQL pairs reproduce in node-llama-cpp with the adapter, not without';
  const tokenizer = await openTokenizer(modelPath);
  const batch = MEMORIZE.map((e) => tokenizer.supervised(e));
  await tokenizer.dispose();
  // a fresh adapter, so the self-checks' steps do not matter
  await trainer.load({ model: modelPath, lora: { rank: 8, alpha: 16, targets: ['q', 'k', 'v', 'o', 'gate', 'up', 'down'], seed: 2 } });
  // A random model's frozen output head keeps the loss high; what counts is the greedy answer afterwards.
  let loss = Number.POSITIVE_INFINITY;
  const steps = o.steps ?? 150;
  for (let step = 1; step <= steps; step++) {
    loss = (await trainer.step({ batch, lr: 3e-3, clip: 5 })).loss;
    if (step % 50 === 0) o.onProgress?.(`     training step ${step}: loss ${loss.toFixed(3)}`);
  }
  const adapter = path.join(dir, 'memorized.lora.gguf');
  await trainer.save({ adapter });

  const llama = await getLlama();
  const model = await llama.loadModel({ modelPath });
  const answer = async (withAdapter: boolean, question: string) => {
    const context = await model.createContext({ contextSize: 256, ...(withAdapter ? { lora: { adapters: [{ filePath: adapter }] } } : {}) });
    try {
      const session = new LlamaChatSession({ contextSequence: context.getSequence() });
      return (await session.prompt(question, { temperature: 0, maxTokens: 24 })).trim();
    } finally {
      await context.dispose();
    }
  };
  try {
    const tuned = await Promise.all(MEMORIZE.map((e) => answer(true, e.user)));
    const base: string[] = [];
    for (const e of MEMORIZE) base.push(await answer(false, e.user));
    const reproduced = MEMORIZE.filter((e, i) => tuned[i] === e.assistant).length;
    const baseHits = MEMORIZE.filter((e, i) => base[i] === e.assistant).length;
    const ok = reproduced === MEMORIZE.length && baseHits === 0;
    return {
      name,
      ok,
      detail: `final loss ${loss.toFixed(3)} after ${steps} steps; with adapter ${reproduced}/${MEMORIZE.length} exact${ok ? '' : ` (${JSON.stringify(tuned)})`}; base alone ${baseHits}/${MEMORIZE.length}`,
    };
  } finally {
    await model.dispose();
  }
}
