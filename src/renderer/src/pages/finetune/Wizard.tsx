import { useState, type ReactNode } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { STRATEGIES, type Model, type TrainJob } from '../../../../shared/contract/index.ts';
import type { SquillError } from '../../../../shared/errors.ts';
import { procedureKey, useConnection } from '../../api/hooks.ts';
import { href, navigate } from '../../app/router.ts';
import { ErrorNotice, InlineError } from '../../components/ErrorNotice.tsx';
import { formatBytes, formatParams } from '../../lib/format.ts';
import { PathInput } from '../../components/PathInput.tsx';
import { useModels } from '../../lib/models.ts';
import { DataCheckSummary, DataCheckView } from './DataCheckView.tsx';
import { EstimateHeadline, EstimateView } from './EstimateView.tsx';
import { useDataCheck, useEstimate, useTrainMethods } from './hooks.ts';
import {
  DATASET_KINDS,
  STEPS,
  STEP_LABELS,
  applyPreset,
  chooseMethod,
  createInput,
  dataCheckInput,
  estimateInput,
  initialState,
  methodOf,
  optionValue,
  setOption,
  startAdapters,
  stepProblems,
  trainableModels,
  type Hyper,
  type Methods,
  type OptionField,
  type WizardState,
  type WizardStep,
} from './wizardConfig.ts';

/** #/finetune/new: base model -> data -> method -> hyperparameters -> review -> launch. */
export function Wizard() {
  // the form starts from the methods' presets and settings, so it waits for them
  const methods = useTrainMethods();
  if (methods.data) return <WizardForm methods={methods.data} />;
  return (
    <div className="page ft-wizard">
      <header className="page-header">
        <h1>New fine-tuning run</h1>
      </header>
      {methods.error ? <ErrorNotice error={methods.error} what="the training methods" /> : <p className="muted">Loading the training methods…</p>}
    </div>
  );
}

function WizardForm({ methods }: { methods: Methods }) {
  const models = useModels();
  const list = models.data ?? [];
  const [state, setState] = useState<WizardState>(() => initialState(methods));
  const [step, setStep] = useState<WizardStep>('model');
  const [tried, setTried] = useState(false);
  const { client } = useConnection();
  const queryClient = useQueryClient();
  const launch = useMutation<TrainJob, SquillError>({
    mutationFn: () => client.call('train.create', createInput(state, methods)),
    onSuccess: (job) => {
      void queryClient.invalidateQueries({ queryKey: procedureKey('train.jobs') });
      navigate('finetune', job.id);
    },
  });

  const index = STEPS.indexOf(step);
  // the data check and the estimate run as soon as their steps are complete, and again when an input changes
  const dataReady = state.modelId !== null && stepProblems('data', state, list, methods).length === 0;
  const check = useDataCheck(dataReady && index >= STEPS.indexOf('data') ? dataCheckInput(state, methods) : null);
  const estimateReady = dataReady && stepProblems('hyper', state, list, methods).length === 0 && stepProblems('method', state, list, methods).length === 0;
  const estimate = useEstimate(estimateReady && index >= STEPS.indexOf('hyper') ? estimateInput(state, methods) : null);
  const problems = [...stepProblems(step, state, list, methods), ...(step === 'data' || step === 'review' ? dataProblems(check) : [])];
  const update = (patch: Partial<WizardState> | ((s: WizardState) => WizardState)) => setState((s) => (typeof patch === 'function' ? patch(s) : { ...s, ...patch }));
  const next = () => {
    setTried(true);
    if (problems.length > 0) return;
    setTried(false);
    if (step === 'review') launch.mutate();
    else setStep(STEPS[index + 1]!);
  };

  return (
    <div className="page ft-wizard">
      <header className="page-header">
        <div className="ft-crumbs small">
          <a href={href('finetune')}>Fine-tune</a> / new run
        </div>
        <h1>New fine-tuning run</h1>
      </header>
      <ol className="ft-steps" aria-label="Wizard steps">
        {STEPS.map((s, i) => (
          <li key={s} aria-current={s === step ? 'step' : undefined} className={i < index ? 'ft-step-done' : ''}>
            <button type="button" disabled={i > index} onClick={() => setStep(s)}>
              {i + 1}. {STEP_LABELS[s]}
            </button>
          </li>
        ))}
      </ol>
      <section className="panel" aria-label={STEP_LABELS[step]}>
        {step === 'model' && <ModelStep state={state} models={list} loading={models.isLoading} update={update} />}
        {step === 'data' && <DataStep state={state} update={update} check={check} />}
        {step === 'method' && <MethodStep state={state} update={update} methods={methods} models={list} />}
        {step === 'hyper' && <HyperStep state={state} update={update} estimate={estimate} methods={methods} />}
        {step === 'review' && <Review state={state} models={list} check={check} estimate={estimate} methods={methods} />}
        {models.error && <ErrorNotice error={models.error} what="the models" />}
        {tried && problems.length > 0 && (
          <ul className="notice notice-error ft-problems" role="alert">
            {problems.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        )}
        {launch.error && (
          <div className="notice notice-error" role="alert">
            <strong>Could not start the run.</strong> {launch.error.message}
          </div>
        )}
        <div className="ft-wizard-nav">
          <button type="button" disabled={index === 0} onClick={() => setStep(STEPS[index - 1]!)}>
            Back
          </button>
          <button type="button" className="primary" onClick={next} disabled={launch.isPending}>
            {step === 'review' ? (launch.isPending ? 'Launching…' : 'Launch') : 'Next'}
          </button>
        </div>
      </section>
    </div>
  );
}

type CheckQuery = ReturnType<typeof useDataCheck>;
type EstimateQuery = ReturnType<typeof useEstimate>;

/** A finished data check that rules the data out blocks the wizard; a check still running does not. */
function dataProblems(check: CheckQuery): string[] {
  if (check.outdated) return [];
  if (check.error) return [`The data cannot be used: ${check.error.message}`];
  if (check.data && check.data.train === 0) return ['The dataset has no usable training examples; see the invalid rows above.'];
  return [];
}

/** A wizard query's answer as it settles: a note while it runs, its error, or its view (dimmed while outdated). */
function LiveResult<T>({ query, loading, errorTitle, children }: { query: { data?: T; error: SquillError | null; isFetching: boolean; outdated: boolean }; loading: string; errorTitle: string; children: (data: T) => ReactNode }) {
  return (
    <div aria-live="polite" className={query.outdated && query.data ? 'ft-outdated' : undefined}>
      {query.isFetching && <p className="muted small">{loading}</p>}
      {query.error && !query.isFetching && <InlineError title={errorTitle} message={query.error.message} />}
      {query.data && !query.error && children(query.data)}
    </div>
  );
}

/** A number field's value: an emptied field (NaN) stays empty instead of showing NaN. */
const shown = (v: number) => (Number.isNaN(v) ? '' : v);

/** A setting as the review lists it: a choice by its label, a toggle as on/off. */
const shownOption = (f: OptionField, v: OptionField['default']) =>
  f.kind === 'toggle' ? (v ? 'on' : 'off') : f.kind === 'choice' ? (f.choices?.find((c) => c.value === v)?.label ?? String(v)) : String(v);

type StepProps = { state: WizardState; update: (patch: Partial<WizardState> | ((s: WizardState) => WizardState)) => void };

function ModelStep({ state, models, loading, update }: StepProps & { models: Model[]; loading: boolean }) {
  const usable = trainableModels(models);
  return (
    <>
      <h2>Base model</h2>
      <p className="muted">A local GGUF model registered on the Models page; the run trains a LoRA adapter on top of it.</p>
      {!loading && usable.length === 0 && (
        <p className="notice">
          No local model can be trained yet. <a href={href('models')}>Add one on the Models page</a>.
        </p>
      )}
      <div className="ft-choices" role="radiogroup" aria-label="Base model">
        {usable.map((m) => (
          <label key={m.id} className={`ft-choice${state.modelId === m.id ? ' ft-choice-on' : ''}`}>
            <input type="radio" name="ft-model" checked={state.modelId === m.id} onChange={() => update({ modelId: m.id })} />
            <span>
              <strong>{m.name}</strong>
              <span className="muted small">
                {' '}
                {[m.metadata?.architecture, m.metadata ? `${formatParams(m.metadata.parameters)} params` : null, m.metadata?.quantization, m.sizeBytes ? formatBytes(m.sizeBytes) : null]
                  .filter(Boolean)
                  .join(' · ')}
              </span>
            </span>
          </label>
        ))}
      </div>
      <label className="ft-field">
        <span>Run name (optional)</span>
        <input className="input" value={state.name} onChange={(e) => update({ name: e.target.value })} aria-label="Run name" maxLength={200} />
      </label>
    </>
  );
}

function DataStep({ state, update, check }: StepProps & { check: CheckQuery }) {
  const kind = DATASET_KINDS.find((k) => k.kind === state.dataKind)!;
  return (
    <>
      <h2>Data</h2>
      <label className="ft-field">
        <span>Dataset kind</span>
        <select aria-label="Dataset kind" value={state.dataKind} onChange={(e) => update({ dataKind: e.target.value as WizardState['dataKind'] })}>
          {DATASET_KINDS.map((k) => (
            <option key={k.kind} value={k.kind}>
              {k.label}
            </option>
          ))}
        </select>
      </label>
      <p className="muted small">{kind.hint}</p>
      {state.dataKind !== 'corrections' && (
        <label className="ft-field">
          <span>Path</span>
          <PathInput value={state.dataPath} onChange={(dataPath) => update({ dataPath })} placeholder="/path/on/the/backend/machine" label="Dataset path" className="ft-path" />
        </label>
      )}
      <fieldset className="ft-fieldset">
        <legend>Dev set (for the dev evaluations: execution accuracy)</legend>
        <div className="ft-inline">
          <label>
            <input type="radio" name="ft-dev" checked={state.devSource === 'fraction'} onChange={() => update({ devSource: 'fraction' })} /> hold out a fraction of the dataset
          </label>
          <label>
            <input type="radio" name="ft-dev" checked={state.devSource === 'dataset'} onChange={() => update({ devSource: 'dataset' })} /> a separate dataset
          </label>
        </div>
        {state.devSource === 'fraction' ? (
          <label className="ft-field">
            <span>Dev fraction</span>
            <input
              className="input ft-num"
              type="number"
              min={0}
              max={0.9}
              step={0.05}
              aria-label="Dev fraction"
              value={shown(state.devFraction)}
              onChange={(e) => update({ devFraction: e.target.valueAsNumber })}
            />
            <span className="muted small">Whole questions go to one side, never both; 0: no dev evaluation.</span>
          </label>
        ) : (
          <div className="ft-inline">
            <select aria-label="Dev set kind" value={state.devKind} onChange={(e) => update({ devKind: e.target.value as WizardState['devKind'] })}>
              {DATASET_KINDS.filter((k) => k.kind !== 'corrections').map((k) => (
                <option key={k.kind} value={k.kind}>
                  {k.label}
                  {k.kind === 'jsonl' ? '' : ' (its dev split)'}
                </option>
              ))}
            </select>
            <PathInput value={state.devPath} onChange={(devPath) => update({ devPath })} placeholder="/path/on/the/backend/machine" label="Dev set path" className="ft-path" />
          </div>
        )}
      </fieldset>
      <LiveResult query={check} loading="Reading the data as the run will: every gold SQL is executed…" errorTitle="The data cannot be used.">
        {(data) => <DataCheckView check={data} />}
      </LiveResult>
    </>
  );
}

function MethodStep({ state, update, methods, models }: StepProps & { methods: Methods; models: Model[] }) {
  const method = methodOf(methods, state.method);
  const form = method.options;
  const adapters = startAdapters(state, models);
  return (
    <>
      <h2>Method</h2>
      <div className="ft-choices" role="radiogroup" aria-label="Method">
        {methods.map((m) => (
          <label key={m.name} className={`ft-choice${state.method === m.name ? ' ft-choice-on' : ''}`}>
            <input type="radio" name="ft-method" checked={state.method === m.name} onChange={() => update((s) => chooseMethod(s, methods, m.name))} aria-label={m.label} />
            <span>
              <strong>{m.label}</strong> <span className="muted small">{m.description}</span>
            </span>
          </label>
        ))}
      </div>
      {method.kind === 'online' && (
        <p className="notice small" data-testid="ft-online-note">
          {method.label} makes its samples during training: each step the current adapter answers the training questions, the answers are run and scored, and
          the step learns from the scores. There is no fixed sample set: the data check reads the questions and runs their gold SQL, which the answers are scored against.
        </p>
      )}
      {method.startFrom && (
        <label className="ft-field">
          <span>Start from</span>
          <select aria-label="Start from" value={state.startFrom ?? ''} onChange={(e) => update({ startFrom: e.target.value || null })}>
            <option value="">a fresh LoRA</option>
            {adapters.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name} ({a.source})
              </option>
            ))}
          </select>
          <span className="muted small">
            {adapters.length === 0
              ? 'The chosen base model has no adapter yet: the run starts from a fresh LoRA (train one with supervised fine-tuning first, e.g. reasoning SFT).'
              : "An adapter of the chosen base model, e.g. a reasoning SFT run's; the run keeps its rank, alpha and targets."}
          </span>
        </label>
      )}
      {form && (
        <fieldset className="ft-fieldset">
          <legend>{form.legend}</legend>
          <div className="ft-grid">
            {form.fields.map((f) => (
              <OptionInput key={f.key} field={f} value={optionValue(state, f)} onChange={(v) => update((s) => setOption(s, methods, f.key, v))} />
            ))}
          </div>
        </fieldset>
      )}
    </>
  );
}

/** One of a method's own settings, by its kind: a number with its bounds, a select, or a checkbox. */
function OptionInput({ field: f, value, onChange }: { field: OptionField; value: OptionField['default']; onChange: (v: OptionField['default']) => void }) {
  const help = f.help && <span className="muted small">{f.help}</span>;
  if (f.kind === 'toggle') {
    return (
      <label className="ft-field ft-toggle">
        <span>
          <input type="checkbox" aria-label={f.label} checked={value === true} onChange={(e) => onChange(e.target.checked)} /> {f.label}
        </span>
        {help}
      </label>
    );
  }
  if (f.kind === 'choice') {
    return (
      <label className="ft-field ft-field-wide">
        <span>{f.label}</span>
        <select aria-label={f.label} value={String(value)} title={f.choices?.find((c) => c.value === value)?.label} onChange={(e) => onChange(e.target.value)}>
          {(f.choices ?? []).map((c) => (
            <option key={c.value} value={c.value}>
              {c.label}
            </option>
          ))}
        </select>
        {help}
      </label>
    );
  }
  return (
    <label className="ft-field">
      <span>{f.label}</span>
      <input
        className="input ft-num"
        type="number"
        min={f.min}
        max={f.max}
        step={f.step ?? 'any'}
        aria-label={f.label}
        value={typeof value === 'number' ? shown(value) : ''}
        onChange={(e) => onChange(e.target.valueAsNumber)}
      />
      {help}
    </label>
  );
}

const HYPER_FIELDS: { key: Exclude<keyof Hyper, 'length' | 'steps' | 'epochs'>; label: string; step: number; hint?: string }[] = [
  { key: 'rank', label: 'LoRA rank', step: 1 },
  { key: 'alpha', label: 'LoRA alpha', step: 1 },
  { key: 'lr', label: 'Learning rate', step: 0.0001, hint: 'cosine schedule' },
  { key: 'batchSize', label: 'Batch size', step: 1 },
  { key: 'evalEvery', label: 'Evaluate every (steps)', step: 1, hint: '0: before and after only' },
  { key: 'checkpointEvery', label: 'Checkpoint every (steps)', step: 1 },
  { key: 'patience', label: 'Early-stop patience', step: 1, hint: 'evaluations without a better dev score; 0: never' },
];

function HyperStep({ state, update, estimate, methods }: StepProps & { estimate: EstimateQuery; methods: Methods }) {
  const h = state.hyper;
  const presets = methodOf(methods, state.method).presets;
  const setHyper = (patch: Partial<Hyper>) => update({ hyper: { ...h, ...patch }, preset: 'custom' });
  return (
    <>
      <h2>Hyperparameters</h2>
      <div className="ft-choices ft-presets" role="radiogroup" aria-label="Preset">
        {presets.map((p) => (
          <label key={p.name} className={`ft-choice${state.preset === p.name ? ' ft-choice-on' : ''}`}>
            <input type="radio" name="ft-preset" checked={state.preset === p.name} onChange={() => update((s) => applyPreset(s, methods, p.name))} aria-label={p.label} />
            <span>
              <strong>{p.label}</strong> <span className="muted small">{p.description}</span>
            </span>
          </label>
        ))}
        {!presets.some((p) => p.name === state.preset) && <span className="muted small">custom (changed from a preset)</span>}
      </div>
      <div className="ft-grid">
        {HYPER_FIELDS.map((f) => (
          <label key={f.key} className="ft-field">
            <span>{f.label}</span>
            <input className="input ft-num" type="number" step={f.step} min={0} aria-label={f.label} value={shown(h[f.key])} onChange={(e) => setHyper({ [f.key]: e.target.valueAsNumber })} />
            {f.hint && <span className="muted small">{f.hint}</span>}
          </label>
        ))}
        <label className="ft-field">
          <span>Length</span>
          <span className="ft-inline">
            <select aria-label="Length unit" value={h.length} onChange={(e) => setHyper({ length: e.target.value as Hyper['length'] })}>
              <option value="steps">steps</option>
              <option value="epochs">epochs</option>
            </select>
            {h.length === 'steps' ? (
              <input className="input ft-num" type="number" min={1} step={1} aria-label="Steps" value={shown(h.steps)} onChange={(e) => setHyper({ steps: e.target.valueAsNumber })} />
            ) : (
              <input className="input ft-num" type="number" min={0.1} step={0.5} aria-label="Epochs" value={shown(h.epochs)} onChange={(e) => setHyper({ epochs: e.target.valueAsNumber })} />
            )}
          </span>
        </label>
        <label className="ft-field">
          <span>Dev strategy</span>
          <select aria-label="Dev strategy" value={state.evalStrategy} onChange={(e) => update({ evalStrategy: e.target.value as WizardState['evalStrategy'] })}>
            {STRATEGIES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label className="ft-field">
          <span>Dev max tokens</span>
          <input className="input ft-num" type="number" min={1} step={1} aria-label="Dev max tokens" value={shown(state.evalMaxTokens)} onChange={(e) => update({ evalMaxTokens: e.target.valueAsNumber })} />
        </label>
        <label className="ft-field">
          <span>Dev vote samples</span>
          <input className="input ft-num" type="number" min={0} step={1} aria-label="Dev vote samples" value={shown(state.evalVoteSamples)} onChange={(e) => update({ evalVoteSamples: e.target.valueAsNumber })} />
          <span className="muted small">also score the dev set with the vote strategy over this many samples; 0: greedy only</span>
        </label>
      </div>
      <LiveResult query={estimate} loading="Estimating from the method's samples…" errorTitle="No estimate.">
        {(data) => <EstimateView estimate={data} />}
      </LiveResult>
    </>
  );
}

function Review({ state, models, check, estimate, methods }: { state: WizardState; models: Model[]; check: CheckQuery; estimate: EstimateQuery; methods: Methods }) {
  const model = models.find((m) => m.id === state.modelId);
  const h = state.hyper;
  const method = methodOf(methods, state.method);
  const adapters = method.adapters.length;
  const start = method.startFrom ? (startAdapters(state, models).find((a) => a.id === state.startFrom) ?? null) : null;
  return (
    <>
      <h2>Review</h2>
      <dl className="facts ft-review" data-testid="ft-review">
        <dt>Name</dt>
        <dd>{state.name.trim() || <span className="muted">chosen by the backend</span>}</dd>
        <dt>Base model</dt>
        <dd>{model?.name ?? '—'}</dd>
        <dt>Data</dt>
        <dd>
          {DATASET_KINDS.find((k) => k.kind === state.dataKind)!.label}
          {state.dataKind !== 'corrections' && <span className="mono"> {state.dataPath}</span>}
          {state.devSource === 'fraction' ? (
            `, dev fraction ${state.devFraction}`
          ) : (
            <>
              ; dev set {DATASET_KINDS.find((k) => k.kind === state.devKind)!.label} <span className="mono">{state.devPath}</span>
            </>
          )}
        </dd>
        <dt>Method</dt>
        <dd>
          {method.label}
          {method.options && ` (${method.options.fields.map((f) => `${f.label} ${shownOption(f, optionValue(state, f))}`).join(' · ')})`}
          {adapters > 1 && ` — ${adapters === 2 ? 'two' : adapters} adapters`}
          {method.kind === 'online' && <span className="muted"> — samples made during training</span>}
        </dd>
        {method.startFrom && (
          <>
            <dt>Starts from</dt>
            <dd>{start ? `the adapter ${start.name}` : 'a fresh LoRA'}</dd>
          </>
        )}
        <dt>LoRA</dt>
        <dd>{start ? `rank and alpha of ${start.name}` : `rank ${h.rank}, alpha ${h.alpha}`}</dd>
        <dt>Optimizer</dt>
        <dd>
          lr {h.lr} (cosine), batch {h.batchSize}, {h.length === 'steps' ? `${h.steps} steps` : `${h.epochs} epochs`}
          {adapters > 1 && h.length === 'steps' && ' per adapter'}
        </dd>
        <dt>Evaluation</dt>
        <dd>
          {state.evalStrategy}, max {state.evalMaxTokens} tokens{state.evalVoteSamples > 0 ? `, and with vote over ${state.evalVoteSamples} samples` : ''}, {h.evalEvery > 0 ? `every ${h.evalEvery} steps` : 'before and after training'}
          {h.patience > 0 ? `, early stop after ${h.patience} without improvement` : ''}
        </dd>
        <dt>Checkpoints</dt>
        <dd>every {h.checkpointEvery} steps</dd>
        <dt>Data check</dt>
        <dd>{check.data && !check.outdated ? <DataCheckSummary check={check.data} /> : check.error ? <span className="muted">failed (see the Data step)</span> : <span className="muted">reading…</span>}</dd>
        <dt>Estimate</dt>
        <dd>
          {estimate.data && !estimate.outdated ? (
            <EstimateHeadline estimate={estimate.data} />
          ) : estimate.error ? (
            <span className="muted">none: {estimate.error.message}</span>
          ) : (
            <span className="muted">estimating…</span>
          )}
        </dd>
      </dl>
    </>
  );
}
