import { describe, expect, it } from 'vitest';
import type { Model, TrainMetric } from '../../../../shared/contract/index.ts';
import { TRAIN_LIMITS, TrainConfigSchema } from '../../../../shared/contract/index.ts';
import { align, mergeProgress, type Series } from './series.ts';
import { PRESETS, createInput, dataCheckInput, estimateInput, initialState, stepProblems, type WizardState } from './wizardConfig.ts';

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

const filled = (patch: Partial<WizardState> = {}): WizardState => ({ ...initialState(), modelId: 'm1', dataPath: '/data/train.jsonl', ...patch });

describe('wizard config', () => {
  it('names what each step lacks', () => {
    const empty = initialState();
    expect(stepProblems('model', empty, [model])).toEqual([expect.stringMatching(/Choose a base model/)]);
    expect(stepProblems('data', empty, [model])).toEqual([expect.stringMatching(/path of the dataset/)]);
    expect(stepProblems('data', { ...empty, dataKind: 'corrections' }, [model])).toEqual([]);
    expect(stepProblems('method', { ...empty, method: 'route', route: { ts: 0, sl: 0, nc: 0, cw: 0 } }, [model])).toHaveLength(1);
    expect(stepProblems('hyper', { ...empty, hyper: { ...empty.hyper, rank: 0, lr: 2 } }, [model])).toHaveLength(2);
    expect(stepProblems('review', filled(), [model])).toEqual([]);
    // a remote model has no weights to train
    expect(stepProblems('model', filled(), [{ ...model, kind: 'remote' }])).toHaveLength(1);
  });

  it('checks the form by the contract\'s bounds: each limit is accepted, one past it refused with the bound in words', () => {
    const h = filled().hyper;
    const hyper = (patch: Partial<WizardState['hyper']>) => stepProblems('hyper', filled({ hyper: { ...h, ...patch } }), [model]);
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
    expect(stepProblems('hyper', filled({ evalMaxTokens: L.evalMaxTokens.max + 1 }), [model])).toEqual([expect.stringContaining(String(L.evalMaxTokens.max))]);
    // the dev fraction is the data step's, and only when the dev set is held out of the dataset
    expect(stepProblems('data', filled({ devFraction: L.devFraction.max + 0.05 }), [model])).toEqual([expect.stringContaining(String(L.devFraction.max))]);
    expect(stepProblems('data', filled({ devFraction: L.devFraction.max + 0.05, devSource: 'dataset', devPath: '/data/dev.jsonl' }), [model])).toEqual([]);
    expect(stepProblems('review', filled({ hyper: { ...h, rank: 0 } }), [model])).toHaveLength(1);
  });

  it('makes a train.create input the contract accepts, for every method and preset', () => {
    for (const method of ['sft', 'lrsql', 'route'] as const) {
      for (const preset of ['quick', 'authors'] as const) {
        const input = createInput(filled({ method, preset, hyper: { ...PRESETS[preset].hyper } }));
        const config = TrainConfigSchema.parse(input.config);
        expect(input.method).toBe(method);
        expect(config.lora.rank).toBe(PRESETS[preset].hyper.rank);
        expect(config.route !== undefined).toBe(method === 'route');
        expect(preset === 'quick' ? config.steps : config.epochs).toBeGreaterThan(0);
      }
    }
    expect(createInput(filled({ dataKind: 'corrections' })).config.dataset).toEqual({ kind: 'corrections' });
    // a separate dev set replaces the held-out fraction; a Spider folder as dev set means its dev split
    const spiderDev = createInput(filled({ dataKind: 'spider', dataPath: '/b/spider', devSource: 'dataset', devKind: 'spider', devPath: '/b/spider' })).config;
    expect(TrainConfigSchema.parse(spiderDev)).toMatchObject({ dataset: { kind: 'spider', path: '/b/spider' }, dev: { kind: 'spider', path: '/b/spider', split: 'dev' }, devFraction: 0 });
    expect(createInput(filled({ devSource: 'dataset', devKind: 'jsonl', devPath: '/d/dev.jsonl' })).config.dev).toEqual({ kind: 'jsonl', path: '/d/dev.jsonl' });
    expect(stepProblems('data', filled({ devSource: 'dataset' }), [model])).toEqual([expect.stringMatching(/path of the dev set/)]);
  });

  it('checks the data without the hyperparameters and estimates the run as it would be created', () => {
    const state = filled({ method: 'lrsql' });
    const check = dataCheckInput(state);
    expect(TrainConfigSchema.parse(check.config)).toMatchObject({ dataset: { kind: 'jsonl', path: state.dataPath }, devFraction: state.devFraction });
    // a hyperparameter change leaves the data check's input as it was
    expect(dataCheckInput({ ...state, method: 'route', hyper: { ...state.hyper, rank: 64 } })).toEqual(check);
    expect(estimateInput(state)).toEqual({ method: 'lrsql', config: createInput(state).config });
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
