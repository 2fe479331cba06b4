/**
 * How a query result cell reads on screen. A cell arrives as JSON (see CellSchema in the contract) with its storage
 * class as one letter (i INTEGER, r REAL, t TEXT, b BLOB, n NULL); the letter, not the JSON type, decides the text,
 * because JSON alone cannot tell 1 from 1.0.
 */
import type { Cell } from '../../../shared/contract/index.ts';
import { formatBytes } from '../lib/format.ts';

export type StorageClassLetter = 'i' | 'r' | 't' | 'b' | 'n';

/** Shown for NULL; style it with cellClassName so it never passes for the text 'NULL'. */
export const NULL_TEXT = 'NULL';

/** Bytes of a BLOB shown as hex before the ellipsis. */
const BLOB_PREVIEW_BYTES = 16;

const isBlob = (value: Cell): value is { blob: string; size: number } => typeof value === 'object' && value !== null;

/** The storage class a value implies when no letter came with it (e.g. schema sample values). */
export function typeLetterOf(value: Cell): StorageClassLetter {
  if (value === null) return 'n';
  if (isBlob(value)) return 'b';
  if (typeof value === 'number') return Number.isInteger(value) ? 'i' : 'r';
  return 't';
}

/** The display text of one cell: NULL as 'NULL', REALs always with a decimal part, BLOBs as size and hex prefix. */
export function formatCell(value: Cell, typeLetter: string = typeLetterOf(value)): string {
  if (value === null || typeLetter === 'n') return NULL_TEXT;
  if (isBlob(value)) return formatBlob(value);
  if (typeLetter === 'r') return formatReal(value);
  return String(value);
}

/** CSS classes for a cell: `cell-null` for NULL, `cell-num` for numbers (right-aligned), `cell-blob`, `cell-empty`. */
export function cellClassName(value: Cell, typeLetter: string = typeLetterOf(value)): string {
  if (value === null || typeLetter === 'n') return 'cell cell-null';
  if (typeLetter === 'i' || typeLetter === 'r') return 'cell cell-num';
  if (typeLetter === 'b' || isBlob(value)) return 'cell cell-blob';
  if (value === '') return 'cell cell-empty';
  return 'cell';
}

/** A longer description for a tooltip: the storage class, and for text its length. */
export function describeCell(value: Cell, typeLetter: string = typeLetterOf(value)): string {
  if (value === null || typeLetter === 'n') return 'NULL';
  if (isBlob(value)) return `BLOB, ${value.size.toLocaleString('en-US')} bytes`;
  if (typeLetter === 't' && typeof value === 'string') {
    return value === '' ? 'TEXT, empty string' : `TEXT, ${[...value].length.toLocaleString('en-US')} characters`;
  }
  return typeLetter === 'r' ? 'REAL' : typeLetter === 'i' ? 'INTEGER' : 'TEXT';
}

/** 1 as "1.0" like the sqlite3 shell, so a REAL never reads as an INTEGER; Infinity/NaN arrive as strings. */
function formatReal(value: number | string): string {
  if (typeof value === 'string') return value;
  return Number.isInteger(value) && Math.abs(value) < 1e16 ? value.toFixed(1) : String(value);
}

function formatBlob({ blob, size }: { blob: string; size: number }): string {
  let hex = '';
  try {
    const bytes = atob(blob);
    for (let i = 0; i < Math.min(bytes.length, BLOB_PREVIEW_BYTES); i++) {
      hex += bytes.charCodeAt(i).toString(16).padStart(2, '0');
    }
  } catch {
    // not base64: show the size alone
  }
  const more = size > BLOB_PREVIEW_BYTES ? '…' : '';
  return `BLOB ${formatBytes(size)}${hex ? ` x'${hex}${more}'` : ''}`;
}
