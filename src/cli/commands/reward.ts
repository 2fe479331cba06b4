/**
 * `squill reward`: FINER-SQL's reward of one completion against one or more gold SQLs on a database, with every part
 * (F, E, J, f(J), M, the total) and the atomic operations of both sides. Users debug rewards with it; tests use it.
 * The memory reward needs an embedding model and a store of reasonings, so here it is off (M: off).
 */
import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { SquillError } from '../../shared/errors.ts';
import { checkSqliteFile, createSandboxPool } from '../../core/db/index.ts';
import { createRewarder, RewardSettingsSchema, type RewardBreakdown } from '../../core/train/index.ts';
import { positiveInt } from '../options.ts';
import { asUsageError, UsageError } from '../errors.ts';
import { formatResult } from './query.ts';

const num = (x: number | null) => (x === null ? '-' : String(Number(x.toFixed(4))));

/** The operations side by side: `=` on both sides, `+` only the prediction's, `-` only the gold's. */
function opsTable(pred: string[], gold: string[]): string[] {
  const p = new Set(pred);
  const g = new Set(gold);
  const lines = [...p].map((op) => `  ${g.has(op) ? '=' : '+'} ${op}`);
  for (const op of g) if (!p.has(op)) lines.push(`  - ${op}`);
  return lines;
}

export function formatReward(r: RewardBreakdown): string {
  const lines: string[] = [];
  lines.push(`F      ${r.format}${r.formatProblem ? `  (${r.formatProblem})` : ''}`);
  const why = r.error ? `the SQL failed: ${r.error}` : r.execution === 2 ? 'the gold rows' : r.result ? 'ran, other rows than the gold' : 'no SQL';
  lines.push(`E      ${num(r.execution)}  (${why})`);
  lines.push(`J      ${num(r.jaccard)}${r.jaccard === null ? '  (an SQL the parser cannot read: no atomic credit)' : ''}`);
  lines.push(`f(J)   ${num(r.atomic)}`);
  lines.push(`M      ${r.memory === null ? 'off' : num(r.memory)}`);
  lines.push(`total  ${num(r.total)}${r.format ? '  (F + E + M)' : '  (F = 0)'}`);
  if (r.goldError) lines.push('', `warning: ${r.goldError}`);
  lines.push('', `SQL: ${r.sql || '(none)'}`);
  if (r.result) {
    const { columns, rows, types } = r.result;
    // formatResult's table without its last line (the count and time of a whole result)
    const table = formatResult({ columns: columns.map((name) => ({ name, declType: null })), rows, types, truncated: false, truncatedBy: null, elapsedMs: 0 }).split('\n').slice(0, -1);
    lines.push(...table, `${r.result.rowCount} row${r.result.rowCount === 1 ? '' : 's'}${r.result.rowCount > r.result.rows.length ? ` (first ${r.result.rows.length} shown)` : ''}`);
  }
  lines.push('', 'atomic operations (= both, + prediction only, - gold only):', ...opsTable(r.predOps, r.goldOps));
  return lines.join('\n');
}

export function rewardCommand(): Command {
  return new Command('reward')
    .description("FINER-SQL's reward of a completion (<think>…</think> SQL) against gold SQL: F, E, J, f(J), M and the total")
    .requiredOption('--db <path>', 'the SQLite file')
    .option('--gold <sql>', 'a gold SQL (repeat for several: the best counts)', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .requiredOption('--pred <text>', 'the completion, "<think> reasoning </think> SQL" ("-" reads it from standard input)')
    .option('--timeout-ms <n>', 'stop each query after this many ms (default 10000)', positiveInt('--timeout-ms'))
    .option('--json', 'print the breakdown as JSON (format in the README)')
    .action(async (opts: { db: string; gold: string[]; pred: string; timeoutMs?: number; json?: boolean }) => {
      const file = path.resolve(opts.db);
      asUsageError(() => checkSqliteFile(file));
      if (!opts.gold.length) throw new UsageError('--gold is required (give it once per accepted SQL)');
      const completion = opts.pred === '-' ? fs.readFileSync(0, 'utf8') : opts.pred;
      const pool = createSandboxPool({ size: 1 });
      try {
        const settings = RewardSettingsSchema.parse({ timeoutMs: opts.timeoutMs });
        // a gold that cannot run makes the reward meaningless: the user's input is wrong (exit 2)
        for (const gold of opts.gold) {
          await pool.query(file, gold, { timeoutMs: settings.timeoutMs, maxRows: 1, doubleQuotedStrings: true }).catch((err: Error) => {
            throw new UsageError(`The gold query failed: ${err.message} (${gold})`);
          });
        }
        const rewarder = await createRewarder({ sandbox: pool, settings });
        const breakdown = await rewarder.score({ completion, golds: opts.gold, dbPath: file, dbId: path.basename(file, path.extname(file)) });
        process.stdout.write(opts.json ? `${JSON.stringify(breakdown)}\n` : `${formatReward(breakdown)}\n`);
      } catch (err) {
        if (opts.json) {
          const data = err instanceof UsageError ? { code: 'VALIDATION', message: err.message } : SquillError.toData(err);
          process.stdout.write(`${JSON.stringify({ error: { code: data.code, message: data.message } })}\n`);
        }
        throw err;
      } finally {
        await pool.close();
      }
    });
}
