import { useEffect, useMemo, useRef, useState } from 'react';
import { MAIN_ROLE, type Model, type StrategySettings, type TrainJob, type TrainMethodInfo, type TrainMetric } from '../../../../shared/contract/index.ts';
import { useConnection, useProcedure } from '../../api/hooks.ts';
import { navigate } from '../../app/router.ts';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { formatBytes } from '../../lib/format.ts';
import { loadChoice, saveChoice } from '../../lib/askChoice.ts';
import { useModels } from '../../lib/models.ts';
import { Chart, type Line } from './Chart.tsx';
import { JobActions, StateBadge } from '../../lib/jobs.tsx';
import { useSeries, useTrainMethods, type Series } from './hooks.ts';
import { RolloutBrowser } from './RolloutBrowser.tsx';
import { chartsOf, devExPoints, extraPoints } from './series.ts';

const COLORS = ['#3558d8', '#d9534f', '#1c8a4a', '#b7791f', '#8e44ad', '#16a0a0', '#c0398b', '#6b7280'];
const MIB = 1024 * 1024;

type MetricKey = Exclude<keyof TrainMetric, 'step' | 'at' | 'extra'>;
const CHARTS: { key: MetricKey; title: string; scale?: (v: number) => number; format?: (v: number) => string }[] = [
  { key: 'loss', title: 'Loss' },
  { key: 'lr', title: 'Learning rate', format: (v) => v.toExponential(1) },
  { key: 'gradNorm', title: 'Gradient norm' },
  { key: 'tokensPerS', title: 'Tokens / s', format: (v) => v.toFixed(0) },
  { key: 'rssBytes', title: 'Memory (MiB)', scale: (v) => v / MIB, format: (v) => v.toFixed(0) },
];

function lineOf(key: (typeof CHARTS)[number], series: Series, label: string, color: string): Line {
  const k = key.key;
  const scale = key.scale ?? ((v: number) => v);
  return { label, color, points: series.metrics.map((m) => [m.step, scale(m[k])]) };
}

/** One run: state and controls, live curves (with other runs overlaid), checkpoints and adapters, and the log. */
export function TrainingRunView({ job, jobs }: { job: TrainJob; jobs: TrainJob[] }) {
  const [overlay, setOverlay] = useState<string[]>([]);
  const ids = useMemo(() => [job.id, ...overlay.filter((id) => id !== job.id)], [job.id, overlay]);
  const series = useSeries(ids);
  const named = new Map(jobs.map((j) => [j.id, j.name]));
  const others = jobs.filter((j) => j.id !== job.id);
  const method = useTrainMethods().data?.find((m) => m.name === job.method);
  // the method's own series first: for GRPO the reward is what to watch, not the loss
  const charts = useMemo(() => chartsOf(method?.curves ?? []), [method]);

  return (
    <article className="ft-run" aria-label={`Run ${job.name}`}>
      <header className="ft-run-head">
        <div>
          <h2>
            {job.name} <StateBadge job={job} />
          </h2>
          <div className="muted small">
            {job.method} · step <span data-testid="ft-step">{job.step}</span>/{job.totalSteps || '?'} · created {new Date(job.createdAt).toLocaleString()}
            {job.finishedAt && ` · finished ${new Date(job.finishedAt).toLocaleString()}`}
          </div>
          {job.reason && (
            <div className={`notice ${job.state === 'failed' ? 'notice-error' : ''}`} role={job.state === 'failed' ? 'alert' : undefined} data-testid="ft-reason">
              {job.reason}
            </div>
          )}
          <DevSummary job={job} series={series.get(job.id)} />
        </div>
        <JobActions job={job} />
      </header>

      <section aria-label="Curves">
        <div className="section-head">
          <h3>Curves</h3>
          {others.length > 0 && (
            <label className="ft-overlay">
              <span className="muted small">Overlay runs</span>
              <select multiple aria-label="Overlay runs" value={overlay} onChange={(e) => setOverlay([...e.target.selectedOptions].map((o) => o.value))} size={Math.min(4, others.length)}>
                {others.map((j) => (
                  <option key={j.id} value={j.id}>
                    {j.name} ({j.state})
                  </option>
                ))}
              </select>
            </label>
          )}
        </div>
        <div className="ft-charts">
          {charts.map((c) => (
            <Chart
              key={`method-${c.chart}`}
              title={c.chart}
              testId={`ft-chart-method-${c.chart}`}
              lines={ids.flatMap((id, i) =>
                c.curves.map((curve, j) => ({
                  label: ids.length > 1 ? `${named.get(id) ?? id}: ${curve.label}` : curve.label,
                  color: COLORS[(i * c.curves.length + j) % COLORS.length]!,
                  points: extraPoints(series.get(id) ?? EMPTY, curve.key),
                })),
              )}
            />
          ))}
          <Chart
            title="Dev execution accuracy (%)"
            format={(v) => v.toFixed(1)}
            testId="ft-chart-devEx"
            lines={ids.flatMap((id, i) => {
              const s = series.get(id) ?? EMPTY;
              const name = named.get(id) ?? id;
              const vote = devExPoints(s, 'vote');
              const greedy = { label: vote.length > 0 ? `${name} greedy` : name, color: COLORS[(2 * i) % COLORS.length]!, points: devExPoints(s, 'greedy') };
              return vote.length > 0 ? [greedy, { label: `${name} vote`, color: COLORS[(2 * i + 1) % COLORS.length]!, points: vote }] : [greedy];
            })}
          />
          {CHARTS.map((c) => (
            <Chart
              key={c.key}
              title={c.title}
              format={c.format}
              testId={`ft-chart-${c.key}`}
              lines={ids.map((id, i) => lineOf(c, series.get(id) ?? { metrics: [], evals: [] }, named.get(id) ?? id, COLORS[i % COLORS.length]!))}
            />
          ))}
        </div>
      </section>
      {method?.kind === 'online' && <RolloutBrowser job={job} />}
      <Checkpoints job={job} />
      <Log job={job} />
    </article>
  );
}

const pct = (v: number | null) => (v == null ? '—' : `${(v * 100).toFixed(1)}%`);

const EMPTY: Series = { metrics: [], evals: [] };

function DevSummary({ job, series }: { job: TrainJob; series: Series | undefined }) {
  if (job.devExBefore == null && job.devExAfter == null && !job.best) return null;
  // the vote strategy's score of the same evaluations (config.eval.voteSamples), when the run asked for it
  const votes = (series?.evals ?? []).filter((e) => e.vote);
  const before = votes.find((e) => e.step === 0)?.vote;
  const after = (job.state === 'done' && job.best ? votes.find((e) => e.step === job.best!.step) : undefined)?.vote ?? votes.filter((e) => e.step > 0).at(-1)?.vote;
  return (
    <div className="small ft-dev" data-testid="ft-dev">
      Dev execution accuracy: before {pct(job.devExBefore)} → after {pct(job.devExAfter)}
      {job.best && ` · best ${pct(job.best.devEx)} at step ${job.best.step}`}
      {votes.length > 0 && (
        <span data-testid="ft-dev-vote">
          {' '}
          · with vote ({votes.at(-1)!.vote!.samples} samples): before {pct(before?.devEx ?? null)} → after {pct(after?.devEx ?? null)}
        </span>
      )}
    </div>
  );
}

/**
 * Opens the workbench with this model and adapter chosen, via the ask choice it remembers: the method's strategy
 * (when its adapters are for one) and, when the method trained that strategy's schema-link model, that adapter too.
 */
function tryInWorkbench(job: TrainJob, method: TrainMethodInfo | undefined, modelId: string, adapterId: string) {
  const choice = loadChoice('main');
  const strategy = method?.strategy ?? choice.strategy;
  let settings = choice.settings;
  const link = method?.adapters.find((a) => a.linkModel);
  if (link && method?.strategy) {
    // a strategy with a link model names its adapter in its own settings section (linkAdapterId)
    const section = (settings as Record<string, object | undefined>)[method.strategy];
    const linkAdapterId = job.adapters.find((a) => a.role === link.role)?.adapterId ?? null;
    settings = { ...settings, [method.strategy]: { ...section, linkAdapterId } } as StrategySettings;
  }
  saveChoice('main', { ...choice, modelId, adapterId, strategy, settings });
  navigate('workbench');
}

function Checkpoints({ job }: { job: TrainJob }) {
  const running = job.state === 'running' || job.state === 'queued';
  const detail = useProcedure('train.job', { id: job.id }, { refetchInterval: running ? 5000 : false });
  const models = useModels();
  const modelId = job.modelId ?? ('id' in job.config.model ? job.config.model.id : null);
  const model: Model | undefined = models.data?.find((m) => m.id === modelId);
  const method = useTrainMethods().data?.find((m) => m.name === job.method);
  const labelOf = (role: string) => method?.adapters.find((a) => a.role === role)?.label ?? role;
  return (
    <section aria-label="Checkpoints and adapters" className="ft-section">
      <h3>Adapters</h3>
      {job.adapters.length === 0 ? (
        <p className="muted small">The adapters appear here when the run finishes.</p>
      ) : (
        <table className="table" data-testid="ft-adapters">
          <thead>
            <tr>
              <th>Role</th>
              <th>Step</th>
              <th>File</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {job.adapters.map((a) => {
              const registered = model?.adapters.find((x) => x.id === a.adapterId);
              return (
                <tr key={a.role}>
                  <td>{labelOf(a.role)}</td>
                  <td className="num">{a.step}</td>
                  <td className="mono small">{a.path}</td>
                  <td>
                    {a.role === MAIN_ROLE && a.adapterId && modelId ? (
                      <button type="button" onClick={() => tryInWorkbench(job, method, modelId, a.adapterId!)} disabled={!registered || registered.status !== 'ok'}>
                        Try in workbench
                      </button>
                    ) : a.role === MAIN_ROLE ? (
                      <span className="muted small">not registered with a model</span>
                    ) : null}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <h3>Checkpoints</h3>
      {detail.error && <ErrorNotice error={detail.error} what="the checkpoints" />}
      {detail.data && detail.data.checkpoints.length === 0 && <p className="muted small">None yet: one is written every {job.config.checkpointEvery} steps.</p>}
      {detail.data && detail.data.checkpoints.length > 0 && (
        <table className="table" data-testid="ft-checkpoints">
          <thead>
            <tr>
              <th>Step</th>
              <th>Role</th>
              <th>Dev EX</th>
              <th>Written</th>
              <th>File</th>
            </tr>
          </thead>
          <tbody>
            {detail.data.checkpoints.map((c) => (
              <tr key={`${c.role}-${c.step}`}>
                <td className="num">{c.step}</td>
                <td>{c.role}</td>
                <td className="num">
                  {pct(c.devEx)} {c.best && <span className="badge badge-ok">best</span>}
                </td>
                <td className="small">{new Date(c.at).toLocaleTimeString()}</td>
                <td className="mono small">{c.path}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p className="muted small">Checkpoints hold the optimizer state to resume from; the run's adapters above are what the workbench loads.</p>
    </section>
  );
}

const KEEP = 256 * 1024;

/** The job's log, tailed: the new bytes since the last read, on demand and every few seconds while it runs. */
function Log({ job }: { job: TrainJob }) {
  const { client } = useConnection();
  const [text, setText] = useState('');
  const [error, setError] = useState<Error | null>(null);
  const offset = useRef(0);
  const pre = useRef<HTMLPreElement>(null);
  const busy = useRef(false);

  const refresh = async () => {
    if (busy.current) return;
    busy.current = true;
    try {
      const chunk = await client.call('train.log', { id: job.id, offset: offset.current });
      // a log that shrank was rewritten: start over
      if (chunk.size < offset.current) {
        offset.current = 0;
        setText('');
        return;
      }
      offset.current += new TextEncoder().encode(chunk.text).length;
      if (chunk.text) setText((t) => (t + chunk.text).slice(-KEEP));
      setError(null);
    } catch (err) {
      setError(err as Error);
    } finally {
      busy.current = false;
    }
  };
  const live = job.state === 'running' || job.state === 'queued';
  useEffect(() => {
    void refresh();
    if (!live) return;
    const timer = setInterval(() => void refresh(), 2000);
    return () => clearInterval(timer);
    // refresh reads refs and the job id only
  }, [job.id, live, job.state]);
  useEffect(() => {
    const el = pre.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [text]);

  return (
    <section aria-label="Log" className="ft-section">
      <div className="section-head">
        <h3>Log</h3>
        <button type="button" onClick={() => void refresh()}>
          Refresh
        </button>
      </div>
      {error && <ErrorNotice error={error} what="the log" />}
      <pre ref={pre} className="ft-log mono small" data-testid="ft-log">
        {text || 'The log is empty.'}
      </pre>
      {text.length >= KEEP && <p className="muted small">Only the last {formatBytes(KEEP)} are shown.</p>}
    </section>
  );
}
