/**
 * Model-driven evaluation: a model and a strategy answer a benchmark's questions one by one (the model is the
 * bottleneck, so one at a time), each answer keeps its trace, and the predictions go to the ordinary scoring path.
 * This file holds the generation loop and the prediction files; the run itself lives in index.ts.
 */
import type { GRAMMARS, ParsedInput, StrategyName, StrategySettings, Trace } from '../../shared/contract/index.ts';
import { SquillError } from '../../shared/errors.ts';
import { fileDbHandle, linkAdapterOf, runStrategy, saveTrace, STRATEGY_CATALOG, type DbHandle } from '../ai/index.ts';
import type { SandboxPool } from '../db/index.ts';
import type { TextModel } from '../llm/index.ts';
import { sha256File, type Models } from '../models/index.ts';
import type { Store } from '../store/index.ts';
import type { Bench } from './benchmarks.ts';
import type { EvalExampleInput } from './loaders.ts';

/** eval.generate's input without the registered model, which the caller opens (GenerateDeps) */
export type GenerateInput = Omit<ParsedInput<'eval.generate'>, 'modelId' | 'adapterId'>;

/** The model a run generates with, opened by the caller (the model manager, or a GGUF path on the command line). */
export interface GenerateModel {
  model: TextModel;
  /** the strategy's schema-link model when it differs from `model` (see takesLinkModel) */
  linkModel?: TextModel;
  modelInfo: Trace['model'];
  adapterInfo: Trace['adapter'];
  /** of the model file (remote endpoints: a name for the endpoint and model) */
  sha256: string;
  adapterSha256: string | null;
}

export interface GenerateDeps {
  /** the model's name, for the run's default name */
  modelName: string;
  /** opened once the run is listed, so a slow load shows as a running run */
  open(): Promise<GenerateModel>;
  /** after each example is generated (the CLI prints progress) */
  onGenerated?(example: EvalExampleInput, trace: Trace | null, done: number, total: number): void;
}

/** A registered model (and adapter) of the model manager, for `eval.generate`; unknown ids fail at once. */
export function registeredModel(
  models: Models,
  input: { modelId: string; adapterId?: string | null; strategy: StrategyName; settings?: StrategySettings },
): GenerateDeps {
  const registered = models.get(input.modelId);
  const adapter = input.adapterId ? registered.adapters.find((a) => a.id === input.adapterId) : null;
  if (input.adapterId && !adapter) throw new SquillError('NOT_FOUND', `The adapter is not attached to ${registered.name}`);
  return {
    modelName: adapter ? `${registered.name} + ${adapter.name}` : registered.name,
    async open() {
      const model = await models.textModel(registered.id, adapter?.id ?? null);
      const linkAdapterId = linkAdapterOf(input.strategy, input.settings ?? {});
      const linkModel = linkAdapterId ? await models.textModel(registered.id, linkAdapterId) : undefined;
      // the manager hashes in the background; a run needs the hash now
      const known = models.get(registered.id).sha256;
      const sha256 = known ?? (registered.path ? await sha256File(registered.path) : `remote:${registered.remote?.baseUrl ?? ''}#${registered.remote?.model ?? ''}`);
      const adapterSha256 = adapter ? await sha256File(adapter.path) : null;
      return {
        model,
        linkModel,
        modelInfo: { id: registered.id, name: registered.name, sha256: registered.path ? sha256 : null },
        adapterInfo: adapter ? { id: adapter.id, name: adapter.name, sha256: adapterSha256 } : null,
        sha256,
        adapterSha256,
      };
    },
  };
}

/** What the run's reproducibility record says about decoding: grammar and the sampling actually used. */
export function decodingOf(strategy: StrategyName, grammar: (typeof GRAMMARS)[number], settings: StrategySettings): Record<string, unknown> {
  const defaults = STRATEGY_CATALOG.find((s) => s.name === strategy)?.defaults ?? {};
  const given = Object.fromEntries(Object.entries(settings.sampling ?? {}).filter(([, v]) => v !== undefined));
  return { grammar, sampling: { ...defaults.sampling, ...given }, settings };
}

/**
 * Answers each example with the model; fills in `pred` and `traceId` and saves the traces. Examples without their
 * database are passed through with an empty prediction (they are reported unavailable, never scored). Stops at
 * the signal: the example being answered is dropped, the ones before it are returned.
 */
export async function generatePredictions(o: {
  examples: EvalExampleInput[];
  sandbox: SandboxPool;
  store: Store;
  model: GenerateModel;
  strategy: StrategyName;
  grammar: (typeof GRAMMARS)[number];
  settings: StrategySettings;
  signal: AbortSignal;
  onGenerated(example: EvalExampleInput, trace: Trace | null): void;
}): Promise<EvalExampleInput[]> {
  const handles = new Map<string, Promise<DbHandle>>();
  const generated: EvalExampleInput[] = [];
  for (const ex of o.examples) {
    if (o.signal.aborted) break;
    const file = ex.dbFiles[0];
    if (!file) {
      generated.push(ex);
      o.onGenerated(ex, null);
      continue;
    }
    let db = handles.get(file);
    if (!db) {
      // as scoring runs SQL (score.ts): benchmark golds and tooling accept "double-quoted" strings
      db = fileDbHandle(o.sandbox, file, ex.dbId, { doubleQuotedStrings: true });
      handles.set(file, db);
    }
    const trace = await runStrategy({
      question: ex.question,
      evidence: ex.evidence?.trim() ? ex.evidence : null,
      db: await db,
      strategy: o.strategy,
      grammar: o.grammar,
      settings: o.settings,
      model: o.model.model,
      linkModel: o.model.linkModel,
      modelInfo: o.model.modelInfo,
      adapterInfo: o.model.adapterInfo,
      signal: o.signal,
    });
    if (trace.status === 'cancelled' || o.signal.aborted) break;
    saveTrace(o.store, trace);
    ex.pred = trace.final.sql.trim();
    ex.traceId = trace.id;
    generated.push(ex);
    o.onGenerated(ex, trace);
  }
  return generated;
}

/** The predictions as `eval score` reads them: {id, db_id, gold, pred, evidence?} per line. */
export function predictionsJsonl(examples: EvalExampleInput[]): string {
  return examples
    .map((e) => JSON.stringify({ id: e.id, db_id: e.dbId, gold: e.gold, pred: e.pred, ...(e.evidence ? { evidence: e.evidence } : {}) }))
    .map((line) => `${line}\n`)
    .join('');
}

/**
 * The prediction files the official programs read. Spider (test-suite-sql-eval): predicted.sql, one query per line,
 * with gold.sql (`SQL\tdb_id`) for the same examples; the evaluator drops blank lines, so an empty prediction is
 * written as `SELECT` (an error, scored wrong as the empty one would be). BIRD: predict_dev.json,
 * {"<question_id>": "SQL\t----- bird -----\t<db_id>"}. JSONL has no official program.
 */
export function officialPredictionFiles(bench: Bench, examples: EvalExampleInput[]): { file: string; content: string }[] {
  // line breaks only: spaces inside string literals are part of the query
  const line = (s: string) => s.replace(/\s*[\r\n]+\s*/g, ' ').trim();
  if (bench === 'spider') {
    return [
      { file: 'predicted.sql', content: examples.map((e) => `${line(e.pred) || 'SELECT'}\n`).join('') },
      { file: 'gold.sql', content: examples.map((e) => `${line(e.gold)}\t${e.dbId}\n`).join('') },
    ];
  }
  if (bench === 'bird') {
    const entries = Object.fromEntries(examples.map((e) => [e.id, `${line(e.pred)}\t----- bird -----\t${e.dbId}`]));
    return [{ file: 'predict_dev.json', content: `${JSON.stringify(entries, null, 4)}\n` }];
  }
  return [];
}
