/**
 * BIRD execution accuracy as bird-bench's evaluation.py scores it: correct iff set(pred rows) == set(gold rows) —
 * row order and duplicates ignored, column order kept, Python equality (1 == 1.0).
 */
import type { Reason } from '../../shared/contract/index.ts';
import { significant, tokenize } from '../../shared/sql/tokenize.ts';
import { rowKey, type PyRow } from './values.ts';

/**
 * Python's sqlite3 runs one statement: anything but whitespace or comments after the first statement's `;` is an
 * error ("You can only execute one statement at a time."). A single trailing `;` is fine, `;;` is not.
 */
export function pythonSqliteStatementError(sql: string): string | null {
  const tokens = significant(tokenize(sql));
  const first = tokens.findIndex((t) => t.type === 'semicolon');
  if (first === -1 || first === tokens.length - 1) return null;
  return 'You can only execute one statement at a time.';
}

export function birdResultEq(gold: PyRow[], pred: PyRow[]): { equal: boolean; reason: Reason } {
  const g = new Set(gold.map(rowKey));
  const p = new Set(pred.map(rowKey));
  const equal = g.size === p.size && [...g].every((k) => p.has(k));
  if (equal) {
    const note = gold.length !== pred.length ? ' (duplicates differ; BIRD ignores them)' : '';
    return { equal, reason: { code: 'match', detail: `Equal as sets of rows${note}` } };
  }
  const width = (rows: PyRow[]) => rows[0]?.length ?? 0;
  if (gold.length && pred.length && width(gold) !== width(pred)) {
    return { equal, reason: { code: 'column_count', detail: `Gold has ${width(gold)} columns, prediction ${width(pred)}` } };
  }
  const missing = [...g].filter((k) => !p.has(k)).length;
  const extra = [...p].filter((k) => !g.has(k)).length;
  return {
    equal,
    reason: { code: 'values', detail: `${missing} distinct gold row(s) missing from the prediction, ${extra} extra` },
  };
}

/** The blank prediction: Python's sqlite3 returns no rows for it, so it is right exactly when gold is empty. */
export function birdBlankPrediction(gold: PyRow[]): { equal: boolean; reason: Reason } {
  return gold.length === 0
    ? {
        equal: true,
        reason: {
          code: 'empty_prediction',
          detail: 'A blank prediction returns no rows, and the gold result is empty',
          quirk: "bird-bench's evaluation.py executes the blank string, gets no rows, and counts it correct when the gold result is empty. Squill reproduces this.",
        },
      }
    : { equal: false, reason: { code: 'empty_prediction', detail: 'Empty prediction' } };
}
