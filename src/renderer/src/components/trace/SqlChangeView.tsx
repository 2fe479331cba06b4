import { useMemo } from 'react';
import { diffSql, type DiffSegment } from '../../lib/sqlDiff.ts';
import type { SqlChange } from './traceModel.ts';

function Segments({ segments }: { segments: DiffSegment[] }) {
  return (
    <>
      {segments.map((s, i) =>
        s.kind === 'same' ? (
          <span key={i}>{s.text}</span>
        ) : s.kind === 'removed' ? (
          <del key={i} className="trace-del">
            {s.text}
          </del>
        ) : (
          <ins key={i} className="trace-ins">
            {s.text}
          </ins>
        ),
      )}
    </>
  );
}

/** How a step changed the SQL of the step before: token differences marked on both texts. */
export function SqlChangeView({ change, stepLabel }: { change: SqlChange; stepLabel: (index: number) => string }) {
  const diff = useMemo(() => diffSql(change.before, change.after), [change.before, change.after]);
  return (
    <div className="trace-change" data-testid="trace-sql-change">
      <p className="small muted trace-change-head">
        SQL changed from {stepLabel(change.fromIndex)}: {diff.removed} {diff.removed === 1 ? 'token' : 'tokens'} removed, {diff.added} added
        {diff.coarse && ' (too long for a token diff: compared whole)'}
      </p>
      <div className="trace-change-sides">
        <pre className="sql-block trace-sql" aria-label="SQL before">
          <Segments segments={diff.gold} />
        </pre>
        <pre className="sql-block trace-sql" aria-label="SQL after">
          <Segments segments={diff.pred} />
        </pre>
      </div>
    </div>
  );
}
