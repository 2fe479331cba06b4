/** Opening a user's SQLite file for a look: checks that explain what is wrong, and its fingerprint. */
import crypto from 'node:crypto';
import fs from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import type { Fingerprint } from '../../shared/contract/index.ts';
import { SquillError } from '../../shared/errors.ts';

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

/** Throws a SquillError that says, in a user's words, why `file` cannot be used as a database. */
export function checkSqliteFile(file: string): fs.Stats {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw new SquillError('NOT_FOUND', `No file at ${file}`);
  }
  if (stat.isDirectory()) throw new SquillError('VALIDATION', `${file} is a folder, not a SQLite database file`);
  if (!stat.isFile()) throw new SquillError('VALIDATION', `${file} is not a regular file`);
  if (stat.size === 0) throw new SquillError('VALIDATION', `${file} is empty, not a SQLite database`);
  const header = Buffer.alloc(SQLITE_HEADER.length);
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    fs.readSync(fd, header, 0, header.length, 0);
  } catch (err) {
    throw new SquillError('UNAVAILABLE', `${file} cannot be read: ${(err as Error).message}`);
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
  if (!header.equals(SQLITE_HEADER)) {
    throw new SquillError('VALIDATION', `${file} is not a SQLite database (it does not start with the SQLite header)`);
  }
  return stat;
}

/** Size, mtime and the sha256 of the schema; throws a SquillError for damaged or locked files. */
export function fingerprintOf(file: string): Fingerprint & { tableCount: number } {
  const stat = checkSqliteFile(file);
  let db: BetterSqlite3.Database | undefined;
  try {
    db = new BetterSqlite3(file, { readonly: true, fileMustExist: true, timeout: 1000 });
    const rows = db
      .prepare(`SELECT type, name, tbl_name, COALESCE(sql, '') FROM sqlite_schema ORDER BY type, name`)
      .raw()
      .all() as string[][];
    const hash = crypto.createHash('sha256');
    for (const row of rows) hash.update(`${row.join('\u0001')}\u0000`);
    return {
      sizeBytes: stat.size,
      mtimeMs: stat.mtimeMs,
      schemaSha256: hash.digest('hex'),
      tableCount: rows.filter((r) => r[0] === 'table' && !r[1]!.startsWith('sqlite_')).length,
    };
  } catch (err) {
    if (err instanceof SquillError) throw err;
    const e = err as Error & { code?: string };
    if (e.code === 'SQLITE_BUSY' || e.code === 'SQLITE_LOCKED') {
      throw new SquillError('UNAVAILABLE', `${file} is locked by another program; try again when it has finished`);
    }
    if (e.code === 'SQLITE_NOTADB' || e.code === 'SQLITE_CORRUPT') {
      throw new SquillError('VALIDATION', `${file} is damaged and cannot be read as a SQLite database (${e.message})`);
    }
    throw new SquillError('UNAVAILABLE', `${file} cannot be opened: ${e.message}`);
  } finally {
    db?.close();
  }
}
