import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { align, compact, type Line } from './series.ts';

export type { Line };

const HEIGHT = 180;

/**
 * One uPlot chart of step -> value. The instance is made once per set of lines and fed new data as points arrive,
 * so live updates do not rebuild it; its width follows the container.
 */
export function Chart({ title, lines, format, testId }: { title: string; lines: Line[]; format?: (v: number) => string; testId?: string }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = lines.map((l) => `${l.label}|${l.color}`).join('\n');
  const data = align(lines);
  const latest = useRef(data);
  latest.current = data;
  const fmt = useRef(format);
  fmt.current = format;

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const value = (v: number | null) => (v == null ? '–' : fmt.current ? fmt.current(v) : compact(v));
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height: HEIGHT,
      legend: { show: true },
      cursor: { drag: { x: true, y: false } },
      scales: { x: { time: false } },
      axes: [
        { label: 'step', stroke: 'currentColor', grid: { stroke: 'rgba(128,128,128,0.15)' } },
        { stroke: 'currentColor', grid: { stroke: 'rgba(128,128,128,0.15)' }, size: 60, values: (_u, splits) => splits.map((v) => value(v)) },
      ],
      series: [
        { label: 'step' },
        ...lines.map((l) => ({ label: l.label, stroke: l.color, width: 1.5, spanGaps: true, points: { show: true, size: 3 }, value: (_u: uPlot, v: number | null) => value(v) })),
      ],
    };
    const u = new uPlot(opts, latest.current, el);
    plot.current = u;
    const resize = new ResizeObserver(() => u.setSize({ width: Math.max(200, el.clientWidth), height: HEIGHT }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = null;
    };
    // rebuilt only when the set of lines changes; data flows in through setData below
  }, [shape]);

  useEffect(() => {
    plot.current?.setData(data);
  });

  const count = lines[0]?.points.length ?? 0;
  // every line's point count by its label (data-points is the first line's): what the chart was given to draw,
  // for checks that a series the run recorded is on it
  const perLine = JSON.stringify(Object.fromEntries(lines.map((l) => [l.label, l.points.length])));
  return (
    <figure className="ft-chart" data-testid={testId} data-points={count} data-line-points={perLine}>
      <figcaption>{title}</figcaption>
      {lines.every((l) => l.points.length === 0) && <div className="ft-chart-empty muted small">no points yet</div>}
      <div ref={box} className="ft-chart-plot" />
    </figure>
  );
}
