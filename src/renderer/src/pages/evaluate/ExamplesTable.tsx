import { useEffect, useRef, useState, type MouseEvent } from 'react';
import { keepPreviousData } from '@tanstack/react-query';
import type { EvalExample, EvalRun, MetricName } from '../../../../shared/contract/index.ts';
import { useProcedure } from '../../api/hooks.ts';
import { href, navigate } from '../../app/router.ts';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { formatCount } from '../../lib/format.ts';
import { EMPTY_FILTER, MAX_SEARCH, groupOptions, isFilterActive, pageCount, reasonOptions, toEvalFilter, withMetric, type FilterState } from './filters.ts';
import { rememberPosition } from './hooks.ts';
import { METRIC_LABEL, mainMetric } from './model.ts';
import { VerdictChip } from './parts.tsx';

const PAGE_SIZES = [50, 100, 200, 500] as const;
/** The page each run's table was on, so coming back from an example lands where the user was. */
const pages = new Map<string, { offset: number; size: number; filter: string }>();

/** The examples of a run with filters, a page at a time; a row opens its drill-down. */
export function ExamplesTable({ run, filter, onFilter }: { run: EvalRun; filter: FilterState; onFilter: (state: FilterState) => void }) {
  const main = mainMetric(run);
  const evalFilter = toEvalFilter(filter, main);
  const filterText = JSON.stringify(evalFilter ?? {});
  const remembered = pages.get(run.id);
  const [size, setSize] = useState<number>(remembered?.size ?? 50);
  const [offset, setOffset] = useState(remembered && remembered.filter === filterText ? remembered.offset : 0);
  // a new filter starts at the first page
  const [shownFilter, setShownFilter] = useState(filterText);
  if (shownFilter !== filterText) {
    setShownFilter(filterText);
    setOffset(0);
  }
  useEffect(() => {
    pages.set(run.id, { offset, size, filter: filterText });
  }, [run.id, offset, size, filterText]);

  const examples = useProcedure(
    'eval.examples',
    { runId: run.id, ...(evalFilter ? { filter: evalFilter } : {}), offset, limit: size },
    { placeholderData: keepPreviousData },
  );
  const total = examples.data?.total ?? 0;
  // the list shrank under the page (a filter, a finished run): go to its last page
  useEffect(() => {
    if (examples.data && !examples.isPlaceholderData && offset > 0 && offset >= total) setOffset(Math.max(0, (pageCount(total, size) - 1) * size));
  }, [examples.data, examples.isPlaceholderData, offset, total, size]);

  const reasonMetric: MetricName | undefined = filter.metric || main;
  const open = (example: EvalExample, position: number) => {
    rememberPosition(run.id, evalFilter, example.index, position);
    navigate('evaluate', run.id, String(example.index));
  };
  const page = Math.floor(offset / size);
  const lastPage = pageCount(total, size);

  return (
    <section className="panel ev-examples" aria-label="Examples" id="ev-examples">
      <div className="section-head">
        <h2>Examples</h2>
        <span className="muted small" data-testid="examples-count" aria-live="polite">
          {examples.data
            ? total === 0
              ? 'none'
              : `${formatCount(offset + 1)}–${formatCount(Math.min(total, offset + size))} of ${formatCount(total)}${evalFilter ? ` matching (of ${formatCount(run.done)})` : ''}`
            : ''}
        </span>
      </div>
      <Filters run={run} filter={filter} onFilter={onFilter} />
      {examples.error && <ErrorNotice error={examples.error} what="the examples" />}
      {examples.isLoading && <p className="muted">Loading examples…</p>}
      {examples.data && examples.data.items.length === 0 && (
        <p className="muted ev-empty" data-testid="examples-empty">
          {isFilterActive(filter) ? (
            <>
              No example matches this filter.{' '}
              <button type="button" className="ev-link" onClick={() => onFilter(EMPTY_FILTER)}>
                Clear the filter
              </button>
            </>
          ) : run.status === 'running' ? (
            'No example scored yet.'
          ) : (
            'This run has no examples.'
          )}
        </p>
      )}
      {examples.data && examples.data.items.length > 0 && (
        <div className={`table-scroll ev-examples-scroll${examples.isPlaceholderData ? ' ev-stale' : ''}`}>
          <table className="table ev-examples-table">
            <thead>
              <tr>
                <th className="num">#</th>
                <th>ID</th>
                <th>Database</th>
                <th>Group</th>
                <th>Question</th>
                {run.metrics.map((m) => (
                  <th key={m} className="ev-verdict-col" title={METRIC_LABEL[m]}>
                    {METRIC_LABEL[m]}
                  </th>
                ))}
                <th>{reasonMetric ? `Reason (${METRIC_LABEL[reasonMetric]})` : 'Reason'}</th>
                <th title="The metrics disagree on this example">≠</th>
              </tr>
            </thead>
            <tbody>
              {examples.data.items.map((e, i) => (
                <ExampleRow key={e.index} run={run} example={e} reasonMetric={reasonMetric} onOpen={() => open(e, offset + i)} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {examples.data && total > 0 && (
        <div className="ev-pager">
          <button type="button" onClick={() => setOffset(0)} disabled={page === 0} aria-label="First page">
            «
          </button>
          <button type="button" onClick={() => setOffset(Math.max(0, offset - size))} disabled={page === 0}>
            Previous
          </button>
          <span className="small">
            Page {formatCount(page + 1)} of {formatCount(lastPage)}
          </span>
          <button type="button" onClick={() => setOffset(offset + size)} disabled={page + 1 >= lastPage}>
            Next
          </button>
          <button type="button" onClick={() => setOffset((lastPage - 1) * size)} disabled={page + 1 >= lastPage} aria-label="Last page">
            »
          </button>
          <label className="ev-inline small">
            Rows per page
            <select
              value={size}
              onChange={(e) => {
                const next = Number(e.target.value);
                setSize(next);
                setOffset(Math.floor(offset / next) * next);
              }}
            >
              {PAGE_SIZES.map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          </label>
        </div>
      )}
    </section>
  );
}

function ExampleRow({ run, example: e, reasonMetric, onOpen }: { run: EvalRun; example: EvalExample; reasonMetric: MetricName | undefined; onOpen: () => void }) {
  const reason = reasonMetric ? e.reasons[reasonMetric] : undefined;
  const onClick = (ev: MouseEvent) => {
    // a modified click on the link opens a new tab as usual; a plain click anywhere on the row opens the example
    if (ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.button !== 0) return;
    if (window.getSelection()?.toString()) return; // selecting text is not opening
    ev.preventDefault();
    onOpen();
  };
  return (
    <tr className={`ev-example-row${e.unavailable ? ' ev-unavailable' : ''}`} onClick={onClick} data-testid={`example-${e.index}`} aria-label={`Example ${e.index}: ${e.id}`}>
      <td className="num">
        <a href={href('evaluate', run.id, String(e.index))} onClick={onClick}>
          {e.index}
        </a>
      </td>
      <td className="mono ev-id" title={e.id}>
        {e.id}
      </td>
      <td className="mono">{e.dbId}</td>
      <td>{e.group ?? <span className="muted">—</span>}</td>
      <td className="ev-question" title={e.question}>
        {e.question}
      </td>
      {run.metrics.map((m) => (
        <td key={m} className="ev-verdict-col">
          <VerdictChip metric={m} score={e.scores[m]} reason={e.reasons[m]} />
        </td>
      ))}
      <td className="ev-reason-cell">
        {e.unavailable ? (
          <span className="ev-code ev-code-unavailable" title={e.unavailable}>
            unavailable
          </span>
        ) : reason ? (
          <span className="ev-code" title={`${reason.detail}${reason.quirk ? `\nOfficial quirk: ${reason.quirk}` : ''}`}>
            {reason.code}
            {reason.quirk && <span className="ev-quirk-tag">quirk</span>}
          </span>
        ) : (
          <span className="muted">—</span>
        )}
      </td>
      <td>{e.disagree && <span className="ev-disagree" title="The metrics disagree on this example">disagree</span>}</td>
    </tr>
  );
}

function Filters({ run, filter, onFilter }: { run: EvalRun; filter: FilterState; onFilter: (state: FilterState) => void }) {
  const main = mainMetric(run);
  const reasons = reasonOptions(run, filter.metric);
  const groups = groupOptions(run);
  // the search box answers each key at once; the filter follows when typing pauses
  const [search, setSearch] = useState(filter.search);
  const [syncedSearch, setSyncedSearch] = useState(filter.search);
  if (filter.search !== syncedSearch) {
    setSyncedSearch(filter.search);
    setSearch(filter.search);
  }
  // the latest filter and setter, so that re-renders (progress of a running evaluation) do not restart the wait
  const latest = useRef({ filter, onFilter });
  latest.current = { filter, onFilter };
  useEffect(() => {
    if (search === latest.current.filter.search) return;
    const timer = setTimeout(() => latest.current.onFilter({ ...latest.current.filter, search }), 300);
    return () => clearTimeout(timer);
  }, [search]);

  return (
    <div className="ev-filters" role="group" aria-label="Filter examples">
      <label className="ev-inline">
        <input type="checkbox" checked={filter.wrongOnly} onChange={(e) => onFilter({ ...filter, wrongOnly: e.target.checked })} /> Wrong only
      </label>
      {run.metrics.length > 1 && (
        <label className="ev-inline">
          on
          <select
            aria-label="Metric"
            value={filter.metric || main}
            onChange={(e) => onFilter(withMetric(filter, e.target.value === main ? '' : (e.target.value as MetricName), run))}
          >
            {run.metrics.map((m) => (
              <option key={m} value={m}>
                {METRIC_LABEL[m]}
              </option>
            ))}
          </select>
        </label>
      )}
      <label className="ev-inline">
        Reason
        <select aria-label="Reason" value={filter.reason} onChange={(e) => onFilter({ ...filter, reason: e.target.value })}>
          <option value="">any</option>
          {reasons.map((r) => (
            <option key={r.code} value={r.code}>
              {r.code} ({formatCount(r.count)})
            </option>
          ))}
          {filter.reason && !reasons.some((r) => r.code === filter.reason) && <option value={filter.reason}>{filter.reason}</option>}
        </select>
      </label>
      <label className="ev-inline">
        <input type="checkbox" checked={filter.disagree} onChange={(e) => onFilter({ ...filter, disagree: e.target.checked })} /> Metrics disagree
      </label>
      {groups.length > 0 && (
        <label className="ev-inline">
          Group
          <select aria-label="Group" value={filter.group} onChange={(e) => onFilter({ ...filter, group: e.target.value })}>
            <option value="">any</option>
            {groups.map((g) => (
              <option key={g} value={g}>
                {g}
              </option>
            ))}
            {filter.group && !groups.includes(filter.group) && <option value={filter.group}>{filter.group}</option>}
          </select>
        </label>
      )}
      <input
        type="search"
        className="input ev-search"
        placeholder="Search question, SQL or id"
        aria-label="Search examples"
        value={search}
        maxLength={MAX_SEARCH}
        onChange={(e) => setSearch(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter') onFilter({ ...filter, search });
        }}
      />
      {isFilterActive(filter) && (
        <button type="button" onClick={() => onFilter(EMPTY_FILTER)}>
          Clear
        </button>
      )}
    </div>
  );
}
