/** The bundled demo databases (resources/demo), described from the files themselves. */
import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { z } from 'zod';
import type { DemoDatabase } from '../../shared/contract.ts';
import { SquillError } from '../../shared/errors.ts';

const CatalogSchema = z.array(
  z.object({ id: z.string(), title: z.string(), description: z.string(), file: z.string() }),
);

export function demoDir(resourcesDir: string): string {
  return path.join(resourcesDir, 'demo');
}

function readCatalog(resourcesDir: string) {
  const file = path.join(demoDir(resourcesDir), 'catalog.json');
  try {
    return CatalogSchema.parse(JSON.parse(fs.readFileSync(file, 'utf8')));
  } catch (err) {
    throw new SquillError('UNAVAILABLE', `The demo catalog ${file} cannot be read: ${(err as Error).message}`);
  }
}

function describe(resourcesDir: string, entry: z.infer<typeof CatalogSchema>[number]): DemoDatabase {
  const file = path.join(demoDir(resourcesDir), entry.file);
  let db: BetterSqlite3.Database | undefined;
  try {
    db = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
    const names = db
      .prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
                ORDER BY name`)
      .pluck()
      .all() as string[];
    const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;
    const tables = names.map((name) => ({
      name,
      rowCount: Number(db!.prepare(`SELECT count(*) FROM ${quote(name)}`).pluck().get()),
      columnCount: db!.prepare(`SELECT count(*) FROM pragma_table_info(?)`).pluck().get(name) as number,
    }));
    return { ...entry, path: file, sizeBytes: fs.statSync(file).size, tables };
  } catch (err) {
    throw new SquillError('UNAVAILABLE', `The demo database ${file} cannot be read: ${(err as Error).message}`);
  } finally {
    db?.close();
  }
}

export function listDemoDatabases(resourcesDir: string): DemoDatabase[] {
  return readCatalog(resourcesDir).map((entry) => describe(resourcesDir, entry));
}

export function getDemoDatabase(resourcesDir: string, id: string): DemoDatabase {
  const entry = readCatalog(resourcesDir).find((e) => e.id === id);
  if (!entry) throw new SquillError('NOT_FOUND', `No demo database "${id}"`);
  return describe(resourcesDir, entry);
}
