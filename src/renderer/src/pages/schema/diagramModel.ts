/**
 * The ER diagram as plain data, before layout: one box per table with the rows it shows and where their handles
 * sit, one link per foreign key column. Box sizes are computed here, not measured after render, so ELK can lay out
 * the graph before React Flow draws it; the CSS of the nodes (.er-*) uses the same constants.
 */
import type { DbSchema, Table } from '../../../../shared/contract/index.ts';
import { findTable, foreignKeyColumns, referencedColumns } from './model.ts';

export const HEADER_HEIGHT = 32;
export const ROW_HEIGHT = 22;
/** the 1px border on each side */
const BORDER = 2;
const MIN_WIDTH = 170;
const MAX_WIDTH = 420;
/** paddings, the key marks column and the gap between name and type, plus the borders and a little slack, in px */
const ROW_CHROME = 8 + 38 + 14 + 10 + BORDER + 4;
const HEADER_CHROME = 10 + 14 + 10 + BORDER + 4;

/** Handle of the table header: keys whose referenced column is unknown point here. */
export const TABLE_HANDLE = 'table';
export const inHandle = (columnIndex: number) => `in-${columnIndex}`;
export const outHandle = (columnIndex: number) => `out-${columnIndex}`;

export interface DiagramColumn {
  /** position in the table, which handle ids use */
  index: number;
  name: string;
  type: string;
  pk: boolean;
  fk: boolean;
  /** a foreign key starts here (a source handle on the right) */
  out: boolean;
  /** a foreign key points here (a target handle on the left) */
  in: boolean;
}

export interface DiagramTable {
  id: string;
  name: string;
  rowCount: number | null;
  columns: DiagramColumn[];
  /** columns left out when only key columns are shown */
  hiddenColumns: number;
  width: number;
  height: number;
}

export interface DiagramLink {
  id: string;
  source: string;
  sourceHandle: string;
  target: string;
  targetHandle: string;
}

export interface DiagramModel {
  tables: DiagramTable[];
  links: DiagramLink[];
  /** foreign keys that point at a table this database does not have */
  danglingKeys: number;
}

export interface DiagramOptions {
  keyColumnsOnly: boolean;
  /** the width of a string in the node font; canvas measurement in the browser */
  measure: (text: string, font: 'name' | 'type' | 'title') => number;
}

const lower = (s: string) => s.toLowerCase();

export function buildDiagram(schema: DbSchema, { keyColumnsOnly, measure }: DiagramOptions): DiagramModel {
  const links: DiagramLink[] = [];
  const outgoing = new Map<string, Set<number>>();
  const incoming = new Map<string, Set<number>>();
  const mark = (map: Map<string, Set<number>>, table: string, index: number) => {
    if (!map.has(table)) map.set(table, new Set());
    map.get(table)!.add(index);
  };
  const columnIndex = (table: Table, name: string) => table.columns.findIndex((c) => lower(c.name) === lower(name));

  let danglingKeys = 0;
  for (const table of schema.tables) {
    table.foreignKeys.forEach((fk, k) => {
      const parent = findTable(schema, fk.refTable);
      if (!parent) {
        danglingKeys++;
        return;
      }
      const refColumns = referencedColumns(schema, fk);
      // one link per column pair, so composite keys show every column that takes part
      fk.columns.forEach((from, i) => {
        const sourceIndex = columnIndex(table, from);
        if (sourceIndex < 0) return;
        const targetIndex = refColumns[i] === undefined ? -1 : columnIndex(parent, refColumns[i]);
        mark(outgoing, table.name, sourceIndex);
        if (targetIndex >= 0) mark(incoming, parent.name, targetIndex);
        links.push({
          id: `${table.name}\u0000${k}\u0000${i}`,
          source: table.name,
          sourceHandle: outHandle(sourceIndex),
          target: parent.name,
          targetHandle: targetIndex >= 0 ? inHandle(targetIndex) : TABLE_HANDLE,
        });
      });
    });
  }

  const tables = schema.tables.map((table): DiagramTable => {
    const outs = outgoing.get(table.name) ?? new Set<number>();
    const ins = incoming.get(table.name) ?? new Set<number>();
    const fks = foreignKeyColumns(table);
    const all = table.columns.map((c, index) => ({
      index,
      name: c.name,
      type: c.type,
      pk: c.pk > 0,
      fk: fks.has(lower(c.name)),
      out: outs.has(index),
      in: ins.has(index),
    }));
    const columns = keyColumnsOnly ? all.filter((c) => c.pk || c.fk || c.in) : all;
    const hiddenColumns = all.length - columns.length;
    const widest = Math.max(
      HEADER_CHROME + measure(table.name, 'title') + measure(rowLabel(table.rowCount), 'type'),
      ...columns.map((c) => ROW_CHROME + measure(c.name, 'name') + measure(c.type, 'type')),
    );
    const rows = columns.length + (hiddenColumns > 0 ? 1 : 0);
    return {
      id: table.name,
      name: table.name,
      rowCount: table.rowCount,
      columns,
      hiddenColumns,
      width: Math.ceil(Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, widest))),
      height: HEADER_HEIGHT + rows * ROW_HEIGHT + BORDER,
    };
  });
  return { tables, links, danglingKeys };
}

export const rowLabel = (rowCount: number | null) =>
  rowCount === null ? '' : `${rowCount.toLocaleString('en-US')} ${rowCount === 1 ? 'row' : 'rows'}`;

/** Where a handle sits on its box, relative to the box's top left corner (ELK ports must match React Flow). */
export function handleOffset(table: DiagramTable, handle: string): { x: number; y: number; side: 'WEST' | 'EAST' } {
  if (handle === TABLE_HANDLE) return { x: 0, y: HEADER_HEIGHT / 2, side: 'WEST' };
  const [direction, index] = handle.split('-');
  const row = table.columns.findIndex((c) => c.index === Number(index));
  const y = 1 + HEADER_HEIGHT + row * ROW_HEIGHT + ROW_HEIGHT / 2;
  return direction === 'out' ? { x: table.width, y, side: 'EAST' } : { x: 0, y, side: 'WEST' };
}
