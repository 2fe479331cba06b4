import type { DbSchema } from '../../../../shared/contract/index.ts';
import { href } from '../../app/router.ts';
import { formatBytes, formatCount } from '../../lib/format.ts';
import { primaryKey, referencingKeys } from './model.ts';

/** Shown when no table is chosen: every table at a glance, and what the schema was read from. */
export function SchemaOverview({ schema, connectionId }: { schema: DbSchema; connectionId: string }) {
  return (
    <div className="schema-overview">
      <section className="panel" aria-label="All tables">
        <h2>Tables</h2>
        {schema.tables.length === 0 ? (
          <p className="muted">This database has no tables.</p>
        ) : (
          <div className="table-scroll">
            <table className="table">
              <thead>
                <tr>
                  <th>Table</th>
                  <th className="num">Rows</th>
                  <th className="num">Columns</th>
                  <th>Primary key</th>
                  <th className="num" title="foreign keys of this table">References</th>
                  <th className="num" title="foreign keys of other tables pointing here">Referenced by</th>
                </tr>
              </thead>
              <tbody>
                {schema.tables.map((t) => (
                  <tr key={t.name}>
                    <td>
                      <a className="mono" href={href('schema', connectionId, t.name)}>
                        {t.name}
                      </a>
                    </td>
                    <td className="num">{t.rowCount === null ? '?' : formatCount(t.rowCount)}</td>
                    <td className="num">{t.columns.length}</td>
                    <td className="mono small">{primaryKey(t).join(', ')}</td>
                    <td className="num">{t.foreignKeys.length || ''}</td>
                    <td className="num">{referencingKeys(schema, t).length || ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      {schema.views.length > 0 && (
        <section className="panel" aria-label="All views">
          <h2>Views</h2>
          <ul className="key-list">
            {schema.views.map((v) => (
              <li key={v.name}>
                <a className="mono" href={href('schema', connectionId, v.name)}>
                  {v.name}
                </a>{' '}
                <span className="muted small">{v.columns.length} columns</span>
              </li>
            ))}
          </ul>
        </section>
      )}
      <section className="panel" aria-label="Fingerprint">
        <h2>Read from</h2>
        <dl className="facts">
          <dt>File size</dt>
          <dd>{formatBytes(schema.fingerprint.sizeBytes)}</dd>
          <dt>Modified</dt>
          <dd>{new Date(schema.fingerprint.mtimeMs).toLocaleString()}</dd>
          <dt>Schema sha256</dt>
          <dd className="mono">{schema.fingerprint.schemaSha256}</dd>
        </dl>
      </section>
    </div>
  );
}
