import { keepPreviousData, useQueries, useQueryClient } from '@tanstack/react-query';
import type { Input, TrainJob } from '../../../../shared/contract/index.ts';
import { procedureKey, useConnection, useEvent, useProcedure } from '../../api/hooks.ts';
import { useDebounced } from '../../components/useDebounced.ts';
import { mergeProgress, type Series } from './series.ts';

export type { Series };

const metricsKey = (id: string) => procedureKey('train.metrics', { id });

/**
 * The job list, kept current by train.changed (state changes) and train.progress (steps); the progress events also
 * extend the cached curves of any run that is on screen.
 */
export function useJobs() {
  const queryClient = useQueryClient();
  useEvent('train.changed', (list) => {
    queryClient.setQueryData(procedureKey('train.jobs'), list);
    // checkpoints, evaluations and adapters change with the state
    void queryClient.invalidateQueries({ queryKey: ['train.job'] });
  });
  useEvent('train.progress', (p) => {
    queryClient.setQueryData<TrainJob[]>(procedureKey('train.jobs'), (jobs) =>
      jobs?.map((j) => (j.id === p.jobId ? { ...j, state: p.state, step: p.step, totalSteps: p.totalSteps } : j)),
    );
    queryClient.setQueryData<Series>(metricsKey(p.jobId), (old) => (old ? mergeProgress(old, p) : old));
    if (p.eval) void queryClient.invalidateQueries({ queryKey: procedureKey('train.job', { id: p.jobId }) });
  });
  return useProcedure('train.jobs');
}

/**
 * Per-step metrics and evaluations of several runs (the shown run and its overlays), fetched on mount and then
 * extended by the progress events that useJobs applies to the same cache entries.
 */
export function useSeries(ids: readonly string[]): Map<string, Series> {
  const { client } = useConnection();
  const results = useQueries({
    queries: ids.map((id) => ({
      queryKey: metricsKey(id),
      queryFn: () => client.call('train.metrics', { id }),
    })),
  });
  const out = new Map<string, Series>();
  results.forEach((r, i) => {
    if (r.data) out.set(ids[i]!, r.data);
  });
  return out;
}

const SETTLE_MS = 500;

/**
 * A wizard query made once its input has stayed the same for a moment (typing a path or a number does not start a
 * backend read per keystroke); null: the step is not complete. The previous answer stays on screen meanwhile.
 */
function useSettled<N extends 'train.checkData' | 'train.estimate'>(name: N, input: Input<N> | null) {
  const settled = useDebounced(input ? JSON.stringify(input) : '', SETTLE_MS);
  const current = input ? JSON.stringify(input) : '';
  const query = useProcedure(name, settled ? (JSON.parse(settled) as Input<N>) : undefined, {
    enabled: settled !== '',
    retry: false,
    staleTime: 5 * 60_000,
    placeholderData: keepPreviousData,
  });
  /** the answer on screen is for other inputs than the form's (settling, or still loading) */
  const outdated = current !== settled || query.isPlaceholderData;
  return { ...query, outdated };
}

/** The dataset(s) read as the job would: invalid rows, split, overlap with benchmarks, tokens. */
export const useDataCheck = (input: Input<'train.checkData'> | null) => useSettled('train.checkData', input);
/** The estimator's memory and time for the run the form describes. */
export const useEstimate = (input: Input<'train.estimate'> | null) => useSettled('train.estimate', input);

/** The training methods (the core's registry): they do not change while the app runs. */
export const useTrainMethods = () => useProcedure('train.methods', {}, { staleTime: Infinity });
