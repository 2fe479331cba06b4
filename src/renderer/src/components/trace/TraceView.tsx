import { useMemo, useState } from 'react';
import type { Trace } from '../../../../shared/contract/index.ts';
import { formatCount, formatElapsed } from '../../lib/format.ts';
import { writeClipboard } from '../../lib/clipboard.ts';
import { ExecutionView } from './ExecutionView.tsx';
import { LinkedSchema } from './LinkedSchema.tsx';
import { StepItem } from './StepItem.tsx';
import { linkedOf, sqlChanges, traceTotals } from './traceModel.ts';

const STATUS_BADGE: Record<Trace['status'], string> = { done: 'badge-ok', failed: 'badge-bad', cancelled: 'badge-warn' };

export interface TraceViewProps {
  trace: Trace;
  /** when given, a button puts the final SQL into the caller's editor */
  onUseSql?: (sql: string) => void;
  /** the first step opens by itself on a page of its own, not in the narrow panel */
  compact?: boolean;
}

/**
 * Everything that led to a trace's SQL: what was asked with which model and strategy, each step (prompt, output,
 * reasoning, parse, executions, decision, votes, SQL changes), the tables and columns linked, and the final SQL
 * with why it was chosen.
 */
export function TraceView({ trace, onUseSql, compact = false }: TraceViewProps) {
  const changes = useMemo(() => sqlChanges(trace.steps), [trace.steps]);
  const linked = useMemo(() => linkedOf(trace.steps), [trace.steps]);
  const totals = useMemo(() => traceTotals(trace), [trace]);
  const [copied, setCopied] = useState<string | null>(null);
  // expanding or collapsing all remounts the steps with that default
  const [allOpen, setAllOpen] = useState<{ open: boolean; generation: number }>({ open: false, generation: 0 });

  return (
    <article className={`trace-view${compact ? ' trace-compact' : ''}`} aria-label="Trace" data-testid="trace-view">
      <header className="trace-head">
        <p className="trace-question">
          <span className={`badge ${STATUS_BADGE[trace.status]}`}>{trace.status}</span> {trace.question}
        </p>
        {trace.evidence && <p className="small muted">Hint: {trace.evidence}</p>}
        <p className="small muted trace-meta">
          <span>{trace.database}</span>
          <span>
            {trace.strategy} · grammar {trace.grammar}
          </span>
          <span title={trace.model.sha256 ? `sha256 ${trace.model.sha256}` : undefined}>
            {trace.model.name}
            {trace.adapter ? ` + ${trace.adapter.name}` : ''}
          </span>
          <span>
            {formatElapsed(trace.totalMs)} total, model {formatElapsed(trace.modelMs)}
          </span>
          <span>
            {formatCount(totals.tokensIn)} → {formatCount(totals.tokensOut)} tokens
          </span>
          <time dateTime={trace.createdAt}>{new Date(trace.createdAt).toLocaleString()}</time>
        </p>
        {trace.error && <p className="bad small">{trace.error}</p>}
      </header>

      <section className="trace-section" aria-label="Final SQL">
        <div className="section-head">
          <h3>Final SQL</h3>
          <span className="trace-actions">
            {copied && (
              <span className="muted small" role="status">
                {copied}
              </span>
            )}
            <button
              type="button"
              disabled={!trace.final.sql}
              onClick={() => writeClipboard(trace.final.sql).then(() => setCopied('Copied.'), () => setCopied('Could not copy.'))}
            >
              Copy
            </button>
            {onUseSql && (
              <button type="button" disabled={!trace.final.sql} onClick={() => onUseSql(trace.final.sql)} title="Put this SQL into the editor and run it">
                Open in editor
              </button>
            )}
          </span>
        </div>
        {trace.final.sql ? <pre className="sql-block trace-sql" data-testid="trace-final-sql">{trace.final.sql}</pre> : <p className="muted small">No SQL came out.</p>}
        {trace.final.why && (
          <p className="small trace-why">
            <strong>Why this SQL:</strong> {trace.final.why}
          </p>
        )}
        {trace.final.execution && <ExecutionView execution={trace.final.execution} label="Rows of the final SQL" />}
      </section>

      <section className="trace-section" aria-label="Steps">
        <div className="section-head">
          <h3>
            Steps <span className="muted small">({trace.steps.length})</span>
          </h3>
          {trace.steps.length > 1 && (
            <span className="trace-actions">
              <button type="button" onClick={() => setAllOpen((s) => ({ open: true, generation: s.generation + 1 }))}>
                Expand all
              </button>
              <button type="button" onClick={() => setAllOpen((s) => ({ open: false, generation: s.generation + 1 }))}>
                Collapse all
              </button>
            </span>
          )}
        </div>
        {trace.steps.length === 0 ? (
          <p className="muted small">No step ran.</p>
        ) : (
          <ol className="trace-steps">
            {trace.steps.map((step) => (
              <StepItem
                key={`${step.index}-${allOpen.generation}`}
                step={step}
                change={changes.get(step.index)}
                totalMs={trace.totalMs}
                defaultOpen={allOpen.generation > 0 ? allOpen.open : !compact && trace.steps.length === 1}
              />
            ))}
          </ol>
        )}
      </section>

      <section className="trace-section" aria-label="Linked schema">
        <h3>Schema</h3>
        <LinkedSchema connectionId={trace.connectionId} linked={linked} />
      </section>
    </article>
  );
}
