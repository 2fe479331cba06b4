import type { Cell, TraceExecution } from '../../../../shared/contract/index.ts';
import { cellClassName, formatCell } from '../cells.ts';
import { formatCount, formatElapsed } from '../../lib/format.ts';

/** The first rows of a result, as a small table (the trace keeps a preview, not the whole result). */
export function PreviewTable({ columns, rows, label }: { columns: string[]; rows: Cell[][]; label: string }) {
  if (columns.length === 0) return <p className="muted small">No columns.</p>;
  return (
    <div className="table-scroll trace-preview">
      <table className="table trace-preview-table" aria-label={label}>
        <thead>
          <tr>
            {columns.map((c, i) => (
              <th key={i} scope="col">
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, r) => (
            <tr key={r}>
              {row.map((v, c) => (
                <td key={c} className={cellClassName(v)}>
                  {formatCell(v)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** One SQL execution of a step: the SQL, whether it ran, its first rows or its error, and how long it took. */
export function ExecutionView({ execution, label }: { execution: TraceExecution; label: string }) {
  const rows = execution.rows ?? [];
  const shown = rows.length;
  return (
    <div className={`trace-exec${execution.ok ? '' : ' trace-exec-bad'}`} data-testid="trace-execution">
      <div className="trace-exec-head small">
        <span className={`badge ${execution.ok ? 'badge-ok' : 'badge-bad'}`}>{execution.ok ? 'ran' : 'failed'}</span>
        {execution.rowCount !== undefined && (
          <span className="muted">
            {formatCount(execution.rowCount)} {execution.rowCount === 1 ? 'row' : 'rows'}
            {shown < execution.rowCount ? `, first ${formatCount(shown)} shown` : ''}
          </span>
        )}
        <span className="muted">{formatElapsed(execution.ms)}</span>
      </div>
      <pre className="sql-block trace-sql">{execution.sql}</pre>
      {execution.error && <p className="bad small trace-exec-error">{execution.error}</p>}
      {execution.ok && execution.columns && <PreviewTable columns={execution.columns} rows={rows} label={label} />}
    </div>
  );
}
