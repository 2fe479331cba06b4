/**
 * Token counts of what training will really see, for the wizard's estimate: the method's own samples for each
 * example, per example, per task and per adapter. It builds method samples, so it lives with the jobs (datasets
 * only read examples; methods build from them).
 */
import type { DbHandle } from '../../ai/index.ts';
import type { TrainExample } from '../datasets/index.ts';
import { methods, type MethodOptions, type MethodRegistry, type TrainSample } from '../methods/index.ts';

export interface PreviewRow {
  id: string;
  samples: number;
  promptTokens: number;
  targetTokens: number;
  maxSampleTokens: number;
}
export interface AdapterPreview {
  samples: number;
  byTask: Record<string, number>;
  maxSampleTokens: number;
  /** the longest prompt (an online method's sequences are its prompt plus a sampled completion) */
  maxPromptTokens: number;
  meanSampleTokens: number;
  /** answer tokens (the learned ones) per sample */
  meanTargetTokens: number;
}
export interface DatasetPreview {
  examples: PreviewRow[];
  totals: {
    examples: number;
    samples: number;
    promptTokens: number;
    targetTokens: number;
    maxSampleTokens: number;
    byTask: Record<string, number>;
    /** per adapter (lrsql: link and main): its samples by task, their longest and mean length in tokens */
    byAdapter: Partial<Record<TrainSample['adapter'], AdapterPreview>>;
  };
}

/**
 * Token counts of what training will really see: the method's samples for each example. With `measure` (the
 * tokenizer's chat rendering, see sampleTokens) a sample's prompt includes the chat template's tokens; without it,
 * the prompt is the messages' text counted by `count`, the target the answer.
 */
export async function previewDataset(
  examples: TrainExample[],
  tokenCount: (text: string) => number | Promise<number>,
  o: {
    method: string;
    /** the registry that knows the method (default: the built-in methods) */
    methods?: MethodRegistry;
    db: (example: TrainExample) => Promise<DbHandle>;
    options?: Partial<Omit<MethodOptions, 'count'>>;
    measure?: (sample: TrainSample) => { prompt: number; target: number };
  },
): Promise<DatasetPreview> {
  const count = async (text: string) => tokenCount(text);
  const samples = await (o.methods ?? methods).buildSamples(o.method, examples, o.db, { schemaBudget: 2048, seed: 0, ...o.options, count });
  const per = new Map(examples.map((e) => [e.id, { id: e.id, samples: 0, promptTokens: 0, targetTokens: 0, maxSampleTokens: 0 }]));
  const byTask: Record<string, number> = {};
  const adapters: Partial<Record<TrainSample['adapter'], AdapterPreview & { tokens: number; targets: number }>> = {};
  for (const s of samples) {
    const row = per.get(s.exampleId)!;
    let prompt = 0;
    let target = 0;
    if (o.measure) ({ prompt, target } = o.measure(s));
    else {
      for (const m of s.messages) prompt += await count(m.content);
      // the forced answer prefix (ROUTE continuation) is read, not learned: it counts as prompt
      if (s.prefix) prompt += await count(s.prefix);
      target = await count(s.target);
    }
    row.samples++;
    row.promptTokens += prompt;
    row.targetTokens += target;
    row.maxSampleTokens = Math.max(row.maxSampleTokens, prompt + target);
    byTask[s.task] = (byTask[s.task] ?? 0) + 1;
    const a = (adapters[s.adapter] ??= { samples: 0, byTask: {}, maxSampleTokens: 0, maxPromptTokens: 0, meanSampleTokens: 0, meanTargetTokens: 0, tokens: 0, targets: 0 });
    a.samples++;
    a.targets += target;
    a.byTask[s.task] = (a.byTask[s.task] ?? 0) + 1;
    a.tokens += prompt + target;
    a.maxSampleTokens = Math.max(a.maxSampleTokens, prompt + target);
    a.maxPromptTokens = Math.max(a.maxPromptTokens, prompt);
  }
  const rows = [...per.values()];
  const byAdapter: DatasetPreview['totals']['byAdapter'] = {};
  for (const [role, { tokens, targets, ...a }] of Object.entries(adapters) as [TrainSample['adapter'], AdapterPreview & { tokens: number; targets: number }][]) {
    byAdapter[role] = { ...a, meanSampleTokens: tokens / a.samples, meanTargetTokens: targets / a.samples };
  }
  return {
    examples: rows,
    totals: {
      examples: rows.length,
      samples: samples.length,
      promptTokens: rows.reduce((a, r) => a + r.promptTokens, 0),
      targetTokens: rows.reduce((a, r) => a + r.targetTokens, 0),
      maxSampleTokens: rows.reduce((a, r) => Math.max(a, r.maxSampleTokens), 0),
      byTask,
      byAdapter,
    },
  };
}
