import { useState } from 'react';
import { useProcedure } from '../../api/hooks.ts';
import { ErrorNotice } from '../ErrorNotice.tsx';
import { columnKey, type Linked } from './traceModel.ts';

const stepsText = (steps: number[]) => `linked by step ${steps.map((s) => s + 1).join(', ')}`;

/**
 * The database's tables and columns, compact, with what the steps linked highlighted. Without the database (a
 * benchmark trace, a removed connection) it lists the linked names alone. `Linked` maps each name to the sources
 * that linked it (a trace's step indices; `describe` words them for another caller, e.g. gold SQL and prediction).
 */
export function LinkedSchema({
  connectionId,
  linked,
  describe = stepsText,
  none = 'No step linked tables or columns',
  onlyLinkedFirst = false,
}: {
  connectionId: string | null;
  linked: Linked;
  describe?: (sources: number[]) => string;
  none?: string;
  /** start with the linked tables alone (many of them on one page: a Spider schema per sample) */
  onlyLinkedFirst?: boolean;
}) {
  const title = (sources: number[] | undefined) => (sources ? describe(sources) : undefined);
  const schema = useProcedure('schema.get', { connectionId: connectionId ?? '' }, { enabled: connectionId !== null, staleTime: 60_000 });
  const anyLinked = linked.tables.size > 0;
  const [onlyLinked, setOnlyLinked] = useState(onlyLinkedFirst);

  const names = (
    <p className="small">
      {[...linked.tables.keys()].map((t) => (
        <code key={t} className="trace-chip trace-linked">
          {t}
        </code>
      ))}
      {[...linked.columns.keys()].map((c) => (
        <code key={c} className="trace-chip trace-linked">
          {c}
        </code>
      ))}
    </p>
  );
  if (connectionId === null) return anyLinked ? names : <p className="muted small">{none}.</p>;
  if (schema.isLoading) return <p className="muted small">Loading the schema…</p>;
  if (schema.error) {
    return (
      <>
        <ErrorNotice error={schema.error} what="the schema" />
        {names}
      </>
    );
  }
  const tables = [...(schema.data?.tables ?? []), ...(schema.data?.views ?? [])];
  const shown = onlyLinked ? tables.filter((t) => linked.tables.has(t.name.toLowerCase())) : tables;
  return (
    <div className="trace-schema">
      <div className="small trace-schema-head">
        {anyLinked ? (
          <span className="muted">
            {linked.tables.size} {linked.tables.size === 1 ? 'table' : 'tables'} and {linked.columns.size} {linked.columns.size === 1 ? 'column' : 'columns'} linked
          </span>
        ) : (
          <span className="muted">{none}{describe === stepsText ? '; the whole schema went into the prompt' : ''}.</span>
        )}
        {anyLinked && (
          <label>
            <input type="checkbox" checked={onlyLinked} onChange={(e) => setOnlyLinked(e.target.checked)} /> Only linked tables
          </label>
        )}
      </div>
      <ul className="trace-schema-list" aria-label="Schema with linked tables and columns">
        {shown.map((t) => {
          const tableSteps = linked.tables.get(t.name.toLowerCase());
          return (
            <li key={t.name} className={tableSteps ? 'trace-table-linked' : undefined} data-linked={tableSteps ? 'true' : undefined}>
              <span className={`trace-table-name${tableSteps ? ' trace-linked' : ''}`} title={title(tableSteps)}>
                {t.name}
              </span>{' '}
              {t.columns.map((c) => {
                const colSteps = linked.columns.get(columnKey(t.name, c.name));
                return (
                  <span key={c.name} className={`trace-col${colSteps ? ' trace-linked' : ''}`} title={title(colSteps)} data-linked={colSteps ? 'true' : undefined}>
                    {c.name}
                  </span>
                );
              })}
            </li>
          );
        })}
      </ul>
    </div>
  );
}
