import { useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import type { Correction, HistoryEntry, Trace } from '../../../../shared/contract/index.ts';
import { procedureKey } from '../../api/hooks.ts';
import { href, navigate } from '../../app/router.ts';
import { ConnectionPicker, useChosenConnection } from '../../components/ConnectionPicker.tsx';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { AskPanel } from './AskPanel.tsx';
import { CorrectionsPanel } from './CorrectionsPanel.tsx';
import { loadFlag, saveFlag } from './drafts.ts';
import { HistoryPanel } from './HistoryPanel.tsx';
import { SideTabs, isSideTab, type SideTab } from './SideTabs.tsx';
import { TracesPanel } from './TracesPanel.tsx';
import { Workspace, type PendingSql } from './Workspace.tsx';

const SIDE_TAB_KEY = 'squill.workbench.sideTab';

function loadSideTab(): SideTab {
  try {
    const v = localStorage.getItem(SIDE_TAB_KEY);
    return isSideTab(v) ? v : 'history';
  } catch {
    return 'history';
  }
}

/**
 * The Workbench (#/workbench/<connectionId>): ask a question and get SQL from a model with every step traced, or
 * write SQL with schema-aware completion; run it in the sandbox, read and export the rows, see the query plan, save
 * a corrected answer as a training example, and go back to anything run or asked before.
 */
export function WorkbenchPage({ rest }: { rest: string[] }) {
  const { connection, connections, isLoading, error } = useChosenConnection(rest[0]);
  const queryClient = useQueryClient();
  const [historyOpen, setHistoryOpen] = useState(() => loadFlag('historyOpen', true));
  const [sideTab, setSideTab] = useState<SideTab>(loadSideTab);
  const [pending, setPending] = useState<PendingSql | null>(null);
  const [question, setQuestion] = useState('');
  const [evidence, setEvidence] = useState('');
  const [compare, setCompare] = useState(() => loadFlag('askCompare', false));
  const [openTraceId, setOpenTraceId] = useState<string | null>(null);
  /** the last answer, so a correction of its SQL records where it came from */
  const [lastAnswer, setLastAnswer] = useState<{ traceId: string; question: string } | null>(null);

  const showHistory = (open: boolean) => {
    setHistoryOpen(open);
    saveFlag('historyOpen', open);
  };
  const chooseTab = (tab: SideTab) => {
    setSideTab(tab);
    try {
      localStorage.setItem(SIDE_TAB_KEY, tab);
    } catch {
      // not remembered
    }
  };
  const chooseCompare = (on: boolean) => {
    setCompare(on);
    saveFlag('askCompare', on);
  };
  /** SQL into a database's editor, switching database when needed. */
  const load = (connectionId: string, sql: string, run: boolean) => {
    setPending({ connectionId, sql, run });
    if (connectionId !== connection?.id) navigate('workbench', connectionId);
  };
  const openEntry = (entry: HistoryEntry, run: boolean) => load(entry.connectionId, entry.sql, run);
  const openCorrection = (c: Correction) => {
    setQuestion(c.question);
    setEvidence(c.evidence ?? '');
    setLastAnswer(c.traceId ? { traceId: c.traceId, question: c.question } : null);
    load(c.connectionId, c.sql, true);
  };
  /** An answer: its SQL into the editor and run in full (the trace keeps only a preview), its trace beside the rows. */
  const answered = (trace: Trace) => {
    queryClient.setQueryData(procedureKey('traces.get', { id: trace.id }), trace);
    setOpenTraceId(trace.id);
    setLastAnswer({ traceId: trace.id, question: trace.question });
    if (trace.final.sql.trim() && connection) load(trace.connectionId ?? connection.id, trace.final.sql, true);
  };
  const useSqlFromCompare = (sql: string) => {
    chooseCompare(false);
    if (connection) load(connection.id, sql, true);
  };
  const openTrace = (trace: Trace) => {
    queryClient.setQueryData(procedureKey('traces.get', { id: trace.id }), trace);
    setOpenTraceId(trace.id);
  };

  const correction = {
    question,
    evidence,
    traceId: lastAnswer && lastAnswer.question.trim() === question.trim() ? lastAnswer.traceId : null,
  };

  return (
    <div className={`page workbench${historyOpen ? '' : ' workbench-history-closed'}`}>
      <header className="workbench-header">
        <h1>Workbench</h1>
        {connections && (
          <ConnectionPicker value={connection?.id} connections={connections} onChange={(id) => navigate('workbench', id)} />
        )}
        {connection && (
          <a href={href('schema', connection.id)} className="small">
            Schema of {connection.name}
          </a>
        )}
        <span className="toolbar-spacer" />
        {!historyOpen && (
          <button type="button" onClick={() => showHistory(true)} title="Show the history, traces and corrections">
            History
          </button>
        )}
      </header>
      <div className={`workbench-main${compare ? ' workbench-comparing' : ''}`}>
        <ConnectionState connection={connection} isLoading={isLoading} error={error} wanted={rest[0]} />
        {connection?.status === 'ok' && (
          <>
            <AskPanel
              key={`ask-${connection.id}`}
              connection={connection}
              question={question}
              evidence={evidence}
              onQuestionChange={setQuestion}
              onEvidenceChange={setEvidence}
              onAnswer={answered}
              onOpenTrace={openTrace}
              compare={compare}
              onCompareChange={chooseCompare}
              onUseSql={useSqlFromCompare}
            />
            {!compare && (
              <Workspace
                key={connection.id}
                connection={connection}
                pending={pending}
                onPendingDone={() => setPending(null)}
                traceId={openTraceId}
                onCloseTrace={() => setOpenTraceId(null)}
                correction={correction}
              />
            )}
          </>
        )}
      </div>
      {historyOpen && connection && (
        <div className="side-panel">
          <SideTabs value={sideTab} onChange={chooseTab} panelId="workbench-side-panel" />
          <div id="workbench-side-panel" role="tabpanel" aria-labelledby={`side-tab-${sideTab}`} className="side-panel-body">
            {sideTab === 'history' && (
              <HistoryPanel
                connectionId={connection.id}
                onOpen={(entry) => openEntry(entry, false)}
                onRerun={(entry) => openEntry(entry, true)}
                onCollapse={() => showHistory(false)}
              />
            )}
            {sideTab === 'traces' && (
              <TracesPanel
                connectionId={connection.id}
                openId={openTraceId}
                onOpen={(id) => {
                  chooseCompare(false);
                  setOpenTraceId(id);
                }}
                onCollapse={() => showHistory(false)}
              />
            )}
            {sideTab === 'corrections' && <CorrectionsPanel connectionId={connection.id} onOpen={openCorrection} onCollapse={() => showHistory(false)} />}
          </div>
        </div>
      )}
    </div>
  );
}

/** Why there is no editor: databases still loading, failed, unknown in the address, or the file is unusable. */
function ConnectionState({
  connection,
  isLoading,
  error,
  wanted,
}: {
  connection: ReturnType<typeof useChosenConnection>['connection'];
  isLoading: boolean;
  error: Error | null;
  wanted: string | undefined;
}) {
  if (isLoading) return <p className="muted">Loading databases…</p>;
  if (error) return <ErrorNotice error={error} what="the databases" />;
  if (!connection) {
    return (
      <div className="notice notice-error" role="alert">
        {wanted ? (
          <>
            There is no database “{wanted}”. Choose one above, or <a href={href('databases')}>add it on the Databases page</a>.
          </>
        ) : (
          <>
            No database yet. <a href={href('databases')}>Add one on the Databases page</a>.
          </>
        )}
      </div>
    );
  }
  if (connection.status !== 'ok') {
    return (
      <div className="notice notice-error" role="alert">
        <strong>{connection.name}</strong> cannot be opened ({connection.status}){connection.error ? `: ${connection.error}` : ''}.{' '}
        <a href={href('databases')}>Check it on the Databases page</a>.
      </div>
    );
  }
  return null;
}
