import type { TrainJob } from '../../../../shared/contract/index.ts';
import { href } from '../../app/router.ts';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { useJobs } from './hooks.ts';
import { TrainingRunView } from './TrainingRunView.tsx';
import { JobActions, StateBadge } from '../../lib/jobs.tsx';
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
          {selected && job && <TrainingRunView key={job.id} job={job} jobs={list} />}
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
