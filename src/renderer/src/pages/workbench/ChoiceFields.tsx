import { useId } from 'react';
import type { Model, Output, Sampling, StrategySettings } from '../../../../shared/contract/index.ts';
import { settingsFor, type AskChoice, type Grammar } from '../../lib/askChoice.ts';

export type StrategyInfo = Output<'ai.strategies'>[number];

const ROUTE_STEPS = [
  ['schemaLinking', 'Schema linking'],
  ['preSql', 'Pre-SQL'],
  ['prune', 'Prune the schema'],
  ['noiseCorrection', 'Noise correction'],
  ['continuation', 'Continuation'],
] as const;

/** A number field that is empty while the strategy's default applies (shown as its placeholder). */
function NumberField({
  label,
  value,
  fallback,
  onChange,
  min,
  max,
  step,
  title,
}: {
  label: string;
  value: number | undefined;
  fallback: number | undefined;
  onChange: (value: number | undefined) => void;
  min: number;
  max: number;
  step?: number;
  title?: string;
}) {
  return (
    <label className="ask-field ask-number" title={title}>
      <span>{label}</span>
      <input
        type="number"
        className="input"
        value={value ?? ''}
        placeholder={fallback === undefined ? 'default' : String(fallback)}
        min={min}
        max={max}
        step={step ?? 1}
        onChange={(e) => {
          const raw = e.target.value;
          const n = raw === '' ? undefined : Number(raw);
          onChange(n === undefined || Number.isNaN(n) ? undefined : Math.min(max, Math.max(min, n)));
        }}
      />
    </label>
  );
}

/** The strategy's own settings: sampling for every strategy, then route step switches, LR-SQL budget, vote samples. */
function SettingsFields({
  choice,
  strategy,
  adapters,
  onChange,
}: {
  choice: AskChoice;
  strategy: StrategyInfo | undefined;
  adapters: Model['adapters'];
  onChange: (settings: StrategySettings) => void;
}) {
  const s = choice.settings;
  const d = strategy?.defaults ?? {};
  const setSampling = (key: keyof Sampling, v: number | undefined) => onChange({ ...s, sampling: { ...s.sampling, [key]: v } });
  return (
    <div className="ask-settings">
      <fieldset>
        <legend>Sampling</legend>
        <NumberField label="Temperature" value={s.sampling?.temperature} fallback={d.sampling?.temperature} min={0} max={5} step={0.1} onChange={(v) => setSampling('temperature', v)} title="0 picks the likeliest token every time" />
        <NumberField label="Top-p" value={s.sampling?.topP} fallback={d.sampling?.topP} min={0} max={1} step={0.05} onChange={(v) => setSampling('topP', v)} />
        <NumberField label="Max tokens" value={s.sampling?.maxTokens} fallback={d.sampling?.maxTokens} min={1} max={32_768} onChange={(v) => setSampling('maxTokens', v)} title="Tokens each model call may produce at most" />
        <NumberField label="Seed" value={s.sampling?.seed} fallback={d.sampling?.seed} min={0} max={2 ** 31 - 1} onChange={(v) => setSampling('seed', v)} title="The same seed gives the same sample" />
      </fieldset>
      {choice.strategy === 'vote' && (
        <fieldset>
          <legend>Vote</legend>
          <NumberField label="Samples" value={s.vote?.samples} fallback={d.vote?.samples} min={1} max={64} onChange={(v) => onChange({ ...s, vote: { ...s.vote, samples: v } })} title="SQL samples drawn; their results are grouped and the largest eligible group wins" />
        </fieldset>
      )}
      {choice.strategy === 'route' && (
        <fieldset>
          <legend>Steps</legend>
          {ROUTE_STEPS.map(([key, label]) => (
            <label key={key} className="ask-check">
              <input
                type="checkbox"
                checked={s.route?.[key] ?? d.route?.[key] ?? true}
                onChange={(e) => onChange({ ...s, route: { ...s.route, [key]: e.target.checked } })}
              />{' '}
              {label}
            </label>
          ))}
        </fieldset>
      )}
      {choice.strategy === 'lrsql' && (
        <fieldset>
          <legend>LR-SQL</legend>
          <NumberField label="Slice budget" value={s.lrsql?.sliceBudget} fallback={d.lrsql?.sliceBudget} min={200} max={32_768} onChange={(v) => onChange({ ...s, lrsql: { ...s.lrsql, sliceBudget: v } })} title="Tokens of schema per slice" />
          <label className="ask-field">
            <span>Link adapter</span>
            <select value={s.lrsql?.linkAdapterId ?? ''} onChange={(e) => onChange({ ...s, lrsql: { ...s.lrsql, linkAdapterId: e.target.value || null } })}>
              <option value="">none (the SQL adapter)</option>
              {adapters.map((a) => (
                <option key={a.id} value={a.id} disabled={a.status !== 'ok'}>
                  {a.name}
                </option>
              ))}
            </select>
          </label>
        </fieldset>
      )}
    </div>
  );
}

/** Model, adapter, strategy, grammar and settings of one ask (or one side of a comparison). */
export function ChoiceFields({
  choice,
  models,
  strategies,
  onChange,
  label,
}: {
  choice: AskChoice;
  models: Model[];
  strategies: StrategyInfo[] | undefined;
  onChange: (choice: AskChoice) => void;
  /** names the fields apart when two sets are on screen */
  label?: string;
}) {
  const id = useId();
  const model = models.find((m) => m.id === choice.modelId);
  const adapters = model?.adapters ?? [];
  const strategy = strategies?.find((s) => s.name === choice.strategy);
  const suffix = label ? ` (${label})` : '';
  const changed = Object.keys(settingsFor(choice.strategy, choice.settings)).length > 0;
  return (
    <div className="ask-choice" role="group" aria-label={label ? `Choice ${label}` : 'Model and strategy'}>
      <div className="ask-choice-row">
        <label className="ask-field">
          <span>Model</span>
          <select
            aria-label={`Model${suffix}`}
            value={choice.modelId ?? ''}
            disabled={models.length === 0}
            onChange={(e) => onChange({ ...choice, modelId: e.target.value || null, adapterId: null })}
          >
            {models.length === 0 && <option value="">no model</option>}
            {models.map((m) => (
              <option key={m.id} value={m.id} disabled={m.status !== 'ok'}>
                {m.name}
                {m.status !== 'ok' ? ` (${m.status})` : m.kind === 'remote' ? ' (remote)' : ''}
              </option>
            ))}
          </select>
        </label>
        <label className="ask-field">
          <span>Adapter</span>
          <select aria-label={`Adapter${suffix}`} value={choice.adapterId ?? ''} disabled={!model} onChange={(e) => onChange({ ...choice, adapterId: e.target.value || null })}>
            <option value="">none</option>
            {adapters.map((a) => (
              <option key={a.id} value={a.id} disabled={a.status !== 'ok'}>
                {a.name}
                {a.status !== 'ok' ? ` (${a.status})` : ''}
              </option>
            ))}
          </select>
        </label>
        <label className="ask-field">
          <span>Strategy</span>
          <select
            aria-label={`Strategy${suffix}`}
            aria-describedby={`${id}-strategy`}
            value={choice.strategy}
            onChange={(e) => onChange({ ...choice, strategy: e.target.value as AskChoice['strategy'] })}
          >
            {(strategies ?? [{ name: choice.strategy, label: choice.strategy }]).map((s) => (
              <option key={s.name} value={s.name}>
                {s.label}
              </option>
            ))}
          </select>
        </label>
        <label className="ask-field">
          <span>Grammar</span>
          <select aria-label={`Grammar${suffix}`} value={choice.grammar} onChange={(e) => onChange({ ...choice, grammar: e.target.value as Grammar })} title="schema: the model can only write SQL that names this database's tables and columns">
            <option value="schema">schema</option>
            <option value="none">none</option>
          </select>
        </label>
      </div>
      <p id={`${id}-strategy`} className="small muted ask-strategy-note">
        {strategy ? `${strategy.description}${strategy.steps.length > 0 ? ` Steps: ${strategy.steps.join(' → ')}.` : ''}` : ''}
      </p>
      <details className="ask-settings-details">
        <summary>Settings{changed ? ' (changed)' : ''}</summary>
        <SettingsFields choice={choice} strategy={strategy} adapters={adapters} onChange={(settings) => onChange({ ...choice, settings })} />
        {changed && (
          <button type="button" className="link-button small" onClick={() => onChange({ ...choice, settings: {} })}>
            Back to the defaults
          </button>
        )}
      </details>
    </div>
  );
}
