import { useId, useState, type ChangeEvent, type FormEvent } from 'react';
import { METRICS, type Input, type MetricName } from '../../../../shared/contract/index.ts';
import { useConnection } from '../../api/hooks.ts';
import { navigate } from '../../app/router.ts';
import { formatBytes, formatCount } from '../../lib/format.ts';
import { useStartRun } from './hooks.ts';
import { DEFAULT_METRICS, METRIC_HELP, METRIC_LABEL, baseName, type Bench } from './model.ts';
import { checkPredictions, predictionWarnings, type PredictionsCheck } from './predictions.ts';
import { PathInput } from '../../components/PathInput.tsx';
import { BenchmarkSource, useBenchmarkSource } from './BenchmarkSource.tsx';
import { StartErrors } from './StartErrors.tsx';

/** The contract's limit on an uploaded predictions file (characters of its content). */
const MAX_UPLOAD = 64 * 1024 * 1024;

interface Upload {
  name: string;
  size: number;
  content: string;
  check: PredictionsCheck;
}

const SLOW_METRICS: ReadonlySet<MetricName> = new Set(['ves', 'rves']);

/** Starts an evaluation: benchmark, data folder, predictions (uploaded or a path), metrics, options. */
export function NewRunForm({ onCancel }: { onCancel?: () => void }) {
  const id = useId();
  const { kind } = useConnection();
  const benchSource = useBenchmarkSource();
  const { bench, dataDir } = benchSource;
  const start = useStartRun();

  const [source, setSource] = useState<'upload' | 'path'>('upload');
  const [upload, setUpload] = useState<Upload | null>(null);
  const [uploadError, setUploadError] = useState<string | null>(null);
  const [reading, setReading] = useState(false);
  const [predPath, setPredPath] = useState('');
  const [metrics, setMetrics] = useState<Set<MetricName>>(() => new Set(DEFAULT_METRICS.spider));
  const [name, setName] = useState('');
  const [workers, setWorkers] = useState('');
  const [timeoutSec, setTimeoutSec] = useState('');
  const [keepDistinct, setKeepDistinct] = useState(false);
  const [problems, setProblems] = useState<string[]>([]);

  const chooseBench = (next: Bench) => {
    benchSource.chooseBench(next);
    setMetrics(new Set(DEFAULT_METRICS[next]));
    setProblems([]);
  };

  const toggleMetric = (metric: MetricName, on: boolean) =>
    setMetrics((prev) => {
      const next = new Set(prev);
      if (on) next.add(metric);
      else next.delete(metric);
      return next;
    });

  const onFile = async (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    setUploadError(null);
    setUpload(null);
    if (!file) return;
    if (file.size > MAX_UPLOAD * 4) {
      setUploadError(`The file is ${formatBytes(file.size)}; at most ${formatBytes(MAX_UPLOAD)} can be uploaded. Give its path instead.`);
      return;
    }
    setReading(true);
    try {
      const content = await file.text();
      if (content.length > MAX_UPLOAD) {
        setUploadError(`The file is ${formatBytes(file.size)}; at most ${formatBytes(MAX_UPLOAD)} can be uploaded. Give its path instead.`);
        return;
      }
      setUpload({ name: file.name, size: file.size, content, check: checkPredictions(content) });
    } catch (err) {
      setUploadError(`Could not read ${file.name}: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      setReading(false);
    }
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const found: string[] = [];
    if (source === 'upload' && !upload) found.push('Choose a predictions file to upload.');
    if (source === 'path' && !predPath.trim()) found.push('Give the path of the predictions file.');
    if (metrics.size === 0) found.push('Choose at least one metric.');
    const workerCount = workers.trim() === '' ? undefined : Number(workers);
    if (workerCount !== undefined && !(Number.isInteger(workerCount) && workerCount >= 1 && workerCount <= 64)) {
      found.push('Workers must be a whole number from 1 to 64.');
    }
    const timeoutMs = timeoutSec.trim() === '' ? undefined : Math.round(Number(timeoutSec) * 1000);
    if (timeoutMs !== undefined && !(Number.isFinite(timeoutMs) && timeoutMs >= 100 && timeoutMs <= 600_000)) {
      found.push('The timeout must be from 0.1 to 600 seconds.');
    }
    setProblems(found);
    if (found.length > 0) return;

    const input: Input<'eval.start'> = {
      bench,
      predictions: source === 'upload' ? { content: upload!.content, fileName: upload!.name } : { path: predPath.trim() },
      // in the contract's order, so the run's main metric is the benchmark's own (spider_exec, then bird_ex)
      metrics: METRICS.filter((m) => metrics.has(m)),
      keepDistinct,
    };
    if (dataDir.trim()) input.dataDir = dataDir.trim();
    if (name.trim()) input.name = name.trim();
    if (workerCount !== undefined) input.workers = workerCount;
    if (timeoutMs !== undefined) input.timeoutMs = timeoutMs;
    start.mutate(input, { onSuccess: ({ runId }) => navigate('evaluate', runId) });
  };

  const warnings = upload ? predictionWarnings(upload.check) : [];

  return (
    <section className="panel ev-new" aria-label="New evaluation">
      <div className="section-head">
        <h2>New evaluation</h2>
        {onCancel && (
          <button type="button" onClick={onCancel}>
            Close
          </button>
        )}
      </div>
      <form onSubmit={submit} className="ev-form" noValidate>
        <BenchmarkSource
          id={id}
          source={benchSource}
          onBench={chooseBench}
          jsonlHint="optional: JSON lines examples name their databases"
          placeholder={bench === 'jsonl' ? '(none)' : `/path/to/bench/${bench}`}
        />

        <fieldset className="ev-field">
          <legend>Predictions</legend>
          <div className="ev-row">
            <label className="ev-inline">
              <input type="radio" name={`${id}-source`} checked={source === 'upload'} onChange={() => setSource('upload')} /> Upload a file
            </label>
            <label className="ev-inline">
              <input type="radio" name={`${id}-source`} checked={source === 'path'} onChange={() => setSource('path')} />{' '}
              {kind === 'ipc' ? 'A path on this machine' : 'A path on the backend machine'}
            </label>
          </div>
          {source === 'upload' ? (
            <div className="ev-row">
              <input type="file" accept=".jsonl,.json,.txt,application/json,text/plain" onChange={onFile} aria-label="Predictions file" />
              {reading && <span className="muted small">Reading…</span>}
            </div>
          ) : (
            <PathInput className="ev-wide" value={predPath} onChange={setPredPath} placeholder="/path/to/predictions.jsonl" label="Predictions file path" />
          )}
          {uploadError && (
            <div className="notice notice-error" role="alert">
              {uploadError}
            </div>
          )}
          {source === 'upload' && upload && (
            <p className="small ev-hint" data-testid="upload-summary">
              <strong>{upload.name}</strong> · {formatBytes(upload.size)} · {formatCount(upload.check.lines)} {upload.check.lines === 1 ? 'line' : 'lines'}
              {upload.check.emptyPredictions > 0 && <span className="muted"> · {upload.check.emptyPredictions} empty predictions</span>}
              {upload.check.withEvidence > 0 && <span className="muted"> · {upload.check.withEvidence} with evidence</span>}
            </p>
          )}
          {warnings.length > 0 && (
            <ul className="ev-warnings small" aria-label="Warnings about the file">
              {warnings.map((w) => (
                <li key={w}>{w}</li>
              ))}
            </ul>
          )}
          <p className="muted small ev-hint">
            JSON lines, one example per line:{' '}
            <code className="mono">{'{"id": "0", "db_id": "concert_singer", "gold": "SELECT …", "pred": "SELECT …"}'}</code>
            {bench === 'bird' && (
              <>
                {' '}
                plus <code className="mono">"evidence"</code> for BIRD
              </>
            )}
            . An empty <code className="mono">"pred"</code> is scored as given (wrong under Spider EX).
          </p>
        </fieldset>

        <fieldset className="ev-field">
          <legend>Metrics</legend>
          <div className="ev-metrics">
            {METRICS.map((m) => (
              <label key={m} className="ev-check" title={METRIC_HELP[m]}>
                <input type="checkbox" checked={metrics.has(m)} onChange={(e) => toggleMetric(m, e.target.checked)} />
                {METRIC_LABEL[m]}
                {SLOW_METRICS.has(m) && <span className="muted small"> (slow: timed runs)</span>}
              </label>
            ))}
          </div>
        </fieldset>

        <div className="ev-field">
          <label htmlFor={`${id}-name`} className="ev-label">
            Name <span className="muted">(optional)</span>
          </label>
          <input
            id={`${id}-name`}
            className="input ev-wide"
            value={name}
            onChange={(e) => setName(e.target.value)}
            placeholder={`${bench} · ${upload ? upload.name : source === 'path' && predPath.trim() ? baseName(predPath.trim()) : '<predictions file name>'}`}
            maxLength={200}
          />
        </div>

        <details className="ev-advanced">
          <summary>Advanced</summary>
          <div className="ev-row ev-advanced-body">
            <label className="ev-inline">
              Workers
              <input className="input ev-num" type="number" min={1} max={64} step={1} value={workers} onChange={(e) => setWorkers(e.target.value)} placeholder="auto" />
            </label>
            <label className="ev-inline">
              Timeout per query (s)
              <input
                className="input ev-num"
                type="number"
                min={0.1}
                max={600}
                step="any"
                value={timeoutSec}
                onChange={(e) => setTimeoutSec(e.target.value)}
                placeholder="30"
              />
            </label>
            <label className="ev-inline" title="The official Spider evaluation removes every DISTINCT before comparing; keep them for a stricter score.">
              <input type="checkbox" checked={keepDistinct} onChange={(e) => setKeepDistinct(e.target.checked)} /> Keep DISTINCT
            </label>
          </div>
          <p className="muted small ev-hint">
            The official Spider evaluation removes every DISTINCT (also inside <code className="mono">count(DISTINCT x)</code>); keeping them
            departs from the official score and is recorded in the run's reproducibility record.
          </p>
        </details>

        <StartErrors problems={problems} error={start.error} title="Could not start the evaluation." testId="start-error" />
        <div className="ev-row">
          <button type="submit" className="primary" disabled={start.isPending || reading}>
            {start.isPending ? 'Starting…' : 'Start evaluation'}
          </button>
        </div>
      </form>
    </section>
  );
}
