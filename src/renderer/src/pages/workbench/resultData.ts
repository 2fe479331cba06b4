/**
 * A query result as text for other programs: TSV for the clipboard (spreadsheets paste it into cells), CSV and JSON
 * files. Pure functions; the download itself is the one DOM-bound helper at the end.
 */
import Papa from 'papaparse';
import type { Cell, QueryResult } from '../../../../shared/contract/index.ts';
import { formatCell } from '../../components/cells.ts';

/** A cell as plain text: NULL is empty (as spreadsheets and CSV readers expect), everything else as displayed. */
export function cellText(value: Cell, typeLetter: string | undefined): string {
  if (value === null || typeLetter === 'n') return '';
  return formatCell(value, typeLetter);
}

const rowTexts = (result: QueryResult, rowIndexes: Iterable<number>): string[][] =>
  Array.from(rowIndexes, (r) => result.rows[r]!.map((value, c) => cellText(value, result.types[r]?.[c])));

const columnNames = (result: QueryResult) => result.columns.map((c) => c.name);

/** Rows as tab-separated text, with a header line; fields with tabs, newlines or quotes are quoted. */
export function toTsv(result: QueryResult, rowIndexes: Iterable<number>): string {
  return Papa.unparse({ fields: columnNames(result), data: rowTexts(result, rowIndexes) }, { delimiter: '\t', newline: '\n' });
}

/** The whole result as RFC 4180 CSV (CRLF line ends), header first. */
export function toCsv(result: QueryResult): string {
  return Papa.unparse({ fields: columnNames(result), data: rowTexts(result, result.rows.keys()) });
}

/** Column names made unique for use as object keys: a repeated "id" becomes "id_2", "id_3". */
export function uniqueNames(names: string[]): string[] {
  const seen = new Set<string>();
  return names.map((name) => {
    let unique = name;
    for (let n = 2; seen.has(unique); n++) unique = `${name}_${n}`;
    seen.add(unique);
    return unique;
  });
}

/**
 * The whole result as a JSON array of objects, one per row. Values keep their JSON form from the backend: integers
 * beyond 2^53 stay exact decimal strings, BLOBs stay {blob, size} (the first bytes, base64).
 */
export function toJson(result: QueryResult): string {
  const keys = uniqueNames(columnNames(result));
  const objects = result.rows.map((row) => Object.fromEntries(keys.map((key, c) => [key, row[c] ?? null])));
  return JSON.stringify(objects, null, 2);
}

/** "concert_singer-2026-11-21-134502.csv": the database and the local time, safe in any file system. */
export function exportFileName(connectionId: string, extension: string, at = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const stamp = `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}-${pad(at.getHours())}${pad(at.getMinutes())}${pad(at.getSeconds())}`;
  return `${connectionId.replace(/[^\w.-]+/g, '_')}-${stamp}.${extension}`;
}

/** Saves text as a file through a Blob URL and <a download> (works in the browser and in Electron). */
export function downloadText(text: string, fileName: string, mimeType: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: `${mimeType};charset=utf-8` }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  // the download has started from the URL; revoking at once can cancel it in some browsers
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
