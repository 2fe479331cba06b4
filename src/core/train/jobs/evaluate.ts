/**
 * Dev-set execution accuracy of a model + adapter(s): each question answered with node-llama-cpp through the
 * chosen strategy (grammar 'schema', greedy), scored with the evaluation harness's BIRD EX (result sets equal).
 */
import path from 'node:path';
import type { Sampling, StrategyName } from '../../../shared/contract/index.ts';
import { runStrategy, takesLinkModel } from '../../ai/index.ts';
import type { SandboxPool } from '../../db/index.ts';
import { GoldCache, scoreExample } from '../../eval/index.ts';
import { openModelSpec, type OpenedModel } from '../../llm/index.ts';
import { exampleDbs, type TrainExample } from '../datasets/index.ts';
import type { TrainConfig } from '../methods/index.ts';

export interface DevScore {
  devEx: number;
  correct: number;
  total: number;
  ms: number;
  /** the same examples with the vote strategy (config.eval.voteSamples samples at T = 1), when asked */
  vote?: { devEx: number; correct: number; total: number; samples: number };
}

export async function evaluateDev(o: {
  model: string;
  /** SQL adapter (null: the base model) */
  adapter: string | null;
  /** the method's schema-link adapter, used when the dev strategy takes a link model */
  linkAdapter?: string | null;
  dev: TrainExample[];
  config: TrainConfig;
  sandbox: SandboxPool;
  /** checked between questions */
  stopped?: () => boolean;
}): Promise<DevScore> {
  const started = performance.now();
  const examples = o.dev.slice(0, o.config.eval.limit ?? o.dev.length);
  const strategy = o.config.eval.strategy;
  const opened: OpenedModel[] = [];
  try {
    const spec = { model: o.model, threads: o.config.threads, contextSize: o.config.eval.contextSize };
    const main = await openModelSpec({ ...spec, adapter: o.adapter });
    opened.push(main);
    let link: OpenedModel | undefined;
    if (takesLinkModel(strategy) && o.linkAdapter) opened.push((link = await openModelSpec({ ...spec, adapter: o.linkAdapter })));
    const dbOf = exampleDbs(o.sandbox);
    const cache = new GoldCache();
    /** the examples this strategy and sampling answer right (BIRD EX), each gold run once for both */
    const count = async (strategy: StrategyName, sampling: Sampling, voteSamples?: number): Promise<number> => {
      let correct = 0;
      for (const [index, ex] of examples.entries()) {
        if (o.stopped?.()) break;
        const trace = await runStrategy({
          question: ex.question,
          evidence: ex.evidence,
          db: await dbOf(ex),
          strategy,
          grammar: 'schema',
          settings: {
            sampling,
            sampleRows: o.config.prompt.sampleRows,
            schemaBudget: o.config.prompt.schemaBudget,
            ...(o.config.prompt.sliceBudget ? { lrsql: { sliceBudget: o.config.prompt.sliceBudget } } : {}),
            ...(voteSamples ? { vote: { samples: voteSamples } } : {}),
          },
          model: main.textModel,
          linkModel: link?.textModel,
          modelInfo: { id: null, name: path.basename(o.model), sha256: null },
          adapterInfo: o.adapter ? { id: null, name: path.basename(o.adapter), sha256: null } : null,
        });
        const score = await scoreExample(
          { index, id: ex.id, dbId: ex.dbId, question: ex.question, evidence: ex.evidence, gold: ex.sql, pred: trace.final.sql.trim(), group: null, dbFiles: [ex.dbPath], unavailable: null },
          o.sandbox,
          { metrics: ['bird_ex'], keepDistinct: false, timeoutMs: 30_000, vesIterations: 1, schemas: new Map() },
          cache,
        );
        if (score.scores.bird_ex === 1) correct++;
      }
      return correct;
    };
    const greedy = await count(strategy, { temperature: 0, topP: 1, topK: 0, maxTokens: o.config.eval.maxTokens });
    const total = examples.length;
    const samples = o.config.eval.voteSamples ?? 0;
    // FINER's inference: n samples at T = 1, value-aware voting (seeded: the same adapter scores the same)
    const vote = samples > 0 && !o.stopped?.() ? await count('vote', { temperature: 1, topP: 1, topK: 0, maxTokens: o.config.eval.maxTokens, seed: o.config.seed }, samples) : null;
    return {
      devEx: total ? greedy / total : 0,
      correct: greedy,
      total,
      ms: performance.now() - started,
      ...(vote !== null ? { vote: { devEx: total ? vote / total : 0, correct: vote, total, samples } } : {}),
    };
  } finally {
    for (const m of opened.reverse()) await m.close();
  }
}
