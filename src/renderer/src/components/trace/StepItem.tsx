import { useId, useState } from 'react';
import type { TraceStep } from '../../../../shared/contract/index.ts';
import { formatCount, formatElapsed } from '../../lib/format.ts';
import { ExecutionView } from './ExecutionView.tsx';
import { SqlChangeView } from './SqlChangeView.tsx';
import { splitReasoning, toJson, type SqlChange } from './traceModel.ts';

export const stepLabel = (index: number) => `step ${index + 1}`;

function Facts({ items }: { items: [string, string][] }) {
  if (items.length === 0) return null;
  return (
    <dl className="facts small trace-facts">
      {items.map(([k, v]) => (
        <div className="fact-row" key={k}>
          <dt>{k}</dt>
          <dd className="mono">{v}</dd>
        </div>
      ))}
    </dl>
  );
}

/** A collapsible block of monospace text (prompt, output, parsed result). */
function TextBlock({ title, text, open = false, className = '' }: { title: string; text: string; open?: boolean; className?: string }) {
  return (
    <details className={`trace-block ${className}`} open={open}>
      <summary>{title}</summary>
      <pre className="trace-text">{text}</pre>
    </details>
  );
}

function VoteTable({ vote }: { vote: NonNullable<TraceStep['vote']> }) {
  return (
    <div className="table-scroll">
      <table className="table trace-vote" aria-label="Vote groups">
        <thead>
          <tr>
            <th scope="col">Group</th>
            <th scope="col" className="num">
              Size
            </th>
            <th scope="col">Samples</th>
            <th scope="col">SQL</th>
            <th scope="col">Ran</th>
            <th scope="col">Not eligible because</th>
          </tr>
        </thead>
        <tbody>
          {vote.groups.map((g, i) => {
            const winner = vote.winner === i;
            return (
              <tr key={g.key} className={winner ? 'trace-vote-winner' : undefined} aria-current={winner ? 'true' : undefined}>
                <td>
                  {i + 1}
                  {winner && (
                    <span className="badge badge-ok" title="The group whose SQL was chosen">
                      winner
                    </span>
                  )}
                </td>
                <td className="num">{g.size}</td>
                <td className="mono small">{g.members.map((m) => m + 1).join(', ')}</td>
                <td>
                  <code className="trace-vote-sql">{g.sql}</code>
                </td>
                <td>{g.ok ? <span className="ok">yes</span> : <span className="bad">no</span>}</td>
                <td className="small">{g.ignored ?? ''}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** What a step cost, in one line: time, model time, tokens. */
export function stepFacts(step: Pick<TraceStep, 'ms' | 'modelMs' | 'tokensIn' | 'tokensOut'>): string {
  const parts = [formatElapsed(step.ms)];
  if (step.modelMs > 0) parts.push(`model ${formatElapsed(step.modelMs)}`);
  if (step.tokensIn > 0 || step.tokensOut > 0) parts.push(`${formatCount(step.tokensIn)} → ${formatCount(step.tokensOut)} tokens`);
  return parts.join(' · ');
}

/** One step of a trace: a header line that opens to everything the step saw, produced and decided. */
export function StepItem({ step, change, totalMs, defaultOpen = false }: { step: TraceStep; change: SqlChange | undefined; totalMs: number; defaultOpen?: boolean }) {
  const [open, setOpen] = useState(defaultOpen);
  const bodyId = useId();
  const { reasoning, answer } = splitReasoning(step.output, step.reasoning);
  const parsed = toJson(step.parsed);
  const sampling = step.sampling && Object.keys(step.sampling).length > 0 ? Object.entries(step.sampling).map(([k, v]) => [k, String(v)] as [string, string]) : [];
  const share = totalMs > 0 ? Math.max(1, Math.min(100, (step.ms / totalMs) * 100)) : 0;
  return (
    <li className={`trace-step${step.skipped ? ' trace-step-skipped' : ''}`} data-testid="trace-step">
      <button type="button" className="trace-step-head" aria-expanded={open} aria-controls={bodyId} onClick={() => setOpen(!open)}>
        <span className="trace-step-caret" aria-hidden>
          {open ? '▾' : '▸'}
        </span>
        <span className="trace-step-num">{step.index + 1}</span>
        <span className="badge trace-kind">{step.kind}</span>
        <span className="trace-step-title">{step.title}</span>
        <span className="trace-step-facts small muted">{step.skipped ? `skipped: ${step.skipped}` : stepFacts(step)}</span>
        <span className="trace-bar" aria-hidden>
          <span style={{ width: `${share}%` }} />
        </span>
      </button>
      {open && (
        <div id={bodyId} className="trace-step-body">
          {step.skipped && <p className="small muted">Skipped: {step.skipped}</p>}
          {step.decision && (
            <p className="trace-decision">
              <strong>Decision:</strong> {step.decision}
            </p>
          )}
          {step.prompt !== null && (
            <TextBlock
              title={`Prompt${step.promptTokens !== null ? ` · ${formatCount(step.promptTokens)} tokens` : ''}`}
              text={step.prompt}
              className="trace-prompt"
            />
          )}
          {step.prompt === null && step.messages && (
            <TextBlock
              title={`Messages${step.promptTokens !== null ? ` · ${formatCount(step.promptTokens)} tokens` : ''}`}
              text={step.messages.map((m) => `[${m.role}]\n${m.content}`).join('\n\n')}
              className="trace-prompt"
            />
          )}
          {reasoning && <TextBlock title="Reasoning" text={reasoning} open className="trace-reasoning" />}
          {answer !== null && <TextBlock title={reasoning ? 'Output (reasoning set apart above)' : 'Output'} text={answer || '(empty)'} open />}
          {parsed !== null && <TextBlock title="Parsed" text={parsed} />}
          <Facts
            items={[
              ...(step.grammar ? [['grammar', step.grammar] as [string, string]] : []),
              ...sampling,
            ]}
          />
          {step.sql && !change && (
            <div>
              <h4 className="trace-h4">SQL</h4>
              <pre className="sql-block trace-sql">{step.sql}</pre>
            </div>
          )}
          {change && <SqlChangeView change={change} stepLabel={stepLabel} />}
          {step.linked && (step.linked.tables.length > 0 || step.linked.columns.length > 0) && (
            <p className="small trace-linked-line">
              <strong>Linked:</strong>{' '}
              {[...step.linked.tables, ...step.linked.columns.map((c) => `${c.table}.${c.column}`)].map((name) => (
                <code key={name} className="trace-chip">
                  {name}
                </code>
              ))}
            </p>
          )}
          {step.vote && <VoteTable vote={step.vote} />}
          {step.executions.length > 0 && (
            <div className="trace-execs">
              <h4 className="trace-h4">
                {step.executions.length === 1 ? 'Execution' : `${step.executions.length} executions`}
              </h4>
              {step.executions.map((e, i) => (
                <ExecutionView key={i} execution={e} label={`Rows of execution ${i + 1} of step ${step.index + 1}`} />
              ))}
            </div>
          )}
        </div>
      )}
    </li>
  );
}
