/**
 * FINER-SQL's rewards (methods.md section 3, issue 15) as plain functions and one scorer the GRPO runner calls:
 * R = F + E + M when F = 1, else 0 (in [0, 4]; methods.md, the issue and the authors' grpo_writer.py agree on it:
 * a well-formed answer whose SQL fails still earns 1 more than a malformed one), with
 * - F format (format.ts): one `<think>` block with a >100-character reasoning, then an SQL;
 * - E execution (execution.ts): 2 for the gold's rows as a set, else 1 + f(J) when it runs, else 0;
 * - f(J) atomic (atomic.ts): the shaped Jaccard similarity of atomic-operation sets, max over the golds;
 * - M memory (memory.ts, off by default): 1 when E = 2, else the cosine to correct reasonings of other databases.
 * The breakdown keeps every part, the SQL's result preview or error and both sides' operations: the rollout browser
 * and `squill reward` show them.
 */
import { z } from 'zod';
import { serverPath } from '../../../shared/contract/index.ts';
import { SquillError } from '../../../shared/errors.ts';
import type { SandboxPool } from '../../db/index.ts';
import { GoldCache } from '../../eval/index.ts';
import { parse } from '../../ai/index.ts';
import { atomicOps, DEFAULT_ATOMIC_SHAPE, jaccard, shapeAtomic } from './atomic.ts';
import { executionReward, runAgainstGolds, type ResultPreview } from './execution.ts';
import { formatReward } from './format.ts';
import { createReasoningMemory, DEFAULT_GATE, DEFAULT_TOP_K, type ReasoningMemory } from './memory.ts';
import { openEmbedder, type OpenedEmbedder } from '../../llm/index.ts';
import type { Store } from '../../store/index.ts';

export { openEmbedder, type Embedder, type OpenedEmbedder } from '../../llm/index.ts';
export { atomicOps, DEFAULT_ATOMIC_SHAPE, jaccard, shapeAtomic, type AtomicShape } from './atomic.ts';
export { executionReward, PREVIEW_ROWS, runAgainstGolds, type ExecutionOutcome, type ResultPreview } from './execution.ts';
export { formatReward, MIN_REASONING_CHARS, type FormatVerdict } from './format.ts';
export {
  bigramTtr, columnMentions, cosine, createReasoningMemory, DEFAULT_GATE, DEFAULT_TOP_K, qualityGate,
  type GateSettings, type GateVerdict, type MemoryOptions, type ReasoningMemory,
} from './memory.ts';

export const RewardSettingsSchema = z.strictObject({
  /** f(J) = e*J + (1-e)*b*J^g */
  atomic: z
    .strictObject({
      e: z.number().min(0).max(1).default(DEFAULT_ATOMIC_SHAPE.e),
      b: z.number().min(0).max(1).default(DEFAULT_ATOMIC_SHAPE.b),
      g: z.number().positive().max(10).default(DEFAULT_ATOMIC_SHAPE.g),
    })
    .prefault({}),
  memory: z
    .strictObject({
      enabled: z.boolean().default(false),
      /** the embedding model (a GGUF file: an embedding model, or the policy's base) when no memory is passed */
      model: serverPath('file').optional(),
      /** stored reasonings of other databases averaged for M */
      topK: z.number().int().min(1).max(1000).default(DEFAULT_TOP_K),
      gate: z
        .strictObject({
          minWords: z.number().int().min(0).default(DEFAULT_GATE.minWords),
          maxWords: z.number().int().min(1).default(DEFAULT_GATE.maxWords),
          minColumnMentions: z.number().int().min(0).default(DEFAULT_GATE.minColumnMentions),
          minBigramTtr: z.number().min(0).max(1).default(DEFAULT_GATE.minBigramTtr),
          maxSimilarity: z.number().min(-1).max(1).default(DEFAULT_GATE.maxSimilarity),
        })
        .prefault({}),
    })
    .prefault({}),
  /** per query, prediction and gold alike; a prediction that overruns earns E = 0 */
  timeoutMs: z.number().int().min(10).max(600_000).default(10_000),
});
export type RewardSettings = z.output<typeof RewardSettingsSchema>;

export interface RewardInput {
  /** the model's whole completion: `<think>…</think>` then the SQL */
  completion: string;
  /** the accepted SQLs (at least one) */
  golds: string[];
  dbPath: string;
  /** names the database for the memory (M compares with OTHER databases) */
  dbId: string;
}

export interface RewardBreakdown {
  format: 0 | 1;
  execution: number;
  /** J, null when the prediction or every gold does not parse (then E gets no atomic credit) */
  jaccard: number | null;
  /** f(J) */
  atomic: number | null;
  /** M, null when the memory is off or F = 0 (not computed) */
  memory: number | null;
  total: number;
  reasoning: string | null;
  sql: string;
  /** the prediction's columns, first rows and row count (null when it did not run) */
  result: ResultPreview | null;
  /** why the prediction did not run */
  error: string | null;
  /** why F = 0 */
  formatProblem: string | null;
  /** a gold that failed to run when none ran (nothing to match) */
  goldError: string | null;
  predOps: string[];
  goldOps: string[];
}

export interface Rewarder {
  readonly settings: RewardSettings;
  /** the reasoning memory when the memory reward is on (seed it with correct traces), else null */
  readonly memory: ReasoningMemory | null;
  score(input: RewardInput): Promise<RewardBreakdown>;
  /**
   * After a step: offers the reasonings of its correct samples (F = 1, E = 2) to the memory, through the quality
   * gate (the schema's columns read from each database). The memory stays fixed while a step is scored, so a
   * sample's M does not depend on the order its group was scored in. Nothing to do with the memory off.
   */
  grow(items: { dbId: string; dbPath: string; breakdown: RewardBreakdown }[]): Promise<{ offered: number; added: number }>;
  /** releases the embedding model the rewarder opened (none when the memory is off or was given) */
  close(): Promise<void>;
}

export interface RewarderOptions {
  sandbox: SandboxPool;
  settings?: z.input<typeof RewardSettingsSchema>;
  /** the policy's base model: the embedder when the memory is on and `settings.memory.model` is not set */
  policyModel?: string;
  /** an open memory; without one, `settings.memory.model` (else policyModel) is opened as the embedder when the memory is on */
  memory?: ReasoningMemory;
  /** where a memory opened here persists its entries (in memory only without one) */
  store?: Store;
  /** gold results shared with another scorer (a dev evaluation); a cache of its own otherwise */
  goldCache?: GoldCache;
  log?: (line: string) => void;
}

/**
 * A scorer over a sandbox pool. Gold results are cached for the rewarder's life, gold operations too. The memory is
 * read and grown only when `settings.memory.enabled`, with the settings' topK and gate.
 */
export async function createRewarder(o: RewarderOptions): Promise<Rewarder> {
  const settings = RewardSettingsSchema.parse(o.settings ?? {});
  let memory: ReasoningMemory | null = null;
  let opened: OpenedEmbedder | null = null;
  if (settings.memory.enabled) {
    if (o.memory) memory = o.memory;
    else if (settings.memory.model ?? o.policyModel) {
      // an embedding GGUF when one is set, else the policy's own base model (the issue allows either)
      opened = await openEmbedder((settings.memory.model ?? o.policyModel)!);
      memory = createReasoningMemory({ embedder: opened, store: o.store, topK: settings.memory.topK, gate: settings.memory.gate });
      o.log?.(`memory reward: ${memory.size()} stored reasoning(s) for ${opened.id}`);
    } else {
      throw new SquillError('VALIDATION', 'The memory reward is on but has no embedding model: set rewards.memory.model to a GGUF file');
    }
  }
  const cache = o.goldCache ?? new GoldCache();
  const goldOpsCache = new Map<string, string[] | null>();
  const opsOfGold = (sql: string) => {
    let hit = goldOpsCache.get(sql);
    if (hit === undefined) goldOpsCache.set(sql, (hit = atomicOps(parse.trimSql(sql))));
    return hit;
  };
  const columns = new Map<string, Promise<string[]>>();
  const columnsOf = (dbPath: string) => {
    let hit = columns.get(dbPath);
    if (!hit) {
      hit = o.sandbox.introspect(dbPath, false).then((schema) => schema.tables.flatMap((t) => t.columns.map((c) => c.name)));
      hit.catch(() => columns.delete(dbPath));
      columns.set(dbPath, hit);
    }
    return hit;
  };

  return {
    settings,
    memory,
    async score(input) {
      if (!input.golds.length) throw new SquillError('VALIDATION', 'A reward needs at least one gold SQL');
      const f = formatReward(input.completion);
      const predOps = f.sql ? atomicOps(f.sql) : null;
      const goldOpsList = input.golds.map(opsOfGold).filter((x): x is string[] => x !== null);
      const j = predOps && goldOpsList.length ? jaccard(predOps, goldOpsList) : null;
      const atomic = j === null ? null : shapeAtomic(j, settings.atomic);
      // the SQL runs even when F = 0: the reward is 0 then, but the rollout browser shows what it returned
      const outcome = await runAgainstGolds({ sandbox: o.sandbox, cache, dbPath: input.dbPath, sql: f.sql, golds: input.golds, timeoutMs: settings.timeoutMs });
      const execution = executionReward(outcome.status, atomic);
      let m: number | null = null;
      // a cosine may be negative; R = F + E + M is in [0, 4] (methods.md), so M is clamped at 0: a reasoning unlike
      // the stored ones earns nothing rather than costing the execution reward
      if (memory && f.format === 1) m = outcome.status === 'match' ? 1 : Math.max(0, await memory.similarity(input.dbId, f.reasoning!, settings.memory.topK));
      // the gold whose operations are shown: the one J took its maximum on (the first when J is null)
      const bestGold = predOps && goldOpsList.length ? goldOpsList.reduce((best, g) => (jaccard(predOps, [g]) > jaccard(predOps, [best]) ? g : best)) : goldOpsList[0];
      return {
        format: f.format,
        execution,
        jaccard: j,
        atomic,
        memory: m,
        total: f.format ? f.format + execution + (m ?? 0) : 0,
        reasoning: f.reasoning,
        sql: f.sql,
        result: outcome.result,
        error: outcome.error,
        formatProblem: f.problem,
        goldError: outcome.goldError,
        predOps: predOps ?? [],
        goldOps: bestGold ?? [],
      };
    },
    async grow(items) {
      let offered = 0;
      let added = 0;
      if (!memory) return { offered, added };
      for (const { dbId, dbPath, breakdown: b } of items) {
        if (b.format !== 1 || b.execution !== 2 || !b.reasoning) continue;
        offered++;
        const verdict = await memory.offer({ dbId, text: b.reasoning, schemaColumns: await columnsOf(dbPath) }, settings.memory.gate);
        if (verdict.pass) added++;
      }
      if (offered) o.log?.(`memory reward: ${added} of ${offered} correct reasoning(s) stored (${memory.size()} in all)`);
      return { offered, added };
    },
    async close() {
      await opened?.close();
    },
  };
}
