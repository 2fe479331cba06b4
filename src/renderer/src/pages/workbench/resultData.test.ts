import { describe, expect, it } from 'vitest';
import type { QueryResult } from '../../../../shared/contract/index.ts';
import { cellText, exportFileName, toCsv, toJson, toTsv, uniqueNames } from './resultData.ts';

const RESULT: QueryResult = {
  columns: [
    { name: 'id', declType: 'INTEGER' },
    { name: 'name', declType: 'TEXT' },
    { name: 'score', declType: 'REAL' },
    { name: 'id', declType: null },
  ],
  rows: [
    [1, 'Joe "JJ"\tSmith', 1, null],
    ['9007199254740993', '', 2.5, { blob: 'AAE=', size: 2 }],
  ],
  types: ['itrn', 'itrb'],
  truncated: false,
  truncatedBy: null,
  elapsedMs: 3,
};

describe('result as text', () => {
  it('writes NULL as empty, REAL with its decimal part, BLOB as a description', () => {
    expect(cellText(null, 'n')).toBe('');
    expect(cellText(1, 'r')).toBe('1.0');
    expect(cellText(1, 'i')).toBe('1');
    expect(cellText({ blob: 'AAE=', size: 2 }, 'b')).toMatch(/^BLOB /);
  });

  it('copies rows as TSV with a header, quoting fields that need it', () => {
    expect(toTsv(RESULT, [0])).toBe('id\tname\tscore\tid\n1\t"Joe ""JJ""\tSmith"\t1.0\t');
  });

  it('exports CSV with CRLF line ends', () => {
    const csv = toCsv(RESULT);
    expect(csv.split('\r\n')).toHaveLength(3);
    expect(csv.split('\r\n')[2]).toMatch(/^9007199254740993,,2\.5,BLOB /);
  });

  it('exports JSON objects with unique keys and exact values', () => {
    const rows = JSON.parse(toJson(RESULT)) as Record<string, unknown>[];
    expect(rows[0]).toEqual({ id: 1, name: 'Joe "JJ"\tSmith', score: 1, id_2: null });
    expect(rows[1]).toEqual({ id: '9007199254740993', name: '', score: 2.5, id_2: { blob: 'AAE=', size: 2 } });
  });

  it('makes names unique and file names safe', () => {
    expect(uniqueNames(['a', 'a', 'a_2', 'b'])).toEqual(['a', 'a_2', 'a_2_2', 'b']);
    expect(exportFileName('my db/1', 'csv', new Date(2026, 10, 21, 9, 5, 7))).toBe('my_db_1-2026-11-21-090507.csv');
  });
});
