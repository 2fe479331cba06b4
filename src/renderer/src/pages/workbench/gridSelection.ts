/**
 * What is selected in the result grid: one cell, or a set of rows. A plain click selects a cell; shift extends to
 * the rows from the anchor to the clicked row; ctrl/cmd adds or removes one row. Pure, so it is unit-tested.
 */

export type GridSelection =
  | { kind: 'cell'; row: number; col: number }
  | { kind: 'rows'; rows: ReadonlySet<number>; anchor: number }
  | null;

export interface ClickModifiers {
  /** shift: extend to a range of rows */
  range: boolean;
  /** ctrl (cmd on macOS): add or remove one row */
  toggle: boolean;
}

const anchorOf = (selection: GridSelection): number | null =>
  selection === null ? null : selection.kind === 'cell' ? selection.row : selection.anchor;

function rowRange(from: number, to: number): Set<number> {
  const rows = new Set<number>();
  for (let r = Math.min(from, to); r <= Math.max(from, to); r++) rows.add(r);
  return rows;
}

/** The selection after a click on a cell (`col` null: on the row's number). */
export function clickSelection(previous: GridSelection, row: number, col: number | null, mods: ClickModifiers): GridSelection {
  const anchor = anchorOf(previous);
  if (mods.range && anchor !== null) return { kind: 'rows', rows: rowRange(anchor, row), anchor };
  if (mods.toggle) {
    const rows = new Set(selectedRows(previous));
    if (rows.has(row)) rows.delete(row);
    else rows.add(row);
    return rows.size === 0 ? null : { kind: 'rows', rows, anchor: row };
  }
  if (col === null) return { kind: 'rows', rows: new Set([row]), anchor: row };
  return { kind: 'cell', row, col };
}

/** Arrow keys: moves the selected cell (a row selection moves from its anchor, first column). */
export function moveSelection(selection: GridSelection, dRow: number, dCol: number, rowCount: number, colCount: number): GridSelection {
  if (selection === null || rowCount === 0 || colCount === 0) return selection;
  const row = selection.kind === 'cell' ? selection.row : selection.anchor;
  const col = selection.kind === 'cell' ? selection.col : 0;
  const clamp = (n: number, max: number) => Math.max(0, Math.min(max - 1, n));
  return { kind: 'cell', row: clamp(row + dRow, rowCount), col: clamp(col + dCol, colCount) };
}

/** The selected rows in ascending order (a selected cell counts as its row). */
export function selectedRows(selection: GridSelection): number[] {
  if (selection === null) return [];
  if (selection.kind === 'cell') return [selection.row];
  return [...selection.rows].sort((a, b) => a - b);
}

export const isRowSelected = (selection: GridSelection, row: number) => selection?.kind === 'rows' && selection.rows.has(row);

export const isCellSelected = (selection: GridSelection, row: number, col: number) =>
  selection?.kind === 'cell' && selection.row === row && selection.col === col;
