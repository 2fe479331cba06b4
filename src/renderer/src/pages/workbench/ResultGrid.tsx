import { memo, useLayoutEffect, useMemo, useRef, useState, type CSSProperties, type KeyboardEvent, type MouseEvent, type PointerEvent } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { Cell, QueryResult } from '../../../../shared/contract/index.ts';
import { cellClassName, describeCell, formatCell } from '../../components/cells.ts';
import { clickSelection, isRowSelected, moveSelection, type GridSelection } from './gridSelection.ts';
import { hasToggleModifier } from './shortcuts.ts';

/** Fixed row height: what makes row virtualization exact and cheap (no measuring). */
export const ROW_HEIGHT = 26;
const HEADER_HEIGHT = 30;
const GUTTER_WIDTH = 56;
const MIN_COLUMN_WIDTH = 48;
const MAX_INITIAL_WIDTH = 360;
const CHAR_WIDTH = 7.4;
const WIDTH_SAMPLE_ROWS = 200;

/** Starting column widths from the header and the first rows' text. */
function initialWidths(result: QueryResult): number[] {
  return result.columns.map((column, c) => {
    // the header shows the name and the declared type
    let chars = column.name.length + (column.declType ? column.declType.length * 0.8 + 2 : 0) + 2;
    for (let r = 0; r < Math.min(result.rows.length, WIDTH_SAMPLE_ROWS); r++) {
      chars = Math.max(chars, formatCell(result.rows[r]![c] ?? null, result.types[r]?.[c]).length);
    }
    return Math.round(Math.min(MAX_INITIAL_WIDTH, Math.max(MIN_COLUMN_WIDTH * 1.5, chars * CHAR_WIDTH + 20)));
  });
}

/** One line per cell: line breaks and tabs shown as symbols so a row keeps its fixed height. */
const singleLine = (text: string) => text.replace(/\r\n|\n|\r/g, '↵').replace(/\t/g, '→');

interface GridRowProps {
  row: Cell[];
  types: string;
  index: number;
  top: number;
  rowSelected: boolean;
  /** the selected cell's column in this row, or -1 */
  selectedCol: number;
}

const GridRow = memo(function GridRow({ row, types, index, top, rowSelected, selectedCol }: GridRowProps) {
  return (
    <div
      role="row"
      aria-rowindex={index + 2}
      aria-selected={rowSelected}
      className={`grid-row${rowSelected ? ' grid-row-selected' : ''}${index % 2 ? ' grid-row-odd' : ''}`}
      style={{ transform: `translateY(${top}px)` }}
      data-row={index}
    >
      <div role="rowheader" className="grid-gutter" data-col="-1">
        {index + 1}
      </div>
      {row.map((value, c) => {
        const type = types[c];
        const text = formatCell(value, type);
        return (
          <div
            key={c}
            role="gridcell"
            aria-selected={selectedCol === c}
            className={`${cellClassName(value, type)}${selectedCol === c ? ' cell-selected' : ''}`}
            data-col={c}
            title={value === null || typeof value === 'number' ? describeCell(value, type) : `${describeCell(value, type)}\n${text.slice(0, 2000)}`}
          >
            {singleLine(text)}
          </div>
        );
      })}
    </div>
  );
});

interface ResultGridProps {
  result: QueryResult;
  selection: GridSelection;
  onSelectionChange: (selection: GridSelection) => void;
  onCopy: () => void;
}

/**
 * The rows of a result, virtualized: only the rows in view (plus a few) are in the DOM, so 100k rows scroll as
 * smoothly as ten. Sticky header and row numbers; columns resizable by dragging their header's edge.
 */
export function ResultGrid({ result, selection, onSelectionChange, onCopy }: ResultGridProps) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const [widths, setWidths] = useState(() => initialWidths(result));
  const virtualizer = useVirtualizer({
    count: result.rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 10,
    // the rows start below the sticky header inside the scrolling element
    scrollMargin: HEADER_HEIGHT,
    scrollPaddingStart: HEADER_HEIGHT,
  });

  const template = useMemo(() => [GUTTER_WIDTH, ...widths].map((w) => `${w}px`).join(' '), [widths]);
  const totalWidth = GUTTER_WIDTH + widths.reduce((a, b) => a + b, 0);

  // Keyboard navigation keeps the selected cell in view.
  const selectedRow = selection?.kind === 'cell' ? selection.row : null;
  useLayoutEffect(() => {
    if (selectedRow !== null) virtualizer.scrollToIndex(selectedRow, { align: 'auto' });
  }, [selectedRow, virtualizer]);

  const handleMouseDown = (e: MouseEvent) => {
    const cell = (e.target as HTMLElement).closest<HTMLElement>('[data-col]');
    const rowElement = cell?.closest<HTMLElement>('[data-row]');
    if (!cell || !rowElement) return;
    // shift-click would otherwise select the page's text
    if (e.shiftKey) e.preventDefault();
    const col = Number(cell.dataset.col);
    onSelectionChange(
      clickSelection(selection, Number(rowElement.dataset.row), col < 0 ? null : col, { range: e.shiftKey, toggle: hasToggleModifier(e) }),
    );
  };

  const handleKeyDown = (e: KeyboardEvent) => {
    const moves: Record<string, [number, number]> = {
      ArrowUp: [-1, 0],
      ArrowDown: [1, 0],
      ArrowLeft: [0, -1],
      ArrowRight: [0, 1],
      PageUp: [-20, 0],
      PageDown: [20, 0],
    };
    const move = moves[e.key];
    if (move) {
      e.preventDefault();
      onSelectionChange(moveSelection(selection ?? { kind: 'cell', row: 0, col: 0 }, move[0], move[1], result.rows.length, result.columns.length));
    } else if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'c') {
      e.preventDefault();
      onCopy();
    } else if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'a') {
      e.preventDefault();
      onSelectionChange(result.rows.length ? { kind: 'rows', rows: new Set(result.rows.keys()), anchor: 0 } : null);
    } else if (e.key === 'Escape') {
      onSelectionChange(null);
    }
  };

  return (
    <div
      ref={scrollRef}
      className="grid-scroll"
      tabIndex={0}
      onKeyDown={handleKeyDown}
      data-testid="result-grid"
    >
      <div
        role="grid"
        aria-rowcount={result.rows.length + 1}
        aria-colcount={result.columns.length}
        aria-multiselectable
        className="grid"
        style={{ '--grid-columns': template, width: totalWidth } as CSSProperties}
        onMouseDown={handleMouseDown}
      >
        <div role="row" aria-rowindex={1} className="grid-header">
          <div className="grid-gutter" aria-hidden>
            #
          </div>
          {result.columns.map((column, c) => (
            <div key={c} role="columnheader" className="grid-header-cell" title={column.declType ? `${column.name} (${column.declType})` : column.name}>
              <span className="grid-header-name">{column.name}</span>
              {column.declType && <span className="grid-header-type">{column.declType}</span>}
              <ColumnResizer onResize={(width) => setWidths((w) => w.map((old, i) => (i === c ? width : old)))} width={widths[c]!} />
            </div>
          ))}
        </div>
        <div className="grid-body" style={{ height: virtualizer.getTotalSize() }}>
          {virtualizer.getVirtualItems().map((item) => (
            <GridRow
              key={item.index}
              row={result.rows[item.index]!}
              types={result.types[item.index] ?? ''}
              index={item.index}
              top={item.start - HEADER_HEIGHT}
              rowSelected={isRowSelected(selection, item.index)}
              selectedCol={selection?.kind === 'cell' && selection.row === item.index ? selection.col : -1}
            />
          ))}
        </div>
        {result.rows.length === 0 && <div className="grid-empty muted">No rows.</div>}
      </div>
    </div>
  );
}

/** The drag handle on a header's right edge. */
function ColumnResizer({ width, onResize }: { width: number; onResize: (width: number) => void }) {
  const start = useRef<{ x: number; width: number } | null>(null);
  return (
    <span
      className="grid-resizer"
      aria-hidden
      onMouseDown={(e) => e.stopPropagation()}
      onPointerDown={(e: PointerEvent) => {
        e.currentTarget.setPointerCapture(e.pointerId);
        start.current = { x: e.clientX, width };
      }}
      onPointerMove={(e: PointerEvent) => {
        if (start.current) onResize(Math.max(MIN_COLUMN_WIDTH, start.current.width + e.clientX - start.current.x));
      }}
      onPointerUp={() => (start.current = null)}
    />
  );
}
