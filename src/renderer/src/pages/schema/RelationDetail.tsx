import type { Column, Connection, DbSchema, ForeignKey, Table } from '../../../../shared/contract/index.ts';
import { href } from '../../app/router.ts';
import { cellClassName, describeCell, formatCell } from '../../components/cells.ts';
import { formatCount } from '../../lib/format.ts';
import {
  findRelation,
  findTable,
  foreignKeyColumns,
  primaryKey,
  referencedColumns,
  referencingKeys,
  type View,
} from './model.ts';
import { SampleRows } from './SampleRows.tsx';
import { KeyBadges } from './KeyBadges.tsx';

/** The detail of the table or view named in the address. */
export function RelationDetail({ schema, connection, name }: { schema: DbSchema; connection: Connection; name: string }) {
  const relation = findRelation(schema, name);
  if (!relation) {
    return (
      <div className="notice notice-error" role="alert">
        There is no table or view “{name}” in {connection.name}.{' '}
        <a href={href('schema', connection.id)}>Show all tables</a>
      </div>
    );
  }
  return relation.kind === 'table' ? (
    <TableDetail schema={schema} connectionId={connection.id} table={relation.table} />
  ) : (
    <ViewDetail connectionId={connection.id} view={relation.view} />
  );
}

function TableDetail({ schema, connectionId, table }: { schema: DbSchema; connectionId: string; table: Table }) {
  const pk = primaryKey(table);
  return (
    <article className="relation-detail" aria-label={`Table ${table.name}`}>
      <header className="relation-head">
        <h2 className="mono">{table.name}</h2>
        <span className="badge badge-kind">table</span>
        {table.withoutRowid && <span className="badge badge-kind">WITHOUT ROWID</span>}
        <a className="button-link relation-action" href={href('workbench', connectionId)}>
          Ask in Workbench
        </a>
      </header>
      <dl className="relation-facts">
        <div>
          <dt>Rows</dt>
          <dd data-testid="row-count">{table.rowCount === null ? 'not counted' : formatCount(table.rowCount)}</dd>
        </div>
        <div>
          <dt>Columns</dt>
          <dd>{table.columns.length}</dd>
        </div>
        <div>
          <dt>Primary key</dt>
          <dd className="mono">{pk.length > 0 ? pk.join(', ') : table.withoutRowid ? '—' : 'rowid'}</dd>
        </div>
      </dl>
      <ColumnsSection schema={schema} connectionId={connectionId} table={table} />
      <ForeignKeysSection schema={schema} connectionId={connectionId} table={table} />
      <ReferencedBySection schema={schema} connectionId={connectionId} table={table} />
      <IndexesSection table={table} />
      <SampleRows connectionId={connectionId} relation={table.name} />
      <CreateStatement sql={table.sql} />
    </article>
  );
}

function ViewDetail({ connectionId, view }: { connectionId: string; view: View }) {
  return (
    <article className="relation-detail" aria-label={`View ${view.name}`}>
      <header className="relation-head">
        <h2 className="mono">{view.name}</h2>
        <span className="badge badge-kind">view</span>
      </header>
      <section className="panel" aria-label="Columns">
        <h3>Columns</h3>
        <table className="table">
          <thead>
            <tr>
              <th className="num">#</th>
              <th>Column</th>
              <th>Type</th>
            </tr>
          </thead>
          <tbody>
            {view.columns.map((c, i) => (
              <tr key={c.name}>
                <td className="num muted">{i + 1}</td>
                <td className="mono">{c.name}</td>
                <td className="mono">{c.type || <span className="muted">none</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <SampleRows connectionId={connectionId} relation={view.name} />
      <CreateStatement sql={view.sql} />
    </article>
  );
}

/** A link to a table of this database, or the name marked missing when the key points nowhere. */
function TableLink({ schema, connectionId, name }: { schema: DbSchema; connectionId: string; name: string }) {
  const target = findTable(schema, name);
  if (!target) {
    return (
      <span className="mono missing-ref" title="no such table in this database">
        {name} (missing)
      </span>
    );
  }
  return (
    <a className="mono" href={href('schema', connectionId, target.name)}>
      {target.name}
    </a>
  );
}

function ColumnsSection({ schema, connectionId, table }: { schema: DbSchema; connectionId: string; table: Table }) {
  const fkColumns = foreignKeyColumns(table);
  return (
    <section className="panel" aria-label="Columns">
      <h3>Columns</h3>
      <div className="table-scroll">
        <table className="table columns-table">
          <thead>
            <tr>
              <th className="num">#</th>
              <th>Column</th>
              <th>Type</th>
              <th>Affinity</th>
              <th title="position in the primary key">PK</th>
              <th>NOT NULL</th>
              <th>Default</th>
              <th>References</th>
              <th>Sample values</th>
            </tr>
          </thead>
          <tbody>
            {table.columns.map((c, i) => (
              <tr key={c.name}>
                <td className="num muted">{i + 1}</td>
                <td className="mono nowrap">
                  {c.name} <KeyBadges pk={c.pk > 0} fk={fkColumns.has(c.name.toLowerCase())} />
                </td>
                <td className="mono">{c.type || <span className="muted">none</span>}</td>
                <td className="small">{c.affinity}</td>
                <td className="num">{c.pk > 0 ? c.pk : ''}</td>
                <td>{c.notNull ? 'yes' : ''}</td>
                <td className="mono">{c.default ?? ''}</td>
                <td>
                  <ColumnReferences schema={schema} connectionId={connectionId} table={table} column={c} />
                </td>
                <td>
                  <SampleValues values={c.sampleValues} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function ColumnReferences({
  schema,
  connectionId,
  table,
  column,
}: {
  schema: DbSchema;
  connectionId: string;
  table: Table;
  column: Column;
}) {
  const refs = table.foreignKeys.flatMap((fk) => {
    const at = fk.columns.findIndex((c) => c.toLowerCase() === column.name.toLowerCase());
    return at < 0 ? [] : [{ fk, refColumn: referencedColumns(schema, fk)[at] }];
  });
  return refs.map(({ fk, refColumn }, i) => (
    <div key={i} className="nowrap">
      → <TableLink schema={schema} connectionId={connectionId} name={fk.refTable} />
      {refColumn && <span className="mono muted">.{refColumn}</span>}
    </div>
  ));
}

const SAMPLE_CHIPS = 6;

function SampleValues({ values }: { values: Column['sampleValues'] }) {
  if (values.length === 0) return <span className="muted small">no rows</span>;
  const shown = values.slice(0, SAMPLE_CHIPS);
  return (
    <span className="sample-values">
      {shown.map((v, i) => (
        <span key={i} className={`chip ${cellClassName(v)}`} title={describeCell(v)}>
          {formatCell(v) || '\u00a0'}
        </span>
      ))}
      {values.length > shown.length && <span className="muted small">+{values.length - shown.length}</span>}
    </span>
  );
}

const REFERENTIAL_DEFAULT = 'NO ACTION';

function KeyActions({ fk }: { fk: ForeignKey }) {
  const actions = [
    fk.onUpdate !== REFERENTIAL_DEFAULT && `ON UPDATE ${fk.onUpdate}`,
    fk.onDelete !== REFERENTIAL_DEFAULT && `ON DELETE ${fk.onDelete}`,
  ].filter(Boolean);
  return actions.length > 0 ? <span className="muted small mono"> {actions.join(' ')}</span> : null;
}

function ForeignKeysSection({ schema, connectionId, table }: { schema: DbSchema; connectionId: string; table: Table }) {
  return (
    <section className="panel" aria-label="Foreign keys">
      <h3>Foreign keys</h3>
      {table.foreignKeys.length === 0 ? (
        <p className="muted small">{table.name} references no other table.</p>
      ) : (
        <ul className="key-list">
          {table.foreignKeys.map((fk, i) => (
            <li key={i}>
              <span className="mono">({fk.columns.join(', ')})</span> →{' '}
              <TableLink schema={schema} connectionId={connectionId} name={fk.refTable} />{' '}
              <span className="mono">({referencedColumns(schema, fk).join(', ') || 'primary key'})</span>
              <KeyActions fk={fk} />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function ReferencedBySection({ schema, connectionId, table }: { schema: DbSchema; connectionId: string; table: Table }) {
  const incoming = referencingKeys(schema, table);
  return (
    <section className="panel" aria-label="Referenced by">
      <h3>Referenced by</h3>
      {incoming.length === 0 ? (
        <p className="muted small">No foreign key points at {table.name}.</p>
      ) : (
        <ul className="key-list">
          {incoming.map(({ from, fk }, i) => (
            <li key={i}>
              <TableLink schema={schema} connectionId={connectionId} name={from.name} />{' '}
              <span className="mono">({fk.columns.join(', ')})</span> →{' '}
              <span className="mono">({referencedColumns(schema, fk).join(', ') || 'primary key'})</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

const INDEX_ORIGIN = { c: 'CREATE INDEX', u: 'UNIQUE constraint', pk: 'PRIMARY KEY' } as const;

function IndexesSection({ table }: { table: Table }) {
  return (
    <section className="panel" aria-label="Indexes">
      <h3>Indexes</h3>
      {table.indexes.length === 0 ? (
        <p className="muted small">No indexes{table.withoutRowid ? '' : ' besides the rowid'}.</p>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Columns</th>
              <th>Unique</th>
              <th>From</th>
              <th>Partial</th>
            </tr>
          </thead>
          <tbody>
            {table.indexes.map((ix) => (
              <tr key={ix.name}>
                <td className="mono">{ix.name}</td>
                <td className="mono">{ix.columns.join(', ')}</td>
                <td>{ix.unique ? 'yes' : ''}</td>
                <td className="small">{INDEX_ORIGIN[ix.origin]}</td>
                <td>{ix.partial ? 'yes' : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function CreateStatement({ sql }: { sql: string }) {
  return (
    <section className="panel" aria-label="CREATE statement">
      <h3>CREATE statement</h3>
      <pre className="sql-block">{sql}</pre>
    </section>
  );
}
