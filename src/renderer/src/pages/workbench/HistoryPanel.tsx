import { useEffect, useState } from 'react';
import { keepPreviousData, useMutation, useQueryClient } from '@tanstack/react-query';
import type { HistoryEntry } from '../../../../shared/contract/index.ts';
import { useConnection, useEvent, useProcedure } from '../../api/hooks.ts';
import { formatCount, formatElapsed, timeAgo } from '../../lib/format.ts';
import { loadFlag, saveFlag } from './drafts.ts';
import { useDebounced } from '../../components/useDebounced.ts';

const SEARCH_DELAY_MS = 200;
const LIST_LIMIT = 200;

const STATUS_BADGE: Record<HistoryEntry['status'], string> = {
  ok: 'badge-ok',
  error: 'badge-bad',
  refused: 'badge-warn',
  timeout: 'badge-warn',
};

/** The current time, refreshed every `everyMs` (so "5 min ago" moves on). */
function useNow(everyMs: number): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}


/**
 * Past runs, newest first, live: every run anywhere (this window, another tab, the CLI) arrives through the
 * history.added event. Click an entry to load its SQL into the editor; re-run it; delete one or all.
 */
export function HistoryPanel({
  connectionId,
  onOpen,
  onRerun,
  onCollapse,
}: {
  connectionId: string;
  onOpen: (entry: HistoryEntry) => void;
  onRerun: (entry: HistoryEntry) => void;
  onCollapse: () => void;
}) {
  const { client } = useConnection();
  const queryClient = useQueryClient();
  const [search, setSearch] = useState('');
  const [allDatabases, setAllDatabases] = useState(() => loadFlag('historyAllDatabases', false));
  const searchTerm = useDebounced(search.trim(), SEARCH_DELAY_MS);
  const history = useProcedure(
    'history.list',
    { search: searchTerm || undefined, connectionId: allDatabases ? undefined : connectionId, limit: LIST_LIMIT },
    { placeholderData: keepPreviousData },
  );
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['history.list'] });
  useEvent('history.added', () => void refresh());
  const remove = useMutation({ mutationFn: (id?: number) => client.call('history.delete', id === undefined ? {} : { id }), onSettled: refresh });
  const [confirmClear, setConfirmClear] = useState(false);
  const now = useNow(30_000);

  const entries = history.data ?? [];
  return (
    <aside className="history-panel" aria-label="Query history">
      <div className="history-head">
        <h2>History</h2>
        <button type="button" className="icon-button" onClick={onCollapse} title="Hide the history" aria-label="Hide the history">
          »
        </button>
      </div>
      <input
        type="search"
        className="history-search"
        placeholder="Search the SQL…"
        aria-label="Search the history"
        value={search}
        onChange={(e) => setSearch(e.target.value)}
      />
      <div className="history-options small">
        <label>
          <input
            type="checkbox"
            checked={allDatabases}
            onChange={(e) => {
              setAllDatabases(e.target.checked);
              saveFlag('historyAllDatabases', e.target.checked);
            }}
          />{' '}
          All databases
        </label>
        {confirmClear ? (
          <span className="history-confirm">
            Delete every entry?{' '}
            <button type="button" className="danger" onClick={() => { remove.mutate(undefined); setConfirmClear(false); }}>
              Delete all
            </button>{' '}
            <button type="button" onClick={() => setConfirmClear(false)}>
              Keep
            </button>
          </span>
        ) : (
          <button type="button" onClick={() => setConfirmClear(true)} disabled={entries.length === 0 && !searchTerm} title="Delete the whole history (all databases)">
            Clear all
          </button>
        )}
      </div>
      {history.error && <p className="bad small">Could not load the history: {history.error.message}</p>}
      {remove.error && <p className="bad small">Could not delete: {remove.error.message}</p>}
      {history.isSuccess && entries.length === 0 && (
        <p className="muted small">{searchTerm ? `No query matches “${searchTerm}”.` : 'Queries you run appear here.'}</p>
      )}
      <ul className="history-list" aria-busy={history.isFetching}>
        {entries.map((entry) => (
          <HistoryItem
            key={entry.id}
            entry={entry}
            showDatabase={allDatabases}
            now={now}
            onOpen={() => onOpen(entry)}
            onRerun={() => onRerun(entry)}
            onDelete={() => remove.mutate(entry.id)}
          />
        ))}
      </ul>
      {entries.length === LIST_LIMIT && <p className="muted small">Showing the newest {LIST_LIMIT}; search to find older ones.</p>}
    </aside>
  );
}

function HistoryItem({
  entry,
  showDatabase,
  now,
  onOpen,
  onRerun,
  onDelete,
}: {
  entry: HistoryEntry;
  showDatabase: boolean;
  now: number;
  onOpen: () => void;
  onRerun: () => void;
  onDelete: () => void;
}) {
  const facts = [
    entry.rowCount !== null && entry.status === 'ok' ? `${formatCount(entry.rowCount)} ${entry.rowCount === 1 ? 'row' : 'rows'}` : null,
    entry.elapsedMs !== null ? formatElapsed(entry.elapsedMs) : null,
  ].filter(Boolean);
  return (
    <li className="history-item" data-testid="history-entry">
      <button type="button" className="history-open" onClick={onOpen} title={`Load into the editor:\n${entry.sql}`}>
        <span className="history-meta small">
          <span className={`badge ${STATUS_BADGE[entry.status]}`}>{entry.status}</span>
          {facts.length > 0 && <span className="muted">{facts.join(' · ')}</span>}
          <time className="muted" dateTime={entry.createdAt} title={new Date(entry.createdAt).toLocaleString()}>
            {timeAgo(entry.createdAt, now)}
          </time>
        </span>
        {showDatabase && <span className="history-db small muted">{entry.connectionName ?? entry.connectionId}</span>}
        <code className="history-sql">{entry.sql}</code>
        {entry.error && <span className="history-error small">{entry.error}</span>}
      </button>
      <span className="history-actions">
        <button type="button" className="icon-button" onClick={onRerun} title="Load into the editor and run" aria-label="Re-run">
          ▶
        </button>
        <button type="button" className="icon-button" onClick={onDelete} title="Delete this entry" aria-label="Delete">
          ×
        </button>
      </span>
    </li>
  );
}
