import { useEffect, useState } from 'react';
import type { QueryResult } from '../../../../shared/contract/index.ts';
import { formatBytes, formatCount, formatElapsed, formatRows } from '../../lib/format.ts';
import { writeClipboard } from '../../lib/clipboard.ts';
import { selectedRows, type GridSelection } from './gridSelection.ts';
import { ResultGrid } from './ResultGrid.tsx';
import { cellText, downloadText, exportFileName, toCsv, toJson, toTsv } from './resultData.ts';
import { SHORTCUTS } from './shortcuts.ts';

export interface RunLimits {
  maxRows: number;
  maxBytes?: number;
}

/** Why the rows stop where they do, in words, when a limit cut the result short. */
function truncationNotice(result: QueryResult, limits: RunLimits): string | null {
  if (!result.truncated) return null;
  const shown = formatCount(result.rows.length);
  return result.truncatedBy === 'bytes'
    ? `Truncated at ${shown} rows: the result reached the size limit${limits.maxBytes ? ` of ${formatBytes(limits.maxBytes)}` : ''}. Select fewer or narrower columns to see more.`
    : `Truncated at ${shown} rows (the row limit). The query returns more; raise the row limit or narrow the query.`;
}

/** A result: what came back (rows, time, truncation), copy and export, and the grid. */
export function ResultView({ result, limits, connectionId }: { result: QueryResult; limits: RunLimits; connectionId: string }) {
  const [selection, setSelection] = useState<GridSelection>(null);
  const [flash, setFlash] = useState<string | null>(null);
  useEffect(() => {
    if (!flash) return;
    const timer = setTimeout(() => setFlash(null), 2500);
    return () => clearTimeout(timer);
  }, [flash]);

  const copy = async () => {
    const rows = selectedRows(selection);
    let text: string;
    let what: string;
    if (selection?.kind === 'cell') {
      text = cellText(result.rows[selection.row]![selection.col] ?? null, result.types[selection.row]?.[selection.col]);
      what = 'the cell';
    } else {
      const all = rows.length === 0;
      text = toTsv(result, all ? result.rows.keys() : rows);
      what = `${formatRows(all ? result.rows.length : rows.length)} as TSV`;
    }
    try {
      await writeClipboard(text);
      setFlash(`Copied ${what}.`);
    } catch (e) {
      setFlash(`Could not copy: ${e instanceof Error ? e.message : String(e)}`);
    }
  };

  const notice = truncationNotice(result, limits);
  const selected = selectedRows(selection).length;
  return (
    <div className="result-view">
      <div className="result-bar">
        <span data-testid="result-summary">
          <strong>{formatRows(result.rows.length)}</strong>
          {result.truncated && ' (truncated)'} · {result.columns.length} {result.columns.length === 1 ? 'column' : 'columns'} ·{' '}
          {formatElapsed(result.elapsedMs)}
        </span>
        {selection && (
          <span className="muted small">
            {selection.kind === 'cell' ? `row ${formatCount(selection.row + 1)}, ${result.columns[selection.col]?.name}` : `${formatRows(selected)} selected`}
          </span>
        )}
        {flash && (
          <span className="muted small" role="status">
            {flash}
          </span>
        )}
        <span className="toolbar-spacer" />
        <button type="button" onClick={copy} title={`Copy the selected cell or rows as TSV, or all rows when nothing is selected (${SHORTCUTS.copy} in the grid)`}>
          Copy
        </button>
        <button
          type="button"
          onClick={() => downloadText(toCsv(result), exportFileName(connectionId, 'csv'), 'text/csv')}
          title="Download all rows of this result as a CSV file"
        >
          Export CSV
        </button>
        <button
          type="button"
          onClick={() => downloadText(toJson(result), exportFileName(connectionId, 'json'), 'application/json')}
          title="Download all rows of this result as a JSON array of objects"
        >
          Export JSON
        </button>
      </div>
      {notice && (
        <div className="notice notice-warn result-notice" role="status" data-testid="truncated-notice">
          {notice}
        </div>
      )}
      {result.columns.length === 0 ? (
        <p className="muted result-empty">The statement returned no columns.</p>
      ) : (
        <ResultGrid result={result} selection={selection} onSelectionChange={setSelection} onCopy={copy} />
      )}
    </div>
  );
}
