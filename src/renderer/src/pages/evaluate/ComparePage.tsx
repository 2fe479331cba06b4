import { useState } from 'react';
import type { EvalExample, EvalRun, MetricName, Output } from '../../../../shared/contract/index.ts';
import { useProcedure } from '../../api/hooks.ts';
import { href, navigate } from '../../app/router.ts';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { formatCount, timeAgo } from '../../lib/format.ts';
import { BENCH_LABEL, METRIC_LABEL, commonMetrics, formatScore, formatScoreDelta } from './model.ts';
import { useAllExamples } from './hooks.ts';

type Flip = Output<'eval.compare'>['fixed'][number];

/** Items shown per list before "Show all". */
const LIST_CAP = 100;

/** #/evaluate/compare/<runA>/<runB>: the scores of two runs on one metric, and which examples flipped. */
export function ComparePage({ runA, runB }: { runA: string | undefined; runB: string | undefined }) {
  const runs = useProcedure('eval.runs');
  const a = runs.data?.find((r) => r.id === runA);
  const b = runs.data?.find((r) => r.id === runB);
  const pick = (which: 'a' | 'b', id: string) => {
    const next = which === 'a' ? [id, runB] : [runA, id];
    navigate('evaluate', 'compare', ...next.filter((x): x is string => Boolean(x)));
  };
  return (
    <div className="page page-wide ev-page">
      <nav className="ev-crumbs small" aria-label="Breadcrumb">
        <a href={href('evaluate')}>Evaluate</a> <span className="muted">/</span> <span aria-current="page">Compare</span>
      </nav>
      <header className="page-header">
        <h1>Compare two runs</h1>
        <p className="muted">Which examples a change fixed and which it broke, matched by example id.</p>
      </header>
      {runs.error && <ErrorNotice error={runs.error} what="the evaluation runs" />}
      {runs.isLoading && <p className="muted">Loading runs…</p>}
      {runs.data && (
        <>
          <div className="panel ev-compare-pick">
            <RunSelect label="Run A" runs={runs.data} value={runA} onChange={(id) => pick('a', id)} />
            <button
              type="button"
              onClick={() => runA && runB && navigate('evaluate', 'compare', runB, runA)}
              disabled={!runA || !runB}
              title="Swap A and B"
              aria-label="Swap A and B"
            >
              ⇄
            </button>
            <RunSelect label="Run B" runs={runs.data} value={runB} onChange={(id) => pick('b', id)} />
          </div>
          {runA && !a && <p className="notice notice-error">There is no run “{runA}”.</p>}
          {runB && !b && <p className="notice notice-error">There is no run “{runB}”.</p>}
          {(!runA || !runB) && <p className="muted">Choose two runs.</p>}
          {a && b && <Comparison key={`${a.id}/${b.id}`} a={a} b={b} />}
        </>
      )}
    </div>
  );
}

function RunSelect({ label, runs, value, onChange }: { label: string; runs: EvalRun[]; value: string | undefined; onChange: (id: string) => void }) {
  return (
    <label className="ev-inline ev-run-select">
      <span className="muted">{label}</span>
      <select aria-label={label} value={value ?? ''} onChange={(e) => onChange(e.target.value)}>
        {value === undefined && <option value="">Choose a run…</option>}
        {runs.map((r) => (
          <option key={r.id} value={r.id}>
            {r.name} · {BENCH_LABEL[r.bench]} · {timeAgo(r.createdAt)}
            {r.status !== 'done' ? ` (${r.status})` : ''}
          </option>
        ))}
      </select>
    </label>
  );
}

function Comparison({ a, b }: { a: EvalRun; b: EvalRun }) {
  const metrics = commonMetrics(a, b);
  const [chosen, setChosen] = useState<MetricName | undefined>(metrics[0]);
  const metric = chosen && metrics.includes(chosen) ? chosen : metrics[0];
  const compare = useProcedure('eval.compare', { runA: a.id, runB: b.id, metric: metric ?? 'spider_exec' }, { enabled: metric !== undefined });
  const flips = (compare.data?.fixed.length ?? 0) + (compare.data?.broken.length ?? 0);
  // the lists show each example's database, question and reasons; read them once there is something to show
  const examplesA = useAllExamples(a.id, a.total, flips > 0);
  const examplesB = useAllExamples(b.id, b.total, flips > 0);

  if (a.id === b.id) return <p className="notice ev-notice-warn">Run A and run B are the same run: nothing can flip.</p>;
  if (!metric) {
    return (
      <p className="notice notice-error" role="alert">
        The two runs share no metric ({a.metrics.map((m) => METRIC_LABEL[m]).join(', ')} vs {b.metrics.map((m) => METRIC_LABEL[m]).join(', ')}).
      </p>
    );
  }
  return (
    <>
      {(a.status === 'running' || b.status === 'running') && (
        <p className="notice ev-notice-warn" role="status">
          A run is still going: the comparison covers the examples scored so far and updates as it goes.
        </p>
      )}
      {a.bench !== b.bench && (
        <p className="notice ev-notice-warn" role="status">
          The runs are on different benchmarks ({BENCH_LABEL[a.bench]} vs {BENCH_LABEL[b.bench]}); only examples with the same id are compared.
        </p>
      )}
      <div className="ev-row ev-compare-metric">
        <label className="ev-inline">
          Metric
          <select aria-label="Metric" value={metric} onChange={(e) => setChosen(e.target.value as MetricName)}>
            {metrics.map((m) => (
              <option key={m} value={m}>
                {METRIC_LABEL[m]}
              </option>
            ))}
          </select>
        </label>
      </div>
      {compare.error && <ErrorNotice error={compare.error} what="the comparison" />}
      {(examplesA.error ?? examplesB.error) && <ErrorNotice error={(examplesA.error ?? examplesB.error)!} what="the examples of the runs" />}
      {compare.isLoading && <p className="muted">Comparing…</p>}
      {compare.data && (
        <>
          <section className="ev-cards ev-compare-cards" aria-label="Scores">
            <article className="ev-card" data-testid="compare-a">
              <div className="ev-card-head">
                <span className="muted">A</span> <a href={href('evaluate', a.id)}>{a.name}</a>
              </div>
              <div className="ev-card-score">{formatScore(compare.data.metric, compare.data.scoreA)}</div>
              <div className="muted small">{METRIC_LABEL[compare.data.metric]}</div>
            </article>
            <article className="ev-card" data-testid="compare-b">
              <div className="ev-card-head">
                <span className="muted">B</span> <a href={href('evaluate', b.id)}>{b.name}</a>
              </div>
              <div className="ev-card-score">{formatScore(compare.data.metric, compare.data.scoreB)}</div>
              <div className="muted small">{METRIC_LABEL[compare.data.metric]}</div>
            </article>
            <article className="ev-card" data-testid="compare-delta">
              <div className="ev-card-head muted">B − A</div>
              <div className={`ev-card-score ${compare.data.scoreB > compare.data.scoreA ? 'ok' : compare.data.scoreB < compare.data.scoreA ? 'bad' : ''}`}>
                {formatScoreDelta(compare.data.metric, compare.data.scoreA, compare.data.scoreB)}
              </div>
              <div className="muted small">
                {formatCount(compare.data.common)} examples in common · {formatCount(compare.data.fixed.length)} fixed ·{' '}
                {formatCount(compare.data.broken.length)} broken · net {compare.data.fixed.length - compare.data.broken.length >= 0 ? '+' : '−'}
                {Math.abs(compare.data.fixed.length - compare.data.broken.length)}
              </div>
            </article>
          </section>
          <div className="ev-flips">
            {(['fixed', 'broken'] as const).map((kind) => (
              <FlipList
                key={kind}
                title={kind === 'fixed' ? 'Fixed' : 'Broken'}
                hint={kind === 'fixed' ? 'wrong in A, right in B' : 'right in A, wrong in B'}
                items={compare.data[kind]}
                a={a}
                b={b}
                kind={kind}
                metric={compare.data.metric}
                examplesA={examplesA.data}
                examplesB={examplesB.data}
              />
            ))}
          </div>
        </>
      )}
    </>
  );
}

function FlipList({
  title,
  hint,
  items,
  a,
  b,
  kind,
  metric,
  examplesA,
  examplesB,
}: {
  title: string;
  hint: string;
  items: Flip[];
  a: EvalRun;
  b: EvalRun;
  kind: 'fixed' | 'broken';
  metric: MetricName;
  examplesA: Map<number, EvalExample> | null | undefined;
  examplesB: Map<number, EvalExample> | null | undefined;
}) {
  const [all, setAll] = useState(false);
  const shown = all ? items : items.slice(0, LIST_CAP);
  const reasonCell = (example: EvalExample | undefined) => {
    const reason = example?.reasons[metric];
    if (!reason) return <span className="muted">—</span>;
    return (
      <span className="ev-code" title={`${reason.detail}${reason.quirk ? `\nOfficial quirk: ${reason.quirk}` : ''}`}>
        {reason.code}
        {reason.quirk && <span className="ev-quirk-tag">quirk</span>}
      </span>
    );
  };
  return (
    <section className={`panel ev-flip ev-flip-${kind}`} aria-label={title}>
      <div className="section-head">
        <h2>
          {title} <span className="muted small">({formatCount(items.length)})</span>
        </h2>
        <span className="muted small">{hint}</span>
      </div>
      {items.length === 0 ? (
        <p className="muted">None.</p>
      ) : (
        <div className="table-scroll">
          <table className="table ev-flip-table small">
            <thead>
              <tr>
                <th>ID</th>
                <th>Database · question</th>
                <th title={`Example in ${a.name}, and why ${METRIC_LABEL[metric]} decided`}>A</th>
                <th title={`Example in ${b.name}, and why ${METRIC_LABEL[metric]} decided`}>B</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((f) => {
                const ea = examplesA?.get(f.indexA);
                const eb = examplesB?.get(f.indexB);
                const about = eb ?? ea;
                return (
                  <tr key={f.id} data-testid={`${kind}-${f.id}`}>
                    <td className="mono">{f.id}</td>
                    <td className="ev-flip-about" title={about?.question}>
                      {about ? (
                        <>
                          <span className="mono">{about.dbId}</span> <span className="muted">·</span> {about.question || <span className="muted">(no question)</span>}
                        </>
                      ) : (
                        <span className="muted">…</span>
                      )}
                    </td>
                    <td className="nowrap">
                      <a href={href('evaluate', a.id, String(f.indexA))} title={`Example ${f.indexA} of ${a.name}`}>
                        #{f.indexA}
                      </a>{' '}
                      {reasonCell(ea)}
                    </td>
                    <td className="nowrap">
                      <a href={href('evaluate', b.id, String(f.indexB))} title={`Example ${f.indexB} of ${b.name}`}>
                        #{f.indexB}
                      </a>{' '}
                      {reasonCell(eb)}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {items.length > LIST_CAP && (
        <button type="button" onClick={() => setAll(!all)}>
          {all ? `Show the first ${LIST_CAP}` : `Show all ${formatCount(items.length)}`}
        </button>
      )}
    </section>
  );
}
