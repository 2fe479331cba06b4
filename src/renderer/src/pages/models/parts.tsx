import type { ModelFit } from '../../../../shared/contract/index.ts';
import { formatBytes } from '../../lib/format.ts';

/** The memory estimate in one line: fits or not, what it needs, what is free. */
export function FitSummary({ fit, testId }: { fit: ModelFit; testId?: string }) {
  const needs = [fit.vramBytes > 0 && `${formatBytes(fit.vramBytes)} GPU`, fit.ramBytes > 0 && `${formatBytes(fit.ramBytes)} RAM`].filter(Boolean).join(' + ');
  const free = [fit.freeVramBytes !== null && `${formatBytes(fit.freeVramBytes)} GPU`, `${formatBytes(fit.freeRamBytes)} RAM`].filter(Boolean).join(', ');
  return (
    <div className={`fit ${fit.fits ? 'fit-ok' : 'fit-bad'}`} data-testid={testId}>
      <span className={`badge ${fit.fits ? 'badge-ok' : 'badge-bad'}`}>{fit.fits ? 'fits' : 'does not fit'}</span>{' '}
      <span className="small">
        needs about {needs || '0 B'} · free {free} · {fit.gpuLayers}/{fit.totalLayers} layers on GPU · context {fit.contextSize.toLocaleString('en-US')}
      </span>
      {fit.note && <div className="muted small">{fit.note}</div>}
    </div>
  );
}

export function ProgressBar({ done, total, state }: { done: number; total: number | null; state: string }) {
  const pct = total ? Math.min(100, (done / total) * 100) : 0;
  return (
    <div className={`ev-progress ev-progress-${state}`}>
      <div className="ev-progress-track" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(pct)}>
        <div className="ev-progress-fill" style={{ width: `${pct}%` }} />
      </div>
      <span className="ev-progress-text small">
        {formatBytes(done)}
        {total ? ` of ${formatBytes(total)} (${pct.toFixed(0)}%)` : ''}
      </span>
    </div>
  );
}
