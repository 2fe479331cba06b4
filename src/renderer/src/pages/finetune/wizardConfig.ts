/**
 * The fine-tune wizard's form: its state, what each step still lacks, the train.create input it becomes and the
 * inputs of its data check and estimate. The methods — their adapters, own settings, dev strategy and presets — come
 * from train.methods (the core's registry), so no method is known here by name. Pure, so it is tested without a page.
 */
import type { z } from 'zod';
import { procedures, TRAIN_LIMITS, TrainEvalSettingsSchema, type Input, type Model, type StrategyName, type TrainDatasetSpec, type TrainMethodInfo, type TrainPreset } from '../../../../shared/contract/index.ts';

export type DatasetKind = TrainDatasetSpec['kind'];
export type Hyper = TrainPreset['hyper'];
export type Methods = readonly TrainMethodInfo[];
/** One of a method's own settings (its `options` fields): a number, a choice or a toggle. */
export type OptionField = NonNullable<TrainMethodInfo['options']>['fields'][number];
export type OptionValue = OptionField['default'];

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
  method: string;
  /** each method's own settings (its `options` fields, by key), kept while another method is chosen */
  options: Record<string, Record<string, OptionValue>>;
  /** the adapter (of the chosen base model) the run starts from, for a method that offers it; null: a fresh LoRA */
  startFrom: string | null;
  /** a preset's name, or 'custom' once a hyperparameter changed */
  preset: string;
  hyper: Hyper;
  evalStrategy: StrategyName;
  /** the longest SQL the dev evaluation lets the model write */
  evalMaxTokens: number;
  /** the dev set also scored with the vote strategy over this many samples (0: greedy only) */
  evalVoteSamples: number;
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

/** The method of that name (the first one while the list has no such name). */
export const methodOf = (methods: Methods, name: string): TrainMethodInfo => methods.find((m) => m.name === name) ?? methods[0]!;

/** A fresh form: the first method with its first preset (hyperparameters and settings) and dev strategy. */
export function initialState(methods: Methods): WizardState {
  const first = methods[0]!;
  const preset = first.presets[0]!;
  const options: WizardState['options'] = {};
  for (const m of methods) if (m.options) options[m.name] = Object.fromEntries(m.options.fields.map((f) => [f.key, f.default]));
  return applyPreset({
    name: '',
    modelId: null,
    dataKind: 'jsonl',
    dataPath: '',
    devFraction: 0.1,
    devSource: 'fraction',
    devKind: 'jsonl',
    devPath: '',
    method: first.name,
    options,
    preset: preset.name,
    hyper: { ...preset.hyper },
    evalStrategy: first.evalStrategy,
    evalMaxTokens: 128,
    evalVoteSamples: 0,
    startFrom: null,
  }, methods, preset.name);
}

/**
 * The form with a preset of its method applied: its hyperparameters, and the values it sets of the method's own
 * settings (TrainPreset.settings; the other settings keep what the form has).
 */
export function applyPreset(s: WizardState, methods: Methods, name: string): WizardState {
  const method = methodOf(methods, s.method);
  const preset = method.presets.find((p) => p.name === name);
  if (!preset) return s;
  const known = new Set(method.options?.fields.map((f) => f.key) ?? []);
  const settings = Object.entries(preset.settings ?? {}).filter(([key]) => known.has(key));
  return {
    ...s,
    preset: preset.name,
    hyper: { ...preset.hyper },
    options: settings.length ? { ...s.options, [method.name]: { ...s.options[method.name], ...Object.fromEntries(settings) } } : s.options,
  };
}

/**
 * Another method chosen: its dev strategy, and its preset of the same name (else its first), because presets are
 * per method (GRPO's learning rate is a thousandth of SFT's). A start adapter stays only where the method takes one.
 */
export function chooseMethod(s: WizardState, methods: Methods, name: string): WizardState {
  const method = methodOf(methods, name);
  const next = { ...s, method: method.name, evalStrategy: method.evalStrategy, startFrom: method.startFrom ? s.startFrom : null };
  return applyPreset(next, methods, method.presets.some((p) => p.name === s.preset) ? s.preset : method.presets[0]!.name);
}

/** A setting changed by hand: a preset that set it is no longer what the form holds. */
export function setOption(s: WizardState, methods: Methods, key: string, value: OptionValue): WizardState {
  const preset = methodOf(methods, s.method).presets.find((p) => p.name === s.preset);
  const changed = preset?.settings !== undefined && key in preset.settings && preset.settings[key] !== value;
  return { ...s, options: { ...s.options, [s.method]: { ...s.options[s.method], [key]: value } }, preset: changed ? 'custom' : s.preset };
}

/** A setting's value in the form (its default until set). */
export const optionValue = (s: WizardState, f: OptionField): OptionValue => s.options[s.method]?.[f.key] ?? f.default;

/** The adapters of the chosen base model a run can start from. */
export const startAdapters = (s: WizardState, models: readonly Model[]) => models.find((m) => m.id === s.modelId)?.adapters.filter((a) => a.status === 'ok') ?? [];

/** What is wrong with one setting's value, in words; null when it is fine. `belowMin` is the method's own message. */
function optionProblem(f: OptionField, v: OptionValue, belowMin: string): string | null {
  if (f.kind === 'toggle') return typeof v === 'boolean' ? null : `${f.label}: on or off.`;
  if (f.kind === 'choice') {
    const choices = f.choices ?? [];
    return choices.some((c) => c.value === v) ? null : `${f.label}: choose one of ${choices.map((c) => c.label).join(', ')}.`;
  }
  if (typeof v !== 'number' || Number.isNaN(v) || (f.min !== undefined && v < f.min)) return belowMin;
  if (f.max !== undefined && v > f.max) return `${f.label} must be at most ${f.max}.`;
  return null;
}

/**
 * The method's section of the config: every setting (defaults where the form has none), a dotted key
 * ("rewards.atomic.e") nested as the method's settings schema reads it.
 */
export function methodSection(fields: readonly OptionField[], values: Record<string, OptionValue> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    const parts = f.key.split('.');
    let at = out;
    for (const part of parts.slice(0, -1)) {
      const inner = at[part];
      at = (at[part] = typeof inner === 'object' && inner !== null ? inner : {}) as Record<string, unknown>;
    }
    at[parts.at(-1)!] = values[f.key] ?? f.default;
  }
  return out;
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
  ['config.eval.voteSamples', 'hyper', `Dev vote samples must be a whole number from 0 to ${(TrainEvalSettingsSchema.shape.voteSamples.unwrap() as z.ZodNumber).maxValue}.`],
];

function schemaProblems(step: WizardStep, s: WizardState, methods: Methods): string[] {
  const parsed = procedures['train.create'].input.safeParse(createInput(s, methods));
  if (parsed.success) return [];
  const bad = new Set(parsed.error.issues.map((i) => i.path.join('.')));
  return FIELD_PROBLEMS.filter(([at, of]) => (step === of || step === 'review') && bad.has(at)).map(([, , message]) => message);
}

/** What a step still lacks, in words a user can act on; empty when the step is complete. */
export function stepProblems(step: WizardStep, s: WizardState, models: readonly Model[], methods: Methods): string[] {
  const out: string[] = [];
  if (step === 'model' || step === 'review') {
    if (!s.modelId) out.push('Choose a base model (add a local GGUF model on the Models page first).');
    else if (!trainableModels(models).some((m) => m.id === s.modelId)) out.push('The chosen model is gone or unreadable; choose another.');
  }
  if (step === 'data' || step === 'review') {
    if (s.dataKind !== 'corrections' && s.dataPath.trim() === '') out.push('Give the path of the dataset on the backend machine.');
    if (s.devSource === 'dataset' && s.devPath.trim() === '') out.push('Give the path of the dev set on the backend machine.');
  }
  const method = methodOf(methods, s.method);
  const form = method.options;
  if ((step === 'method' || step === 'review') && form) {
    const problems = new Set(form.fields.map((f) => optionProblem(f, optionValue(s, f), form.belowMin)).filter((p) => p !== null));
    out.push(...problems);
    const numbers = form.fields.filter((f) => f.kind === 'number');
    if (problems.size === 0 && form.allZero && numbers.length > 0 && numbers.every((f) => optionValue(s, f) === 0)) out.push(form.allZero);
  }
  if ((step === 'method' || step === 'review') && method.startFrom && s.startFrom !== null && !startAdapters(s, models).some((a) => a.id === s.startFrom)) {
    out.push('The adapter to start from is not a usable adapter of the chosen base model; choose another, or a fresh LoRA.');
  }
  out.push(...schemaProblems(step, s, methods));
  return out;
}

/** The train.create input for a complete form. */
export function createInput(s: WizardState, methods: Methods): Input<'train.create'> {
  const h = s.hyper;
  const method = methodOf(methods, s.method);
  const form = method.options;
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
      eval: { strategy: s.evalStrategy, maxTokens: s.evalMaxTokens, ...(s.evalVoteSamples !== 0 ? { voteSamples: s.evalVoteSamples } : {}) },
      ...(method.startFrom && s.startFrom !== null ? { startFrom: { adapterId: s.startFrom } } : {}),
      // the method's own settings live under its name
      ...(form ? { [s.method]: methodSection(form.fields, s.options[s.method]) } : {}),
    },
  };
}

/**
 * The train.checkData input: only what decides the data (model for its tokenizer, datasets, split), so changing a
 * hyperparameter does not check the data again.
 */
export function dataCheckInput(s: WizardState, methods: Methods): Input<'train.checkData'> {
  const { config } = createInput(s, methods);
  // the method does not change what is read: leaving it out keeps the check's cache key when the method changes
  return { config: { model: config.model, dataset: config.dataset, dev: config.dev, devFraction: config.devFraction } };
}

/** The train.estimate input: the run as it would be created. */
export function estimateInput(s: WizardState, methods: Methods): Input<'train.estimate'> {
  const { method, config } = createInput(s, methods);
  return { method, config };
}
