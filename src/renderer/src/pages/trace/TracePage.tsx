import { useMutation } from '@tanstack/react-query';
import { useConnection, useProcedure } from '../../api/hooks.ts';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { TraceView } from '../../components/trace/TraceView.tsx';

/** A trace on a page of its own (#/trace/<id>), linkable from the Workbench and the Evaluate drill-down. */
export function TracePage({ rest }: { rest: string[] }) {
  const id = rest[0];
  const { client } = useConnection();
  const trace = useProcedure('traces.get', { id: id ?? '' }, { enabled: Boolean(id), retry: false });
  const remove = useMutation({ mutationFn: () => client.call('traces.delete', { id: id! }) });

  if (!id) {
    return (
      <div className="page">
        <h1>Trace</h1>
        <p>
          No trace named in the address. Open one from the <a href="#/workbench">Workbench</a> (Traces tab).
        </p>
      </div>
    );
  }
  return (
    <div className="page trace-page">
      <header className="page-header section-head">
        <h1>Trace</h1>
        <span className="trace-actions">
          {trace.data?.connectionId && (
            <a className="button-link" href={`#/workbench/${encodeURIComponent(trace.data.connectionId)}`}>
              Workbench of {trace.data.database}
            </a>
          )}
          {trace.data && !remove.isSuccess && (
            <button type="button" className="danger-quiet" onClick={() => remove.mutate()} disabled={remove.isPending}>
              Delete trace
            </button>
          )}
        </span>
      </header>
      {remove.isSuccess && (
        <div className="notice notice-ok" role="status">
          The trace was deleted.
        </div>
      )}
      {remove.error && (
        <div className="notice notice-error" role="alert">
          <strong>Could not delete the trace.</strong> {remove.error.message}
        </div>
      )}
      {trace.isLoading && <p className="muted">Loading the trace…</p>}
      {trace.error && <ErrorNotice error={trace.error} what={`trace ${id}`} />}
      {trace.data && !remove.isSuccess && <TraceView trace={trace.data} />}
    </div>
  );
}
