import { describe, expect, it } from 'vitest';
import type { EvalRun } from '../../../../shared/contract/index.ts';
import { EMPTY_FILTER, describeFilter, filterKey, isFilterActive, parseFilterState, reasonOptions, toEvalFilter, withMetric } from './filters.ts';

const RUN: Pick<EvalRun, 'summary' | 'metrics'> = {
  metrics: ['spider_exec', 'bird_ex'],
  summary: {
    spider_exec: { score: 50, count: 8, byGroup: { hard: { score: 0, count: 1 }, easy: { score: 100, count: 2 } }, reasons: { match: 4, pred_error: 2, rows_differ: 2 } },
    bird_ex: { score: 75, count: 8, byGroup: { easy: { score: 100, count: 2 } }, reasons: { match: 6, empty_prediction: 2 } },
  },
};

describe('examples filter', () => {
  it('sends nothing when nothing filters', () => {
    expect(toEvalFilter(EMPTY_FILTER, 'spider_exec')).toBeUndefined();
    expect(toEvalFilter({ ...EMPTY_FILTER, search: '   ' }, 'spider_exec')).toBeUndefined();
    expect(isFilterActive(EMPTY_FILTER)).toBe(false);
  });

  it('names the metric with wrong-only and reasons, the main one by default', () => {
    expect(toEvalFilter({ ...EMPTY_FILTER, wrongOnly: true }, 'spider_exec')).toEqual({ wrongOnly: true, metric: 'spider_exec' });
    expect(toEvalFilter({ ...EMPTY_FILTER, wrongOnly: true, metric: 'bird_ex' }, 'spider_exec')).toEqual({ wrongOnly: true, metric: 'bird_ex' });
    expect(toEvalFilter({ ...EMPTY_FILTER, reason: 'pred_error' }, 'spider_exec')).toEqual({ reason: 'pred_error', metric: 'spider_exec' });
    // a metric alone filters nothing, so it is not sent
    expect(toEvalFilter({ ...EMPTY_FILTER, metric: 'bird_ex' }, 'spider_exec')).toBeUndefined();
  });

  it('passes disagreement, group and a trimmed search', () => {
    expect(toEvalFilter({ ...EMPTY_FILTER, disagree: true, group: 'hard', search: ' singer ' }, 'spider_exec')).toEqual({
      disagree: true,
      group: 'hard',
      search: 'singer',
    });
    expect(isFilterActive({ ...EMPTY_FILTER, group: 'hard' })).toBe(true);
  });

  it('offers the reasons of the chosen metric, most frequent first', () => {
    expect(reasonOptions(RUN, '')).toEqual([
      { code: 'match', count: 4 },
      { code: 'pred_error', count: 2 },
      { code: 'rows_differ', count: 2 },
    ]);
    expect(reasonOptions(RUN, 'bird_ex').map((r) => r.code)).toEqual(['match', 'empty_prediction']);
    expect(reasonOptions(RUN, 'soft_f1')).toEqual([]);
  });

  it('drops a reason the newly chosen metric never gave', () => {
    const state = { ...EMPTY_FILTER, reason: 'pred_error' };
    expect(withMetric(state, 'bird_ex', RUN).reason).toBe('');
    expect(withMetric({ ...EMPTY_FILTER, reason: 'match' }, 'bird_ex', RUN).reason).toBe('match');
  });

  it('says what filters in words', () => {
    expect(describeFilter({ ...EMPTY_FILTER, wrongOnly: true, group: 'hard' }, 'spider_exec')).toBe('wrong on Spider EX · group hard');
    expect(describeFilter(EMPTY_FILTER, 'spider_exec')).toBe('');
  });

  it('reads a remembered filter defensively', () => {
    expect(parseFilterState(null)).toEqual(EMPTY_FILTER);
    expect(parseFilterState('not json')).toEqual(EMPTY_FILTER);
    expect(parseFilterState('{"wrongOnly": true, "metric": "nope", "search": 3}')).toEqual({ ...EMPTY_FILTER, wrongOnly: true });
    const state = { ...EMPTY_FILTER, metric: 'bird_ex' as const, reason: 'x', disagree: true };
    expect(parseFilterState(JSON.stringify(state))).toEqual(state);
  });

  it('keys a filter the same whatever the order of its fields', () => {
    expect(filterKey({ group: 'hard', wrongOnly: true })).toBe(filterKey({ wrongOnly: true, group: 'hard' }));
    expect(filterKey(undefined)).toBe('{}');
  });
});
