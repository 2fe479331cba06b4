/** A training job's state badge and its pause / resume / cancel buttons, as the contract's JOB_ACTIONS allow. */
import { useMutation } from '@tanstack/react-query';
import { jobCan, type TrainJob } from '../../../shared/contract/index.ts';
import type { SquillError } from '../../../shared/errors.ts';
import { useConnection } from '../api/hooks.ts';

export function StateBadge({ job }: { job: Pick<TrainJob, 'state'> }) {
  return <span className={`badge ft-state ft-state-${job.state}`} data-testid="ft-state">{job.state}</span>;
}

/** Pause, resume and cancel, as the job's state allows. */
export function JobActions({ job, compact = false }: { job: TrainJob; compact?: boolean }) {
  const { client } = useConnection();
  const act = useMutation<TrainJob, SquillError, 'train.pause' | 'train.resume' | 'train.cancel'>({
    mutationFn: (name) => client.call(name, { id: job.id }),
  });
  const canPause = jobCan('pause', job.state);
  const canResume = jobCan('resume', job.state);
  const canCancel = jobCan('cancel', job.state);
  if (!canPause && !canResume && !canCancel) return null;
  const click = (name: 'train.pause' | 'train.resume' | 'train.cancel') => () => act.mutate(name);
  return (
    <span className={`ft-actions${compact ? ' small' : ''}`}>
      {canPause && (
        <button type="button" onClick={click('train.pause')} disabled={act.isPending} aria-label={`Pause ${job.name}`}>
          Pause
        </button>
      )}
      {canResume && (
        <button type="button" onClick={click('train.resume')} disabled={act.isPending} aria-label={`Resume ${job.name}`}>
          Resume
        </button>
      )}
      {canCancel && (
        <button type="button" className="danger-quiet" onClick={click('train.cancel')} disabled={act.isPending} aria-label={`Cancel ${job.name}`}>
          Cancel
        </button>
      )}
      {act.error && (
        <span className="bad small" role="alert">
          {act.error.message}
        </span>
      )}
    </span>
  );
}
