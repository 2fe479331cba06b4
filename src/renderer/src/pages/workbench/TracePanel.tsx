import { useProcedure } from '../../api/hooks.ts';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { TraceView } from '../../components/trace/index.ts';

/** The trace of an ask beside the results (fetched by id; an ask that just finished is already in the cache). */
export function TracePanel({ traceId, onClose, onUseSql }: { traceId: string; onClose: () => void; onUseSql: (sql: string) => void }) {
  const trace = useProcedure('traces.get', { id: traceId }, { staleTime: Infinity, retry: false });
  return (
    <aside className="trace-panel" aria-label="Trace of the answer">
      <div className="trace-panel-head">
        <h2>Trace</h2>
        <span className="toolbar-spacer" />
        <a className="small" href={`#/trace/${encodeURIComponent(traceId)}`} title="Open the trace on a page of its own">
          Open as page
        </a>
        <button type="button" className="icon-button" onClick={onClose} title="Close the trace" aria-label="Close the trace">
          ×
        </button>
      </div>
      <div className="trace-panel-body">
        {trace.isLoading && <p className="muted small">Loading the trace…</p>}
        {trace.error && <ErrorNotice error={trace.error} what="the trace" />}
        {trace.data && <TraceView trace={trace.data} onUseSql={onUseSql} compact />}
      </div>
    </aside>
  );
}
