import { Suspense, lazy, useState, type ReactNode } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { Connection, DbSchema } from '../../../../shared/contract/index.ts';
import { procedureKey, useConnection, useProcedure } from '../../api/hooks.ts';
import { href, navigate } from '../../app/router.ts';
import { ConnectionPicker, useChosenConnection } from '../../components/ConnectionPicker.tsx';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { formatCount } from '../../lib/format.ts';
import { totalRows } from './model.ts';
import { RelationDetail } from './RelationDetail.tsx';
import { SchemaOverview } from './SchemaOverview.tsx';
import { SchemaTree } from './SchemaTree.tsx';

// The diagram brings React Flow and ELK (large); load them when the Diagram tab is first opened.
const SchemaDiagram = lazy(() => import('./SchemaDiagram.tsx').then((m) => ({ default: m.SchemaDiagram })));

type SchemaView = 'tables' | 'diagram';

/** #/schema/<connectionId>/<table?>: the tables of one database as a tree with details, or as an ER diagram. */
export function SchemaPage({ rest }: { rest: string[] }) {
  const [routeId, tableName] = rest;
  const chosen = useChosenConnection(routeId);
  const [view, setView] = useState<SchemaView>('tables');
  // Going to another table (a link, the address bar, Back) shows its detail, whichever view was open.
  const [routedTable, setRoutedTable] = useState(tableName);
  if (tableName !== routedTable) {
    setRoutedTable(tableName);
    if (tableName) setView('tables');
  }
  const connection = chosen.connection;
  return (
    <div className="page page-wide schema-page">
      <header className="page-header schema-header">
        <div>
          <h1>Schema</h1>
          <p className="muted">Tables, columns, keys and sample data{connection ? ` of ${connection.name}` : ''}.</p>
        </div>
        {chosen.connections && (
          <ConnectionPicker
            value={connection?.id}
            connections={chosen.connections}
            onChange={(id) => navigate('schema', id)}
          />
        )}
      </header>
      {chosen.error && <ErrorNotice error={chosen.error} what="the databases" />}
      {chosen.isLoading && <p className="muted">Loading databases…</p>}
      {chosen.connections && !connection && <NoConnection wanted={routeId} />}
      {connection && connection.status !== 'ok' && <BrokenConnection connection={connection} />}
      {connection && connection.status === 'ok' && (
        <SchemaOf key={connection.id} connection={connection} tableName={tableName} view={view} onView={setView} />
      )}
    </div>
  );
}

/** One database's schema: the summary line, the tabs, the tree with a detail or the overview, and the diagram. */
function SchemaOf({
  connection,
  tableName,
  view,
  onView,
}: {
  connection: Connection;
  tableName: string | undefined;
  view: SchemaView;
  onView: (view: SchemaView) => void;
}) {
  const schema = useProcedure('schema.get', { connectionId: connection.id });
  const refresh = useRefreshSchema(connection.id);
  // Mounted once opened and then only hidden, so zoom, pan and dragged nodes survive a look at a table.
  const [diagramOpened, setDiagramOpened] = useState(view === 'diagram');
  const show = (next: SchemaView) => {
    onView(next);
    if (next === 'diagram') setDiagramOpened(true);
  };
  const openTable = (name: string) => {
    onView('tables');
    navigate('schema', connection.id, name);
  };

  if (schema.error) return <ErrorNotice error={schema.error} what={`the schema of ${connection.name}`} />;
  if (!schema.data) return <p className="muted">Reading the schema of {connection.name}…</p>;
  const data = schema.data;
  return (
    <>
      <div className="schema-toolbar">
        <div role="tablist" aria-label="Schema view" className="tabs">
          <Tab active={view === 'tables'} onClick={() => show('tables')}>
            Tables
          </Tab>
          <Tab active={view === 'diagram'} onClick={() => show('diagram')}>
            Diagram
          </Tab>
        </div>
        <SchemaSummary schema={data} />
        <button type="button" onClick={() => refresh.mutate()} disabled={refresh.isPending} title="Read the schema again">
          {refresh.isPending ? 'Reading…' : 'Reload schema'}
        </button>
      </div>
      {refresh.error && <ErrorNotice error={refresh.error} what="the schema again" />}
      {view === 'tables' && (
        <div className="schema-layout" role="tabpanel" aria-label="Tables">
          <SchemaTree schema={data} connectionId={connection.id} selected={tableName} onOpen={openTable} />
          <div className="schema-main">
            {tableName ? (
              <RelationDetail schema={data} connection={connection} name={tableName} />
            ) : (
              <SchemaOverview schema={data} connectionId={connection.id} />
            )}
          </div>
        </div>
      )}
      {diagramOpened && (
        <div hidden={view !== 'diagram'} role="tabpanel" aria-label="Diagram">
          <Suspense fallback={<p className="muted">Loading the diagram…</p>}>
            <SchemaDiagram schema={data} current={tableName} onOpenTable={openTable} />
          </Suspense>
        </div>
      )}
    </>
  );
}

function Tab({ active, onClick, children }: { active: boolean; onClick: () => void; children: ReactNode }) {
  return (
    <button type="button" role="tab" aria-selected={active} className={`tab${active ? ' tab-active' : ''}`} onClick={onClick}>
      {children}
    </button>
  );
}

function SchemaSummary({ schema }: { schema: DbSchema }) {
  const rows = totalRows(schema);
  return (
    <span className="muted small schema-summary" data-testid="schema-summary">
      {plural(schema.tables.length, 'table')} · {plural(schema.views.length, 'view')}
      {rows !== null && ` · ${formatCount(rows)} rows`} ·{' '}
      <span className="mono" title={`sha256 of the schema: ${schema.fingerprint.schemaSha256}`}>
        {schema.fingerprint.schemaSha256.slice(0, 12)}
      </span>
    </span>
  );
}

const plural = (n: number, noun: string) => `${formatCount(n)} ${noun}${n === 1 ? '' : 's'}`;

/** Reads the schema again past the backend's cache (after the file changed under Squill). */
function useRefreshSchema(connectionId: string) {
  const { client } = useConnection();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => client.call('schema.get', { connectionId, refresh: true }),
    onSuccess: (schema) => {
      queryClient.setQueryData(procedureKey('schema.get', { connectionId }), schema);
      return queryClient.invalidateQueries({ queryKey: ['schema.sampleRows'] });
    },
  });
}

function NoConnection({ wanted }: { wanted: string | undefined }) {
  return (
    <div className="notice notice-error" role="alert">
      {wanted ? (
        <>
          There is no database “{wanted}”. <a href={href('databases')}>See the databases</a>
        </>
      ) : (
        <>
          Squill knows no database yet. <a href={href('databases')}>Add one</a>
        </>
      )}
    </div>
  );
}

function BrokenConnection({ connection }: { connection: Connection }) {
  return (
    <div className="notice notice-error" role="alert">
      <strong>
        {connection.name} is {connection.status}.
      </strong>{' '}
      {connection.error} <a href={href('databases')}>Manage databases</a>
    </div>
  );
}
