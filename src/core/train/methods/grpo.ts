/**
 * FINER-SQL's GRPO (methods.md section 3): per step, a batch of prompts, G samples each at T = 1 from the live
 * adapter (the engine's batched rollouts), the dense rewards of ../rewards (format, execution, atomic operations,
 * optionally memory), group-normalised advantages and one update on the engine's weighted step.
 *
 * The update. GRPO's objective for one rollout batch is, with one update per batch (so the PPO ratio is 1 and its
 * clip is inert),
 *   J = sum_i sum_t n_it * (A_i * log p(o_it) - beta * k3_it),   k3 = exp(ref - lp) - (ref - lp) - 1
 * where A_i = (R_i - mean_group) / (std_group + eps), lp the policy's log-prob of token t (the rollout's own, at T = 1),
 * ref the reference model's (the engine's reference pass: the policy the job started from — the base with the start
 * adapter frozen, e.g. the stage-0 SFT, or the bare base for a fresh LoRA — without the adapter being trained), and
 * n_it the
 * normalisation: 'sequence' (GRPO) 1 / (|o_i| * N) over the N samples of the batch; 'token' (DAPO / Dr. GRPO's
 * token-level) 1 / (sum_i |o_i|). The engine minimises L = sum w_t * (-log p_t), whose gradient is
 * -sum w_t grad lp_t. grad J = sum n_it * (A_i - beta * (1 - exp(ref - lp))) grad lp_it, so minimising -J is the
 * weighted step with
 *   w_it = n_it * (A_i + beta * (exp(ref_it - lp_it) - 1))
 * on the completion tokens and 0 on the prompt. A group whose samples all score the same has A = 0: it is counted
 * (zero_variance_groups) and teaches nothing but the KL term. The engine's weighted loss accepts negative weights
 * (its self-check fd_negative_weights).
 *
 * Rollouts depend only on (seed, step) and the adapter: a step re-done after a restart from its checkpoint samples
 * the same completions (the checkpoint restores the adapter; the sampling seed is derived from the step).
 */
import { z } from 'zod';
import type { RolloutGroup } from '../../../shared/contract/index.ts';
import { DEFAULT_REASONING_CHARS, deriveRationale, sqlGrammar, strategyExamples } from '../../ai/index.ts';
import { RewardSettingsSchema, createRewarder, type RewardBreakdown } from '../rewards/index.ts';
import type { GenerateRequest } from '../trainer.ts';
import { rngOf, defineMethod, MAIN_ROLE, type OnlineContext, type OnlineStep } from './spec.ts';

const REWARD_DEFAULTS = RewardSettingsSchema.parse({});

/**
 * The config's section `grpo`. Every field is optional and has no zod default, so a parsed config stays as written
 * (a stored job keeps what its author set); `resolve` fills GRPO_DEFAULTS where the method reads it.
 */
const GrpoSectionSchema = z
  .strictObject({
    /** G: samples per prompt */
    group: z.number().int().min(2).max(64),
    temperature: z.number().min(0.05).max(2),
    /**
     * sample among the k likeliest tokens (0: the whole vocabulary, as the authors). A small model's distribution
     * beyond its first few candidates is noise: its T = 1 samples are junk and no group holds a right answer to learn
     * from. The token weights still use the model's own log-probs (T = 1, whole vocabulary)
     */
    topK: z.number().int().min(0).max(1000),
    /** the longest completion, in tokens (reasoning + SQL) */
    maxTokens: z.number().int().min(16).max(4096),
    /** 'schema': the SQL after </think> follows the database's schema grammar */
    grammar: z.enum(['none', 'schema']),
    /** under the schema grammar, the longest reasoning in characters (the reason strategy's grammar allows as many) */
    maxReasoningChars: z.number().int().min(101).max(100_000),
    /** per-sequence mean (GRPO) or token-level (DAPO, Dr. GRPO) normalisation of the token weights */
    normalization: z.enum(['sequence', 'token']),
    /** KL coefficient to the reference (the starting policy: the base with the start adapter); 0 skips the reference pass */
    beta: z.number().min(0).max(10),
    /** added to the group's standard deviation */
    eps: z.number().positive().max(1),
    rewards: RewardSettingsSchema,
  })
  .partial();

const GRPO_DEFAULTS = {
  group: 8,
  temperature: 1,
  topK: 0,
  maxTokens: 256,
  grammar: 'none',
  maxReasoningChars: DEFAULT_REASONING_CHARS,
  normalization: 'sequence',
  beta: 0.04,
  eps: 1e-4,
} as const;

export type GrpoSettings = Required<Omit<z.output<typeof GrpoSectionSchema>, 'rewards'>> & { rewards: z.output<typeof RewardSettingsSchema> };
const resolve = (section: unknown): GrpoSettings => {
  const s = GrpoSectionSchema.parse(section ?? {});
  return { ...GRPO_DEFAULTS, ...s, rewards: RewardSettingsSchema.parse(s.rewards ?? {}) } as GrpoSettings;
};

const CURVES = [
  { key: 'reward', label: 'mean reward', chart: 'reward' },
  { key: 'reward_format', label: 'format F', chart: 'reward parts' },
  { key: 'reward_execution', label: 'execution E', chart: 'reward parts' },
  { key: 'reward_atomic', label: 'atomic f(J)', chart: 'reward parts' },
  { key: 'reward_memory', label: 'memory M', chart: 'reward parts' },
  { key: 'reward_std', label: 'reward std (within groups)', chart: 'reward spread' },
  { key: 'zero_variance_groups', label: 'groups with no variance', chart: 'reward spread' },
  { key: 'completion_tokens', label: 'completion length (tokens)', chart: 'completions' },
  { key: 'truncated', label: 'truncated completions (share)', chart: 'completions' },
  { key: 'kl', label: 'KL to the reference (k3)', chart: 'KL' },
  { key: 'rollout_tok_s', label: 'rollout tokens/s', chart: 'rollout speed' },
  { key: 'rollout_s', label: 'rollout s', chart: 'time per step' },
  { key: 'reward_s', label: 'reward s', chart: 'time per step' },
  { key: 'update_s', label: 'update s', chart: 'time per step' },
] as const;

export const grpo = defineMethod({
  name: 'grpo',
  label: 'FINER-SQL GRPO',
  description:
    'Reinforcement learning with execution rewards: G reasoning + SQL samples per question from the live adapter, scored by format, execution and atomic-operation overlap with the gold, and pushed toward the better ones of each group. Start from a reasoning SFT adapter.',
  adapters: [{ role: MAIN_ROLE, label: 'SQL adapter' }],
  settings: GrpoSectionSchema,
  // greedy reasoning answers; the job can add vote-scored evaluations (eval.voteSamples), and vote serves it too
  evalStrategy: 'reason',
  strategy: 'reason',
  startFrom: true,
  options: {
    legend: 'GRPO: rollouts, update and rewards',
    fields: [
      { key: 'group', label: 'G samples per prompt', kind: 'number', default: 8, min: 2, max: 64, step: 1 },
      { key: 'temperature', label: 'Sampling temperature', kind: 'number', default: 1, min: 0.05, max: 2, step: 0.05 },
      { key: 'topK', label: 'Top-k (0: whole vocabulary)', kind: 'number', default: 0, min: 0, max: 1000, step: 1 },
      { key: 'maxTokens', label: 'Max completion tokens', kind: 'number', default: 256, min: 16, max: 4096, step: 16 },
      { key: 'beta', label: 'KL coefficient beta (0: no reference pass)', kind: 'number', default: 0.04, min: 0, max: 10, step: 0.01 },
      {
        key: 'normalization',
        label: 'Token-weight normalisation',
        kind: 'choice',
        default: 'sequence',
        choices: [
          { value: 'sequence', label: 'per-sequence mean (GRPO)' },
          { value: 'token', label: 'token-level (Dr. GRPO / DAPO)' },
        ],
      },
      {
        key: 'grammar',
        label: 'SQL after </think>',
        kind: 'choice',
        default: 'none',
        choices: [
          { value: 'none', label: 'free (the model learns the format)' },
          { value: 'schema', label: "under the database's schema grammar" },
        ],
      },
      { key: 'rewards.atomic.e', label: 'f(J): e', kind: 'number', default: REWARD_DEFAULTS.atomic.e, min: 0, max: 1, step: 0.01 },
      { key: 'rewards.atomic.b', label: 'f(J): b', kind: 'number', default: REWARD_DEFAULTS.atomic.b, min: 0, max: 1, step: 0.01 },
      { key: 'rewards.atomic.g', label: 'f(J): g', kind: 'number', default: REWARD_DEFAULTS.atomic.g, min: 0.01, max: 5, step: 0.01 },
      { key: 'rewards.memory.enabled', label: 'Memory reward M (off in the authors’ best run)', kind: 'toggle', default: false },
    ],
    allZero: null,
    belowMin: 'A GRPO setting is below its minimum.',
  },
  presets: [
    {
      name: 'tiny',
      label: 'tiny models (scaled)',
      description:
        'What examples/grpo-demo.json runs on a model made by `squill model create`: small groups, short completions under the schema grammar, a learning rate a tiny adapter stays near its start with (1e-3 diverged: KL 11, reward down).',
      hyper: { rank: 16, alpha: 32, lr: 3e-4, length: 'steps', steps: 150, epochs: 1, batchSize: 2, evalEvery: 75, checkpointEvery: 25, patience: 0 },
      settings: { group: 8, maxTokens: 128, grammar: 'schema', maxReasoningChars: 240, beta: 0.04, temperature: 1 },
    },
    {
      name: 'authors-0.5b',
      label: "authors' (0.5B)",
      description: "FINER-SQL's recipe for Qwen2.5-Coder-0.5B: G 32, lr 5e-6, beta 0.04, completions up to 2048 tokens.",
      hyper: { rank: 16, alpha: 32, lr: 5e-6, length: 'epochs', steps: 1000, epochs: 1, batchSize: 4, evalEvery: 100, checkpointEvery: 25, patience: 0 },
      settings: { group: 32, maxTokens: 2048, beta: 0.04, temperature: 1 },
    },
    {
      name: 'authors',
      label: "authors' (1.5B and up)",
      description: "FINER-SQL's recipe for larger models: G 16, lr 5e-6, beta 0.04, completions up to 2048 tokens.",
      hyper: { rank: 16, alpha: 32, lr: 5e-6, length: 'epochs', steps: 1000, epochs: 1, batchSize: 4, evalEvery: 100, checkpointEvery: 25, patience: 0 },
      settings: { group: 16, maxTokens: 2048, beta: 0.04, temperature: 1 },
    },
  ],
  async build(e, ctx) {
    // the prompt FINER's strategies send (vote, and the greedy reasoning answer); the target is the gold the
    // rewards compare with, never learned as such
    const [sample] = await strategyExamples(ctx.db, { question: e.question, evidence: e.evidence, sql: e.sql }, 'vote', ctx.options, await ctx.sampleRows());
    return [{ task: 'grpo_prompt', messages: sample!.messages, target: e.sql, adapter: MAIN_ROLE }];
  },
  online: {
    curves: CURVES,
    rollouts: (s) => {
      const r = resolve(s);
      return { group: r.group, completionTokens: r.maxTokens };
    },
    start: startGrpo,
  },
});

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
/** the sample standard deviation (n - 1), as TRL's GRPO computes a group's */
const std = (xs: number[]) => {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
};

/** Group-normalised advantages; a group whose rewards do not vary gets 0 and is marked skipped. */
export function advantages(rewards: number[], eps: number): { advantages: number[]; mean: number; std: number; skipped: boolean } {
  const m = mean(rewards);
  const s = std(rewards);
  // rewards are sums of a few terms in [0, 4]: a spread below 1e-9 is equality up to rounding
  if (s < 1e-9) return { advantages: rewards.map(() => 0), mean: m, std: s, skipped: true };
  return { advantages: rewards.map((r) => (r - m) / (s + eps)), mean: m, std: s, skipped: false };
}

/**
 * The token weights of one completion (see the header): n * (A + beta * (exp(ref - lp) - 1)) per completion token.
 * `lp` and `ref` are the completion tokens' log-probs under the policy and the reference (ref empty: beta is 0).
 */
export function tokenWeights(o: { advantage: number; lp: number[]; ref: number[]; beta: number; norm: number }): number[] {
  return o.lp.map((lp, t) => o.norm * (o.advantage + (o.beta > 0 ? o.beta * (Math.exp(o.ref[t]! - lp) - 1) : 0)));
}

/** k3 = exp(ref - lp) - (ref - lp) - 1 >= 0, an unbiased, non-negative estimate of KL(policy || reference) per token */
export const k3 = (lp: number, ref: number) => Math.exp(ref - lp) - (ref - lp) - 1;

async function startGrpo(ctx: OnlineContext<unknown>) {
  const settings = resolve(ctx.settings);
  const rewarder = await createRewarder({ sandbox: ctx.sandbox, settings: settings.rewards, store: ctx.store, log: ctx.log, policyModel: ctx.model });
  if (rewarder.memory && rewarder.memory.size() === 0) {
    // the memory starts from correct traces: with no teacher traces stored yet, the rationales derived from the
    // training golds (the stage-0 SFT's own reasoning); correct rollouts that pass the gate join them
    const traces = await Promise.all(ctx.prompts.map(async (p) => ({ dbId: p.dbId, text: deriveRationale(p.golds[0]!, await ctx.schemaOf(p.dbPath)) })));
    ctx.log(`memory reward: seeded with ${await rewarder.memory.seed(traces)} rationales derived from the training golds`);
  }
  const end = ctx.tokenizer.endToken;
  // grammars per database, made once (the schema grammar names its tables and columns)
  const grammars = new Map<string, string | undefined>();
  const grammarOf = async (dbPath: string): Promise<string | undefined> => {
    if (settings.grammar === 'none') return undefined;
    if (!grammars.has(dbPath)) {
      const spec = sqlGrammar(await ctx.schemaOf(dbPath), { reasoning: true, maxReasoningChars: settings.maxReasoningChars });
      grammars.set(dbPath, spec.kind === 'gbnf' ? spec.source : undefined);
    }
    return grammars.get(dbPath);
  };

  return {
    async step(k: number): Promise<OnlineStep> {
      const picked = ctx.promptsOf(k);
      // the step's sampling seed: a function of (seed, step) only, so a re-done step samples the same completions
      const seed = Math.floor(rngOf(ctx.seed, 'grpo-rollout', String(k))() * 2 ** 31);
      const t0 = performance.now();
      // prompts of one database share a generate call (one grammar per call); samples come back per prompt
      const samples: { tokens: number[]; logprobs: number[] }[][] = new Array(picked.length);
      const byDb = new Map<string, number[]>();
      picked.forEach((p, i) => byDb.set(p.dbPath, [...(byDb.get(p.dbPath) ?? []), i]));
      let generated = 0;
      for (const [dbPath, indices] of byDb) {
        const request: GenerateRequest = {
          prompts: indices.map((i) => picked[i]!.tokens),
          n: settings.group,
          temperature: settings.temperature,
          top_p: 1,
          top_k: settings.topK,
          max_tokens: settings.maxTokens,
          stop: [end],
          seed: seed + indices[0]!,
        };
        const grammar = await grammarOf(dbPath);
        if (grammar) request.grammar = grammar;
        const out = await ctx.trainer.generate(request);
        indices.forEach((i, j) => {
          samples[i] = out[j]!;
          for (const s of out[j]!) generated += s.tokens.length;
        });
      }
      const rolloutS = (performance.now() - t0) / 1000;

      const t1 = performance.now();
      const groups: { scores: RewardBreakdown[]; texts: string[]; ended: boolean[] }[] = [];
      for (const [i, prompt] of picked.entries()) {
        const scores: RewardBreakdown[] = [];
        const texts: string[] = [];
        const ended: boolean[] = [];
        for (const s of samples[i]!) {
          const done = s.tokens.at(-1) === end;
          const text = ctx.tokenizer.detokenize(done ? s.tokens.slice(0, -1) : s.tokens);
          texts.push(text);
          ended.push(done);
          scores.push(await rewarder.score({ completion: text, golds: prompt.golds, dbPath: prompt.dbPath, dbId: prompt.dbId }));
        }
        groups.push({ scores, texts, ended });
      }
      const rewardS = (performance.now() - t1) / 1000;

      // the reference pass over every sequence (skipped when beta is 0)
      const sequences = picked.flatMap((p, i) => samples[i]!.map((s) => [...p.tokens, ...s.tokens]));
      const ref = settings.beta > 0 ? await ctx.trainer.logprobs(sequences, { reference: true }) : [];
      const totalTokens = samples.flat().reduce((a, s) => a + s.tokens.length, 0);
      const n = sequences.length;
      const out: OnlineStep['sequences'] = [];
      const rollouts: RolloutGroup[] = [];
      let klSum = 0;
      let klTokens = 0;
      let zeroVariance = 0;
      let q = 0;
      for (const [i, prompt] of picked.entries()) {
        const g = groups[i]!;
        const adv = advantages(g.scores.map((r) => r.total), settings.eps);
        if (adv.skipped) zeroVariance++;
        const group: RolloutGroup = {
          exampleId: prompt.exampleId,
          question: prompt.question,
          dbId: prompt.dbId,
          dbPath: prompt.dbPath,
          gold: prompt.golds[0] ?? '',
          goldOps: g.scores[0]?.goldOps ?? [],
          mean: adv.mean,
          std: adv.std,
          skipped: adv.skipped,
          samples: [],
        };
        for (const [j, s] of samples[i]!.entries()) {
          const seq = sequences[q]!;
          // logprobs[p] is the log-prob of token p + 1: the completion's start at prompt length - 1
          const refLp = ref.length ? ref[q]!.slice(prompt.tokens.length - 1) : [];
          q++;
          if (s.tokens.length === 0) continue;
          const norm = settings.normalization === 'sequence' ? 1 / (s.tokens.length * n) : 1 / Math.max(1, totalTokens);
          const w = tokenWeights({ advantage: adv.advantages[j]!, lp: s.logprobs, ref: refLp, beta: settings.beta, norm });
          for (const [t, lp] of s.logprobs.entries()) {
            if (refLp.length) {
              klSum += k3(lp, refLp[t]!);
              klTokens++;
            }
          }
          // weights align with tokens: position p's weight is the loss of predicting token p
          out.push({ tokens: seq, weights: [...new Array<number>(prompt.tokens.length).fill(0), ...w] });
          const r = g.scores[j]!;
          group.samples.push({
            text: g.texts[j]!,
            reasoning: r.reasoning,
            sql: r.sql,
            result: r.result,
            error: r.error,
            rewards: { format: r.format, execution: r.execution, jaccard: r.jaccard, atomic: r.atomic, memory: r.memory, total: r.total },
            predOps: r.predOps,
            advantage: adv.advantages[j]!,
            tokens: s.tokens.length,
            truncated: !g.ended[j],
          });
        }
        rollouts.push(group);
      }
      const all = groups.flatMap((g) => g.scores);
      const present = (xs: (number | null)[]) => xs.filter((x): x is number => x !== null);
      const extra: Record<string, number> = {
        reward: mean(all.map((r) => r.total)),
        reward_format: mean(all.map((r) => r.format)),
        reward_execution: mean(all.map((r) => r.execution)),
        reward_std: mean(rollouts.map((g) => g.std)),
        zero_variance_groups: zeroVariance,
        completion_tokens: mean(samples.flat().map((s) => s.tokens.length)),
        truncated: mean(groups.flatMap((g) => g.ended.map((e) => (e ? 0 : 1)))),
        rollout_tok_s: generated / Math.max(rolloutS, 1e-6),
        rollout_s: rolloutS,
        reward_s: rewardS,
      };
      const atomic = present(all.map((r) => r.atomic));
      if (atomic.length) extra.reward_atomic = mean(atomic);
      const memory = present(all.map((r) => r.memory));
      if (memory.length) extra.reward_memory = mean(memory);
      if (klTokens) extra.kl = klSum / klTokens;
      await rewarder.grow?.(picked.flatMap((p, i) => groups[i]!.scores.map((r) => ({ dbId: p.dbId, dbPath: p.dbPath, breakdown: r }))));
      return { sequences: out, extra, rollouts, seconds: { rollout: rolloutS, reward: rewardS, update: 0 } };
    },
    close: () => rewarder.close?.() ?? Promise.resolve(),
  };
}
