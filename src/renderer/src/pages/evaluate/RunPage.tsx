import type { EvalRun, MetricName, ReproRecord } from '../../../../shared/contract/index.ts';
import { useProcedure } from '../../api/hooks.ts';
import { href } from '../../app/router.ts';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { formatCount, formatElapsed } from '../../lib/format.ts';
import { ExamplesTable } from './ExamplesTable.tsx';
import { EMPTY_FILTER } from './filters.ts';
import { pollWhileRunning, useCancelRun, useRunFilter } from './hooks.ts';
import { ACCURACY_METRICS, BENCH_LABEL, METRIC_LABEL, baseName, formatScore, mainMetric, runGroups, sortedReasons } from './model.ts';
import { Elapsed, Hash, InlineError, MetricLabel, ProgressBar, StatusBadge, formatDateTime } from './parts.tsx';

/** #/evaluate/<runId>: status, scores per metric and group, the reproducibility record, and the examples. */
export function RunPage({ runId }: { runId: string }) {
  const run = useProcedure('eval.run', { runId }, { refetchInterval: (q) => pollWhileRunning(q.state.data) });
  return (
    <div className="page page-wide ev-page">
      <nav className="ev-crumbs small" aria-label="Breadcrumb">
        <a href={href('evaluate')}>Evaluate</a> <span className="muted">/</span>{' '}
        <span aria-current="page">{run.data?.name ?? runId}</span>
      </nav>
      {run.error && <ErrorNotice error={run.error} what="the evaluation run" />}
      {run.isLoading && <p className="muted">Loading the run…</p>}
      {run.data && <EvalRunView run={run.data} />}
    </div>
  );
}

/** One evaluation run: its summary, examples and drill-down (the training dashboard is finetune/TrainingRunView). */
function EvalRunView({ run }: { run: EvalRun }) {
  const [filter, setFilter] = useRunFilter(run.id);
  const metrics = run.metrics.filter((m) => run.summary[m]);
  const scoredNothing = metrics.length === 0;
  return (
    <>
      <RunHeader run={run} />
      {scoredNothing ? (
        run.status === 'running' ? (
          <p className="muted">The scores appear when the run finishes; the examples below fill in as they are scored.</p>
        ) : (
          <p className="muted">This run has no scores{run.status === 'failed' ? ': it failed before scoring anything.' : '.'}</p>
        )
      ) : (
        <>
          <section aria-label="Scores" className="ev-cards">
            {metrics.map((m) => (
              <MetricCard
                key={m}
                run={run}
                metric={m}
                onReason={(code) => {
                  setFilter({ ...EMPTY_FILTER, metric: m === mainMetric(run) ? '' : m, reason: code });
                  document.getElementById('ev-examples')?.scrollIntoView({ behavior: 'smooth', block: 'start' });
                }}
              />
            ))}
          </section>
          <GroupTable run={run} metrics={metrics} />
        </>
      )}
      {run.record && <ReproPanel record={run.record} />}
      {(run.done > 0 || run.status !== 'running') && <ExamplesTable run={run} filter={filter} onFilter={setFilter} />}
    </>
  );
}

function RunHeader({ run }: { run: EvalRun }) {
  const cancel = useCancelRun(run.id);
  return (
    <header className="page-header ev-run-header">
      <div className="ev-run-title">
        <h1>{run.name}</h1>
        <StatusBadge status={run.status} />
        <span className="badge badge-kind">{BENCH_LABEL[run.bench]}</span>
      </div>
      <dl className="ev-run-facts small">
        <div>
          <dt>Created</dt>
          <dd>{formatDateTime(run.createdAt)}</dd>
        </div>
        <div>
          <dt>Elapsed</dt>
          <dd>
            <Elapsed run={run} />
          </dd>
        </div>
        <div>
          <dt>Examples</dt>
          <dd data-testid="run-examples">
            {formatCount(run.done)} of {formatCount(run.total)} scored
          </dd>
        </div>
        <div>
          <dt>Metrics</dt>
          <dd>
            {run.metrics.map((m, i) => (
              <span key={m}>
                {i > 0 && ', '}
                <MetricLabel metric={m} />
              </span>
            ))}
          </dd>
        </div>
      </dl>
      {run.status === 'running' && (
        <div className="ev-running">
          <ProgressBar run={run} />
          <button type="button" className="danger-quiet" onClick={() => cancel.mutate()} disabled={cancel.isPending}>
            {cancel.isPending ? 'Cancelling…' : 'Cancel'}
          </button>
        </div>
      )}
      {cancel.error && <InlineError title="Could not cancel the run." error={cancel.error} />}
      {run.status === 'failed' && (
        <div className="notice notice-error" role="alert">
          <strong>The evaluation failed.</strong> {run.error ?? 'No reason was recorded.'}
        </div>
      )}
      {run.status === 'cancelled' && (
        <div className="notice ev-notice-warn" role="status">
          Cancelled after {formatCount(run.done)} of {formatCount(run.total)} examples: the scores cover the examples scored before.
        </div>
      )}
      {run.unavailable > 0 && (
        <div className="notice ev-notice-warn" role="status" data-testid="run-unavailable">
          {formatCount(run.unavailable)} {run.unavailable === 1 ? 'example was not scored: its database is' : 'examples were not scored: their databases are'} not
          available. They are reported, and left out of every score.
        </div>
      )}
    </header>
  );
}

/** One metric: the score, how many examples it covers, and why examples got their verdicts. */
function MetricCard({ run, metric, onReason }: { run: EvalRun; metric: MetricName; onReason: (code: string) => void }) {
  const summary = run.summary[metric]!;
  const reasons = sortedReasons(summary.reasons);
  const max = Math.max(1, ...reasons.map((r) => r.count));
  const accuracy = ACCURACY_METRICS.has(metric);
  const correct = accuracy ? Math.round((summary.score / 100) * summary.count) : null;
  return (
    <article className="ev-card" aria-label={`${METRIC_LABEL[metric]} score`} data-testid={`score-${metric}`}>
      <div className="ev-card-head">
        <MetricLabel metric={metric} />
        {metric === run.metrics[0] && <span className="badge badge-kind">main</span>}
      </div>
      <div className="ev-card-score" data-testid="score-value">
        {formatScore(metric, summary.score)}
      </div>
      <div className="muted small" data-testid="score-count">
        {correct !== null ? `${formatCount(correct)} / ${formatCount(summary.count)} correct` : `mean over ${formatCount(summary.count)} examples`}
      </div>
      {reasons.length > 0 && (
        <ul className="ev-reasons" aria-label={`${METRIC_LABEL[metric]} reasons`}>
          {reasons.map((r) => (
            <li key={r.code}>
              <button type="button" className="ev-reason" onClick={() => onReason(r.code)} title={`Show the examples with reason ${r.code}`}>
                <span className="ev-reason-code mono">{r.code}</span>
                <span className="ev-reason-bar" aria-hidden>
                  <span style={{ width: `${(r.count / max) * 100}%` }} />
                </span>
                <span className="ev-reason-count">{formatCount(r.count)}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </article>
  );
}

/** Scores by Spider hardness or BIRD difficulty: count and score per metric, and the overall line. */
function GroupTable({ run, metrics }: { run: EvalRun; metrics: MetricName[] }) {
  const groups = runGroups(run);
  if (groups.length === 0) return null;
  const cell = (metric: MetricName, group: string | null) => {
    const summary = run.summary[metric]!;
    const g = group === null ? { score: summary.score, count: summary.count } : summary.byGroup[group];
    if (!g) return <td key={metric} className="num muted">—</td>;
    return (
      <td key={metric} className="num">
        <span className="ev-group-score">{formatScore(metric, g.score)}</span>
        <span className="ev-group-bar" aria-hidden>
          <span style={{ width: `${Math.max(0, Math.min(100, g.score))}%` }} />
        </span>
      </td>
    );
  };
  const countOf = (group: string | null) => {
    const counts = metrics.map((m) => (group === null ? run.summary[m]!.count : run.summary[m]!.byGroup[group]?.count ?? 0));
    return Math.max(0, ...counts);
  };
  return (
    <section className="panel ev-groups" aria-label={run.bench === 'bird' ? 'Scores by difficulty' : 'Scores by hardness'}>
      <h2>{run.bench === 'bird' ? 'By difficulty' : run.bench === 'spider' ? 'By hardness' : 'By group'}</h2>
      <div className="table-scroll">
        <table className="table ev-groups-table">
          <thead>
            <tr>
              <th>{run.bench === 'bird' ? 'Difficulty' : run.bench === 'spider' ? 'Hardness' : 'Group'}</th>
              <th className="num">Count</th>
              {metrics.map((m) => (
                <th key={m} className="num">
                  <MetricLabel metric={m} />
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {groups.map((g) => (
              <tr key={g} aria-label={g}>
                <th scope="row">{g}</th>
                <td className="num">{formatCount(countOf(g))}</td>
                {metrics.map((m) => cell(m, g))}
              </tr>
            ))}
            <tr className="ev-groups-all" aria-label="all">
              <th scope="row">all</th>
              <td className="num">{formatCount(countOf(null))}</td>
              {metrics.map((m) => cell(m, null))}
            </tr>
          </tbody>
        </table>
      </div>
    </section>
  );
}

/** Everything needed to reproduce the scores; collapsed until asked for. */
function ReproPanel({ record }: { record: ReproRecord }) {
  const datasets = Object.entries(record.datasetHashes).sort(([a], [b]) => a.localeCompare(b));
  const databases = Object.entries(record.databaseHashes).sort(([a], [b]) => a.localeCompare(b));
  return (
    <details className="panel ev-repro" data-testid="repro">
      <summary>
        <h2>Reproducibility record</h2>
        <span className="muted small">
          Squill {record.squillVersion} · SQLite {record.sqliteVersion} · metrics {record.metricVersion} · {datasets.length} dataset files ·{' '}
          {databases.length} databases
        </span>
      </summary>
      <div className="ev-repro-body">
        <dl className="facts">
          <dt>Benchmark</dt>
          <dd>
            {BENCH_LABEL[record.bench]} · <span className="mono">{record.dataDir}</span>
          </dd>
          <dt>Predictions</dt>
          <dd>
            <Hash value={record.predictionsSha256} label="the predictions hash" />
          </dd>
          <dt>Versions</dt>
          <dd>
            Squill {record.squillVersion} · SQLite {record.sqliteVersion} · metric implementation {record.metricVersion}
          </dd>
          <dt>Options</dt>
          <dd>
            {record.options.keepDistinct ? 'DISTINCT kept (departs from the official Spider evaluation)' : 'DISTINCT removed (official)'} · timeout{' '}
            {formatElapsed(record.options.timeoutMs)} per query · {record.options.workers} {record.options.workers === 1 ? 'worker' : 'workers'} ·{' '}
            {record.options.vesIterations} VES iterations
          </dd>
          <dt>Hardware</dt>
          <dd>
            {record.hardware.cpu} ({record.hardware.cores} cores){record.hardware.gpu ? ` · ${record.hardware.gpu}` : ' · no GPU'}
          </dd>
          <dt>Model</dt>
          <dd>
            {record.model ? (
              <>
                <Hash value={record.model.sha256} label="the model hash" />
                {record.model.adapterSha256 && (
                  <>
                    {' '}
                    adapter <Hash value={record.model.adapterSha256} label="the adapter hash" />
                  </>
                )}{' '}
                · strategy {record.model.strategy}
                {Object.keys(record.model.decoding).length > 0 && (
                  <>
                    {' '}
                    · decoding <code className="mono">{JSON.stringify(record.model.decoding)}</code>
                  </>
                )}
              </>
            ) : (
              <span className="muted">none: the predictions came from a file</span>
            )}
          </dd>
        </dl>
        <HashTable title="Dataset files" entries={datasets} />
        <HashTable title="Databases" entries={databases} />
      </div>
    </details>
  );
}

function HashTable({ title, entries }: { title: string; entries: [string, string][] }) {
  if (entries.length === 0) return null;
  return (
    <section aria-label={title}>
      <h3>
        {title} <span className="muted small">({formatCount(entries.length)})</span>
      </h3>
      <div className="table-scroll ev-hash-scroll">
        <table className="table ev-hash-table small">
          <tbody>
            {entries.map(([file, hash]) => (
              <tr key={file}>
                <td className="mono" title={file}>
                  {baseName(file)}
                  {baseName(file) !== file && <span className="muted ev-path"> {file}</span>}
                </td>
                <td>
                  <Hash value={hash} label={`the hash of ${baseName(file)}`} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
