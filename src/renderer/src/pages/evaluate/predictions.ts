/**
 * A first look at a predictions file before it is sent: how many examples, and whether the lines are the JSON
 * objects the backend expects. The backend validates for real; this only warns early. Pure.
 */

/** The fields of one predictions line; `evidence` only for BIRD. */
export const PREDICTION_FIELDS = ['id', 'db_id', 'gold', 'pred'] as const;

export interface PredictionsCheck {
  /** non-blank lines */
  lines: number;
  /** 1-based numbers of lines that are not JSON objects (the first few) */
  notJson: number[];
  notJsonCount: number;
  /** per expected field, how many JSON lines lack it */
  missing: Partial<Record<(typeof PREDICTION_FIELDS)[number], number>>;
  /** lines whose `pred` is blank (scored as wrong, or as right against an empty gold result under BIRD EX) */
  emptyPredictions: number;
  /** how many lines carry `evidence` */
  withEvidence: number;
}

const SHOWN_LINE_NUMBERS = 5;

export function checkPredictions(content: string): PredictionsCheck {
  const check: PredictionsCheck = { lines: 0, notJson: [], notJsonCount: 0, missing: {}, emptyPredictions: 0, withEvidence: 0 };
  const lines = content.split(/\r?\n/);
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    check.lines++;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      value = undefined;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      check.notJsonCount++;
      if (check.notJson.length < SHOWN_LINE_NUMBERS) check.notJson.push(i + 1);
      return;
    }
    const record = value as Record<string, unknown>;
    for (const field of PREDICTION_FIELDS) {
      if (!(field in record)) check.missing[field] = (check.missing[field] ?? 0) + 1;
    }
    if (typeof record.pred === 'string' && record.pred.trim() === '') check.emptyPredictions++;
    if (typeof record.evidence === 'string') check.withEvidence++;
  });
  return check;
}

/** Warnings about a checked file, in sentences; empty when it looks right. */
export function predictionWarnings(check: PredictionsCheck): string[] {
  const warnings: string[] = [];
  if (check.lines === 0) warnings.push('The file has no lines.');
  if (check.notJsonCount > 0) {
    const more = check.notJsonCount > check.notJson.length ? ', …' : '';
    warnings.push(
      `${check.notJsonCount} ${check.notJsonCount === 1 ? 'line is' : 'lines are'} not a JSON object (line ${check.notJson.join(', ')}${more}).`,
    );
  }
  for (const field of PREDICTION_FIELDS) {
    const n = check.missing[field];
    if (n) warnings.push(`${n} ${n === 1 ? 'line lacks' : 'lines lack'} "${field}".`);
  }
  return warnings;
}
