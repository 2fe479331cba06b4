import { describe, expect, it } from 'vitest';
import { buildPlanTree, isFullScan, planText } from './planTree.ts';

describe('query plan tree', () => {
  it('nests steps under their parents in order', () => {
    const tree = buildPlanTree([
      { id: 2, parent: 0, detail: 'SCAN singer' },
      { id: 5, parent: 0, detail: 'CORRELATED SCALAR SUBQUERY 1' },
      { id: 9, parent: 5, detail: 'SEARCH concert USING INDEX idx (id=?)' },
      { id: 12, parent: 42, detail: 'orphan' },
    ]);
    expect(planText(tree)).toBe('SCAN singer\nCORRELATED SCALAR SUBQUERY 1\n  SEARCH concert USING INDEX idx (id=?)\norphan\n');
  });

  it('flags full table scans', () => {
    expect(isFullScan('SCAN singer')).toBe(true);
    expect(isFullScan('SCAN singer USING COVERING INDEX i')).toBe(false);
    expect(isFullScan('SEARCH singer USING INTEGER PRIMARY KEY (rowid=?)')).toBe(false);
  });
});
