import { describe, expect, it } from 'vitest';
import type { Cell, QueryResult } from '../../../shared/contract/index.ts';
import { cellKey, diffResults, summaryLine } from './resultDiff.ts';

/** A result from rows and one types string per row (or one for all rows). */
function result(names: string[], rows: Cell[][], types: string | string[]): QueryResult {
  return {
    columns: names.map((name) => ({ name, declType: null })),
    rows,
    types: Array.isArray(types) ? types : rows.map(() => types),
    truncated: false,
    truncatedBy: null,
    elapsedMs: 1,
  };
}

const statuses = (rows: { status: string }[]) => rows.map((r) => r.status);

describe('cell keys (Python equality over SQLite types)', () => {
  it('equates an INTEGER and an integral REAL, and nothing else across classes', () => {
    expect(cellKey(1, 'i')).toBe(cellKey(1, 'r'));
    expect(cellKey(1.5, 'r')).not.toBe(cellKey(1, 'i'));
    expect(cellKey('1', 't')).not.toBe(cellKey(1, 'i'));
    expect(cellKey(null, 'n')).not.toBe(cellKey('NULL', 't'));
    expect(cellKey('', 't')).not.toBe(cellKey(null, 'n'));
  });

  it('keeps big INTEGERs exact and NaN unequal to itself', () => {
    expect(cellKey('9007199254740993', 'i')).not.toBe(cellKey('9007199254740992', 'i'));
    expect(cellKey('9007199254740992', 'i')).toBe(cellKey(9007199254740992, 'r'));
    expect(cellKey('NaN', 'r')).not.toBe(cellKey('NaN', 'r'));
    expect(cellKey('Infinity', 'r')).toBe(cellKey('Infinity', 'r'));
  });
});

describe('result comparison', () => {
  const gold = result(['name', 'age'], [['Joe', 52], ['Rose', 41], ['John', 29]], 'ti');

  it('finds equal results equal, as lists and as bags', () => {
    const d = diffResults(gold, result(['n', 'a'], [['Joe', 52], ['Rose', 41], ['John', 29]], 'ti'), true);
    expect(d.equalAsList).toBe(true);
    expect(d.equalAsBag).toBe(true);
    expect(statuses(d.gold)).toEqual(['match', 'match', 'match']);
    expect(d.counts).toMatchObject({ matched: 3, missing: 0, extra: 0, moved: 0 });
    expect(summaryLine(d, 3, 3)).toBe('All 3 rows match, in order');
  });

  it('marks rows that only moved when order matters, and says why it fails', () => {
    const d = diffResults(gold, result(['name', 'age'], [['John', 29], ['Rose', 41], ['Joe', 52]], 'ti'), true);
    expect(d.equalAsBag).toBe(true);
    expect(d.equalAsList).toBe(false);
    expect(statuses(d.gold)).toEqual(['moved', 'match', 'moved']);
    expect(d.gold[0]!.partner).toBe(2);
    expect(statuses(d.pred)).toEqual(['moved', 'match', 'moved']);
    expect(d.notes.join(' ')).toContain('Same rows in a different order');
    expect(summaryLine(d, 3, 3)).toBe('1 of 3 rows match in place · 2 moved · predicted 3 rows');
  });

  it('ignores order when it does not matter', () => {
    const d = diffResults(gold, result(['name', 'age'], [['John', 29], ['Rose', 41], ['Joe', 52]], 'ti'), false);
    expect(d.equalAsBag).toBe(true);
    expect(statuses(d.gold)).toEqual(['match', 'match', 'match']);
    expect(d.gold[0]!.partner).toBe(2);
    expect(summaryLine(d, 3, 3)).toBe('All 3 rows match');
  });

  it('pairs rows of a wrong column with their counterparts and marks the differing cells', () => {
    const pred = result(['name', 'song'], [['Rose', 'Gentleman'], ['Joe', 'You'], ['John', 'Sun']], 'tt');
    const d = diffResults(gold, pred, false);
    expect(statuses(d.gold)).toEqual(['missing', 'missing', 'missing']);
    expect(statuses(d.pred)).toEqual(['extra', 'extra', 'extra']);
    // Joe pairs with Joe (the most alike row), and only the second cell differs
    expect(d.gold[0]!.partner).toBe(1);
    expect(d.gold[0]!.cells).toEqual(['same', 'differs']);
    expect(d.counts).toMatchObject({ matched: 0, missing: 3, extra: 3 });
  });

  it('counts duplicates: equal as sets is not equal as bags', () => {
    const a = result(['x'], [[1], [1], [2]], 'i');
    const b = result(['x'], [[1], [2], [2]], 'i');
    const d = diffResults(a, b, false);
    expect(d.equalAsSet).toBe(true);
    expect(d.equalAsBag).toBe(false);
    expect(d.counts).toMatchObject({ matched: 2, missing: 1, extra: 1 });
    expect(d.notes.join(' ')).toContain('Equal as sets but not as multisets');
  });

  it('tells INTEGER from REAL: equal values, flagged cells', () => {
    const a = result(['id', 'n'], [[1, 1001]], 'ii');
    const b = result(['id', 'n'], [[1, 1001]], 'ri');
    const d = diffResults(a, b, false);
    expect(d.equalAsBag).toBe(true);
    expect(d.gold[0]!.cells).toEqual(['typeEqual', 'same']);
    expect(d.counts.typeEqualCells).toBe(1);
    expect(d.notes.join(' ')).toContain('INTEGER vs REAL');
  });

  it('pairs exact storage classes first', () => {
    const a = result(['x'], [[1], [1]], ['i', 'r']);
    const b = result(['x'], [[1], [1]], ['r', 'i']);
    const d = diffResults(a, b, false);
    expect(d.gold.map((r) => r.partner)).toEqual([1, 0]);
    expect(d.counts.typeEqualCells).toBe(0);
  });

  it("does not equate TEXT '1' with INTEGER 1, and says so", () => {
    const d = diffResults(result(['x'], [[1]], 'i'), result(['x'], [['1']], 't'), false);
    expect(d.equalAsBag).toBe(false);
    expect(d.gold[0]!.cells).toEqual(['typeDiffers']);
    expect(d.notes.join(' ')).toContain("TEXT '1' vs INTEGER 1");
  });

  it('keeps NULL apart from the text NULL and from the empty string', () => {
    const d = diffResults(result(['x'], [[null], ['']], ['n', 't']), result(['x'], [['NULL'], [null]], 't'), false);
    expect(statuses(d.gold)).toEqual(['match', 'missing']);
    expect(statuses(d.pred)).toEqual(['extra', 'match']);
  });

  it('finds rows that match with the columns reordered', () => {
    const pred = result(['age', 'name'], [[52, 'Joe'], [41, 'Rose'], [29, 'John']], 'it');
    const d = diffResults(gold, pred, false);
    expect(d.equalAsBag).toBe(false);
    expect(d.columnPermutation).toEqual([1, 0]);
    expect(d.gold.every((r) => r.status === 'missing' && r.cells === null)).toBe(true);
    expect(summaryLine(d, 3, 3)).toBe('All 3 rows match with the columns reordered');
    expect(d.notes.join(' ')).toContain('Spider EX ignores column order');
  });

  it('reports different column counts and empty results', () => {
    const d = diffResults(gold, result(['name'], [['Joe']], 't'), false);
    expect(d.sameColumnCount).toBe(false);
    expect(d.gold.every((r) => r.cells === null)).toBe(true);
    expect(d.notes[0]).toContain('2 columns');
    const empty = diffResults(result(['x'], [], []), result(['y'], [], []), true);
    expect(empty.equalAsList).toBe(true);
    expect(summaryLine(empty, 0, 0)).toBe('Both empty');
  });

  it('shows the differing cells of a wrong row in place when order matters', () => {
    const pred = result(['name', 'age'], [['Joe', 52], ['Rose', 40], ['John', 29]], 'ti');
    const d = diffResults(gold, pred, true);
    expect(statuses(d.gold)).toEqual(['match', 'missing', 'match']);
    expect(d.gold[1]!.cells).toEqual(['same', 'differs']);
    expect(d.pred[1]!.partner).toBe(1);
  });
});
