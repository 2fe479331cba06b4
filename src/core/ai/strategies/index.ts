/** The strategies: each runs its pipeline into a trace; the final SQL is executed once more only when needed. */
import crypto from 'node:crypto';
import type { StrategyName, StrategySettings, Trace } from '../../../shared/contract/index.ts';
import { SquillError } from '../../../shared/errors.ts';
import { cancelledError } from '../trace.ts';
import type { StrategyInput } from '../types.ts';
import { createContext, DEFAULT_SAMPLE_ROWS, DEFAULT_SAMPLING, DEFAULT_SLICE_BUDGET, DEFAULT_VOTE_SAMPLES, type Outcome, type StrategyContext } from './context.ts';
import { runDirect } from './direct.ts';
import { runLrsql } from './lrsql.ts';
import { runReason } from './reason.ts';
import { runRoute } from './route.ts';
import { runVote } from './vote.ts';

export { vote, type VoteCandidate } from './vote.ts';
export { DEFAULT_SAMPLE_ROWS, DEFAULT_SAMPLING, DEFAULT_SLICE_BUDGET } from './context.ts';

const RUNNERS: Record<StrategyName, (ctx: StrategyContext) => Promise<Outcome>> = {
  direct: runDirect,
  route: runRoute,
  lrsql: runLrsql,
  vote: runVote,
  reason: runReason,
};

/**
 * The strategies that take a second model for a role of their own, and where their settings name its adapter: LR-SQL's
 * schema-link model. Whoever opens models for a strategy (asks, evaluation runs, a training job's dev evaluation)
 * asks here instead of knowing which strategy has one.
 */
const LINK_ADAPTER: Partial<Record<StrategyName, (settings: StrategySettings) => string | null | undefined>> = {
  lrsql: (settings) => settings.lrsql?.linkAdapterId,
};

/** Whether the strategy runs a separate schema-link model (StrategyInput.linkModel). */
export const takesLinkModel = (strategy: StrategyName): boolean => LINK_ADAPTER[strategy] !== undefined;

/** The registered adapter the strategy's settings choose for its link model, or null (then the main model links). */
export const linkAdapterOf = (strategy: StrategyName, settings: StrategySettings): string | null => LINK_ADAPTER[strategy]?.(settings) ?? null;

const samplingDefaults = (name: StrategyName) => {
  const { seed, ...rest } = DEFAULT_SAMPLING[name];
  return seed === undefined ? rest : { ...rest, seed };
};

export const STRATEGY_CATALOG: { name: StrategyName; label: string; description: string; steps: string[]; defaults: StrategySettings }[] = [
  {
    name: 'direct',
    label: 'Direct',
    description: 'One prompt with the schema and sample rows; the SQL is executed as written.',
    steps: ['sql'],
    defaults: { sampling: samplingDefaults('direct'), sampleRows: DEFAULT_SAMPLE_ROWS },
  },
  {
    name: 'route',
    label: 'ROUTE (multitask collaboration)',
    description: 'Schema linking and a pre-SQL prune the schema; SQL on the pruned schema; noise correction with the real error; continuation writing when it still fails.',
    steps: ['schema_link', 'pre_sql', 'prune', 'sql', 'noise_correction', 'continuation'],
    defaults: {
      sampling: samplingDefaults('route'),
      sampleRows: DEFAULT_SAMPLE_ROWS,
      route: { schemaLinking: true, preSql: true, prune: true, noiseCorrection: true, continuation: true },
    },
  },
  {
    name: 'lrsql',
    label: 'LR-SQL (sliced schema linking)',
    description: 'A schema-link model reads the schema in foreign-key slices carrying the tables found so far; the SQL model sees only the selected tables.',
    steps: ['slice_link', 'sql'],
    defaults: { sampling: samplingDefaults('lrsql'), lrsql: { sliceBudget: DEFAULT_SLICE_BUDGET, linkAdapterId: null } },
  },
  {
    name: 'vote',
    label: 'Vote (FINER-SQL sampling + execution voting)',
    description: 'Several samples with reasoning at temperature 1, all executed; the largest group of equal results wins.',
    steps: ['sample', 'vote'],
    defaults: { sampling: samplingDefaults('vote'), sampleRows: DEFAULT_SAMPLE_ROWS, vote: { samples: DEFAULT_VOTE_SAMPLES } },
  },
  {
    name: 'reason',
    label: 'Reason (FINER-SQL, greedy)',
    description: "FINER-SQL's prompt answered once: reasoning inside <think>, then the SQL, executed as written. How a reasoning-trained adapter is evaluated greedily.",
    steps: ['reason'],
    defaults: { sampling: samplingDefaults('reason'), sampleRows: DEFAULT_SAMPLE_ROWS },
  },
];

/** Runs one strategy; failures and cancellation still give a trace (status failed / cancelled) with the steps so far. */
export async function runStrategy(input: StrategyInput): Promise<Trace> {
  const started = performance.now();
  const createdAt = new Date().toISOString();
  let ctx: StrategyContext | null = null;
  let outcome: Outcome | null = null;
  let status: Trace['status'] = 'done';
  let error: string | null = null;
  try {
    ctx = await createContext(input);
    outcome = await RUNNERS[input.strategy](ctx);
    let executed = outcome.executed;
    if (!executed || executed.trace.sql !== outcome.sql) executed = await ctx.execute(outcome.sql);
    outcome = { ...outcome, executed };
  } catch (err) {
    const cancelled = input.signal?.aborted || (err instanceof SquillError && err.code === 'CANCELLED');
    status = cancelled ? 'cancelled' : 'failed';
    error = cancelled ? cancelledError().message : (err as Error).message;
    if (!cancelled && !(err instanceof SquillError)) error = `The ${input.strategy} strategy failed: ${error}`;
  }
  const steps = ctx?.rec.steps ?? [];
  return {
    id: crypto.randomUUID(),
    createdAt,
    question: input.question,
    evidence: input.evidence,
    connectionId: input.db.connectionId,
    database: input.db.name,
    strategy: input.strategy,
    grammar: input.grammar,
    model: input.modelInfo,
    adapter: input.adapterInfo,
    settings: input.settings,
    steps,
    final: {
      sql: outcome?.sql ?? '',
      execution: outcome?.executed?.trace ?? null,
      why: outcome?.why ?? (status === 'cancelled' ? 'Cancelled before an SQL was chosen.' : `No SQL: ${error}`),
    },
    status,
    error,
    totalMs: performance.now() - started,
    modelMs: steps.reduce((s, x) => s + x.modelMs, 0),
  };
}
