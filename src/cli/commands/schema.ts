import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Command } from 'commander';
import type { DbSchema } from '../../shared/contract/index.ts';
import { fingerprintOf, introspect } from '../../core/db/index.ts';
import { asUsageError } from '../errors.ts';

/** Introspection of one file, in-process (our own read-only queries; no user SQL runs here). */
export function readSchema(file: string): DbSchema {
  const resolved = path.resolve(file);
  const { tableCount: _, ...fingerprint } = asUsageError(() => fingerprintOf(resolved));
  const db = new BetterSqlite3(resolved, { readonly: true, fileMustExist: true, timeout: 2000 });
  try {
    db.defaultSafeIntegers(true);
    return { ...introspect(db, { details: true }), fingerprint };
  } finally {
    db.close();
  }
}

export function formatSchema(schema: DbSchema, title: string): string {
  const lines = [`${title}: ${schema.tables.length} tables, ${schema.views.length} views`];
  for (const table of schema.tables) {
    lines.push('', `${table.name}${table.rowCount === null ? '' : ` (${table.rowCount} rows)`}`);
    const width = Math.max(...table.columns.map((c) => c.name.length), 4);
    for (const c of table.columns) {
      const marks = [
        c.pk ? (table.columns.filter((x) => x.pk).length > 1 ? `PK${c.pk}` : 'PK') : '',
        c.notNull ? 'NOT NULL' : '',
        c.default !== null ? `DEFAULT ${c.default}` : '',
      ].filter(Boolean);
      lines.push(`  ${c.name.padEnd(width)}  ${(c.type || '-').padEnd(12)} ${marks.join(' ')}`.trimEnd());
    }
    for (const fk of table.foreignKeys) {
      lines.push(`  FK (${fk.columns.join(', ')}) -> ${fk.refTable}${fk.refColumns.length ? `(${fk.refColumns.join(', ')})` : ''}`);
    }
    for (const ix of table.indexes) {
      lines.push(`  ${ix.unique ? 'UNIQUE ' : ''}INDEX ${ix.name} (${ix.columns.join(', ')})`);
    }
  }
  for (const view of schema.views) {
    lines.push('', `view ${view.name}: ${view.columns.map((c) => c.name).join(', ')}`);
  }
  return lines.join('\n');
}

export function schemaCommand(): Command {
  return new Command('schema')
    .description('describe a SQLite database: tables, columns, keys, indexes, row counts')
    .requiredOption('--db <path>', 'the SQLite file')
    .option('--json', 'print the schema as JSON (format in the README)')
    .action((opts: { db: string; json?: boolean }) => {
      const schema = readSchema(opts.db);
      process.stdout.write(opts.json ? `${JSON.stringify(schema, null, 2)}\n` : `${formatSchema(schema, path.basename(opts.db))}\n`);
    });
}
