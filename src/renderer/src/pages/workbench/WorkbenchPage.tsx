import { useState } from 'react';
import type { HistoryEntry } from '../../../../shared/contract.ts';
import { href, navigate } from '../../app/router.ts';
import { ConnectionPicker, useChosenConnection } from '../../components/ConnectionPicker.tsx';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { loadFlag, saveFlag } from './drafts.ts';
import { HistoryPanel } from './HistoryPanel.tsx';
import { Workspace, type PendingSql } from './Workspace.tsx';

/**
 * The Workbench (#/workbench/<connectionId>): write SQL against one database with schema-aware completion, run it
 * in the sandbox, read and export the rows, see the query plan, and go back to anything run before.
 */
export function WorkbenchPage({ rest }: { rest: string[] }) {
  const { connection, connections, isLoading, error } = useChosenConnection(rest[0]);
  const [historyOpen, setHistoryOpen] = useState(() => loadFlag('historyOpen', true));
  const [pending, setPending] = useState<PendingSql | null>(null);

  const showHistory = (open: boolean) => {
    setHistoryOpen(open);
    saveFlag('historyOpen', open);
  };
  /** History entries load into their own database's editor, switching database when needed. */
  const openEntry = (entry: HistoryEntry, run: boolean) => {
    setPending({ connectionId: entry.connectionId, sql: entry.sql, run });
    if (entry.connectionId !== connection?.id) navigate('workbench', entry.connectionId);
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
          <button type="button" onClick={() => showHistory(true)} title="Show the query history">
            History
          </button>
        )}
      </header>
      <div className="workbench-main">
        <ConnectionState connection={connection} isLoading={isLoading} error={error} wanted={rest[0]} />
        {connection?.status === 'ok' && (
          <Workspace
            key={connection.id}
            connection={connection}
            pending={pending}
            onPendingDone={() => setPending(null)}
          />
        )}
      </div>
      {historyOpen && connection && (
        <HistoryPanel
          connectionId={connection.id}
          onOpen={(entry) => openEntry(entry, false)}
          onRerun={(entry) => openEntry(entry, true)}
          onCollapse={() => showHistory(false)}
        />
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
