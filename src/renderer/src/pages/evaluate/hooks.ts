/**
 * Data of the Evaluate page: live progress (the eval.progress event patched into the cached runs, with throttled
 * refetches of what a running evaluation changes), the remembered examples filter of each run, the mutations, and
 * where the drill-down's previous/next example lie within the filter.
 */
import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { useMutation, useQuery, useQueryClient, type Query, type QueryClient } from '@tanstack/react-query';
import type { EvalExample, EvalRun, Input, Payload } from '../../../../shared/contract/index.ts';
import type { SquillError } from '../../../../shared/errors.ts';
import { procedureKey, useConnection, useEvent } from '../../api/hooks.ts';
import { EMPTY_FILTER, filterKey, parseFilterState, type EvalFilter, type FilterState } from './filters.ts';

// ---------------------------------------------------------------------------------------------------------------
// Live progress

const keyRunId = (query: Query): string | undefined => (query.queryKey[1] as { runId?: string } | undefined)?.runId;

/** Every cached query about one run (eval.run, eval.examples, eval.example). */
const aboutRun = (runId: string) => (query: Query) =>
  typeof query.queryKey[0] === 'string' && query.queryKey[0].startsWith('eval.') && keyRunId(query) === runId;

function invalidateRun(queryClient: QueryClient, runId: string) {
  void queryClient.invalidateQueries({ predicate: aboutRun(runId) });
  void queryClient.invalidateQueries({ queryKey: procedureKey('eval.runs') });
  void queryClient.invalidateQueries({ queryKey: ['eval.compare'] });
}

/** How often a running evaluation's summary and examples are fetched again while progress events arrive. */
const REFRESH_MS = 1500;

/**
 * Keeps every cached run current from eval.progress: done/total/status are patched in at once (the progress bars
 * move with each event); summaries and example lists are refetched at most every REFRESH_MS while a run goes on,
 * and at once when its status changes. Mounted once, by the Evaluate page.
 */
export function useEvalProgress(): void {
  const queryClient = useQueryClient();
  const lastRefresh = useRef(new Map<string, number>());
  const pending = useRef(new Map<string, ReturnType<typeof setTimeout>>());

  useEffect(() => {
    const timers = pending.current;
    return () => {
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
    };
  }, []);

  useEvent('eval.progress', (p: Payload<'eval.progress'>) => {
    const patch = (run: EvalRun): EvalRun => ({ ...run, done: p.done, total: p.total, status: p.status });
    const runs = queryClient.getQueryData<EvalRun[]>(procedureKey('eval.runs'));
    const before = runs?.find((r) => r.id === p.runId) ?? queryClient.getQueryData<EvalRun>(procedureKey('eval.run', { runId: p.runId }));
    queryClient.setQueryData<EvalRun[]>(procedureKey('eval.runs'), (list) => list?.map((r) => (r.id === p.runId ? patch(r) : r)));
    queryClient.setQueryData<EvalRun>(procedureKey('eval.run', { runId: p.runId }), (run) => (run ? patch(run) : run));

    const statusChanged = !before || before.status !== p.status;
    if (statusChanged || p.status !== 'running') {
      clearTimeout(pending.current.get(p.runId));
      pending.current.delete(p.runId);
      lastRefresh.current.set(p.runId, Date.now());
      invalidateRun(queryClient, p.runId);
      return;
    }
    // throttled: at most one refetch per REFRESH_MS, and always one after the last event of a burst
    if (pending.current.has(p.runId)) return;
    const wait = Math.max(0, (lastRefresh.current.get(p.runId) ?? 0) + REFRESH_MS - Date.now());
    pending.current.set(
      p.runId,
      setTimeout(() => {
        pending.current.delete(p.runId);
        lastRefresh.current.set(p.runId, Date.now());
        void queryClient.invalidateQueries({ predicate: aboutRun(p.runId) });
        void queryClient.invalidateQueries({ queryKey: procedureKey('eval.runs') });
      }, wait),
    );
  });
}

/** Polling while a run runs: a safety net for progress events lost to a reconnect. */
export const pollWhileRunning = (run: EvalRun | undefined) => (run?.status === 'running' ? 4000 : false);

/** The current time, every `ms` while `active` (elapsed times of running evaluations). */
export function useNow(active: boolean, ms = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [active, ms]);
  return now;
}

// ---------------------------------------------------------------------------------------------------------------
// Mutations

export function useStartRun() {
  const { client } = useConnection();
  const queryClient = useQueryClient();
  return useMutation<{ runId: string }, SquillError, Input<'eval.start'>>({
    mutationFn: (input) => client.call('eval.start', input),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: procedureKey('eval.runs') }),
  });
}

/** Starts a run that answers the benchmark with a model first (eval.generate). */
export function useGenerateRun() {
  const { client } = useConnection();
  const queryClient = useQueryClient();
  return useMutation<{ runId: string }, SquillError, Input<'eval.generate'>>({
    mutationFn: (input) => client.call('eval.generate', input),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: procedureKey('eval.runs') }),
  });
}

export function useCancelRun(runId: string) {
  const { client } = useConnection();
  const queryClient = useQueryClient();
  return useMutation<{ cancelled: boolean }, SquillError>({
    mutationFn: () => client.call('eval.cancel', { runId }),
    onSettled: () => invalidateRun(queryClient, runId),
  });
}

export function useDeleteRun() {
  const { client } = useConnection();
  const queryClient = useQueryClient();
  return useMutation<{ deleted: boolean }, SquillError, string>({
    mutationFn: (runId) => client.call('eval.delete', { runId }),
    onSuccess: (_, runId) => {
      queryClient.setQueryData<EvalRun[]>(procedureKey('eval.runs'), (list) => list?.filter((r) => r.id !== runId));
      queryClient.removeQueries({ predicate: aboutRun(runId) });
      forgetFilter(runId);
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: procedureKey('eval.runs') }),
  });
}

// ---------------------------------------------------------------------------------------------------------------
// The examples filter of each run, remembered for the tab (the run page and its drill-down share it)

const FILTER_KEY = (runId: string) => `squill.evalFilter.${runId}`;
const filterListeners = new Set<() => void>();
const filterCache = new Map<string, FilterState>();

function readFilter(runId: string): FilterState {
  let state = filterCache.get(runId);
  if (!state) {
    let stored: string | null = null;
    try {
      stored = sessionStorage.getItem(FILTER_KEY(runId));
    } catch {
      // storage blocked: the filter lives for this page only
    }
    state = parseFilterState(stored);
    filterCache.set(runId, state);
  }
  return state;
}

function writeFilter(runId: string, state: FilterState) {
  filterCache.set(runId, state);
  try {
    sessionStorage.setItem(FILTER_KEY(runId), JSON.stringify(state));
  } catch {
    // as above
  }
  for (const listener of filterListeners) listener();
}

function forgetFilter(runId: string) {
  filterCache.delete(runId);
  try {
    sessionStorage.removeItem(FILTER_KEY(runId));
  } catch {
    // as above
  }
}

const subscribeFilters = (listener: () => void) => {
  filterListeners.add(listener);
  return () => filterListeners.delete(listener);
};

export function useRunFilter(runId: string): [FilterState, (state: FilterState) => void] {
  const state = useSyncExternalStore(subscribeFilters, () => readFilter(runId));
  return [state, (next) => writeFilter(runId, next)];
}

export const resetRunFilter = (runId: string) => writeFilter(runId, EMPTY_FILTER);

// ---------------------------------------------------------------------------------------------------------------
// Previous / next within the filter

/** Where an example was in the filtered list when it was opened (from the table, or by previous/next). */
const positions = new Map<string, number>();
const positionKey = (runId: string, filter: EvalFilter | undefined, index: number) => `${runId}|${filterKey(filter)}|${index}`;

export function rememberPosition(runId: string, filter: EvalFilter | undefined, index: number, position: number) {
  positions.set(positionKey(runId, filter, index), position);
}

export interface Neighbours {
  /** 0-based position of the example in the filtered list, or null when it is not in it */
  position: number | null;
  total: number;
  prev: EvalExample | null;
  next: EvalExample | null;
}

const PAGE = 1000;

/**
 * The examples before and after `index` in the filtered list. With a remembered position, one small request reads
 * the three examples around it; without one (a reload, a pasted address) the filtered list is read in pages to find it.
 */
export function useNeighbours(runId: string, filter: EvalFilter | undefined, index: number, enabled = true) {
  const { client } = useConnection();
  const hint = positions.get(positionKey(runId, filter, index));
  return useQuery<Neighbours, SquillError>({
    queryKey: ['eval.examples', { runId }, 'neighbours', filterKey(filter), index, hint ?? null],
    queryFn: async () => {
      if (hint !== undefined) {
        const offset = Math.max(0, hint - 1);
        const page = await client.call('eval.examples', { runId, filter, offset, limit: 3 });
        const at = page.items.findIndex((e) => e.index === index);
        if (at !== -1) {
          return {
            position: offset + at,
            total: page.total,
            prev: page.items[at - 1] ?? null,
            next: page.items[at + 1] ?? null,
          };
        }
      }
      let offset = 0;
      let previous: EvalExample | null = null;
      for (;;) {
        const page = await client.call('eval.examples', { runId, filter, offset, limit: PAGE });
        const at = page.items.findIndex((e) => e.index === index);
        if (at !== -1) {
          let next = page.items[at + 1] ?? null;
          if (!next && offset + at + 1 < page.total) {
            next = (await client.call('eval.examples', { runId, filter, offset: offset + at + 1, limit: 1 })).items[0] ?? null;
          }
          return { position: offset + at, total: page.total, prev: page.items[at - 1] ?? previous, next };
        }
        previous = page.items.at(-1) ?? previous;
        offset += page.items.length;
        if (page.items.length === 0 || offset >= page.total) return { position: null, total: page.total, prev: null, next: null };
      }
    },
    staleTime: 5_000,
    enabled,
  });
}

/** Above this many examples a run's examples are not all read for the comparison lists (ids only). */
const MAX_ALL_EXAMPLES = 20_000;

/**
 * Every example of a run by index, read in pages: what the comparison lists show beside each id (database,
 * question, why a metric decided). Null for a run too large to read whole.
 */
export function useAllExamples(runId: string, total: number, enabled: boolean) {
  const { client } = useConnection();
  return useQuery<Map<number, EvalExample> | null, SquillError>({
    queryKey: ['eval.examples', { runId }, 'all'],
    queryFn: async () => {
      if (total > MAX_ALL_EXAMPLES) return null;
      const byIndex = new Map<number, EvalExample>();
      for (let offset = 0; ; ) {
        const page = await client.call('eval.examples', { runId, offset, limit: PAGE });
        for (const e of page.items) byIndex.set(e.index, e);
        offset += page.items.length;
        if (page.items.length === 0 || offset >= page.total) return byIndex;
      }
    },
    staleTime: 60_000,
    enabled,
  });
}

/** Reads an example ahead (its SQL runs in the sandbox), so stepping to it shows it at once. */
export function usePrefetchExample(runId: string, index: number | null) {
  const { client } = useConnection();
  const queryClient = useQueryClient();
  useEffect(() => {
    if (index === null) return;
    const timer = setTimeout(() => {
      void queryClient.prefetchQuery({
        queryKey: procedureKey('eval.example', { runId, index }),
        queryFn: () => client.call('eval.example', { runId, index }),
        staleTime: 5 * 60_000,
      });
    }, 300);
    return () => clearTimeout(timer);
  }, [client, queryClient, runId, index]);
}
