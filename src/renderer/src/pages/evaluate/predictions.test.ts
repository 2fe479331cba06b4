import { describe, expect, it } from 'vitest';
import { checkPredictions, predictionWarnings } from './predictions.ts';

describe('predictions file check', () => {
  it('counts lines, empty predictions and evidence, and finds nothing wrong in a good file', () => {
    const text = [
      '{"id": "0", "db_id": "concert_singer", "gold": "SELECT 1", "pred": "SELECT 1"}',
      '',
      '{"id": 1, "db_id": "concert_singer", "gold": "SELECT 1", "pred": "  ", "evidence": "x"}',
    ].join('\r\n');
    const check = checkPredictions(text);
    expect(check).toMatchObject({ lines: 2, notJsonCount: 0, emptyPredictions: 1, withEvidence: 1, missing: {} });
    expect(predictionWarnings(check)).toEqual([]);
  });

  it('names the lines that are not JSON objects and the missing fields', () => {
    const lines = ['SELECT 1\tdb', '[1]', '{"id": "1", "db_id": "d", "pred": "x"}', ...Array.from({ length: 6 }, () => 'nope')];
    const check = checkPredictions(lines.join('\n'));
    expect(check.notJsonCount).toBe(8);
    expect(check.notJson).toEqual([1, 2, 4, 5, 6]);
    expect(check.missing).toEqual({ gold: 1 });
    expect(predictionWarnings(check)).toEqual(['8 lines are not a JSON object (line 1, 2, 4, 5, 6, …).', '1 line lacks "gold".']);
  });

  it('warns about an empty file', () => {
    expect(predictionWarnings(checkPredictions('\n\n'))).toEqual(['The file has no lines.']);
  });
});
