/**
 * What a training method is: a MethodSpec, declared in the method's own file (sft.ts, lrsql.ts, route.ts) and
 * listed once in index.ts. Everything else — jobs, the estimator, the data check, the wizard (train.methods), the
 * dashboard, dev evaluation — asks the registry for a method's adapters, settings, data and strategy instead of
 * knowing the method by name.
 */
import crypto from 'node:crypto';
import type { z } from 'zod';
import type { DbSchema, RolloutGroup, StrategyName, TrainMethodInfo, TrainPreset } from '../../../shared/contract/index.ts';
import { mulberry32 } from '../../../shared/random.ts';
import type { ChatSample, DbHandle, prompts } from '../../ai/index.ts';
import type { SandboxPool } from '../../db/index.ts';
import type { Store } from '../../store/index.ts';
import type { TrainExample } from '../datasets/index.ts';
import type { TokenizerBridge } from '../tokens.ts';
import type { Trainer } from '../trainer.ts';

/** The adapter every method trains: the SQL model, evaluated on the dev set and chosen in the workbench. */
export { MAIN_ROLE } from '../../../shared/contract/index.ts';

export interface TrainSample {
  task: string;
  messages: ChatSample['messages'];
  target: string;
  exampleId: string;
  /** the adapter (role) this sample trains: one of its method's `adapters` */
  adapter: string;
  /**
   * Text the answer is forced to start with at inference (ROUTE continuation): the assistant turn is
   * prefix + target and only the target is learned. Use sampleTokens() to tokenize.
   */
  prefix?: string;
  /** NC: what made the SQL wrong (injection kind and whether it failed or returned another result) */
  note?: string;
}

/** How samples are built: the prompt settings a job's config gives (its estimate and its data alike). */
export interface MethodOptions {
  count: (text: string) => Promise<number>;
  schemaBudget: number;
  sampleRows?: number;
  sliceBudget?: number;
  seed: number;
  /** the method's own settings (config[method]), checked by its `settings` schema */
  settings?: unknown;
  /** where a builder's notes go (the job log); none: they are dropped */
  log?: (line: string) => void;
  /**
   * The samples are built only to be counted (the wizard's estimate, the data check): a builder that would call a
   * model for them (reason-sft's teacher) builds its offline stand-in instead.
   */
  preview?: boolean;
}

/** What a builder gets for one example: its database, the job's options, and per-database memos. */
export interface BuildContext<S> {
  db: DbHandle;
  options: MethodOptions;
  /** the method's own settings, parsed (undefined when the config has none) */
  settings: S | undefined;
  /** the database's sample rows, read once per database */
  sampleRows(): Promise<prompts.SampleRows>;
  /** a value computed once per database (slices, …) under `key` */
  perDatabase<T>(key: string, make: () => Promise<T>): Promise<T>;
  /**
   * A value shared by every example of one build (one job's data), made on first use under `key` and, with `close`,
   * closed once the last example is built — also when the build fails. For what spans databases and costs to open:
   * reason-sft's teacher model.
   */
  perJob<T>(key: string, make: () => Promise<T>, close?: (value: T) => Promise<void>): Promise<T>;
  /** a note for the job log (MethodOptions.log) */
  log(line: string): void;
}

export interface AdapterSpec {
  /** MAIN_ROLE for the SQL model; another name for each further adapter */
  role: string;
  /** as the wizard, the estimate and the dashboard name it */
  label: string;
  /** the adapter is the schema-link model of the method's strategy (StrategyInput.linkModel) */
  linkModel?: boolean;
}

export interface MethodSpec<S extends z.ZodType = z.ZodType> {
  name: string;
  label: string;
  description: string;
  /** in training order (a phase each); one of them is MAIN_ROLE */
  adapters: readonly AdapterSpec[];
  /** the section the method adds to TrainConfig, under its name (optional there) */
  settings?: S;
  /** the strategy its dev evaluation uses unless the config names another */
  evalStrategy: StrategyName;
  /** the strategy its adapters are for in the workbench; null: any (the user's choice stays) */
  strategy: StrategyName | null;
  /** the wizard's fields for `settings` */
  options?: NonNullable<TrainMethodInfo['options']>;
  presets: readonly TrainPreset[];
  /** the wizard offers a start-from-adapter picker (config.startFrom) */
  startFrom?: boolean;
  /**
   * An online method (GRPO): the samples `build` makes are its prompts (their target the gold answer), and each
   * step's weighted sequences are made during training from the live adapter by `online.start(...).step(k)`.
   */
  online?: OnlineSpec<z.output<S>>;
  /** the samples of one example (exampleId is added by the registry) */
  build(example: TrainExample, ctx: BuildContext<z.output<S>>): Promise<Omit<TrainSample, 'exampleId'>[]>;
}

/** Declares a method with its settings' type flowing into its builder. */
export const defineMethod = <S extends z.ZodType>(spec: MethodSpec<S>): MethodSpec<S> => spec;

/** A seeded generator (mulberry32) per (seed, example, purpose): samples do not depend on example order. */
export function rngOf(seed: number, ...keys: string[]): () => number {
  return mulberry32(crypto.createHash('sha256').update([seed, ...keys].join('\u0000')).digest().readUInt32LE(0));
}

/** One prompt of an online method, kept in the job's data snapshot: its tokens and what its answers are scored against. */
export interface OnlinePrompt {
  /** the chat-templated prompt up to where the answer starts */
  tokens: number[];
  exampleId: string;
  question: string;
  dbId: string;
  dbPath: string;
  /** gold answers (one today; scored against the best) */
  golds: string[];
}

export interface OnlineContext<S> {
  /** the base model's GGUF file */
  model: string;
  trainer: Trainer;
  tokenizer: TokenizerBridge;
  settings: S;
  prompts: OnlinePrompt[];
  /** the prompts of the phase's 1-based step k (batchSize x gradAccum of them, in the job's seeded data order) */
  promptsOf(k: number): OnlinePrompt[];
  /** a database's schema (grammars) */
  schemaOf(dbPath: string): Promise<DbSchema>;
  sandbox: SandboxPool;
  store: Store;
  seed: number;
  /** the phase's optimizer steps */
  steps: number;
  log(line: string): void;
}

/** What one online step made: the weighted sequences to train on, its series (TrainMetric.extra) and its rollouts. */
export interface OnlineStep {
  sequences: { tokens: number[]; weights: number[] }[];
  extra: Record<string, number>;
  rollouts: RolloutGroup[];
  seconds: { rollout: number; reward: number; update: number };
}

export interface OnlineSpec<S> {
  /** the series each step adds to its metrics, as the dashboard draws them (one chart per `chart`) */
  curves: readonly { key: string; label: string; chart: string }[];
  /**
   * what one step samples per prompt: `group` completions of up to `completionTokens` tokens (the trainer's context
   * holds the longest prompt plus that; the estimate sizes an update of group x prompts sequences)
   */
  rollouts(settings: S | undefined): { group: number; completionTokens: number };
  /**
   * Per phase, once the trainer is loaded. `step(k)` samples from the live adapter and returns the sequences of the
   * phase's 1-based step k; it depends only on (seed, k) and the adapter, so a step re-done after a restart from
   * its checkpoint is the same step.
   */
  start(ctx: OnlineContext<S | undefined>): Promise<{ step(k: number): Promise<OnlineStep>; close(): Promise<void> }>;
}
