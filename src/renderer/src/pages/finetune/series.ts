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

