/**
 * SQLite results as Python's sqlite3 hands them to the official evaluators, and Python's semantics over them:
 * equality (1 == 1.0), hashing (sets and dicts), str() and type() (the test-suite's row sorting key).
 */
import type { QueryResult } from '../../shared/contract/index.ts';

/** int -> bigint, float -> number, str -> string, None -> null, bytes -> Uint8Array */
export type PyValue = bigint | number | string | null | Uint8Array;
export type PyRow = PyValue[];

/** UTF-8 with invalid sequences dropped, as Python's bytes.decode(errors="ignore"). */
export function decodeUtf8Ignore(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const need = b < 0x80 ? 0 : b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (need < 0) {
      i++;
      continue;
    }
    if (need === 0) {
      out += String.fromCharCode(b);
      i++;
      continue;
    }
    let cp = b & (0x3f >> need);
    let ok = true;
    for (let k = 1; k <= need && ok; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) ok = false;
      else cp = (cp << 6) | (c & 0x3f);
    }
    // overlong forms, surrogates and values past U+10FFFF are invalid too
    const min = [0, 0x80, 0x800, 0x10000][need]!;
    if (ok && cp >= min && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff)) {
      out += String.fromCodePoint(cp);
      i += need + 1;
    } else {
      i++;
    }
  }
  return out;
}

/**
 * Rows of a sandbox result as Python values. `blobs`: 'text' as the test-suite's text_factory (bytes decoded as
 * UTF-8, errors ignored), 'bytes' as Python's default for BLOB columns (BIRD).
 */
export function toPyRows(result: QueryResult, blobs: 'text' | 'bytes'): PyRow[] {
  return result.rows.map((row, r) => {
    const types = result.types[r]!;
    return row.map((cell, c): PyValue => {
      switch (types[c]) {
        case 'n':
          return null;
        case 'i':
          return BigInt(cell as number | string);
        case 'r':
          return typeof cell === 'number' ? cell : Number(cell); // "Infinity", "-Infinity", "NaN"
        case 'b': {
          const bytes = Buffer.from((cell as { blob: string }).blob, 'base64');
          return blobs === 'text' ? decodeUtf8Ignore(bytes) : new Uint8Array(bytes);
        }
        default:
          return cell as string;
      }
    });
  });
}

/** Python's `a == b` for the values above. */
export function pyEq(a: PyValue, b: PyValue): boolean {
  if (a === null || b === null) return a === b;
  if (typeof a === 'bigint') {
    if (typeof b === 'bigint') return a === b;
    return typeof b === 'number' && Number.isInteger(b) && BigInt(b) === a; // exact, as Python compares int/float
  }
  if (typeof a === 'number') {
    if (typeof b === 'number') return a === b;
    return typeof b === 'bigint' && pyEq(b, a);
  }
  if (typeof a === 'string') return typeof b === 'string' && a === b;
  if (!(b instanceof Uint8Array) || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export const rowsEqual = (a: PyRow, b: PyRow) => a.length === b.length && a.every((v, i) => pyEq(v, b[i]!));

let nanCount = 0;
/**
 * A key that is equal exactly when Python would put two values in the same set slot (equal hash and ==): 1 and 1.0
 * share one; every NaN is its own (each is a distinct float object in a fetched result).
 */
export function pyKey(v: PyValue): string {
  if (v === null) return 'z';
  if (typeof v === 'bigint') return `n${v}`;
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return `nan${nanCount++}`;
    return Number.isInteger(v) ? `n${BigInt(v)}` : `f${v}`;
  }
  if (typeof v === 'string') return `s${v}`;
  return `b${Buffer.from(v).toString('base64')}`;
}

export const rowKey = (row: PyRow) => JSON.stringify(row.map(pyKey));

/** Python's repr/str of a float ('1.0', '1e+16', '1.5e-05', 'inf', 'nan'). */
export function pyFloatStr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mantissa, expText] = x.toExponential().split('e') as [string, string]; // shortest round-trip digits
  const exp = Number(expText);
  const sign = mantissa.startsWith('-') ? '-' : '';
  const digits = mantissa.replace('-', '').replace('.', '');
  if (exp >= -4 && exp < 16) {
    if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
    const whole = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
    const frac = digits.slice(exp + 1);
    return `${sign}${whole}.${frac || '0'}`;
  }
  const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  const e = Math.abs(exp).toString().padStart(2, '0');
  return `${sign}${m}e${exp < 0 ? '-' : '+'}${e}`;
}

/** Python's str(x) + str(type(x)): the sort key of the test-suite's unorder_row. */
export function pyStrWithType(v: PyValue): string {
  if (v === null) return "None<class 'NoneType'>";
  if (typeof v === 'bigint') return `${v}<class 'int'>`;
  if (typeof v === 'number') return `${pyFloatStr(v)}<class 'float'>`;
  if (typeof v === 'string') return `${v}<class 'str'>`;
  return `b'…'<class 'bytes'>`;
}

/** Python's string ordering: by code point (JavaScript's < compares UTF-16 units, which differs past U+FFFF). */
export function compareCodePoints(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(j)!;
    if (x !== y) return x - y;
    i += x > 0xffff ? 2 : 1;
    j += y > 0xffff ? 2 : 1;
  }
  return a.length - i - (b.length - j);
}
