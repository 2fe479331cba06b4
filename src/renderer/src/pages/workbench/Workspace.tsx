import { Suspense, lazy, useEffect, useMemo, useRef, useState } from 'react';
import { useMutation } from '@tanstack/react-query';
import type { Connection, DbSchema, QueryResult } from '../../../../shared/contract/index.ts';
import type { SquillError } from '../../../../shared/errors.ts';
import { useConnection, useProcedure } from '../../api/hooks.ts';
import { loadNumber, saveNumber } from './drafts.ts';
import { ErrorPanel, errorOffset } from './ErrorPanel.tsx';
import { QueryPlan } from './QueryPlan.tsx';
import { ResultView, type RunLimits } from './ResultView.tsx';
import { SaveCorrection, type CorrectionSource } from './SaveCorrection.tsx';
import { SHORTCUTS } from './shortcuts.ts';
import { Splitter } from './Splitter.tsx';
import { TracePanel } from './TracePanel.tsx';
import type { SchemaRelation } from './sqlCompletion.ts';
import type { EditorProblem, RunnableSql, SqlEditorHandle } from './SqlEditor.tsx';
import type { PlanStep } from './planTree.ts';

// Monaco is most of the app's code: it loads with the Workbench, not with the app (browser tabs load faster).
const SqlEditor = lazy(() => import('./SqlEditor.tsx').then((m) => ({ default: m.SqlEditor })));

/** SQL another part of the page wants in the editor (from the history), and whether to run it. */
export interface PendingSql {
  connectionId: string;
  sql: string;
  run: boolean;
}

const ROW_LIMITS = [1_000, 10_000, 100_000, 1_000_000];
const TIMEOUTS_MS = [5_000, 10_000, 30_000, 60_000, 300_000];
const DEFAULT_ROW_LIMIT = 10_000;
const DEFAULT_TIMEOUT_MS = 10_000;
const EDITOR_MIN_HEIGHT = 90;
const EDITOR_DEFAULT_HEIGHT = 220;

/** What the last run or explain gave; `text` is the editor's text then, `offset` where the SQL sent started in it. */
type Outcome =
  | { kind: 'result'; result: QueryResult; limits: RunLimits; runId: number }
  | { kind: 'plan'; steps: PlanStep[]; sql: string }
  | { kind: 'error'; error: SquillError | Error; text: string; offset: number | null };

interface Submitted extends RunnableSql {
  text: string;
}

const relationsOf = (schema: DbSchema | undefined): SchemaRelation[] =>
  schema
    ? [
        ...schema.tables.map((t) => ({ name: t.name, kind: 'table' as const, columns: t.columns.map((c) => ({ name: c.name, type: c.type })) })),
        ...schema.views.map((v) => ({ name: v.name, kind: 'view' as const, columns: v.columns })),
      ]
    : [];

export interface WorkspaceProps {
  connection: Connection;
  pending: PendingSql | null;
  onPendingDone: () => void;
  /** the trace shown beside the results */
  traceId?: string | null;
  onCloseTrace?: () => void;
  /** the question the editor's SQL answers, for saving it as a training example */
  correction?: CorrectionSource | null;
}

/** The SQL side of the workbench for one database: toolbar, editor, and what the last run gave (and its trace). */
export function Workspace({ connection, pending, onPendingDone, traceId = null, onCloseTrace, correction = null }: WorkspaceProps) {
  const { client } = useConnection();
  const connectionId = connection.id;
  const editor = useRef<SqlEditorHandle>(null);
  const [editorReady, setEditorReady] = useState(false);
  const [hasSelection, setHasSelection] = useState(false);
  const [editorHeight, setEditorHeight] = useState(() => loadNumber('editorHeight', EDITOR_DEFAULT_HEIGHT));
  const [rowLimit, setRowLimit] = useState(() => loadNumber('rowLimit', DEFAULT_ROW_LIMIT));
  const [timeoutMs, setTimeoutMs] = useState(() => loadNumber('timeoutMs', DEFAULT_TIMEOUT_MS));
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [hint, setHint] = useState<string | null>(null);
  const runCount = useRef(0);

  const schema = useProcedure('schema.get', { connectionId }, { staleTime: 60_000 });
  const relations = useMemo(() => relationsOf(schema.data), [schema.data]);

  /** A failure, with the offset it points at moved from the SQL sent to the editor's text. */
  const failed = (error: SquillError | Error, submitted: Submitted) => {
    const at = errorOffset(error);
    setOutcome({ kind: 'error', error, text: submitted.text, offset: at === null ? null : submitted.offset + at });
  };
  const run = useMutation({
    mutationFn: (s: Submitted) =>
      client.call('query.run', { connectionId, sql: s.sql, recordHistory: true, limits: { maxRows: rowLimit, timeoutMs } }),
    onSuccess: (result) => setOutcome({ kind: 'result', result, limits: { maxRows: rowLimit }, runId: ++runCount.current }),
    onError: failed,
  });
  const explain = useMutation({
    mutationFn: (s: Submitted) => client.call('query.explain', { connectionId, sql: s.sql }),
    onSuccess: ({ steps }, s) => setOutcome({ kind: 'plan', steps, sql: s.sql }),
    onError: failed,
  });
  const busy = run.isPending || explain.isPending;

  /** The SQL to send: the selection (unless `whole`), else everything; null with a hint when there is none. */
  const submission = (whole: boolean): Submitted | null => {
    const handle = editor.current;
    if (!handle) return null;
    const runnable = handle.runnable(whole);
    if (runnable.sql.trim() === '') {
      setHint('There is no SQL to run: write a query first.');
      return null;
    }
    setHint(null);
    return { ...runnable, text: handle.text() };
  };
  const runSql = (whole: boolean) => {
    const s = !busy && submission(whole);
    if (s) run.mutate(s);
  };
  const explainSql = () => {
    const s = !busy && submission(false);
    if (s) explain.mutate(s);
  };
  const formatSql = () => {
    const problem = editor.current?.format();
    setHint(problem ? `Could not format: ${problem}` : null);
  };

  // SQL from the history: into the editor (one undoable edit), and run when asked.
  useEffect(() => {
    if (!editorReady || !pending || pending.connectionId !== connectionId) return;
    editor.current!.replaceText(pending.sql);
    onPendingDone();
    if (pending.run) runSql(true);
  });

  // memoized: the editor re-marks on every new problem, and must not bring back a marker that an edit removed
  const problem = useMemo<EditorProblem | null>(
    () => (outcome?.kind === 'error' && outcome.offset !== null ? { offset: outcome.offset, message: outcome.error.message } : null),
    [outcome],
  );

  return (
    <section className="workspace" aria-label="SQL editor and results">
      <div className="toolbar" role="toolbar" aria-label="Query">
        <button type="button" className="primary" onClick={() => runSql(true)} disabled={busy || !editorReady} title={`Run everything in the editor (${SHORTCUTS.run} runs the selection when there is one)`}>
          ▶ Run
        </button>
        <button type="button" onClick={() => runSql(false)} disabled={busy || !hasSelection} title={`Run only the selected text (${SHORTCUTS.run})`}>
          Run selection
        </button>
        <button type="button" onClick={explainSql} disabled={busy || !editorReady} title={`Show SQLite's query plan (EXPLAIN QUERY PLAN) of the selection, else everything (${SHORTCUTS.explain})`}>
          Explain
        </button>
        <button type="button" onClick={formatSql} disabled={!editorReady} title={`Format the SQL, or only the selection (${SHORTCUTS.format})`}>
          Format
        </button>
        <span className="toolbar-sep" />
        <label className="toolbar-field" title="Rows read at most; the result says when it was cut short">
          Row limit{' '}
          <select
            value={rowLimit}
            onChange={(e) => {
              setRowLimit(Number(e.target.value));
              saveNumber('rowLimit', Number(e.target.value));
            }}
          >
            {ROW_LIMITS.map((n) => (
              <option key={n} value={n}>
                {n.toLocaleString('en-US')}
              </option>
            ))}
          </select>
        </label>
        <label className="toolbar-field" title="A query still running after this long is stopped">
          Timeout{' '}
          <select
            value={timeoutMs}
            onChange={(e) => {
              setTimeoutMs(Number(e.target.value));
              saveNumber('timeoutMs', Number(e.target.value));
            }}
          >
            {TIMEOUTS_MS.map((ms) => (
              <option key={ms} value={ms}>
                {ms < 60_000 ? `${ms / 1000} s` : `${ms / 60_000} min`}
              </option>
            ))}
          </select>
        </label>
        <span className="toolbar-sep" />
        <SaveCorrection connectionId={connectionId} source={correction} sql={() => editor.current?.text() ?? ''} disabled={!editorReady} />
        <span className="toolbar-spacer" />
        {busy && (
          <span className="muted small" role="status">
            <span className="spinner" aria-hidden /> {run.isPending ? 'Running…' : 'Explaining…'}
          </span>
        )}
        {schema.error && (
          <span className="muted small" title={schema.error.message}>
            Schema unavailable: completion knows no tables
          </span>
        )}
      </div>
      <div className="editor-pane" style={{ height: editorHeight }}>
        <Suspense fallback={<div className="muted small sql-editor-loading">Loading the editor…</div>}>
          <SqlEditor
          ref={editor}
          connectionId={connectionId}
          relations={relations}
          problem={problem}
          onRun={() => runSql(false)}
          onExplain={explainSql}
          onFormat={formatSql}
          onSelectionChange={setHasSelection}
          onReady={() => setEditorReady(true)}
          />
        </Suspense>
      </div>
      <Splitter
        label="Editor height"
        value={editorHeight}
        min={EDITOR_MIN_HEIGHT}
        max={Math.max(EDITOR_MIN_HEIGHT, window.innerHeight - 260)}
        onChange={(h) => {
          setEditorHeight(h);
          saveNumber('editorHeight', h);
        }}
      />
      {hint && (
        <div className="notice notice-warn workspace-hint" role="status">
          {hint}
        </div>
      )}
      <div className={`results-row${traceId ? ' results-with-trace' : ''}`}>
        <div className={`results-pane${busy ? ' results-busy' : ''}`} aria-label="Results">
          <OutcomeView outcome={outcome} connectionId={connectionId} onLocate={(offset) => editor.current?.revealOffset(offset)} />
        </div>
        {traceId && (
          <TracePanel
            traceId={traceId}
            onClose={() => onCloseTrace?.()}
            onUseSql={(sql) => {
              editor.current?.replaceText(sql);
              runSql(true);
            }}
          />
        )}
      </div>
    </section>
  );
}

function OutcomeView({ outcome, connectionId, onLocate }: { outcome: Outcome | null; connectionId: string; onLocate: (offset: number) => void }) {
  if (outcome === null) {
    return (
      <div className="results-empty muted">
        <p>Run a query to see its rows here.</p>
        <p className="small">
          {SHORTCUTS.run} runs the selection, or everything when nothing is selected · {SHORTCUTS.complete} completes table and column
          names · {SHORTCUTS.explain} shows the query plan · {SHORTCUTS.format} formats
        </p>
      </div>
    );
  }
  if (outcome.kind === 'error') {
    return <ErrorPanel error={outcome.error} editorText={outcome.text} editorOffset={outcome.offset} onLocate={onLocate} />;
  }
  if (outcome.kind === 'plan') return <QueryPlan steps={outcome.steps} sql={outcome.sql} />;
  // keyed by run: a new result starts with no selection and fresh column widths
  return <ResultView key={outcome.runId} result={outcome.result} limits={outcome.limits} connectionId={connectionId} />;
}
