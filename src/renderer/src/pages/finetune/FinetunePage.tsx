import { useMutation } from '@tanstack/react-query';
import type { TrainJob } from '../../../../shared/contract/index.ts';
import type { SquillError } from '../../../../shared/errors.ts';
import { useConnection } from '../../api/hooks.ts';
import { href } from '../../app/router.ts';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { useJobs } from './hooks.ts';
import { RunView } from './RunView.tsx';
import { Wizard } from './Wizard.tsx';

/** #/finetune: the runs; #/finetune/new: the wizard; #/finetune/<jobId>: one run's dashboard beside the list. */
export function FinetunePage({ rest }: { rest: string[] }) {
  const [first] = rest;
  if (first === 'new') return <Wizard />;
  return <Runs selected={first ?? null} />;
}

function Runs({ selected }: { selected: string | null }) {
  const jobs = useJobs();
  const list = jobs.data ?? [];
  const job = selected ? list.find((j) => j.id === selected) : undefined;
  return (
    <div className="page page-wide ft-page">
      <header className="page-header section-head">
        <h1>Fine-tune</h1>
        <a className="ft-button-link primary" href={href('finetune', 'new')}>
          New run
        </a>
      </header>
      {jobs.error && <ErrorNotice error={jobs.error} what="the training jobs" />}
      <div className="ft-layout">
        <nav className="ft-jobs" aria-label="Runs">
          {jobs.isSuccess && list.length === 0 && (
            <p className="muted">
              No runs yet. <a href={href('finetune', 'new')}>Start one</a>.
            </p>
          )}
          {list.map((j) => (
            <JobRow key={j.id} job={j} selected={j.id === selected} />
          ))}
        </nav>
        <div className="ft-detail">
          {selected && job && <RunView key={job.id} job={job} jobs={list} />}
          {selected && jobs.isSuccess && !job && (
            <p className="notice notice-error" role="alert">
              There is no run {selected}. <a href={href('finetune')}>Back to the runs</a>
            </p>
          )}
          {!selected && list.length > 0 && <p className="muted">Choose a run to see its curves, checkpoints and log.</p>}
        </div>
      </div>
    </div>
  );
}

export function StateBadge({ job }: { job: Pick<TrainJob, 'state'> }) {
  return <span className={`badge ft-state ft-state-${job.state}`} data-testid="ft-state">{job.state}</span>;
}

const percent = (job: TrainJob) => (job.totalSteps > 0 ? Math.min(100, (100 * job.step) / job.totalSteps) : 0);

function JobRow({ job, selected }: { job: TrainJob; selected: boolean }) {
  return (
    <div className={`ft-job${selected ? ' ft-job-on' : ''}`} data-testid="ft-job">
      <span className="ft-job-head">
        <a href={href('finetune', job.id)} aria-current={selected ? 'page' : undefined}>
          <strong>{job.name}</strong>
        </a>{' '}
        <StateBadge job={job} />
      </span>
      <span className="muted small">
        {job.method} · step {job.step}/{job.totalSteps || '?'}
      </span>
      <progress max={100} value={percent(job)} aria-label={`Progress of ${job.name}`} />
      {job.reason && <span className={`small ${job.state === 'failed' ? 'bad' : 'muted'}`}>{job.reason}</span>}
      <JobActions job={job} compact />
    </div>
  );
}

/** Pause, resume and cancel, as the job's state allows. */
export function JobActions({ job, compact = false }: { job: TrainJob; compact?: boolean }) {
  const { client } = useConnection();
  const act = useMutation<TrainJob, SquillError, 'train.pause' | 'train.resume' | 'train.cancel'>({
    mutationFn: (name) => client.call(name, { id: job.id }),
  });
  const canPause = job.state === 'queued' || job.state === 'running';
  const canResume = job.state === 'paused' || job.state === 'failed';
  const canCancel = job.state === 'queued' || job.state === 'running' || job.state === 'paused';
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
