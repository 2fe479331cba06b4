import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { Correction } from '../../../../shared/contract/index.ts';
import { useConnection, useProcedure } from '../../api/hooks.ts';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { timeAgo } from '../../lib/format.ts';

/**
 * The corrections saved on this database: questions with the SQL a person fixed or wrote, the training examples of
 * the corrections dataset. Open one to load it back (question and SQL); delete one that was wrong.
 */
export function CorrectionsPanel({ connectionId, onOpen, onCollapse }: { connectionId: string; onOpen: (c: Correction) => void; onCollapse: () => void }) {
  const { client } = useConnection();
  const queryClient = useQueryClient();
  const list = useProcedure('corrections.list', { connectionId });
  const remove = useMutation({
    mutationFn: (id: number) => client.call('corrections.delete', { id }),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['corrections.list'] }),
  });
  const items = list.data ?? [];
  const now = Date.now();
  return (
    <aside className="history-panel side-list" aria-label="Corrections">
      <div className="history-head">
        <h2>Corrections</h2>
        <button type="button" className="icon-button" onClick={onCollapse} title="Hide the side panel" aria-label="Hide the side panel">
          »
        </button>
      </div>
      <p className="small muted side-note">Training examples saved from the editor. Fine-tuning can use them as a dataset.</p>
      {list.error && <ErrorNotice error={list.error} what="the corrections" />}
      {remove.error && <p className="bad small">Could not delete: {remove.error.message}</p>}
      {list.isSuccess && items.length === 0 && (
        <p className="muted small">None yet. Fix the SQL of an answer in the editor, then “Save as training example”.</p>
      )}
      <ul className="history-list" aria-busy={list.isFetching}>
        {items.map((c) => (
          <li key={c.id} className="history-item" data-testid="correction-entry">
            <button type="button" className="history-open" onClick={() => onOpen(c)} title="Load the question and the SQL">
              <span className="history-meta small">
                {c.traceId ? <span className="badge badge-ok">corrected</span> : <span className="badge">written</span>}
                <time className="muted" dateTime={c.createdAt} title={new Date(c.createdAt).toLocaleString()}>
                  {timeAgo(c.createdAt, now)}
                </time>
              </span>
              <span className="side-question">{c.question}</span>
              <code className="history-sql">{c.sql}</code>
            </button>
            <span className="history-actions">
              <button type="button" className="icon-button" onClick={() => remove.mutate(c.id)} title="Delete this training example" aria-label="Delete">
                ×
              </button>
            </span>
          </li>
        ))}
      </ul>
    </aside>
  );
}
