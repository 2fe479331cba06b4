import { describe, expect, it } from 'vitest';
import { type Model, TRAIN_LIMITS, TrainConfigBaseSchema, type TrainMethodInfo, TrainMethodInfoSchema, type TrainMetric, type TrainPreset } from '../../../../shared/contract/index.ts';
import { advantageClass, compareOps, describeSources, linkedOfSample, shownStep } from './rollouts.ts';
import { align, chartsOf, compact, devExPoints, extraPoints, mergeProgress, type Series } from './series.ts';
import { applyPreset, chooseMethod, createInput, dataCheckInput, estimateInput, initialState, methodSection, setOption, stepProblems, type WizardState } from './wizardConfig.ts';

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
const adapter = (id: string, status: 'ok' | 'missing' = 'ok') => ({ id, modelId: 'm1', name: `adapter ${id}`, path: `/a/${id}.gguf`, source: 'trained' as const, sizeBytes: 1, addedAt: '', status });
const withAdapters: Model = { ...model, adapters: [adapter('a1'), adapter('gone', 'missing')] };

// train.methods as the wizard gets it (the core's registry has its own tests): a plain method, a two-adapter one
// one with its own settings and an online one with every kind of setting, nested keys, presets that set some of
// them and a start-from-adapter picker; made-up names, so nothing here depends on which methods exist
const hyper = (length: 'steps' | 'epochs', rank: number) => ({ rank, alpha: 2 * rank, lr: 1e-3, length, steps: 100, epochs: 2, batchSize: 4, evalEvery: 10, checkpointEvery: 10, patience: 0 });
const PRESETS = [
  { name: 'fast', label: 'fast', description: 'a few steps', hyper: hyper('steps', 8) },
  { name: 'slow', label: 'slow', description: 'epochs', hyper: hyper('epochs', 32) },
];
const supervised = { kind: 'supervised' as const, startFrom: false, curves: [] };
const ONLINE_PRESETS: TrainPreset[] = [
  { name: 'tiny', label: 'tiny', description: 'small groups', hyper: { ...hyper('steps', 8), lr: 5e-5 }, settings: { group: 4, 'rewards.atomic.e': 0.1 } },
  { name: 'authors', label: 'authors', description: 'the paper', hyper: { ...hyper('steps', 16), lr: 5e-6 }, settings: { group: 16, norm: 'token', 'rewards.memory': true } },
];
const METHODS: TrainMethodInfo[] = [
  { name: 'plain', label: 'Plain', description: '', adapters: [{ role: 'main', label: 'SQL adapter', linkModel: false }], evalStrategy: 'direct', strategy: null, options: null, presets: PRESETS, ...supervised },
  {
    name: 'pair',
    label: 'Pair',
    description: '',
    adapters: [{ role: 'aux', label: 'aux adapter', linkModel: true }, { role: 'main', label: 'SQL adapter', linkModel: false }],
    evalStrategy: 'lrsql',
    strategy: 'lrsql',
    options: null,
    presets: PRESETS,
    ...supervised,
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
      fields: [{ key: 'a', label: 'A', kind: 'number', default: 1, min: 0, step: 0.5 }, { key: 'b', label: 'B', kind: 'number', default: 2, min: 0, step: 0.5 }],
      allZero: 'One ratio above 0, please.',
      belowMin: 'No negative ratios.',
    },
    presets: PRESETS,
    ...supervised,
  },
  {
    name: 'online',
    label: 'Online',
    description: '',
    adapters: [{ role: 'main', label: 'SQL adapter', linkModel: false }],
    evalStrategy: 'direct',
    strategy: null,
    options: {
      legend: 'Rollouts and rewards',
      fields: [
        { key: 'group', label: 'Group size', kind: 'number', default: 8, min: 2, max: 64, step: 1 },
        { key: 'norm', label: 'Normalisation', kind: 'choice', default: 'sequence', choices: [{ value: 'sequence', label: 'per sequence' }, { value: 'token', label: 'per token' }] },
        { key: 'rewards.atomic.e', label: 'e', kind: 'number', default: 0.05, min: 0, max: 1, step: 0.01, help: 'f(s) = e*s + (1-e)*b*s^g' },
        { key: 'rewards.atomic.b', label: 'b', kind: 'number', default: 0.79, min: 0, max: 1, step: 0.01 },
        { key: 'rewards.memory', label: 'Memory reward', kind: 'toggle', default: false },
      ],
      allZero: null,
      belowMin: 'A setting is below its minimum.',
    },
    presets: ONLINE_PRESETS,
    kind: 'online',
    startFrom: true,
    curves: [
      { key: 'reward', label: 'mean', chart: 'Reward' },
      { key: 'reward_std', label: 'std', chart: 'Reward' },
      { key: 'kl', label: 'KL', chart: 'KL' },
      { key: 'reward_execution', label: 'execution', chart: 'Reward' },
    ],
  },
];

const filled = (patch: Partial<WizardState> = {}): WizardState => ({ ...initialState(METHODS), modelId: 'm1', dataPath: '/data/train.jsonl', ...patch });

describe('wizard config', () => {
  it('the fixture is what train.methods answers', () => {
    for (const m of METHODS) expect(TrainMethodInfoSchema.parse(m)).toEqual(m);
  });

  it('starts from the first method with its first preset, dev strategy and every method\'s own defaults', () => {
    const s = initialState(METHODS);
    expect(s).toMatchObject({ method: 'plain', preset: 'fast', hyper: PRESETS[0]!.hyper, evalStrategy: 'direct', options: { mix: { a: 1, b: 2 } }, startFrom: null });
    expect(s.options.online).toEqual({ group: 8, norm: 'sequence', 'rewards.atomic.e': 0.05, 'rewards.atomic.b': 0.79, 'rewards.memory': false });
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
    // the vote-scored dev evaluation: 0 sends nothing, a count goes to config.eval, past the contract's bound refused
    expect(createInput(filled(), METHODS).config.eval).not.toHaveProperty('voteSamples');
    expect(TrainConfigBaseSchema.parse(createInput(filled({ evalVoteSamples: 64 }), METHODS).config).eval.voteSamples).toBe(64);
    expect(stepProblems('hyper', filled({ evalVoteSamples: 64 }), [model], METHODS)).toEqual([]);
    expect(stepProblems('hyper', filled({ evalVoteSamples: 65 }), [model], METHODS)).toEqual(['Dev vote samples must be a whole number from 0 to 64.']);
    expect(stepProblems('hyper', filled({ evalVoteSamples: 2.5 }), [model], METHODS)).toHaveLength(1);
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

  it('nests dotted keys into the method\'s section and sends every kind of setting as its type', () => {
    expect(methodSection([{ key: 'x.y.z', label: '', kind: 'number', default: 1 }, { key: 'x.w', label: '', kind: 'toggle', default: true }, { key: 'v', label: '', kind: 'choice', default: 'a' }], { 'x.y.z': 3 })).toEqual({
      x: { y: { z: 3 }, w: true },
      v: 'a',
    });
    const state = chooseMethod(filled(), METHODS, 'online');
    const config = TrainConfigBaseSchema.parse(createInput(state, METHODS).config) as Record<string, unknown>;
    // the first preset's settings over the defaults, the others at their defaults
    expect(config.online).toEqual({ group: 4, norm: 'sequence', rewards: { atomic: { e: 0.1, b: 0.79 }, memory: false } });
    const edited = setOption(setOption(setOption(state, METHODS, 'norm', 'token'), METHODS, 'rewards.memory', true), METHODS, 'rewards.atomic.b', 0.5);
    expect(createInput(edited, METHODS).config).toMatchObject({ online: { norm: 'token', rewards: { atomic: { e: 0.1, b: 0.5 }, memory: true } } });
    // no other method's section, no start adapter unless one is chosen
    expect(createInput(edited, METHODS).config).not.toHaveProperty('mix');
    expect(createInput(edited, METHODS).config).not.toHaveProperty('startFrom');
  });

  it('applies a preset\'s hyperparameters and settings; editing a setting it set makes the form custom', () => {
    const online = chooseMethod(filled(), METHODS, 'online');
    // the method's presets differ from the one before: its first is applied
    expect(online).toMatchObject({ method: 'online', preset: 'tiny', hyper: ONLINE_PRESETS[0]!.hyper, evalStrategy: 'direct' });
    const authors = applyPreset(setOption(online, METHODS, 'rewards.atomic.b', 0.6), METHODS, 'authors');
    expect(authors.hyper.lr).toBe(5e-6);
    // what the preset sets changes; what it does not set keeps the form's value
    expect(authors.options.online).toMatchObject({ group: 16, norm: 'token', 'rewards.memory': true, 'rewards.atomic.e': 0.1, 'rewards.atomic.b': 0.6 });
    expect(setOption(authors, METHODS, 'rewards.atomic.b', 0.7).preset).toBe('authors');
    expect(setOption(authors, METHODS, 'group', 16).preset).toBe('authors');
    expect(setOption(authors, METHODS, 'group', 12).preset).toBe('custom');
    // back to a method without these presets: its own first preset, and the online settings are kept for later
    const back = chooseMethod(authors, METHODS, 'plain');
    expect(back).toMatchObject({ method: 'plain', preset: 'fast', hyper: PRESETS[0]!.hyper });
    expect(back.options.online).toEqual(authors.options.online);
    // a preset of another method, or a setting key the method does not have, changes nothing
    expect(applyPreset(back, METHODS, 'authors')).toBe(back);
  });

  it('checks each kind of setting against its bounds and choices, with clear messages', () => {
    const online = chooseMethod(filled(), METHODS, 'online');
    const problems = (key: string, value: number | string | boolean) => stepProblems('method', setOption(online, METHODS, key, value), [model], METHODS);
    expect(stepProblems('method', online, [model], METHODS)).toEqual([]);
    expect(problems('group', 64)).toEqual([]);
    expect(problems('group', 1)).toEqual(['A setting is below its minimum.']);
    expect(problems('group', Number.NaN)).toEqual(['A setting is below its minimum.']);
    expect(problems('group', 65)).toEqual(['Group size must be at most 64.']);
    expect(problems('rewards.atomic.e', 1.5)).toEqual(['e must be at most 1.']);
    expect(problems('norm', 'other')).toEqual(['Normalisation: choose one of per sequence, per token.']);
    // the review step repeats the method step's problems
    expect(stepProblems('review', setOption(online, METHODS, 'group', 65), [model], METHODS)).toEqual(['Group size must be at most 64.']);
  });

  it('starts from an adapter of the chosen base model, or a fresh LoRA', () => {
    const online = chooseMethod(filled(), METHODS, 'online');
    const from = { ...online, startFrom: 'a1' };
    expect(stepProblems('method', from, [withAdapters], METHODS)).toEqual([]);
    expect(TrainConfigBaseSchema.parse(createInput(from, METHODS).config).startFrom).toEqual({ adapterId: 'a1' });
    // an adapter whose file is missing, or of another model, is refused by name
    for (const bad of ['gone', 'elsewhere']) {
      expect(stepProblems('method', { ...online, startFrom: bad }, [withAdapters], METHODS)).toEqual([expect.stringMatching(/not a usable adapter of the chosen base model/)]);
    }
    expect(stepProblems('review', { ...online, startFrom: 'a1', modelId: 'm1' }, [model], METHODS)).toEqual([expect.stringMatching(/adapter to start from/)]);
    // a method without the picker drops the choice
    const plain = chooseMethod(from, METHODS, 'plain');
    expect(plain.startFrom).toBeNull();
    expect(createInput({ ...plain, startFrom: 'a1' }, METHODS).config).not.toHaveProperty('startFrom');
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

  it('draws a method\'s curves one chart per name, from the metrics that carry each series, and the vote dev EX where scored', () => {
    const online = METHODS.find((m) => m.name === 'online')!;
    expect(chartsOf(online.curves).map((c) => [c.chart, c.curves.map((x) => x.key)])).toEqual([
      ['Reward', ['reward', 'reward_std', 'reward_execution']],
      ['KL', ['kl']],
    ]);
    const s: Series = {
      metrics: [{ ...metric(1, 0), extra: { reward: 1.5, kl: 0 } }, metric(2, 0), { ...metric(3, 0), extra: { reward: 2, kl: Number.NaN } }],
      evals: [
        { step: 0, devEx: 0.25, correct: 1, total: 4, ms: 1, at: '', vote: { devEx: 0.5, correct: 2, total: 4, samples: 8 } },
        { step: 3, devEx: 0.5, correct: 2, total: 4, ms: 1, at: '' },
      ],
    };
    expect(extraPoints(s, 'reward')).toEqual([[1, 1.5], [3, 2]]);
    expect(extraPoints(s, 'kl')).toEqual([[1, 0]]); // a non-finite value is no point
    expect(extraPoints(s, 'nothing')).toEqual([]);
    expect(devExPoints(s, 'greedy')).toEqual([[0, 25], [3, 50]]);
    expect(devExPoints(s, 'vote')).toEqual([[0, 50]]);
  });

  it('aligns lines with different steps on one x axis', () => {
    const data = align([
      { label: 'a', color: '', points: [[1, 10], [3, 30]] },
      { label: 'b', color: '', points: [[2, 20], [3, 33]] },
    ]);
    expect(data).toEqual([[1, 2, 3], [10, null, 30], [null, 20, 33]]);
  });

  it('writes axis values in at most a few characters, tiny ones in exponent form', () => {
    expect([0, 1250, 0.5, 0.00123456, -3.14159, 2.1e-5, -8e-9].map(compact)).toEqual(['0', '1250', '0.5', '0.001235', '-3.142', '2.1e-5', '-8.0e-9']);
  });
});

describe('rollout browser', () => {
  it('marks the atomic operations both sides have', () => {
    const ops = compareOps(['FROM(singer as T1)', 'SELECT_COL(name)', 'SELECT_COL(name)'], ['FROM(singer as T1)', 'SELECT_COL(age)']);
    expect(ops.pred.map((o) => o.shared)).toEqual([true, false, false]);
    expect(ops.gold.map((o) => o.shared)).toEqual([true, false]);
    expect([ops.shared, ops.union]).toEqual([1, 3]);
    expect(compareOps([], [])).toMatchObject({ shared: 0, union: 0 });
  });

  it('links the schema names of the gold and the prediction, each with the side that uses it', () => {
    const schema = { tables: [{ name: 'Singer', columns: [{ name: 'Name' }, { name: 'Age' }] }, { name: 'concert', columns: [{ name: 'concert_Name' }] }] };
    const linked = linkedOfSample(schema, 'SELECT name FROM singer', 'SELECT T1.age FROM Singer AS T1 JOIN concert AS T2');
    expect([...linked.tables]).toEqual([['singer', [0, 1]], ['concert', [1]]]);
    expect([...linked.columns]).toEqual([['singer.name', [0]], ['singer.age', [1]]]);
    expect([describeSources([0, 1]), describeSources([0]), describeSources([1])]).toEqual(['used by the gold SQL and the prediction', 'used by the gold SQL only', 'used by the prediction only']);
  });

  it('shows the step picked while it is kept, else the latest; advantages coloured by sign', () => {
    expect(shownStep([], null)).toBeNull();
    expect(shownStep([2, 4, 6], null)).toBe(6);
    expect(shownStep([2, 4, 6], 4)).toBe(4);
    // a resume forgot the step picked
    expect(shownStep([2, 4], 6)).toBe(4);
    expect([advantageClass(0.3), advantageClass(-0.1), advantageClass(0)]).toEqual(['ok', 'bad', 'muted']);
  });
});
