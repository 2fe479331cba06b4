/**
 * The gold result against the predicted one, for the drill-down: which rows each side has that the other lacks,
 * which rows only moved, which cells differ, and where two cells are equal numbers of different storage classes
 * (INTEGER 1 vs REAL 1.0). Values compare as the official evaluators compare them, with Python's equality over
 * SQLite's types: 1 == 1.0, '1' != 1, NULL equals only NULL, NaN equals nothing.
 *
 * This explains a verdict; it does not give one. The verdicts come from the backend, which implements each metric
 * exactly (column permutations, sets vs bags, quirks). Pure: no React, no DOM.
 */
import type { Cell, QueryResult } from '../../../shared/contract/index.ts';
import { formatCell, typeLetterOf } from '../components/cells.ts';

export type RowStatus = 'match' | 'missing' | 'extra' | 'moved';

/**
 * same: equal, same storage class; differs: not equal; typeEqual: equal as Python compares them but of another
 * storage class (1 vs 1.0); typeDiffers: reads the same on screen but is not equal ('1' TEXT vs 1 INTEGER).
 */
export type CellMark = 'same' | 'differs' | 'typeEqual' | 'typeDiffers';

export interface RowDiff {
  status: RowStatus;
  /** the row on the other side this one is compared with (its match, where it moved to, or its counterpart), or -1 */
  partner: number;
  /** per cell, against the partner; null without a partner of the same width */
  cells: CellMark[] | null;
}

export interface ResultDiff {
  gold: RowDiff[];
  pred: RowDiff[];
  orderMatters: boolean;
  sameColumnCount: boolean;
  /** same rows at the same positions */
  equalAsList: boolean;
  /** same rows, each as often, in any order */
  equalAsBag: boolean;
  /** same distinct rows */
  equalAsSet: boolean;
  /** predicted column i -> gold column; set when the rows match (as bags) only with the columns reordered */
  columnPermutation: number[] | null;
  counts: { matched: number; missing: number; extra: number; moved: number; typeEqualCells: number; typeDiffersCells: number };
  notes: string[];
}

type Letter = string;

const letterOf = (result: QueryResult, r: number, c: number): Letter => result.types[r]?.[c] ?? typeLetterOf(result.rows[r]?.[c] ?? null);

/** Unique keys for NaN: each fetched NaN is its own float object in Python, equal to nothing. */
let nanSerial = 0;

/** A key equal exactly when Python's == holds between the two values (and their hashes agree). */
export function cellKey(value: Cell, letter: Letter = typeLetterOf(value)): string {
  if (value === null || letter === 'n') return 'N';
  if (typeof value === 'object') return `B:${value.size}:${value.blob}`;
  if (letter === 't') return `T:${String(value)}`;
  if (letter === 'b') return `B:${String(value)}`;
  if (typeof value === 'string') {
    // INTEGERs beyond 2^53 arrive as exact decimal strings; non-finite REALs as words
    if (value === 'NaN') return `NaN:${nanSerial++}`;
    if (value === 'Infinity') return 'R:inf';
    if (value === '-Infinity') return 'R:-inf';
    if (letter === 'i' && /^-?\d+$/.test(value)) return `I:${BigInt(value)}`;
    return `T:${value}`;
  }
  if (Number.isNaN(value)) return `NaN:${nanSerial++}`;
  if (!Number.isFinite(value)) return value > 0 ? 'R:inf' : 'R:-inf';
  // an integral REAL equals the INTEGER of that value (1.0 == 1), exactly, as Python compares int and float
  if (Number.isInteger(value)) return `I:${BigInt(value)}`;
  return `R:${value}`;
}

const rowKeys = (result: QueryResult) =>
  result.rows.map((row, r) => JSON.stringify(row.map((v, c) => cellKey(v, letterOf(result, r, c)))));

/** Storage classes of a row, to tell an exact match from an equal-but-retyped one. */
const rowLetters = (result: QueryResult, r: number) => result.rows[r]!.map((_, c) => letterOf(result, r, c)).join('');

function markCells(gold: QueryResult, g: number, pred: QueryResult, p: number, permutation: number[] | null = null): CellMark[] | null {
  const goldRow = gold.rows[g]!;
  const predRow = pred.rows[p]!;
  if (goldRow.length !== predRow.length) return null;
  return goldRow.map((gv, c) => {
    const pc = permutation ? permutation.indexOf(c) : c;
    const pv = predRow[pc] ?? null;
    const gl = letterOf(gold, g, c);
    const pl = letterOf(pred, p, pc);
    const equal = cellKey(gv, gl) === cellKey(pv, pl);
    if (equal) return gl === pl ? 'same' : 'typeEqual';
    return formatCell(gv, gl) === formatCell(pv, pl) || String(gv) === String(pv) ? 'typeDiffers' : 'differs';
  });
}

/**
 * Pairs equal rows regardless of order (a bag match): exact storage classes first, so that (1) pairs with (1) and
 * (1.0) with (1.0) before any retyped pair is made. Returns each side's partner, or -1.
 */
function bagMatch(gold: QueryResult, goldKeys: string[], pred: QueryResult, predKeys: string[]) {
  const goldPartner = new Array<number>(goldKeys.length).fill(-1);
  const predPartner = new Array<number>(predKeys.length).fill(-1);
  for (const strict of [true, false]) {
    const open = new Map<string, number[]>();
    goldKeys.forEach((key, g) => {
      if (goldPartner[g] !== -1) return;
      const k = strict ? `${key}|${rowLetters(gold, g)}` : key;
      const list = open.get(k);
      if (list) list.push(g);
      else open.set(k, [g]);
    });
    predKeys.forEach((key, p) => {
      if (predPartner[p] !== -1) return;
      const k = strict ? `${key}|${rowLetters(pred, p)}` : key;
      const g = open.get(k)?.shift();
      if (g !== undefined) {
        goldPartner[g] = p;
        predPartner[p] = g;
      }
    });
  }
  return { goldPartner, predPartner };
}

/** How many cells of two rows are equal, for pairing unmatched rows that are most alike. */
function likeness(goldKey: string[], predKey: string[]): number {
  let n = 0;
  for (let c = 0; c < goldKey.length; c++) if (goldKey[c] === predKey[c]) n++;
  return n;
}

/** Beyond this many unmatched pairs, counterparts are paired in order rather than by likeness. */
const MAX_LIKENESS_PAIRS = 40_000;

/**
 * Gives each unmatched gold row (missing) a counterpart among the unmatched predicted rows (extra), the most alike
 * first, so the cells that differ can be shown (e.g. one wrong column in every row).
 */
function pairCounterparts(gold: QueryResult, pred: QueryResult, missing: number[], extra: number[]): [number, number][] {
  const pairs: [number, number][] = [];
  if (missing.length === 0 || extra.length === 0) return pairs;
  if (missing.length * extra.length > MAX_LIKENESS_PAIRS) {
    for (let k = 0; k < Math.min(missing.length, extra.length); k++) pairs.push([missing[k]!, extra[k]!]);
    return pairs;
  }
  const split = (result: QueryResult, r: number) => result.rows[r]!.map((v, c) => cellKey(v, letterOf(result, r, c)));
  const goldCells = new Map(missing.map((g) => [g, split(gold, g)]));
  const predCells = new Map(extra.map((p) => [p, split(pred, p)]));
  const taken = new Set<number>();
  for (const g of missing) {
    let best = -1;
    let bestScore = -1;
    for (const p of extra) {
      if (taken.has(p)) continue;
      const score = likeness(goldCells.get(g)!, predCells.get(p)!);
      if (score > bestScore) {
        best = p;
        bestScore = score;
      }
    }
    if (best === -1) break;
    taken.add(best);
    pairs.push([g, best]);
  }
  return pairs;
}

/** Permutations of 0..n-1, identity first. */
function* permutations(n: number): Generator<number[]> {
  const a = [...Array(n).keys()];
  yield [...a];
  const c = new Array<number>(n).fill(0);
  let i = 0;
  while (i < n) {
    if (c[i]! < i) {
      const j = i % 2 === 0 ? 0 : c[i]!;
      [a[j], a[i]] = [a[i]!, a[j]!];
      yield [...a];
      c[i]!++;
      i = 0;
    } else {
      c[i] = 0;
      i++;
    }
  }
}

const MAX_PERMUTED_COLUMNS = 6;

/** A reordering of the predicted columns under which the rows match as bags (Spider ignores column order). */
function findColumnPermutation(goldKeys: string[][], predKeys: string[][], width: number): number[] | null {
  if (width < 2 || width > MAX_PERMUTED_COLUMNS || goldKeys.length !== predKeys.length) return null;
  const count = (rows: string[][]) => {
    const m = new Map<string, number>();
    for (const row of rows) {
      const k = JSON.stringify(row);
      m.set(k, (m.get(k) ?? 0) + 1);
    }
    return m;
  };
  const goldCount = count(goldKeys);
  let first = true;
  for (const perm of permutations(width)) {
    if (first) {
      first = false; // the identity was tried by the plain comparison
      continue;
    }
    // predicted column i holds gold column perm[i]
    const reordered = predKeys.map((row) => {
      const out = new Array<string>(width);
      row.forEach((k, i) => (out[perm[i]!] = k));
      return out;
    });
    const predCount = count(reordered);
    if (predCount.size === goldCount.size && [...goldCount].every(([k, n]) => predCount.get(k) === n)) return perm;
  }
  return null;
}

export function diffResults(gold: QueryResult, pred: QueryResult, orderMatters: boolean): ResultDiff {
  const goldKeys = rowKeys(gold);
  const predKeys = rowKeys(pred);
  const sameColumnCount = gold.columns.length === pred.columns.length;
  const { goldPartner, predPartner } = bagMatch(gold, goldKeys, pred, predKeys);

  const goldDiff: RowDiff[] = goldKeys.map(() => ({ status: 'missing', partner: -1, cells: null }));
  const predDiff: RowDiff[] = predKeys.map(() => ({ status: 'extra', partner: -1, cells: null }));

  let equalAsList = goldKeys.length === predKeys.length && sameColumnCount;
  if (orderMatters) {
    for (let i = 0; i < Math.max(goldKeys.length, predKeys.length); i++) {
      const same = i < goldKeys.length && i < predKeys.length && goldKeys[i] === predKeys[i];
      if (!same) equalAsList = false;
      if (same) {
        const cells = markCells(gold, i, pred, i);
        goldDiff[i] = { status: 'match', partner: i, cells };
        predDiff[i] = { status: 'match', partner: i, cells };
        continue;
      }
      if (i < goldKeys.length && goldPartner[i] !== -1) goldDiff[i] = { status: 'moved', partner: goldPartner[i]!, cells: null };
      if (i < predKeys.length && predPartner[i] !== -1) predDiff[i] = { status: 'moved', partner: predPartner[i]!, cells: null };
      // a wrong row in the place of a gold row: show which of its cells differ
      if (i < goldKeys.length && i < predKeys.length && goldDiff[i]!.status === 'missing' && predDiff[i]!.status === 'extra') {
        const cells = markCells(gold, i, pred, i);
        if (cells) {
          goldDiff[i] = { status: 'missing', partner: i, cells };
          predDiff[i] = { status: 'extra', partner: i, cells };
        }
      }
    }
  } else {
    goldPartner.forEach((p, g) => {
      if (p === -1) return;
      const cells = markCells(gold, g, pred, p);
      goldDiff[g] = { status: 'match', partner: p, cells };
      predDiff[p] = { status: 'match', partner: g, cells };
      if (g !== p) equalAsList = false;
    });
  }

  const missing = goldDiff.flatMap((d, g) => (d.status === 'missing' && d.partner === -1 ? [g] : []));
  const extra = predDiff.flatMap((d, p) => (d.status === 'extra' && d.partner === -1 ? [p] : []));
  if (sameColumnCount) {
    for (const [g, p] of pairCounterparts(gold, pred, missing, extra)) {
      const cells = markCells(gold, g, pred, p);
      goldDiff[g] = { status: 'missing', partner: p, cells };
      predDiff[p] = { status: 'extra', partner: g, cells };
    }
  }

  const equalAsBag = sameColumnCount && goldKeys.length === predKeys.length && goldPartner.every((p) => p !== -1);
  if (!equalAsBag) equalAsList = false;
  const goldSet = new Set(goldKeys);
  const predSet = new Set(predKeys);
  const equalAsSet = sameColumnCount && goldSet.size === predSet.size && [...goldSet].every((k) => predSet.has(k));

  let columnPermutation: number[] | null = null;
  if (!equalAsBag && sameColumnCount && gold.columns.length > 1) {
    const split = (result: QueryResult) => result.rows.map((row, r) => row.map((v, c) => cellKey(v, letterOf(result, r, c))));
    columnPermutation = findColumnPermutation(split(gold), split(pred), gold.columns.length);
    // every cell of a reordered column would read as different: leave the rows marked, the cells alone
    if (columnPermutation) for (const d of [...goldDiff, ...predDiff]) if (d.status !== 'match') d.cells = null;
  }

  const counts = { matched: 0, missing: 0, extra: 0, moved: 0, typeEqualCells: 0, typeDiffersCells: 0 };
  for (const d of goldDiff) {
    if (d.status === 'match') counts.matched++;
    else if (d.status === 'missing') counts.missing++;
    else if (d.status === 'moved') counts.moved++;
    for (const mark of d.cells ?? []) {
      if (mark === 'typeEqual') counts.typeEqualCells++;
      if (mark === 'typeDiffers') counts.typeDiffersCells++;
    }
  }
  counts.extra = predDiff.filter((d) => d.status === 'extra').length;

  const diff: ResultDiff = {
    gold: goldDiff,
    pred: predDiff,
    orderMatters,
    sameColumnCount,
    equalAsList,
    equalAsBag,
    equalAsSet,
    columnPermutation,
    counts,
    notes: [],
  };
  diff.notes = notesOf(diff, gold, pred);
  return diff;
}

const rowsText = (n: number) => `${n.toLocaleString('en-US')} ${n === 1 ? 'row' : 'rows'}`;

/** What a person should know about the comparison, in sentences. */
function notesOf(diff: ResultDiff, gold: QueryResult, pred: QueryResult): string[] {
  const notes: string[] = [];
  const { counts } = diff;
  if (gold.rows.length === 0 && pred.rows.length === 0) notes.push('Both results are empty, which every execution metric counts as equal.');
  if (!diff.sameColumnCount) {
    notes.push(`The gold result has ${gold.columns.length} columns, the predicted one ${pred.columns.length}: no row can match.`);
  }
  if (diff.orderMatters) {
    if (diff.equalAsBag && !diff.equalAsList) {
      notes.push('Same rows in a different order. The gold query has ORDER BY, so Spider EX compares them as lists; BIRD EX ignores order.');
    }
  } else if (gold.rows.length + pred.rows.length > 0) {
    notes.push('Row order is ignored (the gold query has no ORDER BY): rows are compared as multisets, duplicates count.');
  }
  if (diff.equalAsSet && !diff.equalAsBag && diff.sameColumnCount) {
    notes.push('Equal as sets but not as multisets: some rows repeat a different number of times. BIRD EX compares sets and counts this as equal; Spider EX does not.');
  }
  if (diff.columnPermutation) {
    const names = diff.columnPermutation.map((g, p) => `${pred.columns[p]?.name ?? p + 1} → ${gold.columns[g]?.name ?? g + 1}`);
    notes.push(`The rows match with the predicted columns reordered (${names.join(', ')}). Spider EX ignores column order; BIRD EX does not.`);
  }
  const n = (count: number) => count.toLocaleString('en-US');
  if (counts.typeEqualCells > 0) {
    const one = counts.typeEqualCells === 1;
    notes.push(
      `${n(counts.typeEqualCells)} ${one ? 'cell holds an equal number' : 'cells hold equal numbers'} of another storage class ` +
        "(INTEGER vs REAL, e.g. 1 vs 1.0). Python's == treats them as equal, but Spider's quick-reject, which sorts each row's " +
        'values by str(value) + type, can still tell them apart in rows of several columns.',
    );
  }
  if (counts.typeDiffersCells > 0) {
    const one = counts.typeDiffersCells === 1;
    notes.push(
      `${n(counts.typeDiffersCells)} ${one ? 'cell reads the same but differs' : 'cells read the same but differ'} in storage class ` +
        "(e.g. TEXT '1' vs INTEGER 1), which no metric counts as equal.",
    );
  }
  for (const [side, result] of [['gold', gold], ['predicted', pred]] as const) {
    if (result.truncated) {
      notes.push(`The ${side} result was cut at ${rowsText(result.rows.length)} (${result.truncatedBy ?? 'row'} limit): the comparison covers the rows shown.`);
    }
  }
  return notes;
}

/** One line for the head of the comparison: "3 of 4 rows match · 1 missing · 2 extra". */
export function summaryLine(diff: ResultDiff, goldRows: number, predRows: number): string {
  if (diff.equalAsList || (diff.equalAsBag && !diff.orderMatters)) {
    return goldRows === 0 ? 'Both empty' : `All ${rowsText(goldRows)} match${diff.orderMatters ? ', in order' : ''}`;
  }
  if (diff.columnPermutation) return `All ${rowsText(goldRows)} match with the columns reordered`;
  const parts = [`${diff.counts.matched.toLocaleString('en-US')} of ${rowsText(goldRows)} match${diff.orderMatters ? ' in place' : ''}`];
  if (diff.counts.moved) parts.push(`${diff.counts.moved.toLocaleString('en-US')} moved`);
  if (diff.counts.missing) parts.push(`${diff.counts.missing.toLocaleString('en-US')} missing`);
  if (diff.counts.extra) parts.push(`${diff.counts.extra.toLocaleString('en-US')} extra`);
  parts.push(`predicted ${rowsText(predRows)}`);
  return parts.join(' · ');
}
