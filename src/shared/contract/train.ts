/** The contract, train.*: fine-tuning jobs. */
import { z } from 'zod';
import { STRATEGIES } from './ai.ts';
import { event, noInput, procedure, serverPath } from './define.ts';

// train.* — fine-tuning jobs: a persistent queue, per-step metrics, dev evaluations, checkpoints and logs

/**
 * A training method's name. The methods are declared once, by the core's method registry (src/core/train/methods),
 * and listed by train.methods; the core refuses a name it does not know.
 */
export const TrainMethodSchema = z.string().min(1).max(64);
export type TrainMethod = z.infer<typeof TrainMethodSchema>;
/** The role of the SQL adapter every method trains: the one evaluated on the dev set and chosen in the workbench. */
export const MAIN_ROLE = 'main';
/** An adapter's role, named by its method (MAIN_ROLE, or another name for each further adapter). */
const adapterRole = z.string().min(1).max(64);
export const JOB_STATES = ['queued', 'running', 'paused', 'failed', 'cancelled', 'done'] as const;
export type JobState = (typeof JOB_STATES)[number];
/**
 * The states each user action applies to: the core refuses the action in any other state (CONFLICT) and the
 * dashboard offers it only in these, so both sides follow this one table.
 */
export const JOB_ACTIONS = {
  pause: ['queued', 'running'],
  resume: ['paused', 'failed'],
  cancel: ['queued', 'running', 'paused', 'failed'],
} as const satisfies Record<string, readonly JobState[]>;
export type JobAction = keyof typeof JOB_ACTIONS;
export const jobCan = (action: JobAction, state: JobState): boolean => (JOB_ACTIONS[action] as readonly JobState[]).includes(state);
export const LORA_TARGETS = ['q', 'k', 'v', 'o', 'gate', 'up', 'down'] as const;

export const TrainDatasetSpecSchema = z.strictObject({
  kind: z.enum(['spider', 'bird', 'jsonl', 'corrections']),
  /** spider/bird folder or train json file; a JSONL file */
  path: serverPath('file').optional(),
  split: z.enum(['train', 'dev']).optional(),
  limit: z.number().int().min(1).optional(),
});
export type TrainDatasetSpec = z.infer<typeof TrainDatasetSpecSchema>;
const datasets = z.union([TrainDatasetSpecSchema, z.array(TrainDatasetSpecSchema).min(1)]);

/**
 * Bounds of the config's numbers a person types, declared once: the schema below enforces them and the wizard's
 * messages quote them (it checks its form with the schema itself).
 */
export const TRAIN_LIMITS = {
  devFraction: { min: 0, max: 0.9 },
  rank: { min: 1, max: 512 },
  /** above 0 */
  alpha: { max: 4096 },
  /** above 0 */
  lr: { max: 1 },
  /** above 0 */
  epochs: { max: 1000 },
  steps: { min: 1, max: 10_000_000 },
  batchSize: { min: 1, max: 1024 },
  evalMaxTokens: { min: 1, max: 4096 },
} as const;

/** How a job's dev set is evaluated; the strategy defaults to the method's own (train.methods `evalStrategy`). */
export const TrainEvalSettingsSchema = z.strictObject({
  strategy: z.enum(STRATEGIES).optional(),
  /** the first N dev examples (default: all) */
  limit: z.number().int().min(1).optional(),
  maxTokens: z.number().int().min(TRAIN_LIMITS.evalMaxTokens.min).max(TRAIN_LIMITS.evalMaxTokens.max).default(128),
  /** the evaluation context (default: the model's own, capped by node-llama-cpp) */
  contextSize: z.number().int().min(256).max(131_072).optional(),
  /**
   * also score each evaluation with the vote strategy (FINER: n samples at T = 1, value-aware voting) and this many
   * samples; 0 or absent: greedy only
   */
  voteSamples: z.number().int().min(0).max(64).optional(),
});

/**
 * Everything a job needs to run, and to run again identically (same seed, same data order), but the method's own
 * section: a method adds its settings under its name (`route: {...}`), and the core's registry completes this into
 * the TrainConfig it checks (a union on the method, strict there); the transports pass the sections through.
 */
export const TrainConfigBaseSchema = z.looseObject({
  /** a GGUF file or a registered model */
  model: z.union([z.strictObject({ path: serverPath('file') }), z.strictObject({ id: z.string().min(1).max(64) })]),
  dataset: datasets,
  /** a separate dev set; without one, devFraction of the dataset is held out */
  dev: datasets.optional(),
  devFraction: z.number().min(TRAIN_LIMITS.devFraction.min).max(TRAIN_LIMITS.devFraction.max).default(0.1),
  lora: z
    .strictObject({
      rank: z.number().int().min(TRAIN_LIMITS.rank.min).max(TRAIN_LIMITS.rank.max).default(8),
      alpha: z.number().positive().max(TRAIN_LIMITS.alpha.max).default(16),
      targets: z.array(z.enum(LORA_TARGETS)).min(1).default([...LORA_TARGETS]),
    })
    .prefault({}),
  lr: z.number().positive().max(TRAIN_LIMITS.lr.max).default(1e-3),
  schedule: z
    .strictObject({
      kind: z.enum(['constant', 'cosine']).default('cosine'),
      /** steps of linear warm-up from 0 */
      warmup: z.number().int().min(0).default(0),
      /** the cosine's floor, as a fraction of lr */
      minRatio: z.number().min(0).max(1).default(0.1),
    })
    .prefault({}),
  /** passes over the training samples (when steps is not given; default 1) */
  epochs: z.number().positive().max(TRAIN_LIMITS.epochs.max).optional(),
  /** optimizer steps per adapter (overrides epochs) */
  steps: z.number().int().min(TRAIN_LIMITS.steps.min).max(TRAIN_LIMITS.steps.max).optional(),
  /** sequences per micro-batch */
  batchSize: z.number().int().min(TRAIN_LIMITS.batchSize.min).max(TRAIN_LIMITS.batchSize.max).default(4),
  /** micro-batches per optimizer step */
  gradAccum: z.number().int().min(1).max(1024).default(1),
  clip: z.number().min(0).default(1),
  weightDecay: z.number().min(0).max(1).default(0),
  seed: z.number().int().min(0).max(2 ** 31 - 1).default(1),
  checkpointEvery: z.number().int().min(1).default(50),
  /** steps between dev evaluations (0: only before and after training) */
  evalEvery: z.number().int().min(0).default(0),
  /** stop after this many evaluations without a better dev score (0: never stop early) */
  patience: z.number().int().min(0).default(0),
  eval: TrainEvalSettingsSchema.prefault({}),
  /** how prompts are built (training and evaluation alike) */
  prompt: z
    .strictObject({
      sampleRows: z.number().int().min(0).max(10).default(3),
      schemaBudget: z.number().int().min(100).max(131_072).default(4096),
      sliceBudget: z.number().int().min(200).max(32_768).optional(),
    })
    .prefault({}),
  /** CPU threads for training and evaluation (default: SQUILL_THREADS, else all cores) */
  threads: z.number().int().min(1).max(1024).optional(),
  /**
   * the SQL adapter starts from this adapter of the same base (e.g. GRPO from its stage-0 SFT) instead of a fresh
   * LoRA; its rank, alpha and targets are the adapter's own
   */
  startFrom: z.union([z.strictObject({ path: serverPath('file') }), z.strictObject({ adapterId: z.string().min(1).max(64) })]).optional(),
});
export type TrainConfigBase = z.output<typeof TrainConfigBaseSchema>;

export const TrainJobSchema = z.object({
  id: z.string(),
  name: z.string(),
  method: TrainMethodSchema,
  config: TrainConfigBaseSchema,
  state: z.enum(JOB_STATES),
  /** why it is in that state (failure, cancel, early stop, restart), or null */
  reason: z.string().nullable(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  step: z.number().int(),
  totalSteps: z.number().int(),
  /** the adapters a finished job produced (one per role of its method), and their ids in the model manager */
  adapters: z.array(z.object({ role: adapterRole, path: z.string(), adapterId: z.string().nullable(), step: z.number().int() })),
  modelId: z.string().nullable(),
  devExBefore: z.number().nullable(),
  devExAfter: z.number().nullable(),
  best: z.object({ step: z.number().int(), devEx: z.number() }).nullable(),
});
export type TrainJob = z.infer<typeof TrainJobSchema>;

export const TrainMetricSchema = z.object({
  step: z.number().int(),
  loss: z.number(),
  lr: z.number(),
  gradNorm: z.number(),
  tokensPerS: z.number(),
  rssBytes: z.number(),
  at: z.string(),
  /** the method's own series of this step (GRPO: rewards, KL, rollout time…), keyed as its `curves` name them */
  extra: z.record(z.string(), z.number()).optional(),
});
export type TrainMetric = z.infer<typeof TrainMetricSchema>;
export const TrainEvalSchema = z.object({
  step: z.number().int(),
  devEx: z.number(),
  correct: z.number().int(),
  total: z.number().int(),
  ms: z.number(),
  at: z.string(),
  /** the same dev set scored with the vote strategy (config.eval.voteSamples), when asked */
  vote: z.object({ devEx: z.number(), correct: z.number().int(), total: z.number().int(), samples: z.number().int() }).optional(),
});
export type TrainEval = z.infer<typeof TrainEvalSchema>;
export const TrainCheckpointSchema = z.object({
  step: z.number().int(),
  role: adapterRole,
  path: z.string(),
  devEx: z.number().nullable(),
  best: z.boolean(),
  at: z.string(),
});
export type TrainCheckpoint = z.infer<typeof TrainCheckpointSchema>;

/** What a run's data holds, checked before training: rows read, invalid rows by line, the split, overlap with benchmarks. */
export const TrainDataCheckSchema = z.object({
  sources: z.array(
    z.object({
      /** dataset: training data (split into train/dev unless a dev set is given); dev: the separate dev set */
      role: z.enum(['dataset', 'dev']),
      kind: TrainDatasetSpecSchema.shape.kind,
      path: z.string().nullable(),
      examples: z.number().int(),
      /** the first 500 invalid rows */
      invalid: z.array(z.object({ line: z.number().int(), reason: z.string() })),
      invalidTotal: z.number().int(),
    }),
  ),
  train: z.number().int(),
  dev: z.number().int(),
  devFrom: z.enum(['split', 'dev set', 'none']),
  databases: z.array(z.object({ dbId: z.string(), train: z.number().int(), dev: z.number().int() })),
  /** per evaluation benchmark found on this machine: training examples sharing a normalized question or SQL */
  contamination: z.array(
    z.object({
      name: z.string(),
      path: z.string().nullable(),
      examples: z.number().int(),
      questionOverlap: z.number().int(),
      sqlOverlap: z.number().int(),
      /** training examples sharing either */
      overlapExamples: z.number().int(),
      /** the first 100 overlapping training examples */
      overlapping: z.array(z.object({ id: z.string(), question: z.string(), sql: z.string(), by: z.enum(['question', 'sql', 'both']) })),
    }),
  ),
  /** token counts with the base model's tokenizer, over all training examples */
  tokens: z.object({
    question: z.object({ mean: z.number(), max: z.number().int() }),
    sql: z.object({ mean: z.number(), max: z.number().int() }),
  }),
  /** the first 20 training examples */
  sample: z.array(z.object({ id: z.string(), dbId: z.string(), question: z.string(), sql: z.string(), questionTokens: z.number().int(), sqlTokens: z.number().int() })),
  ms: z.number(),
});
export type TrainDataCheck = z.infer<typeof TrainDataCheckSchema>;

const MemoryBreakdownSchema = z.object({
  baseBytes: z.number(),
  loraBytes: z.number(),
  optimizerBytes: z.number(),
  activationBytes: z.number(),
  lossBytes: z.number(),
  totalBytes: z.number(),
});

/** The estimator's figures for a run, from the model file, the settings and the method's real samples. */
export const TrainEstimateSchema = z.object({
  trainExamples: z.number().int(),
  /** training examples whose samples were built and tokenized (a seeded subset of big datasets) */
  previewed: z.number().int(),
  adapters: z.array(
    z.object({
      role: adapterRole,
      /** what the method calls this adapter ("SQL adapter", "schema-link adapter") */
      label: z.string(),
      /** samples over all training examples (extrapolated from the previewed ones when fewer) */
      samples: z.number().int(),
      byTask: z.record(z.string(), z.number().int()),
      meanTokens: z.number(),
      longestTokens: z.number().int(),
      /** the trainer context the job would use (its longest sequence over all adapters, rounded up to 64) */
      ctx: z.number().int(),
      steps: z.number().int(),
      trainableParams: z.number().int(),
      memory: MemoryBreakdownSchema,
      secondsPerStep: z.number(),
      seconds: z.number(),
    }),
  ),
  totalSteps: z.number().int(),
  /** the largest adapter phase's peak (phases run one after another) */
  peakBytes: z.number(),
  /** training time; dev evaluations not included */
  seconds: z.number(),
  /**
   * where the time comes from: the median tokens/s of earlier runs' steps on this model file on this machine, or
   * (none yet) FLOPs at a measured CPU throughput, rough: a factor of a few either way
   */
  timeFrom: z.union([z.object({ kind: z.literal('runs'), steps: z.number().int(), tokensPerS: z.number() }), z.object({ kind: z.literal('flops') })]),
  host: z.object({ totalMemBytes: z.number(), freeMemBytes: z.number(), cpus: z.number().int() }),
  /** token counts of the first 20 previewed examples' samples (prompt includes the chat template) */
  examples: z.array(
    z.object({ id: z.string(), question: z.string(), samples: z.number().int(), promptTokens: z.number().int(), targetTokens: z.number().int(), maxSampleTokens: z.number().int() }),
  ),
  ms: z.number(),
});
export type TrainEstimate = z.infer<typeof TrainEstimateSchema>;

const jobId = z.string().min(1).max(64);

/** A wizard preset: the hyperparameters as the wizard's form holds them. */
export const TrainPresetSchema = z.object({
  name: z.string(),
  label: z.string(),
  description: z.string(),
  hyper: z.object({
    rank: z.number().int(),
    alpha: z.number(),
    lr: z.number(),
    /** train for a number of optimizer steps, or passes over the data */
    length: z.enum(['steps', 'epochs']),
    steps: z.number().int(),
    epochs: z.number(),
    batchSize: z.number().int(),
    evalEvery: z.number().int(),
    checkpointEvery: z.number().int(),
    patience: z.number().int(),
  }),
  /** values of the method's option fields (TrainMethodInfo.options, by key) the preset sets */
  settings: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])).optional(),
});
export type TrainPreset = z.infer<typeof TrainPresetSchema>;

/** One sampled completion of an online step (GRPO): what the model wrote, how it scored and what it was taught. */
export const RolloutSampleSchema = z.object({
  text: z.string(),
  reasoning: z.string().nullable(),
  sql: z.string(),
  /** the prediction's result (first rows), or null when it did not execute */
  result: z.object({ columns: z.array(z.string()), rows: z.array(z.array(z.unknown())), rowCount: z.number().int() }).nullable(),
  error: z.string().nullable(),
  /** the reward's parts: F, E, J, f(J), M (null: not computed) and their total */
  rewards: z.object({
    format: z.number(),
    execution: z.number(),
    jaccard: z.number().nullable(),
    atomic: z.number().nullable(),
    memory: z.number().nullable(),
    total: z.number(),
  }),
  predOps: z.array(z.string()),
  advantage: z.number(),
  tokens: z.number().int(),
  /** the sample reached max tokens without ending */
  truncated: z.boolean(),
});
/** One prompt's group of samples at one step. */
export const RolloutGroupSchema = z.object({
  exampleId: z.string(),
  question: z.string(),
  dbId: z.string(),
  dbPath: z.string(),
  gold: z.string(),
  goldOps: z.array(z.string()),
  mean: z.number(),
  std: z.number(),
  /** every sample scored the same: no advantage, the group teaches nothing this step */
  skipped: z.boolean(),
  samples: z.array(RolloutSampleSchema),
});
export type RolloutGroup = z.infer<typeof RolloutGroupSchema>;
export const TrainRolloutsSchema = z.object({
  /** the steps whose rollouts are kept */
  steps: z.array(z.number().int()),
  /** the step shown (the one asked for, else the latest), null when none is kept yet */
  step: z.number().int().nullable(),
  groups: z.array(RolloutGroupSchema),
  /** seconds the step spent sampling, scoring and updating */
  seconds: z.object({ rollout: z.number(), reward: z.number(), update: z.number() }).nullable(),
  /**
   * For each database file the groups name (their dbPath): the id of the app's usable connection to the same file
   * (compared after resolving links and relative spellings), or null when the app has none; read at each call,
   * so a database added later is linked. The rollout browser shows a group's schema through it.
   */
  connections: z.record(z.string(), z.string().nullable()),
});
export type TrainRollouts = z.infer<typeof TrainRolloutsSchema>;

/** A training method as the wizard and the dashboard show it (the core's registry, src/core/train/methods). */
export const TrainMethodInfoSchema = z.object({
  name: TrainMethodSchema,
  label: z.string(),
  description: z.string(),
  /** in training order; "main" is the SQL adapter (evaluated on the dev set, the workbench's adapter) */
  adapters: z.array(
    z.object({
      role: adapterRole,
      label: z.string(),
      /** the adapter is the schema-link model of the method's strategy (its settings' linkAdapterId) */
      linkModel: z.boolean(),
    }),
  ),
  /** the strategy a job evaluates its dev set with unless its config says another */
  evalStrategy: z.enum(STRATEGIES),
  /** the strategy its adapters are for in the workbench (null: any; the user's choice stays) */
  strategy: z.enum(STRATEGIES).nullable(),
  /** the method's own numeric settings (config[name]), as form fields */
  options: z
    .object({
      legend: z.string(),
      /**
       * numbers (the default), or a choice among `choices`, or an on/off toggle; a dotted key ("rewards.atomic.e")
       * is a nested field of the method's section
       */
      fields: z.array(
        z.object({
          key: z.string(),
          label: z.string(),
          kind: z.enum(['number', 'choice', 'toggle']).default('number'),
          default: z.union([z.number(), z.string(), z.boolean()]),
          min: z.number().optional(),
          max: z.number().optional(),
          step: z.number().optional(),
          choices: z.array(z.object({ value: z.string(), label: z.string() })).optional(),
          help: z.string().optional(),
        }),
      ),
      /** why the values are refused when every one is 0 (null: zeros are fine) */
      allZero: z.string().nullable(),
      /** why the values are refused when one is below its minimum */
      belowMin: z.string(),
    })
    .nullable(),
  presets: z.array(TrainPresetSchema).min(1),
  /**
   * supervised: fixed samples built before training; online: each step's samples are made during training from the
   * current adapter (GRPO's rollouts), and the job has a rollout browser (train.rollouts)
   */
  kind: z.enum(['supervised', 'online']),
  /** whether the wizard offers a start-from-adapter picker (config.startFrom) */
  startFrom: z.boolean(),
  /** the method's own per-step series (TrainMetric.extra), as the dashboard draws them: one chart per `chart` */
  curves: z.array(z.object({ key: z.string(), label: z.string(), chart: z.string() })),
});
export type TrainMethodInfo = z.infer<typeof TrainMethodInfoSchema>;

export const trainProcedures = {
  'train.methods': procedure({
    description: 'The training methods: their adapters, dev-evaluation strategy, own settings and wizard presets.',
    input: noInput,
    output: z.array(TrainMethodInfoSchema),
  }),
  'train.jobs': procedure({
    description: 'Training jobs, newest first.',
    input: noInput,
    output: z.array(TrainJobSchema),
  }),
  'train.job': procedure({
    description: 'One job with its checkpoints and dev evaluations.',
    input: z.strictObject({ id: jobId }),
    output: z.object({ job: TrainJobSchema, checkpoints: z.array(TrainCheckpointSchema), evals: z.array(TrainEvalSchema) }),
  }),
  'train.create': procedure({
    description: 'Queues a training job; it starts when no other job runs.',
    input: z.strictObject({ name: z.string().trim().min(1).max(200).optional(), method: TrainMethodSchema, config: TrainConfigBaseSchema }),
    output: TrainJobSchema,
  }),
  'train.checkData': procedure({
    description: "Reads a run's dataset(s) as a job would: examples, invalid rows by line, the train/dev split, token counts and overlap with the evaluation benchmarks.",
    // the method does not change what is read (kept optional for callers that still send it)
    input: z.strictObject({ method: TrainMethodSchema.optional(), config: TrainConfigBaseSchema }),
    output: TrainDataCheckSchema,
  }),
  'train.estimate': procedure({
    description: "Memory and time of a run from the model file, its settings and the method's real samples (up to `limit` training examples, default 200).",
    input: z.strictObject({ method: TrainMethodSchema, config: TrainConfigBaseSchema, limit: z.number().int().min(1).max(5000).optional() }),
    output: TrainEstimateSchema,
  }),
  'train.pause': procedure({
    description: 'Checkpoints a running job and stops it (state paused); a queued job is paused at once.',
    input: z.strictObject({ id: jobId }),
    output: TrainJobSchema,
  }),
  'train.resume': procedure({
    description: 'Queues a paused, failed or interrupted job again; it continues from its last checkpoint.',
    input: z.strictObject({ id: jobId }),
    output: TrainJobSchema,
  }),
  'train.cancel': procedure({
    description: 'Stops a job for good (state cancelled); its checkpoints stay on disk.',
    input: z.strictObject({ id: jobId }),
    output: TrainJobSchema,
  }),
  'train.metrics': procedure({
    description: 'Per-step metrics and dev evaluations after step `since` (default: all), for live curves.',
    input: z.strictObject({ id: jobId, since: z.number().int().min(0).optional() }),
    output: z.object({ metrics: z.array(TrainMetricSchema), evals: z.array(TrainEvalSchema) }),
  }),
  'train.rollouts': procedure({
    description: "An online job's rollouts at `step` (default: the latest kept): each prompt's group of samples with their rewards and advantages.",
    input: z.strictObject({ id: jobId, step: z.number().int().min(1).optional() }),
    output: TrainRolloutsSchema,
  }),
  'train.log': procedure({
    description: "The job's log from byte `offset` (default 0), at most 1 MiB per call.",
    input: z.strictObject({ id: jobId, offset: z.number().int().min(0).optional() }),
    output: z.object({ text: z.string(), size: z.number().int() }),
  }),
} as const;

export const trainEvents = {
  'train.progress': event({
    description: 'A job took a step or evaluated: its state, step and the latest metrics.',
    payload: z.object({
      jobId: z.string(),
      state: z.enum(JOB_STATES),
      step: z.number().int(),
      totalSteps: z.number().int(),
      metric: TrainMetricSchema.nullable(),
      eval: TrainEvalSchema.nullable(),
    }),
  }),
  'train.changed': event({
    description: 'The job list after any change of state (created, started, paused, resumed, cancelled, failed, done).',
    payload: z.array(TrainJobSchema),
  }),
} as const;
