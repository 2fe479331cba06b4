/**
 * Soft-F1 as BIRD mini-dev's evaluation_f1.py computes it (the code, not its README): rows deduplicated keeping
 * first occurrences, the i-th predicted row paired with the i-th gold row, cell membership by Python equality
 * (NULL counts as a value), each count divided by the gold row's width.
 */
import type { Reason } from '../../shared/contract/index.ts';
import { pyEq, rowKey, type PyRow } from './values.ts';

function dedupe(rows: PyRow[]): PyRow[] {
  const seen = new Set<string>();
  return rows.filter((row) => {
    const k = rowKey(row);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

const contains = (row: PyRow, value: PyRow[number]) => row.some((v) => pyEq(v, value));

export function softF1(goldRows: PyRow[], predRows: PyRow[]): { score: number; reason: Reason } {
  if (goldRows.length === 0 && predRows.length === 0) {
    return { score: 1, reason: { code: 'both_empty', detail: 'Both results are empty' } };
  }
  const gold = dedupe(goldRows);
  const pred = dedupe(predRows);
  let tp = 0;
  let fp = 0;
  let fn = 0;
  gold.forEach((goldRow, i) => {
    const predRow = pred[i];
    if (!predRow) {
      fn += 1; // a gold row with no predicted row beside it
      return;
    }
    const width = goldRow.length;
    let matched = 0;
    let predOnly = 0;
    for (const v of predRow) {
      if (contains(goldRow, v)) matched++;
      else predOnly++;
    }
    const goldOnly = goldRow.filter((v) => !contains(predRow, v)).length;
    tp += matched / width;
    fp += predOnly / width;
    fn += goldOnly / width;
  });
  fp += Math.max(0, pred.length - gold.length);
  const precision = tp + fp > 0 ? tp / (tp + fp) : 0;
  const recall = tp + fn > 0 ? tp / (tp + fn) : 0;
  const score = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  const detail = `precision ${precision.toFixed(3)}, recall ${recall.toFixed(3)} over ${gold.length} gold and ${pred.length} predicted distinct rows, paired by position`;
  return { score, reason: { code: score === 1 ? 'exact' : score === 0 ? 'no_overlap' : 'partial', detail } };
}
