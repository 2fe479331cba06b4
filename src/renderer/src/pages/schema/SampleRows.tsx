import { useState } from 'react';
import type { Cell, QueryResult } from '../../../../shared/contract/index.ts';
import { useProcedure } from '../../api/hooks.ts';
import { cellClassName, describeCell, formatCell } from '../../components/cells.ts';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { formatCount } from '../../lib/format.ts';

const LIMITS = [20, 100, 1000] as const;

/** The first rows of a table or view, read through the sandbox. */
export function SampleRows({ connectionId, relation }: { connectionId: string; relation: string }) {
  const [limit, setLimit] = useState<number>(LIMITS[0]);
  const rows = useProcedure(
    'schema.sampleRows',
    { connectionId, table: relation, limit },
    // Keep the rows on screen while more of the same table load; never show another table's rows.
    { placeholderData: (previous, query) => (sampledTable(query?.queryKey) === relation ? previous : undefined) },
  );
  return (
    <section className="panel" aria-label="Sample rows">
      <div className="section-head">
        <h3>Sample rows</h3>
        <label className="small muted">
          Show{' '}
          <select value={limit} onChange={(e) => setLimit(Number(e.target.value))} aria-label="Sample size">
            {LIMITS.map((n) => (
              <option key={n} value={n}>
                {n} rows
              </option>
            ))}
          </select>
        </label>
      </div>
      {rows.error && <ErrorNotice error={rows.error} what={`the rows of ${relation}`} />}
      {rows.isLoading && <p className="muted">Reading rows…</p>}
      {rows.data && (
        <>
          <p className="muted small" data-testid="sample-summary">
            <SampleSummary result={rows.data} limit={limit} />
            {rows.isFetching && ' · loading…'}
          </p>
          {rows.data.rows.length > 0 && <RowsTable result={rows.data} />}
        </>
      )}
    </section>
  );
}

const sampledTable = (key: readonly unknown[] | undefined) => (key?.[1] as { table?: string } | undefined)?.table;

function SampleSummary({ result, limit }: { result: QueryResult; limit: number }) {
  const n = result.rows.length;
  const took = `${result.elapsedMs < 10 ? result.elapsedMs.toFixed(1) : Math.round(result.elapsedMs)} ms`;
  if (n === 0) return <>No rows · {took}</>;
  if (result.truncatedBy === 'bytes') return <>First {formatCount(n)} rows (stopped at the size cap) · {took}</>;
  if (n < limit && !result.truncated) return <>All {formatCount(n)} rows · {took}</>;
  return <>First {formatCount(n)} rows · {took}</>;
}

const LONG_TEXT = 40;

/** The storage class, and the whole text when the cell may cut it short. */
function cellTitle(value: Cell, letter: string | undefined): string {
  const about = describeCell(value, letter);
  return typeof value === 'string' && value.length > LONG_TEXT ? `${about}\n${value.slice(0, 2000)}` : about;
}

/** A plain result table: NULL set apart from the empty string, numbers right-aligned, a tooltip with the type. */
function RowsTable({ result }: { result: QueryResult }) {
  return (
    <div className="table-scroll rows-scroll">
      <table className="table rows-table">
        <thead>
          <tr>
            <th className="num muted">#</th>
            {result.columns.map((c, i) => (
              <th key={i} title={c.declType ?? undefined}>
                <span className="mono">{c.name}</span>
                {c.declType && <span className="col-decltype">{c.declType}</span>}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {result.rows.map((row, r) => (
            <tr key={r}>
              <td className="num muted">{r + 1}</td>
              {row.map((value, c) => {
                const letter = result.types[r]?.[c] ?? undefined;
                return (
                  <td key={c} className={cellClassName(value, letter)} title={cellTitle(value, letter)}>
                    {formatCell(value, letter)}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
