import { describe, expect, it } from 'vitest';
import { cellClassName, describeCell, formatCell, typeLetterOf } from './cells.ts';

describe('formatCell', () => {
  it('shows NULL as NULL, apart from the empty string and the text "NULL"', () => {
    expect(formatCell(null, 'n')).toBe('NULL');
    expect(cellClassName(null, 'n')).toContain('cell-null');
    expect(formatCell('', 't')).toBe('');
    expect(cellClassName('', 't')).toContain('cell-empty');
    expect(formatCell('NULL', 't')).toBe('NULL');
    expect(cellClassName('NULL', 't')).not.toContain('cell-null');
  });

  it('tells REAL from INTEGER by the storage class, not the JSON value', () => {
    expect(formatCell(1, 'i')).toBe('1');
    expect(formatCell(1, 'r')).toBe('1.0');
    expect(formatCell(-0.25, 'r')).toBe('-0.25');
    expect(formatCell(1e300, 'r')).toBe('1e+300');
    expect(formatCell('Infinity', 'r')).toBe('Infinity');
    expect(formatCell('9007199254740993', 'i')).toBe('9007199254740993');
    expect(cellClassName(1, 'r')).toContain('cell-num');
  });

  it('shows a BLOB as its size and first bytes in hex', () => {
    const blob = { blob: btoa('\x89PNG'), size: 4 };
    expect(formatCell(blob, 'b')).toBe("BLOB 4 B x'89504e47'");
    const big = { blob: btoa('x'.repeat(16)), size: 2048 };
    expect(formatCell(big, 'b')).toBe(`BLOB 2.0 KiB x'${'78'.repeat(16)}…'`);
    expect(describeCell(big, 'b')).toBe('BLOB, 2,048 bytes');
  });

  it('infers the class when no letter came with the value', () => {
    expect(typeLetterOf(null)).toBe('n');
    expect(typeLetterOf(3)).toBe('i');
    expect(typeLetterOf(3.5)).toBe('r');
    expect(typeLetterOf('x')).toBe('t');
    expect(formatCell(3.5)).toBe('3.5');
    expect(formatCell(null)).toBe('NULL');
  });
});
