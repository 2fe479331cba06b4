import { keepPreviousData, useQueryClient } from '@tanstack/react-query';
import { useId, useMemo, useState } from 'react';
import type { Cell, RolloutGroup, TrainJob } from '../../../../shared/contract/index.ts';
import { procedureKey, useEvent, useProcedure } from '../../api/hooks.ts';
import { href } from '../../app/router.ts';
import { useAddDatabases } from '../../components/addDatabases.ts';
import { ErrorNotice, InlineError } from '../../components/ErrorNotice.tsx';
import { LinkedSchema, PreviewTable, splitReasoning } from '../../components/trace/index.ts';
import { formatCount } from '../../lib/format.ts';
import { advantageClass, compareOps, describeSources, linkedOfSample, part, shownStep } from './rollouts.ts';

type Sample = RolloutGroup['samples'][number];

/**
 * An online job's rollouts (train.rollouts): any kept step, the latest by default and followed while the job runs;
 * per prompt, its group of samples with their rewards, advantages, execution results and atomic operations, and
 * the schema names each SQL uses, highlighted as the trace view does.
 */
export function RolloutBrowser({ job }: { job: TrainJob }) {
  // null: the latest kept step, following new ones
  const [picked, setPicked] = useState<number | null>(null);
  const live = job.state === 'running' || job.state === 'queued';
  const query = useProcedure('train.rollouts', picked === null ? { id: job.id } : { id: job.id, step: picked }, {
    placeholderData: keepPreviousData,
    // a step's rollouts are written just after its metric: the progress event below may come first, so poll too
    refetchInterval: live ? 5000 : false,
  });
  useEvent('train.progress', (p) => {
    if (p.jobId === job.id && p.metric) void query.refetch();
  });
  // the backend matches each group's database to the app's connections when asked: ask again once they change
  useEvent('connections.changed', () => void query.refetch());
  const data = query.data;
  const steps = data?.steps ?? [];
  const step = shownStep(steps, picked);
  const at = step === null ? -1 : steps.indexOf(step);
  const skipped = data?.groups.filter((g) => g.skipped).length ?? 0;

  return (
    <section aria-label="Rollouts" className="ft-section ft-rollouts" data-testid="ft-rollouts">
      <div className="section-head">
        <h3>Rollouts</h3>
        {steps.length > 0 && (
          <div className="ft-rollout-picker">
            <input
              type="range"
              min={0}
              max={steps.length - 1}
              value={Math.max(0, at)}
              aria-label="Rollout step"
              aria-valuetext={step === null ? undefined : `step ${step}`}
              onChange={(e) => setPicked(steps[e.target.valueAsNumber] ?? null)}
            />
            <select aria-label="Step" value={step ?? ''} onChange={(e) => setPicked(Number(e.target.value))}>
              {steps.map((s) => (
                <option key={s} value={s}>
                  step {s}
                </option>
              ))}
            </select>
            <label className="small">
              <input type="checkbox" checked={picked === null} onChange={(e) => setPicked(e.target.checked ? null : step)} /> latest{live ? ' (follows the run)' : ''}
            </label>
          </div>
        )}
      </div>
      {query.error && <ErrorNotice error={query.error} what="the rollouts" />}
      {data && steps.length === 0 && <p className="muted small">No rollouts yet: each step's samples appear here as the run makes them.</p>}
      {data && data.step !== null && (
        <>
          <p className="small muted" data-testid="ft-rollout-summary">
            Step <strong data-testid="ft-rollout-step">{data.step}</strong> of the kept {steps[0]}–{steps.at(-1)}: {data.groups.length} {data.groups.length === 1 ? 'prompt' : 'prompts'}
            {skipped > 0 && `, ${skipped} skipped (no variance)`}
            {data.seconds && ` · sampling ${data.seconds.rollout.toFixed(1)} s, rewards ${data.seconds.reward.toFixed(1)} s, update ${data.seconds.update.toFixed(1)} s`}
          </p>
          {data.groups.map((g, i) => (
            <GroupView key={`${data.step}-${g.exampleId}-${i}`} group={g} index={i} connectionId={data.connections[g.dbPath] ?? null} />
          ))}
        </>
      )}
    </section>
  );
}

/** connectionId: the app's connection to the group's database (train.rollouts matches them), null when none */
function GroupView({ group: g, index, connectionId }: { group: RolloutGroup; index: number; connectionId: string | null }) {
  return (
    <article className={`ft-rollout-group${g.skipped ? ' ft-rollout-skipped' : ''}`} aria-label={`Prompt ${index + 1}`} data-testid="ft-rollout-group">
      <header>
        <p className="trace-question">
          <span className="muted">{index + 1}.</span> {g.question}
        </p>
        <p className="small muted trace-meta">
          <span title={g.dbPath}>database {g.dbId}</span>
          <span>
            reward mean <strong>{g.mean.toFixed(2)}</strong>, std {g.std.toFixed(2)}
          </span>
          <span>{g.samples.length} samples</span>
          {g.skipped && (
            <span className="badge badge-warn" title="Every sample scored the same: no advantage, the group teaches nothing this step">
              skipped (no variance)
            </span>
          )}
        </p>
        <div className="small">
          <strong>Gold SQL</strong>
          <pre className="sql-block trace-sql" aria-label="Gold SQL">
            {g.gold}
          </pre>
        </div>
      </header>
      <ol className="trace-steps ft-samples">
        {g.samples.map((s, i) => (
          <SampleItem key={i} sample={s} index={i} group={g} connectionId={connectionId} />
        ))}
      </ol>
    </article>
  );
}

function SampleItem({ sample: s, index, group, connectionId }: { sample: Sample; index: number; group: RolloutGroup; connectionId: string | null }) {
  const [open, setOpen] = useState(false);
  const bodyId = useId();
  const r = s.rewards;
  return (
    <li className="trace-step ft-sample" data-testid="ft-sample">
      <button type="button" className="trace-step-head" aria-expanded={open} aria-controls={bodyId} onClick={() => setOpen(!open)}>
        <span className="trace-step-caret" aria-hidden>
          {open ? '▾' : '▸'}
        </span>
        <span className="trace-step-num">{index + 1}</span>
        <span className="ft-sample-total" title="Total reward">
          {r.total.toFixed(2)}
        </span>
        <span className={`ft-adv ${advantageClass(s.advantage)}`} title="Advantage: (reward - group mean) / group std" data-testid="ft-advantage">
          {s.advantage > 0 ? '+' : ''}
          {s.advantage.toFixed(2)}
        </span>
        <code className="trace-step-title ft-sample-sql">{s.sql || '(no SQL)'}</code>
        <span className="trace-step-facts small muted">
          F {part(r.format, 0)} · E {part(r.execution)} · J {part(r.jaccard)} · f(J) {part(r.atomic)} · M {part(r.memory)} · {formatCount(s.tokens)} tok
          {s.truncated && <span className="badge badge-warn">truncated</span>}
        </span>
      </button>
      {open && (
        <div id={bodyId} className="trace-step-body">
          <SampleBody sample={s} group={group} connectionId={connectionId} />
        </div>
      )}
    </li>
  );
}

function SampleBody({ sample: s, group: g, connectionId }: { sample: Sample; group: RolloutGroup; connectionId: string | null }) {
  const r = s.rewards;
  // the reward's own reading of the text when it had one, else the trace view's
  const reasoning = s.reasoning ?? splitReasoning(s.text, null).reasoning;
  const ops = useMemo(() => compareOps(s.predOps, g.goldOps), [s.predOps, g.goldOps]);
  return (
    <>
      <table className="table ft-rewards" aria-label="Rewards">
        <thead>
          <tr>
            <th scope="col">F format</th>
            <th scope="col">E execution</th>
            <th scope="col">J</th>
            <th scope="col">f(J)</th>
            <th scope="col">M memory</th>
            <th scope="col">total</th>
            <th scope="col">advantage</th>
            <th scope="col">tokens</th>
          </tr>
        </thead>
        <tbody>
          <tr>
            <td className="num">{part(r.format, 0)}</td>
            <td className="num">{part(r.execution)}</td>
            <td className="num">{part(r.jaccard)}</td>
            <td className="num">{part(r.atomic)}</td>
            <td className="num">{part(r.memory)}</td>
            <td className="num">
              <strong>{r.total.toFixed(2)}</strong>
            </td>
            <td className={`num ${advantageClass(s.advantage)}`}>{s.advantage.toFixed(3)}</td>
            <td className="num">
              {formatCount(s.tokens)}
              {s.truncated && <span title="The sample reached the token limit without ending"> (truncated)</span>}
            </td>
          </tr>
        </tbody>
      </table>
      {reasoning !== null ? (
        <details className="trace-block trace-reasoning">
          <summary>Reasoning · {formatCount(reasoning.length)} characters</summary>
          <pre className="trace-text">{reasoning}</pre>
        </details>
      ) : (
        <details className="trace-block">
          <summary>Output (no reasoning block)</summary>
          <pre className="trace-text">{s.text || '(empty)'}</pre>
        </details>
      )}
      <h4 className="trace-h4">SQL</h4>
      {s.sql ? <pre className="sql-block trace-sql">{s.sql}</pre> : <p className="muted small">No SQL after the reasoning.</p>}
      <div className={`trace-exec${s.error ? ' trace-exec-bad' : ''}`} data-testid="ft-sample-result">
        {s.result ? (
          <>
            <p className="small trace-exec-head">
              <span className="badge badge-ok">ran</span>{' '}
              <span className="muted">
                {formatCount(s.result.rowCount)} {s.result.rowCount === 1 ? 'row' : 'rows'}
                {s.result.rows.length < s.result.rowCount ? `, first ${formatCount(s.result.rows.length)} shown` : ''}
              </span>
            </p>
            <PreviewTable columns={s.result.columns} rows={s.result.rows as Cell[][]} label="Rows of the sample's SQL" />
          </>
        ) : s.error ? (
          <p className="small">
            <span className="badge badge-bad">failed</span> <span className="bad trace-exec-error">{s.error}</span>
          </p>
        ) : (
          <p className="muted small">Not run (the format reward was 0).</p>
        )}
      </div>
      <div className="ft-ops" aria-label="Atomic operations">
        <h4 className="trace-h4">
          Atomic operations <span className="muted small">({ops.shared} of {ops.union} distinct shared with the gold)</span>
        </h4>
        <div className="ft-ops-sides">
          <OpList title="Prediction" ops={ops.pred} />
          <OpList title="Gold" ops={ops.gold} />
        </div>
      </div>
      <h4 className="trace-h4">Schema</h4>
      {connectionId === null ? <UnknownDatabase group={g} /> : <SampleSchema connectionId={connectionId} gold={g.gold} sql={s.sql} />}
    </>
  );
}

/** A group's database the app does not know: which file it is, and adding it (its schema then shows here, linked). */
function UnknownDatabase({ group: g }: { group: RolloutGroup }) {
  const add = useAddDatabases();
  const queryClient = useQueryClient();
  const adding = () =>
    add.mutate([{ path: g.dbPath }], {
      // connections.changed refetches the rollouts too; this covers a missed event
      onSuccess: ({ added }) => added.length > 0 && void queryClient.invalidateQueries({ queryKey: [procedureKey('train.rollouts')[0]] }),
    });
  return (
    <div className="ft-unknown-db small" data-testid="ft-unknown-db">
      <p>
        The database <strong>{g.dbId}</strong> is not among the app's databases, so its schema cannot be shown linked:{' '}
        <code className="mono ft-db-path">{g.dbPath}</code>
      </p>
      <p>
        <button type="button" onClick={adding} disabled={add.isPending}>
          {add.isPending ? 'Adding…' : 'Add this database'}
        </button>{' '}
        <span className="muted">
          (or on the <a href={href('databases')}>Databases</a> page; Squill opens it read-only)
        </span>
      </p>
      {add.error && <InlineError title="Could not add the database." message={add.error.message} />}
      {add.data?.failed.map((f) => (
        <InlineError key={f.path} title="Could not add the database." message={f.message} />
      ))}
    </div>
  );
}

function OpList({ title, ops }: { title: string; ops: { op: string; shared: boolean }[] }) {
  return (
    <div>
      <p className="small">
        <strong>{title}</strong>
      </p>
      {ops.length === 0 ? (
        <p className="muted small">none</p>
      ) : (
        <p aria-label={`${title} operations`}>
          {ops.map((o, i) => (
            <code key={i} className={`trace-chip${o.shared ? ' trace-linked' : ''}`} title={o.shared ? 'in both' : `not in the ${title === 'Gold' ? 'prediction' : 'gold'}`} data-shared={o.shared ? 'true' : undefined}>
              {o.op}
            </code>
          ))}
        </p>
      )}
    </div>
  );
}

/** The database's schema with the names the gold SQL and the prediction use, as the trace view links them. */
function SampleSchema({ connectionId, gold, sql }: { connectionId: string; gold: string; sql: string }) {
  // the same query LinkedSchema makes (one cached answer)
  const schema = useProcedure('schema.get', { connectionId }, { staleTime: 60_000 });
  const linked = useMemo(() => linkedOfSample({ tables: [...(schema.data?.tables ?? []), ...(schema.data?.views ?? [])] }, gold, sql), [schema.data, gold, sql]);
  return <LinkedSchema connectionId={connectionId} linked={linked} describe={describeSources} none="Neither SQL names a table of this schema" onlyLinkedFirst />;
}
