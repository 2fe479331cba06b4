/**
 * Names, defaults and display rules of the Evaluate page (pure: no React, no DOM). The scores themselves come from
 * the backend; this module only says how to read them.
 */
import { BENCHES, METRICS, type EvalRun, type MetricName } from '../../../../shared/contract/index.ts';

export type Bench = (typeof BENCHES)[number];
export type RunStatus = EvalRun['status'];

export const BENCH_LABEL: Record<Bench, string> = { spider: 'Spider', bird: 'BIRD', jsonl: 'JSON lines' };

export const METRIC_LABEL: Record<MetricName, string> = {
  spider_exec: 'Spider EX',
  bird_ex: 'BIRD EX',
  soft_f1: 'Soft-F1',
  ves: 'VES',
  rves: 'R-VES',
  schema_linking: 'Schema linking',
};

/** One line per metric: what the official program it reproduces measures. */
export const METRIC_HELP: Record<MetricName, string> = {
  spider_exec:
    'Execution accuracy of test-suite-sql-eval (--etype exec): results compared as bags, order only when the gold has ' +
    'ORDER BY, column order ignored, on every database of the folder.',
  bird_ex: 'Execution accuracy of bird-bench evaluation.py: set(pred rows) == set(gold rows), column order matters.',
  soft_f1: 'Soft-F1 of the BIRD mini-dev (evaluation_f1.py): row-paired cell overlap between the results.',
  ves: 'Valid Efficiency Score of BIRD: sqrt(gold time / pred time) over 100 timed runs, for correct items.',
  rves: 'Reward-based VES of the BIRD mini-dev: a reward by time ratio (0.25 … 1.25), for correct items.',
  schema_linking: 'Tables and columns the prediction references against those of the gold SQL (precision, recall, exact set).',
};

/** Verdicts 0/1 per example; the other metrics give a number per example. */
export const ACCURACY_METRICS: ReadonlySet<MetricName> = new Set(['spider_exec', 'bird_ex']);

/** The metrics a new run of each benchmark starts with; VES, R-VES and schema linking are opt-in (slow or extra). */
export const DEFAULT_METRICS: Record<Bench, MetricName[]> = {
  spider: ['spider_exec', 'bird_ex', 'soft_f1'],
  bird: ['bird_ex', 'soft_f1'],
  jsonl: ['spider_exec', 'bird_ex', 'soft_f1'],
};

export const isMetric = (name: string): name is MetricName => (METRICS as readonly string[]).includes(name);

/** Spider hardness, then BIRD difficulty; anything else after them, alphabetically. */
const GROUP_ORDER = ['easy', 'medium', 'hard', 'extra', 'simple', 'moderate', 'challenging'];

export function compareGroups(a: string, b: string): number {
  const ia = GROUP_ORDER.indexOf(a.toLowerCase());
  const ib = GROUP_ORDER.indexOf(b.toLowerCase());
  if (ia !== ib) return (ia === -1 ? GROUP_ORDER.length : ia) - (ib === -1 ? GROUP_ORDER.length : ib);
  return a.localeCompare(b);
}

/** Every group any metric of the run reports, in reading order. */
export function runGroups(run: Pick<EvalRun, 'summary'>): string[] {
  const groups = new Set<string>();
  for (const summary of Object.values(run.summary)) for (const g of Object.keys(summary.byGroup)) groups.add(g);
  return [...groups].sort(compareGroups);
}

/** The metrics of a run in the order it lists them; the first one is the run's main metric. */
export const runMetrics = (run: Pick<EvalRun, 'metrics'>): MetricName[] => run.metrics;
export const mainMetric = (run: Pick<EvalRun, 'metrics'>): MetricName | undefined => run.metrics[0];

/**
 * A run's score on a metric: a percentage for the accuracy-like metrics ("62.5%"), a plain number for VES and
 * R-VES, which the official programs report on their own scale (100 = as fast as the gold; above is faster).
 */
export function formatScore(metric: MetricName, score: number): string {
  if (!Number.isFinite(score)) return '—';
  return REWARD_METRICS.has(metric) ? score.toFixed(2) : formatPercent(score);
}

/** A difference of two run scores: percentage points, or plain points for VES and R-VES. */
export function formatScoreDelta(metric: MetricName, a: number, b: number): string {
  const text = formatDelta(a, b);
  return REWARD_METRICS.has(metric) ? text.replace(' pp', '') : text;
}

/** "62.5%" — a summary score (already in percent). */
export function formatPercent(score: number): string {
  if (!Number.isFinite(score)) return '—';
  return `${score.toFixed(1)}%`;
}

/** How one example fared on one metric. */
export type Verdict = 'right' | 'wrong' | 'partial' | 'none';

/** Metrics whose per-example number is an efficiency reward (0 when wrong), not a share of 1. */
const REWARD_METRICS: ReadonlySet<MetricName> = new Set(['ves', 'rves']);

export function verdictOf(score: number | null | undefined, metric?: MetricName): Verdict {
  if (score === null || score === undefined || Number.isNaN(score)) return 'none';
  if (score <= 0) return 'wrong';
  if (score >= 1 || (metric && REWARD_METRICS.has(metric))) return 'right';
  return 'partial';
}

/** The text of a verdict chip: ✓/✗ for 0/1 metrics, the number for the graded ones, — when not scored. */
export function formatExampleScore(metric: MetricName, score: number | null | undefined): string {
  if (score === null || score === undefined || Number.isNaN(score)) return '—';
  if (ACCURACY_METRICS.has(metric)) return score >= 1 ? '✓' : '✗';
  if (REWARD_METRICS.has(metric)) return String(Math.round(score * 10) / 10);
  return trimNumber(score);
}

/** At most three decimals, no trailing zeros: 0.667, 1, 0.5. */
export function trimNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  return String(Math.round(x * 1000) / 1000);
}

export const STATUS_LABEL: Record<RunStatus, string> = {
  running: 'running',
  done: 'done',
  failed: 'failed',
  cancelled: 'cancelled',
};

/** Fraction done, 0..1 (0 when the total is not known yet). */
export const progressOf = (run: Pick<EvalRun, 'done' | 'total'>) => (run.total > 0 ? Math.min(1, run.done / run.total) : 0);

/** How long a run has taken: its recorded time, or the time since it started while it runs. */
export function elapsedMsOf(run: Pick<EvalRun, 'elapsedMs' | 'createdAt' | 'status'>, now = Date.now()): number | null {
  if (run.elapsedMs !== null) return run.elapsedMs;
  if (run.status !== 'running') return null;
  const started = Date.parse(run.createdAt);
  return Number.isNaN(started) ? null : Math.max(0, now - started);
}

/** A sha256 (or any long hash) shortened for reading; the full value goes in the title and the copy button. */
export const shortHash = (hash: string, length = 12) => (hash.length > length + 1 ? `${hash.slice(0, length)}…` : hash);

/** The last part of a path, for tables of files ("…/database/concert_singer/concert_singer.sqlite"). */
export function baseName(path: string): string {
  const parts = path.split(/[\\/]/).filter(Boolean);
  return parts.at(-1) ?? path;
}

/** Reason counts of a metric's summary, most frequent first (ties by code). */
export function sortedReasons(reasons: Record<string, number>): { code: string; count: number }[] {
  return Object.entries(reasons)
    .map(([code, count]) => ({ code, count }))
    .sort((a, b) => b.count - a.count || a.code.localeCompare(b.code));
}

/** The metrics that both runs have, in the order of the first; what `eval.compare` can compare. */
export function commonMetrics(a: Pick<EvalRun, 'metrics'>, b: Pick<EvalRun, 'metrics'>): MetricName[] {
  return a.metrics.filter((m) => b.metrics.includes(m));
}

/** "+4.2 pp", "−1.0 pp", "±0.0 pp": a difference of two percentages, in percentage points. */
export function formatDelta(a: number, b: number): string {
  const d = Math.round((b - a) * 10) / 10;
  if (d === 0) return '±0.0 pp';
  return `${d > 0 ? '+' : '−'}${Math.abs(d).toFixed(1)} pp`;
}
