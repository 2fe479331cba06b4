/** One test per rule and quirk of ../shared/docs/eval-semantics.md. */
import { describe, expect, it } from 'vitest';
import { birdBlankPrediction, birdResultEq, pythonSqliteStatementError } from './birdEx.ts';
import { softF1 } from './softF1.ts';
import { firstStatement, officialPrediction, postprocess, prepareSpider, pyStrip, removeDistinct, spiderResultEq } from './spiderExec.ts';
import { decodeUtf8Ignore, pyEq, pyFloatStr, pyKey, type PyRow } from './values.ts';

const i = (n: number | string) => BigInt(n);

describe('Python values', () => {
  it('compares int and float exactly, as Python does', () => {
    expect(pyEq(i(1), 1.0)).toBe(true);
    expect(pyEq(i('9007199254740993'), 9007199254740992)).toBe(false);
    expect(pyEq('1', i(1))).toBe(false); // text '1' != integer 1
    expect(pyEq(null, null)).toBe(true);
    expect(pyKey(i(3))).toBe(pyKey(3.0));
    expect(pyKey(Number.NaN)).not.toBe(pyKey(Number.NaN));
  });

  it("writes floats as Python's str()", () => {
    expect([1.0, 0.1, 1e16, 1e15, 1.5e-5, 0.0001, -2.5, 123456789.123, Infinity].map(pyFloatStr)).toEqual([
      '1.0', '0.1', '1e+16', '1000000000000000.0', '1.5e-05', '0.0001', '-2.5', '123456789.123', 'inf',
    ]);
  });

  it('decodes bytes as UTF-8 with errors ignored', () => {
    expect(decodeUtf8Ignore(new Uint8Array([0x61, 0xff, 0xc3, 0xa9, 0xe2, 0x82, 0x62]))).toBe('aéb');
  });
});

describe('Spider execution accuracy (test-suite-sql-eval)', () => {
  it("reads the prediction as the CLI does from its TAB-separated file: line.strip().split('\\t')[0]", () => {
    expect(officialPrediction('SELECT\tcount(*) FROM t')).toEqual({ text: 'SELECT', dropped: 'count(*) FROM t' });
    expect(officialPrediction('SELECT a FROM t\tSELECT b FROM t\tx')).toEqual({ text: 'SELECT a FROM t', dropped: 'SELECT b FROM t\tx' });
    // stripped first: a leading or trailing TAB drops nothing
    expect(officialPrediction('\t SELECT a FROM t \t\n')).toEqual({ text: 'SELECT a FROM t', dropped: null });
    // the cut comes before the prediction's own preprocessing ("value" -> 1, first statement)
    expect(prepareSpider('SELECT 1', 'SELECT value\tFROM t; SELECT 2')).toMatchObject({ pred: 'SELECT 1', dropped: 'FROM t; SELECT 2' });
    expect(prepareSpider('SELECT 1', 'SELECT 1 FROM t').dropped).toBeNull();
  });

  it("strips what Python's str.strip() strips, not what String.trim() does", () => {
    expect(pyStrip('\x1c\x1f\x85\u3000 SELECT 1\r\n\x0b\x0c')).toBe('SELECT 1');
    expect(pyStrip('\uFEFFSELECT 1')).toBe('\uFEFFSELECT 1'); // a BOM is not whitespace to Python
  });

  it('replaces every lower-case "value" in the prediction with 1, identifiers and strings included', () => {
    expect(prepareSpider('SELECT 1', "SELECT value_tbl FROM t WHERE a = 'value' AND b = 'Value'").pred).toBe(
      "SELECT 1_tbl FROM t WHERE a = '1' AND b = 'Value'",
    );
  });

  it('collapses "> =", "< =", "! =" and rewrites YEAR(CURDATE()) in both queries', () => {
    expect(postprocess('a > = 1 AND b < = 2 AND c ! = 3')).toBe('a >= 1 AND b <= 2 AND c != 3');
    expect(postprocess('SELECT YEAR(CURDATE()) - born FROM p')).toBe('SELECT 2020- born FROM p');
  });

  it('removes every DISTINCT token, also inside count(DISTINCT x), unless asked to keep them', () => {
    expect(removeDistinct('SELECT DISTINCT a, count(DISTINCT b) FROM t')).toBe('SELECT  a, count( b) FROM t');
    expect(removeDistinct('SELECT distinct_col, "distinct" FROM t')).toBe('SELECT distinct_col, "distinct" FROM t');
    expect(prepareSpider('SELECT DISTINCT a FROM t', 'SELECT DISTINCT a FROM t', true).gold).toBe('SELECT DISTINCT a FROM t');
  });

  it('uses only the first statement (part of remove_distinct, so not with keep-distinct)', () => {
    expect(firstStatement('SELECT 1; SELECT 2')).toBe('SELECT 1');
    expect(firstStatement("SELECT ';' FROM t")).toBe("SELECT ';' FROM t");
    expect(prepareSpider('SELECT 1', 'SELECT 1; SELECT 2').pred).toBe('SELECT 1');
    expect(prepareSpider('SELECT 1', 'SELECT 1; SELECT 2', true).pred).toBe('SELECT 1; SELECT 2');
  });

  it('counts order iff the processed, lower-cased gold contains "order by"', () => {
    expect(prepareSpider('SELECT a FROM t ORDER BY a', 'x').orderMatters).toBe(true);
    expect(prepareSpider('SELECT a FROM t order  by a', 'x').orderMatters).toBe(false); // two spaces: not "order by"
    expect(prepareSpider("SELECT 'order by' FROM t", 'x').orderMatters).toBe(true);
  });

  const eq = (g: PyRow[], p: PyRow[], order = false) => spiderResultEq(g, p, order);

  it('treats two empty results as equal, and different row or column counts as not', () => {
    expect(eq([], []).equal).toBe(true);
    expect(eq([[i(1)]], []).reason.code).toBe('row_count');
    expect(eq([[i(1)]], [[i(1), i(2)]]).reason.code).toBe('column_count');
  });

  it('ignores column order (searching the permutations)', () => {
    const r = eq([[i(1), 'a'], [i(2), 'b']], [['a', i(1)], ['b', i(2)]]);
    expect(r).toMatchObject({ equal: true, reason: { code: 'match', detail: expect.stringMatching(/columns in another order/) } });
    // more than three columns: the pruned search still finds it
    expect(eq([[i(1), i(2), i(3), i(4)]], [[i(4), i(3), i(2), i(1)]]).equal).toBe(true);
  });

  it('compares lists when order matters, sets and bags when not', () => {
    expect(eq([[i(1)], [i(2)]], [[i(2)], [i(1)]], false).equal).toBe(true);
    expect(eq([[i(1)], [i(2)]], [[i(2)], [i(1)]], true).reason.code).toBe('order');
    expect(eq([[i(1)], [i(1)], [i(2)]], [[i(1)], [i(2)], [i(2)]]).reason.code).toBe('duplicates');
  });

  it('finds 1 == 1.0 in a one-column comparison', () => {
    expect(eq([[i(1)]], [[1.0]]).equal).toBe(true);
  });

  it("reproduces the quick-reject quirk: (1, 1001) vs (1.0, 1001) differ", () => {
    const r = eq([[i(1), i(1001)]], [[1.0, i(1001)]]);
    expect(r.equal).toBe(false);
    expect(r.reason.code).toBe('int_vs_real');
    expect(r.reason.quirk).toMatch(/str\(value\) \+ str\(type\)/);
  });

  it('never equates text and numbers', () => {
    expect(eq([['1']], [[i(1)]]).reason.code).toBe('values');
  });
});

describe('BIRD execution accuracy', () => {
  it('compares sets of rows: order and duplicates ignored, column order kept, 1 == 1.0', () => {
    expect(birdResultEq([[i(1)], [i(2)]], [[i(2)], [i(1)], [i(1)]]).equal).toBe(true);
    expect(birdResultEq([[i(1), 'a']], [['a', i(1)]]).equal).toBe(false);
    expect(birdResultEq([[i(1), i(1001)]], [[1.0, i(1001)]]).equal).toBe(true);
  });

  it("refuses more than one statement the way Python's sqlite3 does", () => {
    expect(pythonSqliteStatementError('SELECT 1;')).toBeNull();
    expect(pythonSqliteStatementError('SELECT 1; -- done')).toBeNull();
    expect(pythonSqliteStatementError('SELECT 1;;')).toMatch(/one statement at a time/);
    expect(pythonSqliteStatementError('SELECT 1; SELECT 2')).toMatch(/one statement at a time/);
  });

  it('counts a blank prediction correct when the gold result is empty', () => {
    expect(birdBlankPrediction([])).toMatchObject({ equal: true, reason: { quirk: expect.any(String) } });
    expect(birdBlankPrediction([[i(1)]]).equal).toBe(false);
  });
});

describe('Soft-F1', () => {
  it('is 1 for two empty results and for equal ones', () => {
    expect(softF1([], []).score).toBe(1);
    expect(softF1([[i(1), 'a']], [[i(1), 'a']]).score).toBe(1);
  });

  it('pairs rows by position after dropping duplicates', () => {
    // gold (1,a),(2,b); pred (1,a),(1,a),(2,c): deduplicated pred (1,a),(2,c)
    const r = softF1([[i(1), 'a'], [i(2), 'b']], [[i(1), 'a'], [i(1), 'a'], [i(2), 'c']]);
    // tp = 1 + 0.5, fp = 0 + 0.5, fn = 0 + 0.5 -> precision = recall = 0.75
    expect(r.score).toBeCloseTo(0.75, 10);
  });

  it('adds 1 for each unpaired row, and treats NULL as a value (the code, not the README)', () => {
    expect(softF1([[i(1)]], [[i(1)], [i(2)]]).score).toBeCloseTo(2 / 3, 10);
    expect(softF1([[null, 'x']], [[null, 'x']]).score).toBe(1);
    expect(softF1([[i(1)], [i(2)]], []).score).toBe(0);
  });
});
