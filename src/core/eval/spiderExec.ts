/**
 * Spider execution accuracy exactly as test-suite-sql-eval scores it (`--etype exec`, default flags): the query
 * preprocessing, `result_eq` with its quick-reject step, the column-permutation search, and set + bag equality.
 * Every verdict comes with the rule that decided it.
 */
import type { Reason } from '../../shared/contract/index.ts';
import { significant, tokenize } from '../../shared/sql/tokenize.ts';
import { compareCodePoints, pyKey, pyStrWithType, rowKey, rowsEqual, type PyRow } from './values.ts';

/** `> =` -> `>=` and friends (postprocess in the official code), and YEAR(CURDATE()) -> 2020. */
export function postprocess(sql: string): string {
  return sql
    .replaceAll('> =', '>=')
    .replaceAll('< =', '<=')
    .replaceAll('! =', '!=')
    .replace(/YEAR\s*\(\s*CURDATE\s*\(\s*\)\s*\)\s*/gi, '2020');
}

/** Every DISTINCT token dropped, the rest of the text kept as it was (remove_distinct, sqlparse tokens joined). */
export function removeDistinct(sql: string): string {
  return tokenize(sql)
    .filter((t) => !(t.type === 'word' && t.text.toLowerCase() === 'distinct'))
    .map((t) => t.text)
    .join('');
}

/**
 * The first statement only. The official remove_distinct keeps `sqlparse.parse(s)[0]`, so with the default flags
 * `SELECT 1; SELECT 2` is scored as `SELECT 1`; with keep-distinct the whole text runs (and fails).
 */
export function firstStatement(sql: string): string {
  const semicolon = significant(tokenize(sql)).find((t) => t.type === 'semicolon');
  return semicolon ? sql.slice(0, semicolon.start) : sql;
}

/** The characters Python's str.strip() removes (str.isspace: Unicode White_Space of bidi class WS, B or S, or Zs). */
const PY_SPACE = '\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const PY_STRIP = new RegExp(`^[${PY_SPACE}]+|[${PY_SPACE}]+$`, 'g');

/** Python's str.strip() with no argument (JavaScript's trim() also strips U+FEFF and keeps U+001C..U+001F, U+0085). */
export function pyStrip(text: string): string {
  return text.replace(PY_STRIP, '');
}

/**
 * The prediction as the official CLI reads it: predictions come from a TAB-separated file, one per line, read as
 * `line.strip().split('\t')[0]`, so everything after the first TAB is dropped before scoring. `dropped` is that
 * text (null when there was no TAB).
 */
export function officialPrediction(pred: string): { text: string; dropped: string | null } {
  const line = pyStrip(pred);
  const tab = line.indexOf('\t');
  return tab < 0 ? { text: line, dropped: null } : { text: line.slice(0, tab), dropped: line.slice(tab + 1) };
}

export const TAB_QUIRK =
  "test-suite-sql-eval reads predictions from a TAB-separated file (line.strip().split('\\t')[0]), so everything " +
  'after the first TAB is dropped before scoring. Squill reproduces this.';

export interface SpiderPrepared {
  gold: string;
  pred: string;
  orderMatters: boolean;
  /** the text after the prediction's first TAB, which the official CLI never sees (null: no TAB) */
  dropped: string | null;
}

/** Both queries as the official program runs them. */
export function prepareSpider(gold: string, pred: string, keepDistinct = false): SpiderPrepared {
  const read = officialPrediction(pred);
  // The prediction's every "value" becomes "1" (lower-case only; it also hits value_tbl and 'value').
  let p = postprocess(read.text.replaceAll('value', '1'));
  let g = postprocess(gold);
  if (!keepDistinct) {
    p = removeDistinct(firstStatement(p));
    g = removeDistinct(firstStatement(g));
  }
  return { gold: g, pred: p, orderMatters: g.toLowerCase().includes('order by'), dropped: read.dropped };
}

/** test-suite's unorder_row: a row's values sorted by str(value) + str(type(value)). */
function unorderRow(row: PyRow): PyRow {
  return [...row].sort((a, b) => compareCodePoints(pyStrWithType(a), pyStrWithType(b)));
}

/** The same, sorted so that Python-equal values sit together (what the quick reject means to do). */
function canonicalRow(row: PyRow): PyRow {
  return [...row].sort((a, b) => compareCodePoints(pyKey(a), pyKey(b)));
}

function listsEqual(a: PyRow[], b: PyRow[]): boolean {
  return a.length === b.length && a.every((row, i) => rowsEqual(row, b[i]!));
}

const keySet = (rows: PyRow[]) => new Set(rows.map(rowKey));
const setsEqual = (a: Set<string>, b: Set<string>) => a.size === b.size && [...a].every((k) => b.has(k));

function multisetEqual(a: PyRow[], b: PyRow[]): boolean {
  if (a.length !== b.length) return false;
  const counts = new Map<string, number>();
  for (const row of a) counts.set(rowKey(row), (counts.get(rowKey(row)) ?? 0) + 1);
  for (const row of b) {
    const k = rowKey(row);
    const n = (counts.get(k) ?? 0) - 1;
    if (n < 0) return false;
    counts.set(k, n);
  }
  return true;
}

function quickReject(gold: PyRow[], pred: PyRow[], orderMatters: boolean, sortRow: (r: PyRow) => PyRow): boolean {
  const s1 = gold.map(sortRow);
  const s2 = pred.map(sortRow);
  return orderMatters ? listsEqual(s1, s2) : setsEqual(keySet(s1), keySet(s2));
}

/**
 * The column permutations of `pred` that could match `gold`: each gold column may take a pred column only when
 * every pred value of it appears in that gold column. (The official samples 20 rows for this pruning; pruning with
 * every row keeps exactly the permutations that can succeed, so the verdict is the same.)
 */
function* permutations(gold: PyRow[], pred: PyRow[]): Generator<number[]> {
  const n = gold[0]!.length;
  const goldColumns = Array.from({ length: n }, (_, c) => new Set(gold.map((row) => pyKey(row[c]!))));
  const allowed = goldColumns.map((column) =>
    Array.from({ length: n }, (_, p) => p).filter((p) => n <= 3 || pred.every((row) => column.has(pyKey(row[p]!)))),
  );
  const perm: number[] = [];
  const used = new Set<number>();
  function* place(c: number): Generator<number[]> {
    if (c === n) {
      yield [...perm];
      return;
    }
    for (const p of allowed[c]!) {
      if (used.has(p)) continue;
      used.add(p);
      perm.push(p);
      yield* place(c + 1);
      perm.pop();
      used.delete(p);
    }
  }
  yield* place(0);
}

/** result_eq(gold, pred, order_matters) with the reason for its answer. */
export function spiderResultEq(gold: PyRow[], pred: PyRow[], orderMatters: boolean): { equal: boolean; reason: Reason } {
  if (gold.length === 0 && pred.length === 0) return { equal: true, reason: { code: 'match', detail: 'Both results are empty' } };
  if (gold.length !== pred.length) {
    return { equal: false, reason: { code: 'row_count', detail: `Gold has ${gold.length} rows, prediction ${pred.length}` } };
  }
  const columns = gold[0]!.length;
  if (pred[0]!.length !== columns) {
    return { equal: false, reason: { code: 'column_count', detail: `Gold has ${columns} columns, prediction ${pred[0]!.length}` } };
  }
  if (!quickReject(gold, pred, orderMatters, unorderRow)) {
    // Would the rows match if equal values were sorted together? Then the quirk decided it.
    if (quickReject(gold, pred, orderMatters, canonicalRow) && searchPermutations(gold, pred, orderMatters)) {
      return {
        equal: false,
        reason: {
          code: 'int_vs_real',
          detail: 'The rows hold equal values, but INTEGER and REAL spellings of a number sort differently',
          quirk:
            "test-suite-sql-eval's quick reject sorts each row by str(value) + str(type), so an INTEGER 1 and a REAL 1.0 " +
            'can land in different positions and the rows compare unequal although 1 == 1.0. Squill reproduces this.',
        },
      };
    }
    return mismatch(gold, pred, orderMatters);
  }
  const perm = searchPermutations(gold, pred, orderMatters);
  if (perm) {
    const reordered = perm.some((p, i) => p !== i);
    const how = orderMatters ? 'in the same order (the gold query has ORDER BY)' : 'as sets and as bags';
    return { equal: true, reason: { code: 'match', detail: `Results are equal ${how}${reordered ? ', with the columns in another order' : ''}` } };
  }
  return mismatch(gold, pred, orderMatters);
}

function searchPermutations(gold: PyRow[], pred: PyRow[], orderMatters: boolean): number[] | null {
  for (const perm of permutations(gold, pred)) {
    const permuted = columnsPermuted(pred, perm);
    if (orderMatters ? listsEqual(gold, permuted) : setsEqual(keySet(gold), keySet(permuted)) && multisetEqual(gold, permuted)) {
      return perm;
    }
  }
  return null;
}

const columnsPermuted = (rows: PyRow[], perm: number[]) => (perm.every((p, i) => p === i) ? rows : rows.map((row) => perm.map((p) => row[p]!)));

/** Why two same-shaped results differ: order only, duplicates only, or values. */
function mismatch(gold: PyRow[], pred: PyRow[], orderMatters: boolean): { equal: false; reason: Reason } {
  if (orderMatters && searchPermutations(gold, pred, false)) {
    return { equal: false, reason: { code: 'order', detail: 'Same rows in another order; the gold query has ORDER BY, so order counts' } };
  }
  for (const perm of permutations(gold, pred)) {
    if (setsEqual(keySet(gold), keySet(columnsPermuted(pred, perm)))) {
      return { equal: false, reason: { code: 'duplicates', detail: 'Same distinct rows, but a row occurs a different number of times' } };
    }
  }
  return { equal: false, reason: { code: 'values', detail: 'The results hold different values' } };
}
