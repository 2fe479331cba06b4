import { useEffect, useRef } from 'react';
import type { EvalExample, EvalRun } from '../../../../shared/contract/index.ts';
import { useProcedure } from '../../api/hooks.ts';
import { href, navigate } from '../../app/router.ts';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { formatCount } from '../../lib/format.ts';
import { describeFilter, toEvalFilter, type EvalFilter } from './filters.ts';
import { rememberPosition, useNeighbours, usePrefetchExample, useRunFilter } from './hooks.ts';
import { ACCURACY_METRICS, METRIC_HELP, METRIC_LABEL, mainMetric, trimNumber, verdictOf } from './model.ts';
import { MetricLabel, VerdictChip } from './parts.tsx';
import { ResultCompare } from './ResultCompare.tsx';
import { SqlDiffView } from './SqlDiffView.tsx';

/** #/evaluate/<runId>/<index>: one example — question, SQL diff, both results, every metric's verdict and why. */
export function ExampleDrillDown({ runId, index }: { runId: string; index: number }) {
  const run = useProcedure('eval.run', { runId }, { staleTime: 10_000 });
  // the SQL runs again through the sandbox for this view: do not repeat it on every focus
  const example = useProcedure('eval.example', { runId, index }, { staleTime: 5 * 60_000, refetchOnWindowFocus: false });
  const name = run.data?.name ?? runId;
  return (
    <div className="page page-wide ev-page ev-drill">
      <nav className="ev-crumbs small" aria-label="Breadcrumb">
        <a href={href('evaluate')}>Evaluate</a> <span className="muted">/</span> <a href={href('evaluate', runId)}>{name}</a>{' '}
        <span className="muted">/</span> <span aria-current="page">Example {index}</span>
      </nav>
      {run.error && <ErrorNotice error={run.error} what="the evaluation run" />}
      {run.data && <ExampleNav run={run.data} index={index} />}
      {example.error && <ErrorNotice error={example.error} what={`example ${index}`} />}
      {example.isLoading && <p className="muted">Running the gold and predicted SQL…</p>}
      {example.data && run.data && (
        <>
          <ExampleHead example={example.data.example} />
          <Verdicts run={run.data} example={example.data.example} />
          <SqlDiffView gold={example.data.example.gold} pred={example.data.example.pred} />
          {example.data.example.unavailable ? (
            <section className="panel" aria-label="Results">
              <h2>Results</h2>
              <p className="muted">Neither query ran: {example.data.example.unavailable}</p>
            </section>
          ) : (
            <ResultCompare
              gold={example.data.goldResult}
              pred={example.data.predResult}
              goldError={example.data.goldError}
              predError={example.data.predError}
              orderMatters={example.data.orderMatters}
              predEmpty={example.data.example.pred.trim() === ''}
              spiderPreprocessed={run.data.metrics.includes('spider_exec')}
            />
          )}
        </>
      )}
    </div>
  );
}

/** Previous / next within the run's current filter (or through all examples), with the arrow keys too. */
function ExampleNav({ run, index }: { run: EvalRun; index: number }) {
  const [filterState] = useRunFilter(run.id);
  const filter: EvalFilter | undefined = toEvalFilter(filterState, mainMetric(run));
  const neighbours = useNeighbours(run.id, filter, index, filter !== undefined);
  const inFilter = filter !== undefined && neighbours.data?.position !== null && neighbours.data !== undefined;

  type Target = { index: number; position: number | null } | null;
  let prev: Target = null;
  let next: Target = null;
  if (filter) {
    if (inFilter) {
      const pos = neighbours.data!.position!;
      prev = neighbours.data!.prev ? { index: neighbours.data!.prev.index, position: pos - 1 } : null;
      next = neighbours.data!.next ? { index: neighbours.data!.next.index, position: pos + 1 } : null;
    } else if (neighbours.data) {
      // not in the filter (opened from elsewhere): step through all examples
      prev = index > 0 ? { index: index - 1, position: null } : null;
      next = index + 1 < run.total ? { index: index + 1, position: null } : null;
    }
  } else {
    prev = index > 0 ? { index: index - 1, position: index - 1 } : null;
    next = index + 1 < run.total ? { index: index + 1, position: index + 1 } : null;
  }

  usePrefetchExample(run.id, next?.index ?? null);

  const go = (target: Target) => {
    if (!target) return;
    if (target.position !== null) rememberPosition(run.id, inFilter ? filter : undefined, target.index, target.position);
    navigate('evaluate', run.id, String(target.index));
  };
  const latest = useRef({ prev, next, go });
  latest.current = { prev, next, go };

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
      const target = e.target as HTMLElement | null;
      if (target?.closest('input, select, textarea, [contenteditable=""], [contenteditable="true"], [role="grid"]')) return;
      if (e.key === 'ArrowLeft' && latest.current.prev) {
        e.preventDefault();
        latest.current.go(latest.current.prev);
      } else if (e.key === 'ArrowRight' && latest.current.next) {
        e.preventDefault();
        latest.current.go(latest.current.next);
      } else if (e.key === 'Escape') {
        navigate('evaluate', run.id);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [run.id]);

  const where = filter
    ? inFilter
      ? `${formatCount(neighbours.data!.position! + 1)} of ${formatCount(neighbours.data!.total)} · ${describeFilter(filterState, mainMetric(run))}`
      : neighbours.data
        ? `outside the filter (${describeFilter(filterState, mainMetric(run))}): stepping through all examples`
        : 'finding the example in the filter…'
    : `${formatCount(index + 1)} of ${formatCount(run.total)}`;

  return (
    <div className="ev-nav" role="navigation" aria-label="Examples">
      <button type="button" onClick={() => go(prev)} disabled={!prev} title="Previous example (←)">
        ← Previous
      </button>
      <button type="button" onClick={() => go(next)} disabled={!next} title="Next example (→)">
        Next →
      </button>
      <span className="muted small" data-testid="nav-position">
        {where}
      </span>
      <span className="ev-nav-spacer" />
      <span className="muted small">← → to step · Esc back to the run</span>
      <a className="button-link" href={href('evaluate', run.id)}>
        Back to the run
      </a>
    </div>
  );
}

function ExampleHead({ example: e }: { example: EvalExample }) {
  return (
    <header className="page-header ev-example-head">
      <div className="ev-run-title">
        <h1>Example {e.index}</h1>
        <span className="badge badge-kind mono" title="Example id">
          {e.id}
        </span>
        <span className="badge badge-kind mono" title="Database">
          {e.dbId}
        </span>
        {e.group && (
          <span className="badge badge-kind" title="Hardness / difficulty">
            {e.group}
          </span>
        )}
        {e.disagree && (
          <span className="ev-disagree" title="The metrics disagree on this example">
            ≠ metrics disagree
          </span>
        )}
        {e.traceId && (
          <a className="button-link" href={href('trace', e.traceId)} title="Every step the model took to write this prediction">
            Open trace
          </a>
        )}
      </div>
      {e.unavailable && (
        <div className="notice ev-notice-warn" role="status">
          <strong>Not scored:</strong> {e.unavailable}
        </div>
      )}
      <section className="panel ev-question-panel" aria-label="Question">
        <p className="ev-question-text" data-testid="question">
          {e.question || <span className="muted">(no question)</span>}
        </p>
        {e.evidence && (
          <p className="ev-evidence" data-testid="evidence">
            <span className="muted small">Evidence</span> {e.evidence}
          </p>
        )}
      </section>
    </header>
  );
}

/** Each metric's verdict, its reason in words, and the official quirk when one decided it. */
function Verdicts({ run, example: e }: { run: EvalRun; example: EvalExample }) {
  const metrics = run.metrics.filter((m) => m in e.scores || m in e.reasons);
  return (
    <section className="panel ev-verdicts" aria-label="Verdicts">
      <h2>Verdicts</h2>
      {metrics.length === 0 && <p className="muted">No metric scored this example.</p>}
      <ul className="ev-verdict-list">
        {metrics.map((m) => {
          const reason = e.reasons[m];
          const score = e.scores[m];
          return (
            <li key={m} className={`ev-verdict ev-verdict-${verdictOf(score, m)}`} data-testid={`verdict-${m}`} aria-label={`${METRIC_LABEL[m]} verdict`}>
              <div className="ev-verdict-head">
                <VerdictChip metric={m} score={score} reason={reason} />
                <MetricLabel metric={m} />
                {reason && <code className="ev-code">{reason.code}</code>}
                {score !== null && score !== undefined && !ACCURACY_METRICS.has(m) && (
                  <span className="muted small" title={String(score)}>
                    score {trimNumber(score)}
                  </span>
                )}
              </div>
              {reason && <p className="ev-verdict-detail">{reason.detail}</p>}
              {reason?.quirk && (
                <div className="ev-quirk" role="note" data-testid={`quirk-${m}`}>
                  <strong>Official quirk:</strong> {reason.quirk}
                  <div className="small muted">
                    Squill reproduces the official program's behaviour, so this verdict is the one the official score counts.
                  </div>
                </div>
              )}
              {!reason && (score === null || score === undefined) && <p className="muted small">{METRIC_HELP[m]}</p>}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
