import { describe, expect, it } from 'vitest';
import type { Column, DbSchema, ForeignKey, Table } from '../../../../shared/contract/index.ts';
import { layoutDiagram } from './diagramLayout.ts';
import { HEADER_HEIGHT, ROW_HEIGHT, TABLE_HANDLE, buildDiagram, handleOffset } from './diagramModel.ts';

const column = (name: string, pk = 0): Column => ({
  name,
  type: 'INTEGER',
  affinity: 'INTEGER',
  pk,
  notNull: false,
  default: null,
  sampleValues: [],
});
const fk = (columns: string[], refTable: string, refColumns: string[] = []): ForeignKey => ({
  columns,
  refTable,
  refColumns,
  onUpdate: 'NO ACTION',
  onDelete: 'NO ACTION',
});
const table = (name: string, columns: Column[], foreignKeys: ForeignKey[] = []): Table => ({
  name,
  columns,
  foreignKeys,
  indexes: [],
  rowCount: 3,
  withoutRowid: false,
  sql: '',
});

// Spider-style: a key written against "Stadium" for a table created as "stadium", a composite key, an implicit
// reference to the parent's primary key, and a key to a table that does not exist.
const schema: DbSchema = {
  tables: [
    table('stadium', [column('Stadium_ID', 1), column('Name')]),
    table('concert', [column('concert_ID', 1), column('Stadium_ID'), column('Theme')], [fk(['Stadium_ID'], 'Stadium', ['Stadium_ID'])]),
    table('ticket', [column('a', 1), column('b', 2), column('price')]),
    table('sale', [column('id', 1), column('ta'), column('tb'), column('x')], [fk(['ta', 'tb'], 'ticket'), fk(['x'], 'nowhere')]),
  ],
  views: [],
  fingerprint: { sizeBytes: 1, mtimeMs: 1, schemaSha256: 'x' },
};
const measure = (text: string) => text.length * 7;

describe('buildDiagram', () => {
  const model = buildDiagram(schema, { keyColumnsOnly: false, measure });

  it('links each foreign key column to the referenced column, ignoring case', () => {
    expect(model.links.map((l) => [l.source, l.sourceHandle, l.target, l.targetHandle])).toEqual([
      ['concert', 'out-1', 'stadium', 'in-0'],
      ['sale', 'out-1', 'ticket', 'in-0'],
      ['sale', 'out-2', 'ticket', 'in-1'],
    ]);
    expect(model.danglingKeys).toBe(1);
  });

  it('sizes boxes from their rows and text', () => {
    const concert = model.tables.find((t) => t.id === 'concert')!;
    expect(concert.height).toBe(HEADER_HEIGHT + 3 * ROW_HEIGHT + 2);
    expect(concert.width).toBeGreaterThanOrEqual(170);
    expect(concert.columns.map((c) => [c.name, c.pk, c.fk, c.in, c.out])).toEqual([
      ['concert_ID', true, false, false, false],
      ['Stadium_ID', false, true, false, true],
      ['Theme', false, false, false, false],
    ]);
  });

  it('shows only key columns when asked, and counts the rest', () => {
    const compact = buildDiagram(schema, { keyColumnsOnly: true, measure });
    const concert = compact.tables.find((t) => t.id === 'concert')!;
    expect(concert.columns.map((c) => c.name)).toEqual(['concert_ID', 'Stadium_ID']);
    expect(concert.hiddenColumns).toBe(1);
    expect(concert.height).toBe(HEADER_HEIGHT + 3 * ROW_HEIGHT + 2); // two columns and the "+1 more" row
    // handles sit on the rows that are shown
    expect(handleOffset(concert, 'out-1')).toEqual({ x: concert.width, y: 1 + HEADER_HEIGHT + ROW_HEIGHT * 1.5, side: 'EAST' });
    expect(handleOffset(concert, TABLE_HANDLE).side).toBe('WEST');
  });
});

describe('layoutDiagram', () => {
  it('places every table, referencing tables left of the tables they reference', async () => {
    const model = buildDiagram(schema, { keyColumnsOnly: false, measure });
    const positions = await layoutDiagram(model);
    expect([...positions.keys()].sort()).toEqual(['concert', 'sale', 'stadium', 'ticket']);
    expect(positions.get('concert')!.x).toBeLessThan(positions.get('stadium')!.x);
    expect(positions.get('sale')!.x).toBeLessThan(positions.get('ticket')!.x);
  });
});
