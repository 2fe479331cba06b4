/**
 * What a training method is: a MethodSpec, declared in the method's own file (sft.ts, lrsql.ts, route.ts) and
 * listed once in index.ts. Everything else — jobs, the estimator, the data check, the wizard (train.methods), the
 * dashboard, dev evaluation — asks the registry for a method's adapters, settings, data and strategy instead of
 * knowing the method by name.
 */
import crypto from 'node:crypto';
import type { z } from 'zod';
import type { StrategyName, TrainMethodInfo, TrainPreset } from '../../../shared/contract/index.ts';
import { mulberry32 } from '../../../shared/random.ts';
import type { ChatSample, DbHandle, prompts } from '../../ai/index.ts';
import type { TrainExample } from '../datasets/index.ts';

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
  /** the samples of one example (exampleId is added by the registry) */
  build(example: TrainExample, ctx: BuildContext<z.output<S>>): Promise<Omit<TrainSample, 'exampleId'>[]>;
}

/** Declares a method with its settings' type flowing into its builder. */
export const defineMethod = <S extends z.ZodType>(spec: MethodSpec<S>): MethodSpec<S> => spec;

/** A seeded generator (mulberry32) per (seed, example, purpose): samples do not depend on example order. */
export function rngOf(seed: number, ...keys: string[]): () => number {
  return mulberry32(crypto.createHash('sha256').update([seed, ...keys].join('\u0000')).digest().readUInt32LE(0));
}
