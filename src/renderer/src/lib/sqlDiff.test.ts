import { describe, expect, it } from 'vitest';
import { diffSql, lcsMarks } from './sqlDiff.ts';

const text = (segments: { kind: string; text: string }[], kind: string) =>
  segments.filter((s) => s.kind === kind).map((s) => s.text);

describe('token diff of SQL', () => {
  it('finds nothing between equal queries, whatever the case, spacing and comments', () => {
    const d = diffSql('SELECT name FROM singer', 'select  Name\nfrom "singer" -- all of them');
    expect(d.equivalent).toBe(true);
    expect(d.removed).toBe(0);
    expect(d.added).toBe(0);
    // the texts are kept as written, every character on its side
    expect(d.gold.map((s) => s.text).join('')).toBe('SELECT name FROM singer');
    expect(d.pred.map((s) => s.text).join('')).toBe('select  Name\nfrom "singer" -- all of them');
  });

  it('marks a changed column as removed on the gold side and added on the predicted side', () => {
    const d = diffSql('SELECT name, age FROM singer', 'SELECT name, song_name FROM singer');
    expect(text(d.gold, 'removed')).toEqual(['age']);
    expect(text(d.pred, 'added')).toEqual(['song_name']);
    expect(d.removed).toBe(1);
    expect(d.added).toBe(1);
    expect(d.equivalent).toBe(false);
  });

  it('keeps a changed phrase in one run, spaces included', () => {
    const d = diffSql('SELECT a FROM t ORDER BY a DESC', 'SELECT a FROM t');
    expect(text(d.gold, 'removed')).toEqual([' ORDER BY a DESC'.trimStart()]);
    expect(d.removed).toBe(4);
    expect(d.added).toBe(0);
  });

  it('compares strings exactly and identifiers without case', () => {
    const d = diffSql("SELECT * FROM t WHERE name = 'Bob'", "SELECT * FROM T WHERE NAME = 'bob'");
    expect(text(d.gold, 'removed')).toEqual(["'Bob'"]);
    expect(text(d.pred, 'added')).toEqual(["'bob'"]);
  });

  it('shows an empty prediction as all removed', () => {
    const d = diffSql('SELECT count(*) FROM singer', '');
    expect(d.pred).toEqual([]);
    expect(d.gold).toEqual([{ kind: 'removed', text: 'SELECT count(*) FROM singer' }]);
    expect(d.added).toBe(0);
    expect(d.removed).toBe(7);
  });

  it('finds a longest common subsequence between the common prefix and suffix', () => {
    const { inA, inB } = lcsMarks(['a', 'x', 'b', 'c', 'z'], ['a', 'b', 'y', 'c', 'z']);
    expect(inA).toEqual([true, false, true, true, true]);
    expect(inB).toEqual([true, true, false, true, true]);
  });

  it('falls back to a whole-text comparison for huge texts', () => {
    const big = Array.from({ length: 2500 }, (_, i) => `c${i}`).join(', ');
    const d = diffSql(`SELECT ${big} FROM t`, `SELECT ${big} FROM u`);
    expect(d.coarse).toBe(true);
    expect(d.equivalent).toBe(false);
    expect(d.gold).toHaveLength(1);
  });
});
