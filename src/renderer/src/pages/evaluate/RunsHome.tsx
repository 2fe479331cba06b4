import { useState } from 'react';
import type { EvalRun } from '../../../../shared/contract/index.ts';
import { useProcedure } from '../../api/hooks.ts';
import { href, navigate } from '../../app/router.ts';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { timeAgo } from '../../lib/format.ts';
import { useDeleteRun, useNow } from './hooks.ts';
import { BENCH_LABEL, METRIC_LABEL, formatScore } from './model.ts';
import { GenerateRunForm } from './GenerateRunForm.tsx';
import { NewRunForm } from './NewRunForm.tsx';
import { Elapsed, InlineError, ProgressBar, StatusBadge, formatDateTime } from './parts.tsx';

/** #/evaluate: a new run and every run so far. */
export function RunsHome() {
  const runs = useProcedure('eval.runs', {}, { refetchInterval: (q) => (q.state.data?.some((r) => r.status === 'running') ? 5000 : false) });
  // which form is open: scoring a predictions file, or running a model; null: the default
  const [formOpen, setFormOpen] = useState<'score' | 'model' | false | null>(null);
  // the scoring form is open by default until there is a run to look at
  const showForm = formOpen ?? (runs.data !== undefined && runs.data.length === 0 ? 'score' : false);
  const closable = runs.data && runs.data.length > 0 ? () => setFormOpen(false) : undefined;
  return (
    <div className="page page-wide ev-page">
      <header className="page-header ev-header">
        <div>
          <h1>Evaluate</h1>
          <p className="muted">
            Score predictions against Spider, BIRD or your own examples, with the official programs' rules — example by example, with the
            reason for every verdict.
          </p>
        </div>
        <span className="ev-row">
          {showForm !== 'score' && (
            <button type="button" className="primary" onClick={() => setFormOpen('score')}>
              New evaluation…
            </button>
          )}
          {showForm !== 'model' && (
            <button type="button" onClick={() => setFormOpen('model')} title="Answer the benchmark with a model and a strategy, then score the answers">
              Run a model…
            </button>
          )}
        </span>
      </header>
      {showForm === 'score' && <NewRunForm onCancel={closable} />}
      {showForm === 'model' && <GenerateRunForm onCancel={closable ?? (() => setFormOpen('score'))} />}
      {runs.error && <ErrorNotice error={runs.error} what="the evaluation runs" />}
      {runs.isLoading && <p className="muted">Loading runs…</p>}
      {runs.data && <RunsTable runs={runs.data} />}
    </div>
  );
}

/** The main metrics' scores of a run, at most three. */
function MainScores({ run }: { run: EvalRun }) {
  const shown = run.metrics.filter((m) => run.summary[m]).slice(0, 3);
  if (shown.length === 0) return <span className="muted">—</span>;
  return (
    <span className="ev-scores">
      {shown.map((m) => (
        <span key={m} className="ev-score-pill" title={`${METRIC_LABEL[m]} over ${run.summary[m]!.count} examples`}>
          <span className="muted">{METRIC_LABEL[m]}</span> <strong>{formatScore(m, run.summary[m]!.score)}</strong>
        </span>
      ))}
    </span>
  );
}

function RunsTable({ runs }: { runs: EvalRun[] }) {
  const [selected, setSelected] = useState<string[]>([]);
  const [confirming, setConfirming] = useState<string | null>(null);
  const remove = useDeleteRun();
  const now = useNow(true, 30_000);
  // forget selections of runs that went away
  const chosen = selected.filter((id) => runs.some((r) => r.id === id));

  const toggle = (id: string, on: boolean) =>
    setSelected((prev) => {
      const kept = prev.filter((x) => x !== id && runs.some((r) => r.id === x));
      // a third choice replaces the older of the two
      return on ? [...kept.slice(-1), id] : kept;
    });

  if (runs.length === 0) {
    return (
      <section className="panel" aria-label="Evaluation runs">
        <h2>Runs</h2>
        <p className="muted">No evaluation yet. Start one above: the scores, each example's verdicts and their reasons appear here.</p>
      </section>
    );
  }
  return (
    <section className="panel ev-runs" aria-label="Evaluation runs">
      <div className="section-head">
        <h2>
          {runs.length} {runs.length === 1 ? 'run' : 'runs'}
        </h2>
        <span className="ev-compare-bar">
          <span className="muted small">{chosen.length === 2 ? 'Two runs chosen' : 'Tick two runs to compare them'}</span>
          <button
            type="button"
            disabled={chosen.length !== 2}
            onClick={() => {
              // older run as A, newer as B: "what did the change fix"
              const [a, b] = [...chosen].sort((x, y) => runs.findIndex((r) => r.id === y) - runs.findIndex((r) => r.id === x));
              navigate('evaluate', 'compare', a!, b!);
            }}
          >
            Compare
          </button>
        </span>
      </div>
      {remove.error && <InlineError title="Could not delete the run." error={remove.error} />}
      <div className="table-scroll">
        <table className="table ev-runs-table">
          <thead>
            <tr>
              <th aria-label="Compare" />
              <th>Name</th>
              <th>Benchmark</th>
              <th>Status</th>
              <th>Progress</th>
              <th>Scores</th>
              <th>Created</th>
              <th className="num">Elapsed</th>
              <th aria-label="Actions" />
            </tr>
          </thead>
          <tbody>
            {runs.map((run) => (
              <tr key={run.id} data-testid={`run-${run.id}`} aria-label={run.name}>
                <td>
                  <input
                    type="checkbox"
                    aria-label={`Compare ${run.name}`}
                    checked={chosen.includes(run.id)}
                    onChange={(e) => toggle(run.id, e.target.checked)}
                  />
                </td>
                <td className="ev-run-name">
                  <a href={href('evaluate', run.id)}>{run.name}</a>
                  {run.error && (
                    <div className="bad small ev-clamp" title={run.error}>
                      {run.error}
                    </div>
                  )}
                </td>
                <td>{BENCH_LABEL[run.bench]}</td>
                <td>
                  <StatusBadge status={run.status} />
                </td>
                <td className="ev-progress-cell">
                  <ProgressBar run={run} compact />
                </td>
                <td>
                  <MainScores run={run} />
                </td>
                <td className="nowrap" title={formatDateTime(run.createdAt)}>
                  {timeAgo(run.createdAt, now)}
                </td>
                <td className="num">
                  <Elapsed run={run} />
                </td>
                <td className="nowrap ev-actions">
                  {confirming === run.id ? (
                    <span className="confirm" role="group" aria-label={`Delete ${run.name}`}>
                      Delete?
                      <button
                        type="button"
                        className="danger"
                        disabled={remove.isPending}
                        onClick={() => remove.mutate(run.id, { onSettled: () => setConfirming(null) })}
                      >
                        {remove.isPending ? 'Deleting…' : 'Delete'}
                      </button>
                      <button type="button" onClick={() => setConfirming(null)} disabled={remove.isPending}>
                        Keep
                      </button>
                    </span>
                  ) : (
                    <button
                      type="button"
                      className="danger-quiet"
                      onClick={() => setConfirming(run.id)}
                      disabled={run.status === 'running'}
                      title={run.status === 'running' ? 'Cancel the run before deleting it' : undefined}
                      aria-label={`Delete ${run.name}…`}
                    >
                      Delete…
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
