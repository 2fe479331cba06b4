import { createContext, useContext, useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { useQuery, type UseQueryOptions } from '@tanstack/react-query';
import type { EventName, Input, Output, Payload, ProcedureName } from '../../../shared/contract/index.ts';
import type { SquillError } from '../../../shared/errors.ts';
import type { Connection } from './client.ts';

export const ConnectionContext = createContext<Connection | null>(null);

export function useConnection(): Connection {
  const connection = useContext(ConnectionContext);
  if (!connection) throw new Error('useConnection outside ConnectionContext');
  return connection;
}

export const procedureKey = <N extends ProcedureName>(name: N, input?: Input<N>) => [name, input ?? {}] as const;

/** A contract procedure as a react-query query, keyed by [name, input]. */
export function useProcedure<N extends ProcedureName>(
  name: N,
  input?: Input<N>,
  options: Omit<UseQueryOptions<Output<N>, SquillError>, 'queryKey' | 'queryFn'> = {},
) {
  const { client } = useConnection();
  return useQuery<Output<N>, SquillError>({
    queryKey: procedureKey(name, input),
    queryFn: () => (client.call as (n: N, i?: Input<N>) => Promise<Output<N>>)(name, input),
    ...options,
  });
}

/** Calls `listener` with each payload of a contract event while the component is mounted. */
export function useEvent<E extends EventName>(name: E, listener: (payload: Payload<E>) => void): void {
  const { client } = useConnection();
  const latest = useRef(listener);
  latest.current = listener;
  useEffect(() => client.on(name, (p) => latest.current(p)), [client, name]);
}

/** The last `limit` payloads of an event, newest last. */
export function useEventHistory<E extends EventName>(name: E, limit: number): Payload<E>[] {
  const [items, setItems] = useState<Payload<E>[]>([]);
  useEvent(name, (p) => setItems((prev) => [...prev.slice(-(limit - 1)), p]));
  return items;
}

export function useConnectionStatus() {
  const connection = useConnection();
  return useSyncExternalStore(connection.onStatus, connection.status);
}
