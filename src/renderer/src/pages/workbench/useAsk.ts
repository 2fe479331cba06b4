import { useCallback, useRef, useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import type { Trace } from '../../../../shared/contract/index.ts';
import type { SquillError } from '../../../../shared/errors.ts';
import { useConnection, useEvent } from '../../api/hooks.ts';
import { applyProgress, type LiveStep } from '../../components/trace/index.ts';
import { newAskId, type AskRequest } from '../../lib/askChoice.ts';

export interface AskRun {
  askId: string;
  request: AskRequest;
  status: 'running' | Trace['status'];
  /** the steps as they stream in (progress events) */
  steps: LiveStep[];
  trace: Trace | null;
  error: SquillError | Error | null;
  cancelling: boolean;
}

const outcomeOf = (trace: Trace): AskRun['status'] => (trace.status === 'done' ? 'done' : trace.status);

/**
 * Runs asks, one per slot ("main", or "a" and "b" when comparing), and follows each through its ai.progress
 * events: the id is chosen here so events that arrive before the answer can be matched to the ask.
 */
export function useAskRuns() {
  const { client } = useConnection();
  const queryClient = useQueryClient();
  const [runs, setRuns] = useState<Record<string, AskRun>>({});
  const slots = useRef(new Map<string, string>());

  useEvent('ai.progress', (event) => {
    const slot = slots.current.get(event.askId);
    if (slot === undefined) return;
    setRuns((prev) => {
      const run = prev[slot];
      if (!run || run.askId !== event.askId) return prev;
      return { ...prev, [slot]: { ...run, steps: applyProgress(run.steps, event) } };
    });
  });

  const update = (slot: string, askId: string, change: Partial<AskRun>) =>
    setRuns((prev) => {
      const run = prev[slot];
      return run && run.askId === askId ? { ...prev, [slot]: { ...run, ...change } } : prev;
    });

  /** Starts an ask in a slot (replacing what it showed); resolves with the trace, or null when it failed. */
  const start = useCallback(
    async (slot: string, request: AskRequest): Promise<Trace | null> => {
      const askId = newAskId();
      slots.current.set(askId, slot);
      setRuns((prev) => ({ ...prev, [slot]: { askId, request, status: 'running', steps: [], trace: null, error: null, cancelling: false } }));
      try {
        const trace = await client.call('ai.ask', { askId, ...request });
        update(slot, askId, { status: outcomeOf(trace), trace, steps: trace.steps.map((s) => ({ index: s.index, kind: s.kind, title: s.title, text: '', step: s })) });
        return trace;
      } catch (e) {
        const error = e as SquillError | Error;
        const cancelled = 'code' in error && error.code === 'CANCELLED';
        update(slot, askId, { status: cancelled ? 'cancelled' : 'failed', error });
        return null;
      } finally {
        slots.current.delete(askId);
        void queryClient.invalidateQueries({ queryKey: ['traces.list'] });
      }
    },
    [client, queryClient],
  );

  const cancel = useCallback(
    async (slot: string) => {
      const run = runs[slot];
      if (!run || run.status !== 'running') return;
      update(slot, run.askId, { cancelling: true });
      try {
        await client.call('ai.cancel', { askId: run.askId });
      } catch (e) {
        update(slot, run.askId, { cancelling: false, error: e as Error });
      }
    },
    [client, runs],
  );

  const clear = useCallback((slot: string) => setRuns(({ [slot]: _gone, ...rest }) => rest), []);

  return { runs, start, cancel, clear };
}
