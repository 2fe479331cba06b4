/**
 * The examples filter of a run: what the user chose (FilterState), what `eval.examples` receives (EvalFilter), the
 * choices offered (reasons and groups from the run's summary) and a line that says it. Pure.
 */
import type { z } from 'zod';
import type { EvalFilterSchema, EvalRun, MetricName } from '../../../../shared/contract/index.ts';
import { METRIC_LABEL, isMetric, mainMetric, runGroups, sortedReasons } from './model.ts';

export type EvalFilter = z.input<typeof EvalFilterSchema>;

export interface FilterState {
  wrongOnly: boolean;
  /** the metric that "wrong" and the reason refer to; '' means the run's main metric */
  metric: MetricName | '';
  reason: string;
  disagree: boolean;
  group: string;
  search: string;
}

export const EMPTY_FILTER: FilterState = { wrongOnly: false, metric: '', reason: '', disagree: false, group: '', search: '' };

/** The longest search text the contract accepts. */
export const MAX_SEARCH = 500;

/**
 * The filter for `eval.examples`, or undefined when nothing filters. The metric travels only with what it
 * qualifies (wrong-only, a reason), and then always explicitly, so the backend never has to guess which one.
 */
export function toEvalFilter(state: FilterState, main: MetricName | undefined): EvalFilter | undefined {
  const filter: EvalFilter = {};
  const metric = state.metric || main;
  if (state.wrongOnly) filter.wrongOnly = true;
  if (state.reason) filter.reason = state.reason;
  if ((state.wrongOnly || state.reason) && metric) filter.metric = metric;
  if (state.disagree) filter.disagree = true;
  if (state.group) filter.group = state.group;
  const search = state.search.trim().slice(0, MAX_SEARCH);
  if (search) filter.search = search;
  return Object.keys(filter).length > 0 ? filter : undefined;
}

export const isFilterActive = (state: FilterState) => toEvalFilter(state, undefined) !== undefined;

/** A stable text of a filter, for cache keys and remembered positions. */
export const filterKey = (filter: EvalFilter | undefined) => JSON.stringify(filter ?? {}, Object.keys(filter ?? {}).sort());

/** The reasons the chosen metric gave in this run, most frequent first, as select options. */
export function reasonOptions(run: Pick<EvalRun, 'summary' | 'metrics'>, metric: MetricName | ''): { code: string; count: number }[] {
  const m = metric || mainMetric(run);
  const summary = m ? run.summary[m] : undefined;
  return summary ? sortedReasons(summary.reasons) : [];
}

/** The groups (hardness / difficulty) of the run, as select options. */
export const groupOptions = (run: Pick<EvalRun, 'summary'>) => runGroups(run);

/** "wrong on Spider EX · reason pred_error · group hard · “singer”", or '' without a filter. */
export function describeFilter(state: FilterState, main: MetricName | undefined): string {
  const metric = state.metric || main;
  const label = metric ? METRIC_LABEL[metric] : '';
  const parts: string[] = [];
  if (state.wrongOnly) parts.push(label ? `wrong on ${label}` : 'wrong');
  if (state.reason) parts.push(`${label ? `${label} ` : ''}reason ${state.reason}`);
  if (state.disagree) parts.push('metrics disagree');
  if (state.group) parts.push(`group ${state.group}`);
  if (state.search.trim()) parts.push(`“${state.search.trim()}”`);
  return parts.join(' · ');
}

/** A remembered filter read back defensively (sessionStorage may hold anything). */
export function parseFilterState(text: string | null): FilterState {
  if (!text) return EMPTY_FILTER;
  try {
    const raw = JSON.parse(text) as Record<string, unknown>;
    if (typeof raw !== 'object' || raw === null) return EMPTY_FILTER;
    return {
      wrongOnly: raw.wrongOnly === true,
      metric: typeof raw.metric === 'string' && isMetric(raw.metric) ? raw.metric : '',
      reason: typeof raw.reason === 'string' ? raw.reason.slice(0, 100) : '',
      disagree: raw.disagree === true,
      group: typeof raw.group === 'string' ? raw.group.slice(0, 40) : '',
      search: typeof raw.search === 'string' ? raw.search.slice(0, MAX_SEARCH) : '',
    };
  } catch {
    return EMPTY_FILTER;
  }
}

/**
 * Changing the metric keeps a reason only when that metric also gave it: reason codes are per metric, and a
 * select must not hold a value it does not offer.
 */
export function withMetric(state: FilterState, metric: MetricName | '', run: Pick<EvalRun, 'summary' | 'metrics'>): FilterState {
  const keepReason = state.reason !== '' && reasonOptions(run, metric).some((r) => r.code === state.reason);
  return { ...state, metric, reason: keepReason ? state.reason : '' };
}

/** Pages of a paged list: which page holds an offset, how many pages there are. */
export function pageCount(total: number, pageSize: number): number {
  return Math.max(1, Math.ceil(total / pageSize));
}
