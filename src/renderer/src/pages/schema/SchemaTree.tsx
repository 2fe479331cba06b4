import { useState, type KeyboardEvent } from 'react';
import type { DbSchema, Table } from '../../../../shared/contract/index.ts';
import { href } from '../../app/router.ts';
import { formatCount } from '../../lib/format.ts';
import { KeyBadges } from './KeyBadges.tsx';
import { foreignKeyColumns, type View } from './model.ts';

interface TreeColumn {
  name: string;
  type: string;
  pk: boolean;
  fk: boolean;
}

interface TreeEntry {
  name: string;
  kind: 'table' | 'view';
  rowCount: number | null;
  columns: TreeColumn[];
}

const tableEntry = (t: Table): TreeEntry => {
  const fks = foreignKeyColumns(t);
  return {
    name: t.name,
    kind: 'table',
    rowCount: t.rowCount,
    columns: t.columns.map((c) => ({ name: c.name, type: c.type, pk: c.pk > 0, fk: fks.has(c.name.toLowerCase()) })),
  };
};

const viewEntry = (v: View): TreeEntry => ({
  name: v.name,
  kind: 'view',
  rowCount: null,
  columns: v.columns.map((c) => ({ name: c.name, type: c.type, pk: false, fk: false })),
});

interface Match {
  entry: TreeEntry;
  /** the columns to list: all of them unless only some columns matched the filter */
  columns: TreeColumn[];
  /** the filter matched a column, not the name: open the entry to show where */
  byColumn: boolean;
}

function filterEntries(entries: TreeEntry[], query: string): Match[] {
  const q = query.trim().toLowerCase();
  if (!q) return entries.map((entry) => ({ entry, columns: entry.columns, byColumn: false }));
  return entries.flatMap((entry): Match[] => {
    if (entry.name.toLowerCase().includes(q)) return [{ entry, columns: entry.columns, byColumn: false }];
    const columns = entry.columns.filter((c) => c.name.toLowerCase().includes(q));
    return columns.length > 0 ? [{ entry, columns, byColumn: true }] : [];
  });
}

/** The tables and views with their columns; the filter matches table, view and column names. */
export function SchemaTree({
  schema,
  connectionId,
  selected,
  onOpen,
}: {
  schema: DbSchema;
  connectionId: string;
  selected: string | undefined;
  onOpen: (name: string) => void;
}) {
  const [query, setQuery] = useState('');
  const tables = filterEntries(schema.tables.map(tableEntry), query);
  const views = filterEntries(schema.views.map(viewEntry), query);
  const first = tables[0] ?? views[0];
  // Enter opens the first match, so "type a few letters, Enter" gets to a table without the mouse.
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'Enter' && first) onOpen(first.entry.name);
    if (e.key === 'Escape') setQuery('');
  };
  return (
    <nav className="schema-tree panel" aria-label="Tables and views">
      <input
        type="search"
        className="input tree-filter"
        placeholder="Filter tables and columns"
        aria-label="Filter tables and columns"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        onKeyDown={onKeyDown}
        spellCheck={false}
      />
      {tables.length > 0 && (
        <TreeGroup title="Tables" matches={tables} total={schema.tables.length} {...{ connectionId, selected, query }} />
      )}
      {views.length > 0 && (
        <TreeGroup title="Views" matches={views} total={schema.views.length} {...{ connectionId, selected, query }} />
      )}
      {!first && (
        <p className="muted small">{query ? `Nothing matches “${query.trim()}”.` : 'This database has no tables.'}</p>
      )}
    </nav>
  );
}

function TreeGroup({
  title,
  matches,
  total,
  connectionId,
  selected,
  query,
}: {
  title: string;
  matches: Match[];
  total: number;
  connectionId: string;
  selected: string | undefined;
  query: string;
}) {
  return (
    <section className="tree-group" aria-label={title}>
      <h2 className="tree-group-title">
        {title}{' '}
        <span className="muted">{matches.length === total ? total : `${matches.length} of ${total}`}</span>
      </h2>
      <ul className="tree">
        {matches.map((m) => (
          <TreeItem
            // a new key when the reason for showing changes, so a column match opens even a closed entry
            key={`${m.entry.name}:${m.byColumn}`}
            match={m}
            connectionId={connectionId}
            selected={m.entry.name === selected}
            query={query}
          />
        ))}
      </ul>
    </section>
  );
}

function TreeItem({
  match: { entry, columns, byColumn },
  connectionId,
  selected,
  query,
}: {
  match: Match;
  connectionId: string;
  selected: boolean;
  query: string;
}) {
  // undefined: not toggled by hand; then open when selected or when the filter matched a column
  const [toggled, setToggled] = useState<boolean | undefined>(undefined);
  const open = toggled ?? (selected || byColumn);
  return (
    <li className="tree-item" data-testid={`tree-${entry.name}`}>
      <div className={`tree-row${selected ? ' tree-row-selected' : ''}`}>
        <button
          type="button"
          className="tree-toggle"
          aria-expanded={open}
          aria-label={`${open ? 'Hide' : 'Show'} the columns of ${entry.name}`}
          onClick={() => setToggled(!open)}
        >
          <span aria-hidden>{open ? '▾' : '▸'}</span>
        </button>
        <a
          className="tree-name mono"
          href={href('schema', connectionId, entry.name)}
          aria-current={selected ? 'page' : undefined}
        >
          <Highlight text={entry.name} query={query} />
        </a>
        <span className="tree-count muted small" title={entry.kind === 'view' ? 'view' : 'rows'}>
          {entry.kind === 'view' ? 'view' : entry.rowCount === null ? '?' : formatCount(entry.rowCount)}
        </span>
      </div>
      {open && (
        <ul className="tree-columns">
          {columns.map((c) => (
            <li key={c.name} className="tree-column">
              <span className="mono">
                <Highlight text={c.name} query={query} />
              </span>
              <KeyBadges pk={c.pk} fk={c.fk} />
              <span className="tree-type muted mono small">{c.type || 'any'}</span>
            </li>
          ))}
        </ul>
      )}
    </li>
  );
}

/** The text with the first occurrence of the filter marked. */
function Highlight({ text, query }: { text: string; query: string }) {
  const q = query.trim().toLowerCase();
  const at = q ? text.toLowerCase().indexOf(q) : -1;
  if (at < 0) return <>{text}</>;
  return (
    <>
      {text.slice(0, at)}
      <mark>{text.slice(at, at + q.length)}</mark>
      {text.slice(at + q.length)}
    </>
  );
}
