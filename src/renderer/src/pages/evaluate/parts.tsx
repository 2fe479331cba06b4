/** Small pieces shared by the Evaluate views: status badge, progress bar, verdict chips, hashes, elapsed time. */
import { useEffect, useState } from 'react';
import type { EvalRun, MetricName, Reason } from '../../../../shared/contract/index.ts';
import { formatCount, formatElapsed } from '../../lib/format.ts';
import { writeClipboard } from '../../lib/clipboard.ts';
import { METRIC_HELP, METRIC_LABEL, STATUS_LABEL, elapsedMsOf, formatExampleScore, progressOf, shortHash, verdictOf, type RunStatus } from './model.ts';
import { useNow } from './hooks.ts';

export function StatusBadge({ status }: { status: RunStatus }) {
  return (
    <span className={`badge ev-status ev-status-${status}`} data-testid="run-status">
      {status === 'running' && <span className="ev-pulse" aria-hidden />}
      {STATUS_LABEL[status]}
    </span>
  );
}

/** A thin bar with "done / total" beside it; the unavailable examples are counted apart. */
export function ProgressBar({ run, compact = false }: { run: Pick<EvalRun, 'done' | 'total' | 'status'>; compact?: boolean }) {
  const fraction = progressOf(run);
  const percent = Math.round(fraction * 1000) / 10;
  return (
    <div className={`ev-progress${compact ? ' ev-progress-compact' : ''}`}>
      <div
        className={`ev-progress-track ev-progress-${run.status}`}
        role="progressbar"
        aria-label="Examples scored"
        aria-valuemin={0}
        aria-valuemax={run.total}
        aria-valuenow={run.done}
        aria-valuetext={`${formatCount(run.done)} of ${formatCount(run.total)} examples`}
      >
        <div className="ev-progress-fill" style={{ width: `${percent}%` }} />
      </div>
      <span className="ev-progress-text small" data-testid="run-progress">
        {formatCount(run.done)} / {formatCount(run.total)}
        {!compact && run.total > 0 && <span className="muted"> · {percent}%</span>}
      </span>
    </div>
  );
}

/** Elapsed time of a run, ticking while it runs. */
export function Elapsed({ run }: { run: Pick<EvalRun, 'elapsedMs' | 'createdAt' | 'status'> }) {
  const now = useNow(run.status === 'running');
  const ms = elapsedMsOf(run, now);
  return <span className="nowrap">{ms === null ? '—' : formatElapsed(ms)}</span>;
}

/** One metric's verdict on one example: ✓ / ✗ for 0/1 metrics, the number for graded ones. */
export function VerdictChip({
  metric,
  score,
  reason,
  withLabel = false,
}: {
  metric: MetricName;
  score: number | null | undefined;
  reason?: Reason | undefined;
  withLabel?: boolean;
}) {
  const verdict = verdictOf(score, metric);
  const title = [
    `${METRIC_LABEL[metric]}: ${score === null || score === undefined ? 'not scored' : score}`,
    reason ? ` — ${reason.code}: ${reason.detail}` : '',
    reason?.quirk ? `\nOfficial quirk: ${reason.quirk}` : '',
  ].join('');
  return (
    <span className={`ev-chip ev-chip-${verdict}${reason?.quirk ? ' ev-chip-quirk' : ''}`} title={title} data-metric={metric} data-verdict={verdict}>
      {withLabel && <span className="ev-chip-label">{METRIC_LABEL[metric]}</span>}
      {formatExampleScore(metric, score)}
      {reason?.quirk && (
        <span className="ev-quirk-dot" aria-label="decided by an official quirk">
          *
        </span>
      )}
    </span>
  );
}

export function MetricLabel({ metric }: { metric: MetricName }) {
  return (
    <abbr className="ev-metric-name" title={METRIC_HELP[metric]}>
      {METRIC_LABEL[metric]}
    </abbr>
  );
}

/** A hash shortened, the whole value in the title, and a button that copies it. */
export function Hash({ value, label }: { value: string; label?: string }) {
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);
  useEffect(() => {
    if (!copied) return;
    const timer = setTimeout(() => setCopied(null), 1500);
    return () => clearTimeout(timer);
  }, [copied]);
  return (
    <span className="ev-hash">
      <code className="mono" title={value}>
        {shortHash(value)}
      </code>
      <button
        type="button"
        className="ev-copy"
        aria-label={`Copy ${label ?? 'the hash'}`}
        title={`Copy ${value}`}
        onClick={() => writeClipboard(value).then(() => setCopied('yes'), () => setCopied('failed'))}
      >
        {copied === 'yes' ? 'Copied' : copied === 'failed' ? 'Failed' : 'Copy'}
      </button>
    </span>
  );
}

export const formatDateTime = (iso: string) => {
  const at = Date.parse(iso);
  return Number.isNaN(at) ? iso : new Date(at).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
};

/** A failed backend call made by a button: what failed, and why. */
export function InlineError({ title, error }: { title: string; error: Error }) {
  const code = 'code' in error ? String((error as { code: unknown }).code) : undefined;
  return (
    <div className="notice notice-error" role="alert">
      <strong>{title}</strong> {error.message}
      {code && <span className="muted"> ({code})</span>}
    </div>
  );
}
