import { describe, expect, it } from 'vitest';
import { type Model, TRAIN_LIMITS, TrainConfigBaseSchema, type TrainMethodInfo, TrainMethodInfoSchema, type TrainMetric } from '../../../../shared/contract/index.ts';
import { align, mergeProgress, type Series } from './series.ts';
import { createInput, dataCheckInput, estimateInput, initialState, stepProblems, type WizardState } from './wizardConfig.ts';

const model: Model = {
  id: 'm1',
  name: 'Tiny',
  kind: 'local',
  path: '/models/tiny.gguf',
  remote: null,
  source: 'created',
  sizeBytes: 10_000_000,
  sha256: null,
  metadata: { architecture: 'llama', parameters: 5e6, quantization: 'F32', contextLength: 2048, layers: 2, embeddingLength: 64, vocabSize: 32064, chatTemplate: null, name: null },
  addedAt: '2026-01-01T00:00:00Z',
  status: 'ok',
  loaded: false,
  adapters: [],
};

// train.methods as the wizard gets it (the core's registry has its own tests): a plain method, a two-adapter one
// and one with its own settings; made-up names, so nothing here depends on which methods exist
const hyper = (length: 'steps' | 'epochs', rank: number) => ({ rank, alpha: 2 * rank, lr: 1e-3, length, steps: 100, epochs: 2, batchSize: 4, evalEvery: 10, checkpointEvery: 10, patience: 0 });
const PRESETS = [
  { name: 'fast', label: 'fast', description: 'a few steps', hyper: hyper('steps', 8) },
  { name: 'slow', label: 'slow', description: 'epochs', hyper: hyper('epochs', 32) },
];
const METHODS: TrainMethodInfo[] = [
  { name: 'plain', label: 'Plain', description: '', adapters: [{ role: 'main', label: 'SQL adapter', linkModel: false }], evalStrategy: 'direct', strategy: null, options: null, presets: PRESETS },
  {
    name: 'pair',
    label: 'Pair',
    description: '',
    adapters: [{ role: 'aux', label: 'aux adapter', linkModel: true }, { role: 'main', label: 'SQL adapter', linkModel: false }],
    evalStrategy: 'lrsql',
    strategy: 'lrsql',
    options: null,
    presets: PRESETS,
  },
  {
    name: 'mix',
    label: 'Mix',
    description: '',
    adapters: [{ role: 'main', label: 'SQL adapter', linkModel: false }],
    evalStrategy: 'vote',
    strategy: 'vote',
    options: {
      legend: 'Ratios',
      fields: [{ key: 'a', label: 'A', default: 1, min: 0, step: 0.5 }, { key: 'b', label: 'B', default: 2, min: 0, step: 0.5 }],
      allZero: 'One ratio above 0, please.',
      belowMin: 'No negative ratios.',
    },
    presets: PRESETS,
  },
];

const filled = (patch: Partial<WizardState> = {}): WizardState => ({ ...initialState(METHODS), modelId: 'm1', dataPath: '/data/train.jsonl', ...patch });

describe('wizard config', () => {
  it('the fixture is what train.methods answers', () => {
    for (const m of METHODS) expect(TrainMethodInfoSchema.parse(m)).toEqual(m);
  });

  it('starts from the first method with its first preset, dev strategy and every method\'s own defaults', () => {
    const s = initialState(METHODS);
    expect(s).toMatchObject({ method: 'plain', preset: 'fast', hyper: PRESETS[0]!.hyper, evalStrategy: 'direct', options: { mix: { a: 1, b: 2 } } });
    expect(s.hyper).not.toBe(PRESETS[0]!.hyper); // a copy: editing the form leaves the preset alone
  });

  it('names what each step lacks', () => {
    const empty = initialState(METHODS);
    expect(stepProblems('model', empty, [model], METHODS)).toEqual([expect.stringMatching(/Choose a base model/)]);
    expect(stepProblems('data', empty, [model], METHODS)).toEqual([expect.stringMatching(/path of the dataset/)]);
    expect(stepProblems('data', { ...empty, dataKind: 'corrections' }, [model], METHODS)).toEqual([]);
    // a method's own settings: the messages it declares
    expect(stepProblems('method', { ...empty, method: 'mix', options: { mix: { a: 0, b: 0 } } }, [model], METHODS)).toEqual(['One ratio above 0, please.']);
    expect(stepProblems('method', { ...empty, method: 'mix', options: { mix: { a: -1, b: 2 } } }, [model], METHODS)).toEqual(['No negative ratios.']);
    expect(stepProblems('method', { ...empty, method: 'mix', options: { mix: { a: Number.NaN, b: 2 } } }, [model], METHODS)).toEqual(['No negative ratios.']);
    // another method's settings are not its concern
    expect(stepProblems('method', { ...empty, method: 'plain', options: { mix: { a: 0, b: 0 } } }, [model], METHODS)).toEqual([]);
    expect(stepProblems('hyper', { ...empty, hyper: { ...empty.hyper, rank: 0, lr: 2 } }, [model], METHODS)).toHaveLength(2);
    expect(stepProblems('review', filled(), [model], METHODS)).toEqual([]);
    // a remote model has no weights to train
    expect(stepProblems('model', filled(), [{ ...model, kind: 'remote' }], METHODS)).toHaveLength(1);
  });

  it('checks the form by the contract\'s bounds: each limit is accepted, one past it refused with the bound in words', () => {
    const h = filled().hyper;
    const hyper = (patch: Partial<WizardState['hyper']>) => stepProblems('hyper', filled({ hyper: { ...h, ...patch } }), [model], METHODS);
    const L = TRAIN_LIMITS;
    for (const [field, value, past] of [
      ['rank', L.rank.max, L.rank.max + 1],
      ['rank', L.rank.min, L.rank.min - 1],
      ['batchSize', L.batchSize.max, L.batchSize.max + 1],
      ['lr', L.lr.max, L.lr.max * 1.5],
      ['alpha', L.alpha.max, L.alpha.max + 1],
      ['steps', L.steps.max, L.steps.max + 1],
    ] as const) {
      expect(hyper({ [field]: value })).toEqual([]);
      expect(hyper({ [field]: past })).toEqual([expect.stringContaining(String(field === 'rank' && past < value ? L.rank.min : value))]);
    }
    expect(hyper({ length: 'epochs', epochs: L.epochs.max + 1 })).toEqual([expect.stringContaining(String(L.epochs.max))]);
    expect(hyper({ rank: 1.5 })).toEqual([expect.stringMatching(/whole number/)]);
    expect(stepProblems('hyper', filled({ evalMaxTokens: L.evalMaxTokens.max + 1 }), [model], METHODS)).toEqual([expect.stringContaining(String(L.evalMaxTokens.max))]);
    // the dev fraction is the data step's, and only when the dev set is held out of the dataset
    expect(stepProblems('data', filled({ devFraction: L.devFraction.max + 0.05 }), [model], METHODS)).toEqual([expect.stringContaining(String(L.devFraction.max))]);
    expect(stepProblems('data', filled({ devFraction: L.devFraction.max + 0.05, devSource: 'dataset', devPath: '/data/dev.jsonl' }), [model], METHODS)).toEqual([]);
    expect(stepProblems('review', filled({ hyper: { ...h, rank: 0 } }), [model], METHODS)).toHaveLength(1);
  });

  it('makes a train.create input the contract accepts, for every method and preset', () => {
    for (const method of METHODS) {
      for (const preset of PRESETS) {
        const input = createInput(filled({ method: method.name, preset: preset.name, hyper: { ...preset.hyper }, evalStrategy: method.evalStrategy }), METHODS);
        const config = TrainConfigBaseSchema.parse(input.config);
        expect(input.method).toBe(method.name);
        expect(config.lora.rank).toBe(preset.hyper.rank);
        expect(config.eval.strategy).toBe(method.evalStrategy);
        expect(preset.hyper.length === 'steps' ? config.steps : config.epochs).toBeGreaterThan(0);
        // a method's own settings go under its name, and only its own
        for (const other of METHODS) expect(config[other.name] !== undefined, `${method.name}: ${other.name}`).toBe(other === method && other.options !== null);
      }
    }
    const mix = createInput(filled({ method: 'mix', options: { mix: { a: 3 } } }), METHODS).config;
    expect(mix).toMatchObject({ mix: { a: 3, b: 2 } }); // a field not touched keeps its default
    expect(createInput(filled({ dataKind: 'corrections' }), METHODS).config.dataset).toEqual({ kind: 'corrections' });
    // a separate dev set replaces the held-out fraction; a Spider folder as dev set means its dev split
    const spiderDev = createInput(filled({ dataKind: 'spider', dataPath: '/b/spider', devSource: 'dataset', devKind: 'spider', devPath: '/b/spider' }), METHODS).config;
    expect(TrainConfigBaseSchema.parse(spiderDev)).toMatchObject({ dataset: { kind: 'spider', path: '/b/spider' }, dev: { kind: 'spider', path: '/b/spider', split: 'dev' }, devFraction: 0 });
    expect(createInput(filled({ devSource: 'dataset', devKind: 'jsonl', devPath: '/d/dev.jsonl' }), METHODS).config.dev).toEqual({ kind: 'jsonl', path: '/d/dev.jsonl' });
    expect(stepProblems('data', filled({ devSource: 'dataset' }), [model], METHODS)).toEqual([expect.stringMatching(/path of the dev set/)]);
  });

  it('checks the data without the method or the hyperparameters and estimates the run as it would be created', () => {
    const state = filled({ method: 'pair' });
    const check = dataCheckInput(state, METHODS);
    expect(check.method).toBeUndefined();
    expect(TrainConfigBaseSchema.parse(check.config)).toMatchObject({ dataset: { kind: 'jsonl', path: state.dataPath }, devFraction: state.devFraction });
    // a method or hyperparameter change leaves the data check's input as it was
    expect(dataCheckInput({ ...state, method: 'mix', hyper: { ...state.hyper, rank: 64 } }, METHODS)).toEqual(check);
    expect(estimateInput(state, METHODS)).toEqual({ method: 'pair', config: createInput(state, METHODS).config });
  });
});

const metric = (step: number, loss: number): TrainMetric => ({ step, loss, lr: 0.001, gradNorm: 1, tokensPerS: 100, rssBytes: 1e8, at: '' });
const progress = (m: TrainMetric | null, devEx?: number) => ({
  jobId: 'j',
  state: 'running' as const,
  step: m?.step ?? 0,
  totalSteps: 10,
  metric: m,
  eval: devEx === undefined ? null : { step: m?.step ?? 0, devEx, correct: 1, total: 2, ms: 5, at: '' },
});

describe('series', () => {
  it('appends live points and replaces steps that a resume re-does', () => {
    let s: Series = { metrics: [metric(1, 3), metric(2, 2.5), metric(3, 2.4)], evals: [] };
    s = mergeProgress(s, progress(metric(4, 2.2)));
    expect(s.metrics.map((m) => m.step)).toEqual([1, 2, 3, 4]);
    // resumed from the checkpoint at step 2: step 3 comes again, and 4 is forgotten
    s = mergeProgress(s, progress(metric(3, 2.3)));
    expect(s.metrics.map((m) => [m.step, m.loss])).toEqual([[1, 3], [2, 2.5], [3, 2.3]]);
    s = mergeProgress(s, progress(null, 0.5));
    expect(s.evals).toHaveLength(1);
    const same = mergeProgress(s, progress(null));
    expect(same).toBe(s);
  });

  it('aligns lines with different steps on one x axis', () => {
    const data = align([
      { label: 'a', color: '', points: [[1, 10], [3, 30]] },
      { label: 'b', color: '', points: [[2, 20], [3, 33]] },
    ]);
    expect(data).toEqual([[1, 2, 3], [10, null, 30], [null, 20, 33]]);
  });
});
