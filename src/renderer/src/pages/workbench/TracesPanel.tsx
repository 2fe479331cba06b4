import { useEffect, useState } from 'react';
import { keepPreviousData, useMutation, useQueryClient } from '@tanstack/react-query';
import type { Output } from '../../../../shared/contract/index.ts';
import { useConnection, useProcedure } from '../../api/hooks.ts';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { formatElapsed, timeAgo } from '../../lib/format.ts';
import { useDebounced } from '../../components/useDebounced.ts';

type TraceSummary = Output<'traces.list'>[number];
const STATUS_BADGE: Record<TraceSummary['status'], string> = { done: 'badge-ok', failed: 'badge-bad', cancelled: 'badge-warn' };
const LIST_LIMIT = 100;


/** Past asks on this database, newest first: open one's trace beside the results, or on a page of its own. */
export function TracesPanel({ connectionId, openId, onOpen, onCollapse }: { connectionId: string; openId: string | null; onOpen: (id: string) => void; onCollapse: () => void }) {
  const { client } = useConnection();
  const queryClient = useQueryClient();
  const [search, setSearch] = useState('');
  const term = useDebounced(search.trim(), 200);
  const traces = useProcedure('traces.list', { connectionId, search: term || undefined, limit: LIST_LIMIT }, { placeholderData: keepPreviousData });
  const remove = useMutation({
    mutationFn: (id: string) => client.call('traces.delete', { id }),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['traces.list'] }),
  });
  const items = traces.data ?? [];
  const now = Date.now();
  return (
    <aside className="history-panel side-list" aria-label="Traces">
      <div className="history-head">
        <h2>Traces</h2>
        <button type="button" className="icon-button" onClick={onCollapse} title="Hide the side panel" aria-label="Hide the side panel">
          »
        </button>
      </div>
      <input type="search" className="history-search" placeholder="Search the questions…" aria-label="Search the traces" value={search} onChange={(e) => setSearch(e.target.value)} />
      {traces.error && <ErrorNotice error={traces.error} what="the traces" />}
      {remove.error && <p className="bad small">Could not delete: {remove.error.message}</p>}
      {traces.isSuccess && items.length === 0 && <p className="muted small">{term ? `No question matches “${term}”.` : 'Questions you ask appear here with their traces.'}</p>}
      <ul className="history-list" aria-busy={traces.isFetching}>
        {items.map((t) => (
          <li key={t.id} className={`history-item${t.id === openId ? ' side-item-open' : ''}`} data-testid="trace-entry">
            <button type="button" className="history-open" onClick={() => onOpen(t.id)} aria-current={t.id === openId ? 'true' : undefined} title="Show this trace beside the results">
              <span className="history-meta small">
                <span className={`badge ${STATUS_BADGE[t.status]}`}>{t.status}</span>
                <span className="muted">
                  {t.strategy} · {formatElapsed(t.totalMs)}
                </span>
                <time className="muted" dateTime={t.createdAt} title={new Date(t.createdAt).toLocaleString()}>
                  {timeAgo(t.createdAt, now)}
                </time>
              </span>
              <span className="side-question">{t.question}</span>
              <span className="small muted">{t.modelName}</span>
              {t.sql && <code className="history-sql">{t.sql}</code>}
            </button>
            <span className="history-actions">
              <a className="icon-button button-link" href={`#/trace/${encodeURIComponent(t.id)}`} title="Open the trace on a page of its own" aria-label="Open the trace page">
                ↗
              </a>
              <button type="button" className="icon-button" onClick={() => remove.mutate(t.id)} title="Delete this trace" aria-label="Delete">
                ×
              </button>
            </span>
          </li>
        ))}
      </ul>
      {items.length === LIST_LIMIT && <p className="muted small">Showing the newest {LIST_LIMIT}; search to find older ones.</p>}
    </aside>
  );
}
