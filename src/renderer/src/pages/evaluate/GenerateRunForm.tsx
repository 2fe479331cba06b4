import { useId, useState, type FormEvent } from 'react';
import { GRAMMARS, STRATEGIES, type Input, type StrategyName } from '../../../../shared/contract/index.ts';
import { useProcedure } from '../../api/hooks.ts';
import { href, navigate } from '../../app/router.ts';
import { formatCount } from '../../lib/format.ts';
import { useGenerateRun } from './hooks.ts';
import { BenchmarkSource, useBenchmarkSource } from './BenchmarkSource.tsx';
import { BENCH_LABEL } from './model.ts';
import { StartErrors } from './StartErrors.tsx';

const GRAMMAR_LABEL: Record<(typeof GRAMMARS)[number], string> = {
  schema: 'Schema grammar (only real tables and columns)',
  none: 'No grammar',
};

/**
 * Starts a run that answers the benchmark's questions with a model and a strategy (one trace per example), then
 * scores the answers as a predictions file would be. The run shows its progress in the runs list like any other.
 */
export function GenerateRunForm({ onCancel }: { onCancel?: () => void }) {
  const id = useId();
  const source = useBenchmarkSource();
  const { bench, dataDir } = source;
  const models = useProcedure('models.list', {});
  const strategies = useProcedure('ai.strategies', {}, { staleTime: Infinity });
  const start = useGenerateRun();

  const [modelId, setModelId] = useState('');
  const [adapterId, setAdapterId] = useState('');
  const [strategy, setStrategy] = useState<StrategyName>('direct');
  const [grammar, setGrammar] = useState<(typeof GRAMMARS)[number]>('schema');
  const [limit, setLimit] = useState('20');
  const [maxTokens, setMaxTokens] = useState('');
  const [samples, setSamples] = useState('');
  const [name, setName] = useState('');
  const [problems, setProblems] = useState<string[]>([]);

  const usable = (models.data ?? []).filter((m) => m.status === 'ok');
  const model = usable.find((m) => m.id === modelId) ?? usable[0];
  const adapter = model?.adapters.find((a) => a.id === adapterId && a.status === 'ok');
  const info = strategies.data?.find((s) => s.name === strategy);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const found: string[] = [];
    if (!dataDir.trim()) found.push(`Give the ${BENCH_LABEL[bench]} folder.`);
    if (!model) found.push('Add a model on the Models page first.');
    const whole = (text: string, what: string, max: number) => {
      if (text.trim() === '') return undefined;
      const n = Number(text);
      if (!(Number.isInteger(n) && n >= 1 && n <= max)) found.push(`${what} must be a whole number from 1 to ${formatCount(max)}.`);
      return n;
    };
    const limitN = whole(limit, 'The number of questions', 1_000_000);
    const maxTokensN = whole(maxTokens, 'Max tokens', 32_768);
    const samplesN = strategy === 'vote' ? whole(samples, 'Samples', 64) : undefined;
    setProblems(found);
    if (found.length > 0 || !model) return;
    const input: Input<'eval.generate'> = { bench, dataDir: dataDir.trim(), modelId: model.id, strategy, grammar };
    if (adapter) input.adapterId = adapter.id;
    if (limitN !== undefined) input.limit = limitN;
    if (maxTokensN !== undefined || samplesN !== undefined) {
      input.settings = {
        ...(maxTokensN !== undefined ? { sampling: { maxTokens: maxTokensN } } : {}),
        ...(samplesN !== undefined ? { vote: { samples: samplesN } } : {}),
      };
    }
    if (name.trim()) input.name = name.trim();
    start.mutate(input, { onSuccess: ({ runId }) => navigate('evaluate', runId) });
  };

  return (
    <section className="panel ev-new" aria-label="Run a model">
      <div className="section-head">
        <h2>Run a model</h2>
        {onCancel && (
          <button type="button" onClick={onCancel}>
            Close
          </button>
        )}
      </div>
      <p className="muted small">
        The model answers each question of the dev split with the strategy, one at a time; every answer keeps its trace, and the answers are scored
        like a predictions file.
      </p>
      <form onSubmit={submit} className="ev-form" noValidate>
        <BenchmarkSource id={id} source={source} jsonlHint="the folder with examples.jsonl, or the file" placeholder={`/path/to/bench/${bench}`} />

        <div className="ev-row">
          <label className="ev-inline">
            Model
            <select aria-label="Model" value={model?.id ?? ''} onChange={(e) => { setModelId(e.target.value); setAdapterId(''); }} disabled={usable.length === 0}>
              {usable.length === 0 && <option value="">{models.isLoading ? 'Loading…' : 'No model yet'}</option>}
              {usable.map((m) => (
                <option key={m.id} value={m.id}>
                  {m.name}
                  {m.kind === 'remote' ? ' (endpoint)' : ''}
                </option>
              ))}
            </select>
          </label>
          <label className="ev-inline">
            Adapter
            <select aria-label="Adapter" value={adapter?.id ?? ''} onChange={(e) => setAdapterId(e.target.value)} disabled={!model || model.adapters.length === 0}>
              <option value="">None</option>
              {(model?.adapters ?? [])
                .filter((a) => a.status === 'ok')
                .map((a) => (
                  <option key={a.id} value={a.id}>
                    {a.name}
                  </option>
                ))}
            </select>
          </label>
        </div>
        {models.data && usable.length === 0 && (
          <p className="muted small ev-hint">
            No usable model is registered: add a GGUF file or an endpoint on the <a href={href('models')}>Models page</a>.
          </p>
        )}

        <div className="ev-row">
          <label className="ev-inline">
            Strategy
            <select aria-label="Strategy" value={strategy} onChange={(e) => setStrategy(e.target.value as StrategyName)}>
              {(strategies.data?.map((s) => [s.name, s.label] as const) ?? STRATEGIES.map((s) => [s, s] as const)).map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </select>
          </label>
          <label className="ev-inline">
            Grammar
            <select aria-label="Grammar" value={grammar} onChange={(e) => setGrammar(e.target.value as (typeof GRAMMARS)[number])}>
              {GRAMMARS.map((g) => (
                <option key={g} value={g}>
                  {GRAMMAR_LABEL[g]}
                </option>
              ))}
            </select>
          </label>
          <label className="ev-inline" title="The first N questions of the dev split; empty for all">
            Questions
            <input className="input ev-num" type="number" min={1} step={1} value={limit} onChange={(e) => setLimit(e.target.value)} placeholder="all" aria-label="Number of questions" />
          </label>
        </div>
        {info && <p className="muted small ev-hint">{info.description}</p>}

        <details className="ev-advanced">
          <summary>Advanced</summary>
          <div className="ev-row ev-advanced-body">
            <label className="ev-inline">
              Max tokens
              <input
                className="input ev-num"
                type="number"
                min={1}
                max={32768}
                step={1}
                value={maxTokens}
                onChange={(e) => setMaxTokens(e.target.value)}
                placeholder={String(info?.defaults.sampling?.maxTokens ?? 'default')}
              />
            </label>
            {strategy === 'vote' && (
              <label className="ev-inline">
                Samples
                <input
                  className="input ev-num"
                  type="number"
                  min={1}
                  max={64}
                  step={1}
                  value={samples}
                  onChange={(e) => setSamples(e.target.value)}
                  placeholder={String(info?.defaults.vote?.samples ?? 'default')}
                />
              </label>
            )}
            <label className="ev-inline">
              Name
              <input className="input" value={name} onChange={(e) => setName(e.target.value)} maxLength={200} placeholder={`${bench} · ${model?.name ?? 'model'} · ${strategy}`} />
            </label>
          </div>
        </details>

        <StartErrors problems={problems} error={start.error} title="Could not start the run." testId="generate-error" />
        <div className="ev-row">
          <button type="submit" className="primary" disabled={start.isPending || !model}>
            {start.isPending ? 'Starting…' : 'Run the model'}
          </button>
        </div>
      </form>
    </section>
  );
}
