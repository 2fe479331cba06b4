/**
 * The fine-tune wizard's form: its state, the hyperparameter presets, what each step still lacks, the train.create
 * input it becomes and the inputs of its data check and estimate. Pure, so it is tested without a page.
 */
import { procedures, TRAIN_LIMITS, type Input, type Model, type TrainConfig, type TrainDatasetSpec, type TrainMethod } from '../../../../shared/contract/index.ts';

export type DatasetKind = TrainDatasetSpec['kind'];
export type PresetName = 'quick' | 'authors';
export type EvalStrategy = TrainConfig['eval']['strategy'];

export interface Hyper {
  rank: number;
  alpha: number;
  lr: number;
  /** train for a number of optimizer steps, or passes over the data */
  length: 'steps' | 'epochs';
  steps: number;
  epochs: number;
  batchSize: number;
  evalEvery: number;
  checkpointEvery: number;
  patience: number;
}

export interface WizardState {
  name: string;
  modelId: string | null;
  dataKind: DatasetKind;
  dataPath: string;
  devFraction: number;
  /** the dev examples: held out from the dataset (devFraction), or a separate dataset */
  devSource: 'fraction' | 'dataset';
  devKind: Exclude<DatasetKind, 'corrections'>;
  devPath: string;
  method: TrainMethod;
  /** ROUTE: samples of each task per example */
  route: { ts: number; sl: number; nc: number; cw: number };
  preset: PresetName | 'custom';
  hyper: Hyper;
  evalStrategy: EvalStrategy;
  /** the longest SQL the dev evaluation lets the model write */
  evalMaxTokens: number;
}

export const STEPS = ['model', 'data', 'method', 'hyper', 'review'] as const;
export type WizardStep = (typeof STEPS)[number];
export const STEP_LABELS: Record<WizardStep, string> = { model: 'Base model', data: 'Data', method: 'Method', hyper: 'Hyperparameters', review: 'Review' };

export const DATASET_KINDS: { kind: DatasetKind; label: string; hint: string }[] = [
  { kind: 'spider', label: 'Spider', hint: 'a Spider folder (train_spider.json, database/) or one of its JSON files' },
  { kind: 'bird', label: 'BIRD', hint: 'a BIRD folder (train.json, train_databases/) or its JSON file' },
  { kind: 'jsonl', label: 'JSONL', hint: 'one {question, sql, db_path or db_id} object per line' },
  { kind: 'corrections', label: 'Workbench corrections', hint: 'the SQL you corrected and saved as training examples' },
];

export const METHODS: { method: TrainMethod; label: string; description: string }[] = [
  { method: 'sft', label: 'Plain SFT', description: 'One adapter learns question + schema → SQL; the prompt is masked from the loss.' },
  { method: 'lrsql', label: 'LR-SQL', description: 'Two adapters: schema linking over FK-group slices of the schema, then SQL from the linked tables only.' },
  { method: 'route', label: 'ROUTE', description: 'One adapter, multitask: text-to-SQL, schema linking, noise correction and continuation writing.' },
];

export const PRESETS: Record<PresetName, { label: string; description: string; hyper: Hyper }> = {
  quick: {
    label: 'quick (small models)',
    description: 'A high learning rate and a few hundred steps: moves a small model fast; for demos and tiny models.',
    hyper: { rank: 16, alpha: 32, lr: 3e-3, length: 'steps', steps: 150, epochs: 1, batchSize: 4, evalEvery: 50, checkpointEvery: 50, patience: 0 },
  },
  authors: {
    label: "authors' (scaled)",
    description: "The papers' recipe (LoRA r=64, alpha=32, cosine, several epochs) scaled for small models: half the rank, a learning rate raised for the smaller model.",
    hyper: { rank: 32, alpha: 16, lr: 2e-4, length: 'epochs', steps: 1000, epochs: 3, batchSize: 4, evalEvery: 100, checkpointEvery: 100, patience: 3 },
  },
};

export const defaultStrategy = (method: TrainMethod): EvalStrategy => (method === 'sft' ? 'direct' : method);

export function initialState(): WizardState {
  return {
    name: '',
    modelId: null,
    dataKind: 'jsonl',
    dataPath: '',
    devFraction: 0.1,
    devSource: 'fraction',
    devKind: 'jsonl',
    devPath: '',
    method: 'sft',
    route: { ts: 1, sl: 1, nc: 1, cw: 1 },
    preset: 'quick',
    hyper: { ...PRESETS.quick.hyper },
    evalStrategy: 'direct',
    evalMaxTokens: 128,
  };
}

/** Local models that can be trained (a remote endpoint has no weights here). */
export const trainableModels = (models: readonly Model[]) => models.filter((m) => m.kind === 'local' && m.status === 'ok');

const L = TRAIN_LIMITS;
/**
 * The form's numbers are checked by the contract's own schema (train.create's input), so the wizard accepts exactly
 * what the backend will; each field's message quotes the contract's bounds. Path in the input, step, message.
 */
const FIELD_PROBLEMS: [path: string, step: WizardStep, message: string][] = [
  ['config.devFraction', 'data', `The dev fraction must be between ${L.devFraction.min} and ${L.devFraction.max}.`],
  ['config.lora.rank', 'hyper', `Rank must be a whole number from ${L.rank.min} to ${L.rank.max}.`],
  ['config.lora.alpha', 'hyper', `Alpha must be above 0 and at most ${L.alpha.max}.`],
  ['config.lr', 'hyper', `The learning rate must be above 0 and at most ${L.lr.max}.`],
  ['config.steps', 'hyper', `Steps must be a whole number from ${L.steps.min} to ${L.steps.max}.`],
  ['config.epochs', 'hyper', `Epochs must be above 0 and at most ${L.epochs.max}.`],
  ['config.batchSize', 'hyper', `The batch size must be a whole number from ${L.batchSize.min} to ${L.batchSize.max}.`],
  ['config.evalEvery', 'hyper', '"Evaluate every" must be a whole number (0: only before and after).'],
  ['config.checkpointEvery', 'hyper', '"Checkpoint every" must be a whole number of at least 1.'],
  ['config.patience', 'hyper', 'Patience must be a whole number (0: never stop early).'],
  ['config.eval.maxTokens', 'hyper', `The evaluation token limit must be a whole number from ${L.evalMaxTokens.min} to ${L.evalMaxTokens.max}.`],
];

function schemaProblems(step: WizardStep, s: WizardState): string[] {
  const parsed = procedures['train.create'].input.safeParse(createInput(s));
  if (parsed.success) return [];
  const bad = new Set(parsed.error.issues.map((i) => i.path.join('.')));
  return FIELD_PROBLEMS.filter(([at, of]) => (step === of || step === 'review') && bad.has(at)).map(([, , message]) => message);
}

/** What a step still lacks, in words a user can act on; empty when the step is complete. */
export function stepProblems(step: WizardStep, s: WizardState, models: readonly Model[]): string[] {
  const out: string[] = [];
  if (step === 'model' || step === 'review') {
    if (!s.modelId) out.push('Choose a base model (add a local GGUF model on the Models page first).');
    else if (!trainableModels(models).some((m) => m.id === s.modelId)) out.push('The chosen model is gone or unreadable; choose another.');
  }
  if (step === 'data' || step === 'review') {
    if (s.dataKind !== 'corrections' && s.dataPath.trim() === '') out.push('Give the path of the dataset on the backend machine.');
    if (s.devSource === 'dataset' && s.devPath.trim() === '') out.push('Give the path of the dev set on the backend machine.');
  }
  if ((step === 'method' || step === 'review') && s.method === 'route') {
    const r = Object.values(s.route);
    if (r.some((v) => !(v >= 0))) out.push('Mixing ratios cannot be negative.');
    else if (r.every((v) => v === 0)) out.push('At least one ROUTE task needs a ratio above 0.');
  }
  out.push(...schemaProblems(step, s));
  return out;
}

/** The train.create input for a complete form. */
export function createInput(s: WizardState): Input<'train.create'> {
  const h = s.hyper;
  return {
    ...(s.name.trim() ? { name: s.name.trim() } : {}),
    method: s.method,
    config: {
      model: { id: s.modelId ?? '' },
      dataset: s.dataKind === 'corrections' ? { kind: 'corrections' } : { kind: s.dataKind, path: s.dataPath.trim() },
      ...(s.devSource === 'dataset'
        ? // a Spider/BIRD folder as the dev set means its dev split
          { dev: { kind: s.devKind, path: s.devPath.trim(), ...(s.devKind === 'jsonl' ? {} : { split: 'dev' as const }) }, devFraction: 0 }
        : { devFraction: s.devFraction }),
      lora: { rank: h.rank, alpha: h.alpha },
      lr: h.lr,
      ...(h.length === 'steps' ? { steps: h.steps } : { epochs: h.epochs }),
      batchSize: h.batchSize,
      evalEvery: h.evalEvery,
      checkpointEvery: h.checkpointEvery,
      patience: h.patience,
      eval: { strategy: s.evalStrategy, maxTokens: s.evalMaxTokens },
      ...(s.method === 'route' ? { route: { ...s.route } } : {}),
    },
  };
}

/**
 * The train.checkData input: only what decides the data (model for its tokenizer, datasets, split), so changing a
 * hyperparameter does not check the data again.
 */
export function dataCheckInput(s: WizardState): Input<'train.checkData'> {
  const { config } = createInput(s);
  // the method does not change what is read: a fixed one keeps the check's cache key when the method changes
  return { method: 'sft', config: { model: config.model, dataset: config.dataset, dev: config.dev, devFraction: config.devFraction } };
}

/** The train.estimate input: the run as it would be created. */
export function estimateInput(s: WizardState): Input<'train.estimate'> {
  const { method, config } = createInput(s);
  return { method, config };
}
