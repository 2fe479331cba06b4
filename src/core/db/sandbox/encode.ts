import type { Cell } from '../../../shared/contract/index.ts';

/** First bytes of a BLOB sent to the UI; the size says how much there is. */
export const BLOB_PREVIEW_BYTES = 48;

/**
 * One SQLite value (read with safeIntegers) as a JSON cell plus its storage-class letter, and roughly how many
 * bytes it costs to hold and send (for the byte cap).
 */
export function encodeCell(value: unknown, fullBlobs = false): { cell: Cell; type: string; bytes: number } {
  if (value === null || value === undefined) return { cell: null, type: 'n', bytes: 4 };
  if (typeof value === 'bigint') {
    const safe = value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER);
    return { cell: safe ? Number(value) : value.toString(), type: 'i', bytes: 8 };
  }
  if (typeof value === 'number') {
    return { cell: Number.isFinite(value) ? value : String(value), type: 'r', bytes: 8 };
  }
  if (typeof value === 'string') return { cell: value, type: 't', bytes: value.length * 2 + 8 };
  if (value instanceof Uint8Array) {
    const length = fullBlobs ? value.byteLength : Math.min(value.byteLength, BLOB_PREVIEW_BYTES);
    const data = Buffer.from(value.buffer, value.byteOffset, length);
    return { cell: { blob: data.toString('base64'), size: value.byteLength }, type: 'b', bytes: length + 16 };
  }
  return { cell: String(value), type: 't', bytes: 16 };
}
