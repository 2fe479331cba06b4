import { useState } from 'react';
import type { Model, QueryResult } from '../../../../shared/contract/index.ts';
import { useProcedure } from '../../api/hooks.ts';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { diffResults } from '../../lib/resultDiff.ts';
import { PreviewTable, TraceView } from '../../components/trace/index.ts';
import { AskProgress } from './AskProgress.tsx';
import { choiceLabel, type AskChoice } from '../../lib/askChoice.ts';
import { formatRows } from '../../lib/format.ts';
import type { AskRun } from './useAsk.ts';

const PREVIEW_ROWS = 50;
const COMPARE_MAX_ROWS = 10_000;

/** The full result of a side's final SQL, run again through the sandbox (the trace keeps only a preview). */
function useFinalResult(connectionId: string, run: AskRun | undefined) {
  const sql = run?.status === 'done' ? (run.trace?.final.sql ?? '') : '';
  return useProcedure('query.run', { connectionId, sql, limits: { maxRows: COMPARE_MAX_ROWS } }, { enabled: sql.trim() !== '', retry: false, staleTime: Infinity });
}

function agreement(a: QueryResult | undefined, b: QueryResult | undefined): { agree: boolean; text: string } | null {
  if (!a || !b) return null;
  if (a.truncated || b.truncated) return { agree: false, text: `Results too large to compare (over ${COMPARE_MAX_ROWS.toLocaleString('en-US')} rows)` };
  const diff = diffResults(a, b, false);
  if (diff.equalAsBag) return { agree: true, text: diff.equalAsList ? 'Results agree (same rows, same order)' : 'Results agree (same rows, in another order)' };
  if (diff.columnPermutation) return { agree: true, text: 'Results agree with the columns in another order' };
  return { agree: false, text: `Results differ: ${diff.counts.matched} rows in common, ${diff.counts.missing} only in A, ${diff.counts.extra} only in B` };
}

function Side({
  slot,
  label,
  choice,
  models,
  run,
  result,
  onCancel,
  onUseSql,
}: {
  slot: string;
  label: string;
  choice: AskChoice;
  models: Model[];
  run: AskRun | undefined;
  result: ReturnType<typeof useFinalResult>;
  onCancel: () => void;
  onUseSql: (sql: string) => void;
}) {
  const [traceOpen, setTraceOpen] = useState(false);
  const trace = run?.trace ?? null;
  return (
    <section className="compare-side" aria-label={`Answer ${label}`} data-testid={`compare-${slot}`}>
      <h3>
        {label} <span className="muted small">{choiceLabel(run ? { ...choice, ...pick(run) } : choice, models)}</span>
      </h3>
      {!run && <p className="muted small">Not asked yet.</p>}
      {run && <AskProgress run={run} onCancel={onCancel} onOpenTrace={trace ? () => setTraceOpen(!traceOpen) : undefined} />}
      {trace && trace.final.sql && (
        <>
          <pre className="sql-block trace-sql" data-testid="compare-sql">
            {trace.final.sql}
          </pre>
          <div className="compare-actions">
            <button type="button" onClick={() => onUseSql(trace.final.sql)}>
              Open in editor
            </button>
          </div>
          {result.isLoading && <p className="muted small">Running the SQL…</p>}
          {result.error && <ErrorNotice error={result.error} what="the result" />}
          {result.data && (
            <>
              <p className="small muted">
                {formatRows(result.data.rows.length)}
                {result.data.truncated ? ' (truncated)' : ''}
                {result.data.rows.length > PREVIEW_ROWS ? `, first ${PREVIEW_ROWS} shown` : ''}
              </p>
              <PreviewTable columns={result.data.columns.map((c) => c.name)} rows={result.data.rows.slice(0, PREVIEW_ROWS)} label={`Rows of answer ${label}`} />
            </>
          )}
        </>
      )}
      {trace && traceOpen && <TraceView trace={trace} compact />}
    </section>
  );
}

/** What a run was actually asked with (the choice may have changed since). */
const pick = (run: AskRun): Partial<AskChoice> => ({
  modelId: run.request.modelId,
  adapterId: run.request.adapterId ?? null,
  strategy: run.request.strategy,
  grammar: run.request.grammar ?? 'schema',
});

/** Two answers to one question side by side, and whether their results agree. */
export function CompareView({
  connectionId,
  choices,
  models,
  runs,
  onCancel,
  onUseSql,
}: {
  connectionId: string;
  choices: { a: AskChoice; b: AskChoice };
  models: Model[];
  runs: Record<string, AskRun>;
  onCancel: (slot: 'a' | 'b') => void;
  onUseSql: (sql: string) => void;
}) {
  const resultA = useFinalResult(connectionId, runs.a);
  const resultB = useFinalResult(connectionId, runs.b);
  const verdict = agreement(resultA.data, resultB.data);
  // a side that finished without a result to compare: failed, cancelled, no SQL, or its SQL did not run
  const lacking = (['a', 'b'] as const).find((slot) => {
    const run = runs[slot];
    const result = slot === 'a' ? resultA : resultB;
    return run && run.status !== 'running' && (run.status !== 'done' || !run.trace?.final.sql.trim() || result.error);
  });
  const bothFinished = runs.a && runs.b && runs.a.status !== 'running' && runs.b.status !== 'running';
  return (
    <div className="compare-view" data-testid="compare-view">
      {verdict && (
        <div className={`notice ${verdict.agree ? 'notice-ok' : 'notice-warn'} compare-verdict`} role="status" data-testid="compare-verdict">
          {verdict.text}
        </div>
      )}
      {!verdict && bothFinished && lacking && (
        <div className="notice notice-warn compare-verdict" role="status" data-testid="compare-verdict">
          Cannot compare the results: {lacking.toUpperCase()} has none.
        </div>
      )}
      <div className="compare-sides">
        <Side slot="a" label="A" choice={choices.a} models={models} run={runs.a} result={resultA} onCancel={() => onCancel('a')} onUseSql={onUseSql} />
        <Side slot="b" label="B" choice={choices.b} models={models} run={runs.b} result={resultB} onCancel={() => onCancel('b')} onUseSql={onUseSql} />
      </div>
    </div>
  );
}
