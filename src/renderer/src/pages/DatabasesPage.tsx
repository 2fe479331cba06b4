import { useState, type DragEvent, type FormEvent } from 'react';
import { useMutation } from '@tanstack/react-query';
import type { Connection } from '../../../shared/contract/index.ts';
import { useConnection } from '../api/hooks.ts';
import { href } from '../app/router.ts';
import { useAddDatabases, useInvalidateConnections } from '../components/addDatabases.ts';
import { useConnections } from '../components/ConnectionPicker.tsx';
import { ConfirmRemove } from '../components/ConfirmRemove.tsx';
import { ErrorNotice, InlineError } from '../components/ErrorNotice.tsx';
import { formatBytes, formatCount } from '../lib/format.ts';
import { PathInput } from '../components/PathInput.tsx';

/** The connections manager: every database Squill knows, and adding or forgetting one. */
export function DatabasesPage() {
  const list = useConnections();
  const connections = list.data ? demosFirst(list.data) : undefined;
  const ownCount = connections?.filter((c) => c.kind !== 'demo').length ?? 0;
  return (
    <div className="page">
      <header className="page-header">
        <h1>Databases</h1>
        <p className="muted">
          The SQLite databases Squill can explore and ask questions of. Squill opens them read-only and never changes
          the files.
        </p>
      </header>
      <AddDatabasePanel />
      {list.error && <ErrorNotice error={list.error} what="the databases" />}
      {list.isLoading && <p className="muted">Loading databases…</p>}
      {connections && (
        <section aria-label="Known databases">
          <div className="section-head">
            <h2>
              {connections.length} {connections.length === 1 ? 'database' : 'databases'}
              {ownCount > 0 && <span className="muted small"> · {ownCount} added by you</span>}
            </h2>
            <button type="button" onClick={() => list.refetch()} disabled={list.isFetching}>
              {list.isFetching ? 'Checking…' : 'Check again'}
            </button>
          </div>
          <ul className="conn-list">
            {connections.map((c) => (
              <ConnectionItem key={c.id} connection={c} />
            ))}
          </ul>
        </section>
      )}
    </div>
  );
}

/** Stable: the backend's order otherwise. */
const demosFirst = (list: Connection[]) => [...list].sort((a, b) => Number(b.kind === 'demo') - Number(a.kind === 'demo'));

// ---------------------------------------------------------------------------------------------------------------
// Adding

function AddDatabasePanel() {
  const { client, kind } = useConnection();
  const desktop = kind === 'ipc';
  const add = useAddDatabases();
  const [path, setPath] = useState('');
  const [name, setName] = useState('');
  const pick = useMutation({
    mutationFn: () => client.call('connections.pickFile'),
    onSuccess: ({ path: picked }) => picked && add.mutate([{ path: picked }]),
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const request = { path: path.trim(), ...(name.trim() ? { name: name.trim() } : {}) };
    add.mutate([request], {
      onSuccess: ({ failed }) => {
        if (failed.length === 0) {
          setPath('');
          setName('');
        }
      },
    });
  };

  return (
    <section className="panel add-db" aria-label="Add a database">
      <h2>Add a database</h2>
      <p className="muted small">
        {desktop
          ? 'Type the path of a SQLite file, browse for one, or drop files onto the area below.'
          : 'Type the path of a SQLite file on the machine that runs squill serve.'}
      </p>
      <form className="add-db-form" onSubmit={submit}>
        <PathInput className="add-db-path" value={path} onChange={setPath} placeholder="/path/to/database.sqlite" label="Database file path" />
        <input
          className="input add-db-name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          placeholder="Name (optional)"
          aria-label="Name (optional)"
        />
        <button type="submit" className="primary" disabled={!path.trim() || add.isPending}>
          {add.isPending ? 'Adding…' : 'Add'}
        </button>
        {desktop && (
          <button type="button" onClick={() => pick.mutate()} disabled={pick.isPending || add.isPending}>
            Browse…
          </button>
        )}
      </form>
      {desktop && <DropZone onPaths={(paths) => add.mutate(paths.map((p) => ({ path: p })))} />}
      {pick.error && <InlineError title="Could not open the file dialog." message={pick.error.message} />}
      {add.error && <InlineError title="Could not add the database." message={add.error.message} />}
      {add.data?.failed.map((f) => (
        <InlineError key={f.path} title="Could not add the database." message={f.message} />
      ))}
      {add.data?.added.map((c) => (
        <p key={c.id} className="notice notice-ok" role="status">
          Added <strong>{c.name}</strong>
          {c.tableCount !== null && ` (${c.tableCount} tables)`}. <a href={href('schema', c.id)}>Explore its schema</a>{' '}
          or <a href={href('workbench', c.id)}>ask it a question</a>.
        </p>
      ))}
    </section>
  );
}

/** Desktop only: a browser gives no file paths, the preload does (webUtils.getPathForFile). */
function DropZone({ onPaths }: { onPaths: (paths: string[]) => void }) {
  const [over, setOver] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const onDragOver = (e: DragEvent) => {
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
    setOver(true);
  };
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    const files = [...e.dataTransfer.files];
    const paths = files.map((f) => window.squill?.pathForFile?.(f) ?? '').filter(Boolean);
    setProblem(files.length > 0 && paths.length === 0 ? 'The dropped item has no file path (is it a file?).' : null);
    if (paths.length > 0) onPaths(paths);
  };
  return (
    <>
      <div
        className={`drop-zone${over ? ' drop-zone-over' : ''}`}
        onDragOver={onDragOver}
        onDragLeave={() => setOver(false)}
        onDrop={onDrop}
        data-testid="drop-zone"
      >
        Drop SQLite files here
      </div>
      {problem && <InlineError title="Nothing to add." message={problem} />}
    </>
  );
}


// ---------------------------------------------------------------------------------------------------------------
// The list

const STATUS_LABEL: Record<Connection['status'], string> = { ok: 'ok', missing: 'missing', unreadable: 'unreadable' };
const STATUS_TITLE: Record<Exclude<Connection['status'], 'ok'>, string> = {
  missing: 'The file is missing.',
  unreadable: 'The file cannot be read.',
};

function ConnectionItem({ connection: c }: { connection: Connection }) {
  const ok = c.status === 'ok';
  return (
    <li className={`conn${ok ? '' : ' conn-broken'}`} data-testid={`connection-${c.id}`} aria-label={c.name}>
      <div className="conn-head">
        <h3 className="conn-name">{c.name}</h3>
        {c.kind === 'demo' && <span className="badge badge-demo">demo</span>}
        <span className={`badge ${ok ? 'badge-ok' : 'badge-bad'}`} data-testid="connection-status">
          {STATUS_LABEL[c.status]}
        </span>
        <span className="conn-links">
          {ok && (
            <>
              <a className="button-link" href={href('schema', c.id)}>
                Schema
              </a>
              <a className="button-link" href={href('workbench', c.id)}>
                Workbench
              </a>
            </>
          )}
        </span>
      </div>
      <div className="mono small muted conn-path" title={c.path}>
        {c.path}
      </div>
      {c.status !== 'ok' && (
        <div className="notice notice-error conn-error">
          <strong>{STATUS_TITLE[c.status]}</strong> {c.error ?? ''}
        </div>
      )}
      <ConnectionFacts connection={c} />
      {c.kind !== 'demo' && <RemoveConnection connection={c} />}
    </li>
  );
}

function ConnectionFacts({ connection: c }: { connection: Connection }) {
  const fp = c.fingerprint;
  return (
    <dl className="conn-facts">
      <div>
        <dt>Tables</dt>
        <dd>{c.tableCount === null ? '—' : formatCount(c.tableCount)}</dd>
      </div>
      <div>
        <dt>Size</dt>
        <dd>{fp ? formatBytes(fp.sizeBytes) : '—'}</dd>
      </div>
      <div>
        <dt>Modified</dt>
        <dd>{fp ? formatDateTime(fp.mtimeMs) : '—'}</dd>
      </div>
      <div>
        <dt>Schema</dt>
        <dd className="mono" title={fp ? `sha256 of the schema: ${fp.schemaSha256}` : undefined}>
          {fp ? fp.schemaSha256.slice(0, 12) : '—'}
        </dd>
      </div>
      {c.kind !== 'demo' && (
        <div>
          <dt>Added</dt>
          <dd>{formatDateTime(c.addedAt)}</dd>
        </div>
      )}
    </dl>
  );
}

const formatDateTime = (at: number | string) =>
  new Date(at).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** Forgetting a database takes a second click; the file itself stays where it is. */
function RemoveConnection({ connection: c }: { connection: Connection }) {
  const { client } = useConnection();
  const invalidate = useInvalidateConnections();
  const remove = useMutation({
    mutationFn: () => client.call('connections.remove', { id: c.id }),
    onSettled: invalidate,
  });
  return <ConfirmRemove name={c.name} note=" The file is left alone." onRemove={() => remove.mutate()} pending={remove.isPending} error={remove.error} />;
}
