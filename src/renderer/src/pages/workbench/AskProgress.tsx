import { useEffect, useRef } from 'react';
import { stepFacts } from '../../components/trace/index.ts';
import { formatElapsed } from '../../lib/format.ts';
import type { AskRun } from './useAsk.ts';

const STATUS_TEXT: Record<AskRun['status'], string> = { running: 'Asking…', done: 'Answered', failed: 'Failed', cancelled: 'Cancelled' };

/** Keeps a scrolling box at its end while text streams in, unless the reader scrolled up. */
function useStickToEnd(dep: unknown) {
  const ref = useRef<HTMLPreElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (el && el.scrollHeight - el.scrollTop - el.clientHeight < 40) el.scrollTop = el.scrollHeight;
  }, [dep]);
  return ref;
}

/**
 * A running (or finished) ask: the steps as they start and end, and the tokens of the step in progress as they
 * stream. Cancel stops the ask; what ran stays in its trace.
 */
export function AskProgress({ run, onCancel, onOpenTrace }: { run: AskRun; onCancel: () => void; onOpenTrace?: () => void }) {
  const current = run.status === 'running' ? run.steps.findLast((s) => s.step === null) : undefined;
  const stream = useStickToEnd(current?.text);
  const trace = run.trace;
  return (
    <div className={`ask-progress ask-${run.status}`} data-testid="ask-progress" aria-busy={run.status === 'running'}>
      <div className="ask-progress-head small">
        {run.status === 'running' && <span className="spinner" aria-hidden />}
        <strong role="status">{run.cancelling && run.status === 'running' ? 'Cancelling…' : STATUS_TEXT[run.status]}</strong>
        {trace && (
          <span className="muted">
            {formatElapsed(trace.totalMs)} · {trace.steps.length} {trace.steps.length === 1 ? 'step' : 'steps'}
          </span>
        )}
        <span className="toolbar-spacer" />
        {run.status === 'running' && (
          <button type="button" onClick={onCancel} disabled={run.cancelling} title="Stop this ask; the steps that ran stay in its trace">
            Cancel
          </button>
        )}
        {trace && onOpenTrace && (
          <button type="button" onClick={onOpenTrace}>
            Show trace
          </button>
        )}
      </div>
      {run.error && (
        <div className="notice notice-error ask-error" role="alert">
          <strong>{run.status === 'cancelled' ? 'Cancelled.' : 'The ask failed.'}</strong> {run.error.message}
          {'code' in run.error && run.status !== 'cancelled' && <span className="muted"> ({String(run.error.code)})</span>}
        </div>
      )}
      {trace?.error && (
        <div className="notice notice-error ask-error" role="alert">
          {trace.error}
        </div>
      )}
      {run.steps.length > 0 && (
        <ol className="ask-steps">
          {run.steps.map((s) => (
            <li key={s.index} className={s.step ? (s.step.skipped ? 'ask-step-skipped' : 'ask-step-done') : run.status === 'running' ? 'ask-step-running' : 'ask-step-stopped'} data-testid="ask-step">
              <span className="ask-step-mark" aria-hidden>
                {s.step ? (s.step.skipped ? '–' : '✓') : run.status === 'running' ? '…' : '×'}
              </span>{' '}
              <span className="badge trace-kind">{s.kind}</span> {s.title}{' '}
              <span className="muted small">{s.step ? (s.step.skipped ? `skipped: ${s.step.skipped}` : stepFacts(s.step)) : run.status === 'running' ? 'running' : 'did not finish'}</span>
            </li>
          ))}
        </ol>
      )}
      {run.status === 'running' && run.steps.length === 0 && <p className="muted small">Loading the model and the schema…</p>}
      {current && (
        <pre className="ask-stream" ref={stream} data-testid="ask-stream" aria-label={`Output of ${current.title}, as it streams`}>
          {current.text || ' '}
        </pre>
      )}
    </div>
  );
}
