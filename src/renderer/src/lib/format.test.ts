import { describe, expect, it } from 'vitest';
import { formatElapsed, formatRows, lineAndColumn, timeAgo } from './format.ts';

describe('workbench formatting', () => {
  it('formats elapsed times and row counts', () => {
    expect(formatElapsed(0.42)).toBe('0.4 ms');
    expect(formatElapsed(12.4)).toBe('12 ms');
    expect(formatElapsed(1250)).toBe('1.25 s');
    expect(formatElapsed(125_000)).toBe('2 min 5 s');
    expect(formatRows(1)).toBe('1 row');
    expect(formatRows(4079)).toBe('4,079 rows');
  });

  it('says how long ago', () => {
    const now = Date.parse('2026-11-21T12:00:00Z');
    expect(timeAgo('2026-11-21T11:59:50Z', now)).toBe('just now');
    expect(timeAgo('2026-11-21T11:55:00Z', now)).toBe('5 min ago');
    expect(timeAgo('2026-11-21T09:00:00Z', now)).toBe('3 h ago');
  });

  it('finds line and column of an offset', () => {
    expect(lineAndColumn('SELECT\n  x FROM', 9)).toEqual({ line: 2, column: 3 });
    expect(lineAndColumn('abc', 0)).toEqual({ line: 1, column: 1 });
  });
});
