import type { DemoDatabase } from '../../../shared/contract.ts';
import { useProcedure } from '../api/hooks.ts';
import { href } from '../app/router.ts';
import { ErrorNotice } from '../components/ErrorNotice.tsx';
import { formatBytes, formatCount } from '../components/format.ts';

export function DatabasesPage({ selected }: { selected?: string }) {
  const demos = useProcedure('demo.list');
  if (demos.error) return <ErrorNotice error={demos.error} what="the demo databases" />;
  if (!demos.data) return <p className="muted">Loading databases…</p>;
  const current = demos.data.find((d) => d.id === selected);
  return (
    <div className="page">
      <header className="page-header">
        <h1>Databases</h1>
        <p className="muted">
          Three sample databases from the Spider benchmark come with Squill, ready to explore and ask questions of.
        </p>
      </header>
      <div className="cards">
        {demos.data.map((db) => (
          <a
            key={db.id}
            className={`card${db.id === selected ? ' card-selected' : ''}`}
            href={href('databases', db.id)}
            data-testid={`demo-${db.id}`}
          >
            <h2>{db.title}</h2>
            <p>{db.description}</p>
            <p className="muted small">
              {db.tables.length} tables · {formatCount(db.tables.reduce((n, t) => n + t.rowCount, 0))} rows ·{' '}
              {formatBytes(db.sizeBytes)}
            </p>
          </a>
        ))}
      </div>
      {selected && !current && (
        <div className="notice notice-error" role="alert">
          There is no database “{selected}”. <a href={href('databases')}>Show all databases</a>
        </div>
      )}
      {current && <DatabaseTables db={current} />}
    </div>
  );
}

function DatabaseTables({ db }: { db: DemoDatabase }) {
  return (
    <section className="panel" aria-label={`Tables of ${db.title}`}>
      <h2>
        {db.title} <span className="muted small mono">{db.id}</span>
      </h2>
      <p className="muted small mono">{db.path}</p>
      <table className="table">
        <thead>
          <tr>
            <th>Table</th>
            <th className="num">Columns</th>
            <th className="num">Rows</th>
          </tr>
        </thead>
        <tbody>
          {db.tables.map((t) => (
            <tr key={t.name}>
              <td className="mono">{t.name}</td>
              <td className="num">{t.columnCount}</td>
              <td className="num">{formatCount(t.rowCount)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
