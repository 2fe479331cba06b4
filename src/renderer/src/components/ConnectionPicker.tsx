import { useEffect } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import type { Connection } from '../../../shared/contract/index.ts';
import { procedureKey, useEvent, useProcedure } from '../api/hooks.ts';

const LAST_KEY = 'squill.lastConnection';

/** The list of databases, kept fresh by the connections.changed event. */
export function useConnections() {
  const queryClient = useQueryClient();
  useEvent('connections.changed', (list) => queryClient.setQueryData(procedureKey('connections.list'), list));
  return useProcedure('connections.list');
}

/**
 * The database a page works on: the one in its address if any, else the last one used, else the first. Remembered
 * per browser/window so Workbench and Schema open where the user left off.
 */
export function useChosenConnection(fromRoute: string | undefined): {
  connection: Connection | undefined;
  connections: Connection[] | undefined;
  isLoading: boolean;
  error: Error | null;
} {
  const list = useConnections();
  const connections = list.data;
  const wanted = fromRoute ?? localStorage.getItem(LAST_KEY) ?? undefined;
  const connection = connections?.find((c) => c.id === wanted) ?? (fromRoute ? undefined : connections?.[0]);
  useEffect(() => {
    if (connection) localStorage.setItem(LAST_KEY, connection.id);
  }, [connection]);
  return { connection, connections, isLoading: list.isLoading, error: list.error };
}

/** A select of the known databases; unusable ones are shown but disabled. */
export function ConnectionPicker({
  value,
  connections,
  onChange,
}: {
  value: string | undefined;
  connections: Connection[];
  onChange: (id: string) => void;
}) {
  return (
    <label className="connection-picker">
      <span className="muted">Database</span>{' '}
      <select value={value ?? ''} onChange={(e) => onChange(e.target.value)} aria-label="Database">
        {value === undefined && <option value="">Choose a database…</option>}
        {connections.map((c) => (
          <option key={c.id} value={c.id} disabled={c.status !== 'ok'}>
            {c.name}
            {c.status !== 'ok' ? ` (${c.status})` : ''}
          </option>
        ))}
      </select>
    </label>
  );
}
