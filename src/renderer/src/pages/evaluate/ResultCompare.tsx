import { memo, useMemo, useState, type ReactNode } from 'react';
import { type QueryResult, STORAGE_CLASS_LETTERS } from '../../../../shared/contract/index.ts';
import { cellClassName, describeCell, formatCell } from '../../components/cells.ts';
import { formatCount, formatElapsed, formatRows } from '../../lib/format.ts';
import { diffResults, summaryLine, type CellMark, type ResultDiff, type RowDiff } from '../../lib/resultDiff.ts';

/** Rows drawn per side before "Show all" (a result may hold 10,000 rows; the differences come first to the eye). */
const ROW_CAP = 200;

type Side = 'gold' | 'pred';

const STATUS_SYMBOL: Record<RowDiff['status'], string> = { match: '', missing: '−', extra: '+', moved: '↕' };

const classLetterName = (letter: string | undefined) =>
  letter && letter in STORAGE_CLASS_LETTERS ? STORAGE_CLASS_LETTERS[letter as keyof typeof STORAGE_CLASS_LETTERS] : 'unknown';

function rowTitle(side: Side, row: RowDiff): string {
  const other = side === 'gold' ? 'predicted' : 'gold';
  switch (row.status) {
    case 'match':
      return `Also in the ${other} result${row.partner >= 0 ? ` (row ${row.partner + 1})` : ''}`;
    case 'moved':
      return `In the ${other} result too, but at row ${row.partner + 1}: order matters here`;
    case 'missing':
      return `Missing from the predicted result${row.partner >= 0 ? `; compare with predicted row ${row.partner + 1}` : ''}`;
    case 'extra':
      return `Not in the gold result${row.partner >= 0 ? `; compare with gold row ${row.partner + 1}` : ''}`;
  }
}

const MARK_CLASS: Record<CellMark, string> = {
  same: '',
  differs: ' ev-cell-differs',
  typeEqual: ' ev-cell-type',
  typeDiffers: ' ev-cell-differs ev-cell-type',
};

interface TableProps {
  side: Side;
  result: QueryResult;
  other: QueryResult;
  rows: RowDiff[];
  onlyDiffering: boolean;
  showAll: boolean;
  hovered: { side: Side; row: number } | null;
  onHover: (h: { side: Side; row: number } | null) => void;
}

const DiffTable = memo(function DiffTable({ side, result, other, rows, onlyDiffering, showAll, hovered, onHover }: TableProps) {
  const indexes = useMemo(() => {
    const all = [...result.rows.keys()];
    return onlyDiffering ? all.filter((r) => rows[r]?.status !== 'match') : all;
  }, [result, rows, onlyDiffering]);
  const shown = showAll ? indexes : indexes.slice(0, ROW_CAP);
  return (
    <div className="rows-scroll ev-result-scroll">
      <table className="table rows-table ev-result-table" data-testid={`${side}-result`}>
        <thead>
          <tr>
            <th className="ev-gutter" aria-label="Row">
              #
            </th>
            {result.columns.map((c, i) => (
              <th key={i} title={c.declType ? `${c.name} (${c.declType})` : c.name}>
                {c.name}
                {c.declType && <span className="col-decltype">{c.declType}</span>}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {shown.map((r) => {
            const diff = rows[r] ?? { status: 'match', partner: -1, cells: null };
            const types = result.types[r] ?? '';
            // the hovered row, and its partner on the other side (partners are mutual)
            const highlighted = hovered !== null && (hovered.side === side ? hovered.row === r : diff.partner === hovered.row);
            return (
              <tr
                key={r}
                className={`ev-row-${diff.status}${highlighted ? ' ev-row-hover' : ''}`}
                title={rowTitle(side, diff)}
                data-status={diff.status}
                onMouseEnter={() => onHover({ side, row: r })}
                onMouseLeave={() => onHover(null)}
              >
                <td className="ev-gutter">
                  <span className="ev-row-symbol" aria-label={diff.status === 'match' ? undefined : diff.status}>
                    {STATUS_SYMBOL[diff.status]}
                  </span>
                  {r + 1}
                </td>
                {result.rows[r]!.map((value, c) => {
                  const letter = types[c];
                  const mark = diff.cells?.[c] ?? 'same';
                  const partnerRow = diff.partner >= 0 ? other.rows[diff.partner] : undefined;
                  const otherLetter = diff.partner >= 0 ? other.types[diff.partner]?.[c] : undefined;
                  let title = describeCell(value, letter);
                  if (mark !== 'same' && partnerRow) {
                    const otherValue = partnerRow[c] ?? null;
                    const otherText = `${classLetterName(otherLetter)} ${formatCell(otherValue, otherLetter)}`;
                    title += `\n${side === 'gold' ? 'predicted' : 'gold'}: ${otherText}`;
                    if (mark === 'typeEqual') title += '\nEqual in Python (1 == 1.0), but of another storage class.';
                    if (mark === 'typeDiffers') title += '\nReads the same, but the storage classes differ: not equal.';
                  }
                  return (
                    <td key={c} className={`${cellClassName(value, letter)}${MARK_CLASS[mark]}`} title={title}>
                      {formatCell(value, letter)}
                    </td>
                  );
                })}
              </tr>
            );
          })}
        </tbody>
      </table>
      {result.rows.length === 0 && <p className="muted ev-no-rows">No rows.</p>}
      {result.rows.length > 0 && shown.length === 0 && <p className="muted ev-no-rows">No differing rows.</p>}
    </div>
  );
});

function Pane({
  side,
  title,
  result,
  error,
  emptyText,
  children,
}: {
  side: Side;
  title: string;
  result: QueryResult | null;
  error: string | null;
  emptyText: string;
  children?: ReactNode;
}) {
  return (
    <div className="ev-side" role="region" aria-label={`${title} result`}>
      <div className="ev-side-head">
        <strong>{title}</strong>
        {result && (
          <span className="muted small" data-testid={`${side}-result-summary`}>
            {formatRows(result.rows.length)}
            {result.truncated && ' (truncated)'} · {result.columns.length} {result.columns.length === 1 ? 'column' : 'columns'} · {formatElapsed(result.elapsedMs)}
          </span>
        )}
      </div>
      {error ? (
        <div className="notice notice-error ev-result-error" role="alert" data-testid={`${side}-error`}>
          <strong>{side === 'gold' ? 'The gold SQL failed.' : 'The predicted SQL failed.'}</strong>
          <pre className="ev-error-text">{error}</pre>
        </div>
      ) : result ? (
        children
      ) : (
        <p className="muted ev-no-rows">{emptyText}</p>
      )}
    </div>
  );
}

/** Both results side by side, rows and cells that differ marked, with the notes that explain the comparison. */
export function ResultCompare({
  gold,
  pred,
  goldError,
  predError,
  orderMatters,
  predEmpty,
  spiderPreprocessed,
}: {
  gold: QueryResult | null;
  pred: QueryResult | null;
  goldError: string | null;
  predError: string | null;
  orderMatters: boolean;
  predEmpty: boolean;
  /** the SQL ran as Spider EX runs it (its preprocessing applied), not as written */
  spiderPreprocessed: boolean;
}) {
  const diff: ResultDiff | null = useMemo(() => (gold && pred ? diffResults(gold, pred, orderMatters) : null), [gold, pred, orderMatters]);
  const [onlyDiffering, setOnlyDiffering] = useState(false);
  const [showAll, setShowAll] = useState(false);
  const [hovered, setHovered] = useState<{ side: Side; row: number } | null>(null);
  const longest = Math.max(gold?.rows.length ?? 0, pred?.rows.length ?? 0);
  return (
    <section className="panel ev-results" aria-label="Results">
      <div className="section-head">
        <h2>Results</h2>
        <span className="ev-row small">
          {diff && gold && pred && (
            <strong
              data-testid="result-diff-summary"
              className={diff.equalAsList || (diff.equalAsBag && !orderMatters) ? 'ok' : diff.columnPermutation ? 'ev-warn-text' : 'bad'}
            >
              {summaryLine(diff, gold.rows.length, pred.rows.length)}
            </strong>
          )}
          <span className="muted">{orderMatters ? 'Order matters (ORDER BY in the gold)' : 'Order ignored'}</span>
          {diff && (
            <label className="ev-inline">
              <input type="checkbox" checked={onlyDiffering} onChange={(e) => setOnlyDiffering(e.target.checked)} /> Only differing rows
            </label>
          )}
          {longest > ROW_CAP && (
            <button type="button" onClick={() => setShowAll(!showAll)}>
              {showAll ? `Show the first ${ROW_CAP}` : `Show all ${formatCount(longest)} rows`}
            </button>
          )}
        </span>
      </div>
      {spiderPreprocessed && (
        <p className="muted small ev-ran-as">
          Both queries ran as Spider EX runs them: after its preprocessing (DISTINCT removed unless kept, every <code className="mono">value</code> → 1,
          only the first statement), on the first database file of the folder. BIRD EX, Soft-F1 and VES run the SQL as written, so where the
          preprocessing changed it (a DISTINCT, a <code className="mono">value</code>) their verdicts may rest on other results than these.
        </p>
      )}
      {diff && diff.notes.length > 0 && (
        <ul className="ev-notes small" data-testid="result-notes">
          {diff.notes.map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
      )}
      <div className="ev-sides">
        <Pane side="gold" title="Gold" result={gold} error={goldError} emptyText="No gold result.">
          {gold && (
            <DiffTable
              side="gold"
              result={gold}
              other={pred ?? gold}
              rows={diff?.gold ?? gold.rows.map(() => ({ status: 'match', partner: -1, cells: null }))}
              onlyDiffering={onlyDiffering && diff !== null}
              showAll={showAll}
              hovered={hovered}
              onHover={setHovered}
            />
          )}
        </Pane>
        <Pane
          side="pred"
          title="Predicted"
          result={pred}
          error={predEmpty ? null : predError}
          emptyText={predEmpty ? 'No result: the prediction is empty.' : 'No predicted result.'}
        >
          {pred && (
            <DiffTable
              side="pred"
              result={pred}
              other={gold ?? pred}
              rows={diff?.pred ?? pred.rows.map(() => ({ status: 'match', partner: -1, cells: null }))}
              onlyDiffering={onlyDiffering && diff !== null}
              showAll={showAll}
              hovered={hovered}
              onHover={setHovered}
            />
          )}
        </Pane>
      </div>
      {diff && (
        <p className="muted small ev-legend-line">
          <span className="ev-swatch ev-row-missing">− missing</span> gold row the prediction lacks · <span className="ev-swatch ev-row-extra">+ extra</span>{' '}
          predicted row not in the gold · <span className="ev-swatch ev-row-moved">↕ moved</span> same row elsewhere ·{' '}
          <span className="ev-swatch ev-cell-differs">cell</span> differs from its counterpart · <span className="ev-swatch ev-cell-type">1.0</span> equal value,
          other storage class
        </p>
      )}
    </section>
  );
}
