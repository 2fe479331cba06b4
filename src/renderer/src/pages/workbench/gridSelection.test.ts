import { describe, expect, it } from 'vitest';
import { clickSelection, isCellSelected, isRowSelected, moveSelection, selectedRows } from './gridSelection.ts';

const plain = { range: false, toggle: false };
const shift = { range: true, toggle: false };
const ctrl = { range: false, toggle: true };

describe('grid selection', () => {
  it('selects a cell on a plain click and rows from the anchor on shift', () => {
    const cell = clickSelection(null, 5, 2, plain);
    expect(isCellSelected(cell, 5, 2)).toBe(true);
    const range = clickSelection(cell, 2, 0, shift);
    expect(selectedRows(range)).toEqual([2, 3, 4, 5]);
    // shift again extends from the same anchor
    expect(selectedRows(clickSelection(range, 7, 1, shift))).toEqual([5, 6, 7]);
  });

  it('adds and removes single rows with ctrl', () => {
    let s = clickSelection(null, 1, 0, plain);
    s = clickSelection(s, 4, 0, ctrl);
    expect(selectedRows(s)).toEqual([1, 4]);
    s = clickSelection(s, 1, 3, ctrl);
    expect(selectedRows(s)).toEqual([4]);
    expect(isRowSelected(s, 4)).toBe(true);
    expect(clickSelection(s, 4, 0, ctrl)).toBeNull();
  });

  it('selects a row from its number and moves a cell with the arrows, within bounds', () => {
    expect(selectedRows(clickSelection(null, 3, null, plain))).toEqual([3]);
    const cell = clickSelection(null, 0, 0, plain);
    expect(moveSelection(cell, -1, -1, 10, 3)).toEqual({ kind: 'cell', row: 0, col: 0 });
    expect(moveSelection(cell, 20, 1, 10, 3)).toEqual({ kind: 'cell', row: 9, col: 1 });
  });
});
