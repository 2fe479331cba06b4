/** Pure helpers of the dashboard's curves: merging live points into a run's series, and aligning lines for uPlot. */
import type { Output, Payload } from '../../../../shared/contract/index.ts';

export type Series = Output<'train.metrics'>;

export interface Line {
  label: string;
  color: string;
  /** [x, y] points */
  points: [number, number][];
}

/** Adds a train.progress point to a run's series; a re-done step (after a resume) replaces what followed it. */
export function mergeProgress(old: Series, p: Payload<'train.progress'>): Series {
  let { metrics, evals } = old;
  if (p.metric) {
    const m = p.metric;
    metrics = [...metrics.filter((x) => x.step < m.step), m];
  }
  if (p.eval) {
    const e = p.eval;
    evals = [...evals.filter((x) => x.step !== e.step), e].sort((a, b) => a.step - b.step);
  }
  return metrics === old.metrics && evals === old.evals ? old : { metrics, evals };
}

/** Points of several lines on one shared x axis (uPlot wants aligned columns; a line without a point at x gets null). */
export function align(lines: readonly Line[]): [number[], ...(number | null)[][]] {
  const xs = [...new Set(lines.flatMap((l) => l.points.map((p) => p[0])))].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const ys = lines.map((l) => {
    const col: (number | null)[] = new Array<number | null>(xs.length).fill(null);
    for (const [x, y] of l.points) col[index.get(x)!] = y;
    return col;
  });
  return [xs, ...ys];
}


/** A method's own series (TrainMethodInfo.curves), as the dashboard draws them. */
export type Curve = { key: string; label: string; chart: string };

/** The method's curves, one chart per distinct `chart` name in their first order, each with its series. */
export function chartsOf(curves: readonly Curve[]): { chart: string; curves: Curve[] }[] {
  const out: { chart: string; curves: Curve[] }[] = [];
  for (const c of curves) {
    const at = out.find((x) => x.chart === c.chart);
    if (at) at.curves.push(c);
    else out.push({ chart: c.chart, curves: [c] });
  }
  return out;
}

/** The points of one of the method's series: the steps whose metric carries it (TrainMetric.extra[key]). */
export function extraPoints(series: Series, key: string): [number, number][] {
  return series.metrics.flatMap((m) => {
    const v = m.extra?.[key];
    return typeof v === 'number' && Number.isFinite(v) ? [[m.step, v] as [number, number]] : [];
  });
}

/** Dev execution accuracy (%) per evaluation: greedy, or with the vote strategy where the evaluation scored it. */
export function devExPoints(series: Series, kind: 'greedy' | 'vote'): [number, number][] {
  if (kind === 'greedy') return series.evals.map((e) => [e.step, e.devEx * 100]);
  return series.evals.flatMap((e) => (e.vote ? [[e.step, e.vote.devEx * 100] as [number, number]] : []));
}

/** An axis or legend value: 4 significant digits; tiny ones (a KL of 2e-5) in exponent form, which the axis' width holds. */
export const compact = (v: number) => (v !== 0 && Math.abs(v) < 1e-3 ? v.toExponential(1) : String(+v.toPrecision(4)));
