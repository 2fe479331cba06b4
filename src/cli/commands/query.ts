import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { positiveInt } from '../options.ts';
import type { QueryResult } from '../../shared/contract/index.ts';
import { SquillError } from '../../shared/errors.ts';
import { checkSqliteFile, createSandboxPool, DEFAULT_LIMITS } from '../../core/db/index.ts';
import { asUsageError } from '../errors.ts';

/** A cell for a terminal: NULL spelled out, BLOBs by size. */
function cellText(cell: QueryResult['rows'][number][number], type: string): string {
  if (type === 'n') return 'NULL';
  if (typeof cell === 'object' && cell !== null) return `<BLOB ${cell.size} bytes>`;
  if (type === 'r' && typeof cell === 'number' && Number.isInteger(cell)) return cell.toFixed(1); // REAL stays 68.0
  return String(cell);
}

export function formatResult(result: QueryResult): string {
  const header = result.columns.map((c) => c.name);
  const body = result.rows.map((row, r) => row.map((cell, c) => cellText(cell, result.types[r]![c]!).replace(/\s+/g, ' ')));
  const widths = header.map((h, c) => Math.min(60, Math.max(h.length, ...body.map((row) => row[c]!.length))));
  const fit = (text: string, c: number) => (text.length > widths[c]! ? `${text.slice(0, widths[c]! - 1)}…` : text);
  const line = (cells: string[]) =>
    cells.map((t, c) => (result.types.length && /[ir]/.test(result.types[0]![c] ?? '') ? fit(t, c).padStart(widths[c]!) : fit(t, c).padEnd(widths[c]!))).join(' | ').trimEnd();
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('-+-'), ...body.map(line)];
  const note = result.truncated ? ` (truncated: ${result.truncatedBy} cap reached)` : '';
  out.push(`${result.rows.length} row${result.rows.length === 1 ? '' : 's'}${note} in ${result.elapsedMs.toFixed(1)} ms`);
  return out.join('\n');
}

export function queryCommand(): Command {
  return new Command('query')
    .description('run one read-only SQL statement in the sandbox (SQL "-" reads it from standard input)')
    .requiredOption('--db <path>', 'the SQLite file')
    .option('--timeout-ms <n>', `stop the query after this many ms (default ${DEFAULT_LIMITS.timeoutMs})`, positiveInt('--timeout-ms'))
    .option('--max-rows <n>', `return at most this many rows (default ${DEFAULT_LIMITS.maxRows})`, positiveInt('--max-rows'))
    .option('--json', 'print the result (or the error) as JSON (format in the README)')
    .argument('<sql>', 'the statement')
    .action(async (sqlArg: string, opts: { db: string; timeoutMs?: number; maxRows?: number; json?: boolean }) => {
      const sql = sqlArg === '-' ? fs.readFileSync(0, 'utf8') : sqlArg;
      const file = path.resolve(opts.db);
      const pool = createSandboxPool({ size: 1 });
      try {
        asUsageError(() => checkSqliteFile(file));
        const result = await pool.query(file, sql, { timeoutMs: opts.timeoutMs, maxRows: opts.maxRows });
        process.stdout.write(opts.json ? `${JSON.stringify(result)}\n` : `${formatResult(result)}\n`);
      } catch (err) {
        if (opts.json) {
          const data = SquillError.toData(err);
          process.stdout.write(`${JSON.stringify({ error: { code: data.code, message: data.message } })}\n`);
        }
        throw err;
      } finally {
        await pool.close();
      }
    });
}
