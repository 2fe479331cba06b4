/**
 * `squill schema` against Spider's own description of its 163 databases (tables.json): table and column names,
 * primary keys and foreign keys. Reads ../shared/bench; skips with a message where it is absent.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSchema } from './schema.ts';

const SPIDER = path.resolve(import.meta.dirname, '../../../../shared/bench/spider');
const present = fs.existsSync(path.join(SPIDER, 'tables.json'));

interface SpiderDb {
  db_id: string;
  table_names_original: string[];
  column_names_original: [number, string][];
  primary_keys: (number | number[])[];
  foreign_keys: [number, number][];
}

/**
 * Foreign keys the .sqlite files declare that tables.json leaves out (Spider annotation gaps, checked by hand with
 * pragma_foreign_key_list): Squill reports what the file says.
 */
const KEYS_MISSING_FROM_TABLES_JSON: Record<string, string[]> = {
  store_product: ['store_product.product_id->product.product_id'],
  imdb: ['tags.kid->keyword.kid'],
  restaurants: ['location.restaurant_id->restaurant.restaurant_id'],
  loan_1: ['loan.cust_id->customer.cust_id'],
};

describe.skipIf(!present)('squill schema on every Spider database matches tables.json', () => {
  const dbs = present ? (JSON.parse(fs.readFileSync(path.join(SPIDER, 'tables.json'), 'utf8')) as SpiderDb[]) : [];
  const available = dbs.filter((db) => fs.existsSync(path.join(SPIDER, 'database', db.db_id, `${db.db_id}.sqlite`)));

  it('finds the 163 databases that ship with the benchmark', () => {
    expect(available.length).toBe(163);
  });

  it.each(available.map((db) => [db.db_id, db] as const))('%s', (_id, gold) => {
    const schema = readSchema(path.join(SPIDER, 'database', gold.db_id, `${gold.db_id}.sqlite`));
    // tables and columns, with their spelling. tables.json also lists SQLite's internal sqlite_sequence (world_1,
    // store_1); Squill, like SQLite's own tools, leaves internal tables out.
    const goldTables = gold.table_names_original.filter((t) => t !== 'sqlite_sequence');
    expect(schema.tables.map((t) => t.name).sort()).toEqual([...goldTables].sort());
    gold.table_names_original.forEach((tableName, ti) => {
      if (tableName === 'sqlite_sequence') return;
      const ours = schema.tables.find((t) => t.name === tableName)!;
      const columns = gold.column_names_original.filter(([t]) => t === ti).map(([, c]) => c);
      expect(ours.columns.map((c) => c.name), tableName).toEqual(columns);
    });
    const qualified = (i: number) => {
      const [ti, column] = gold.column_names_original[i]!;
      return `${gold.table_names_original[ti]!.toLowerCase()}.${column.toLowerCase()}`;
    };
    // primary keys: tables.json records the first column of a composite key
    const goldPk = gold.primary_keys.flat().map(qualified).sort();
    const ourPk = schema.tables
      .flatMap((t) => t.columns.filter((c) => c.pk === 1).map((c) => `${t.name}.${c.name}`.toLowerCase()))
      .sort();
    expect(ourPk).toEqual(goldPk);
    // foreign keys, column by column (an implicit reference means the parent's primary key)
    const ourFk = schema.tables.flatMap((t) =>
      t.foreignKeys.flatMap((fk) =>
        fk.columns.map((c, i) => {
          const parent = schema.tables.find((p) => p.name.toLowerCase() === fk.refTable.toLowerCase());
          const ref = fk.refColumns[i] ?? parent?.columns.find((pc) => pc.pk === i + 1)?.name ?? '?';
          return `${t.name}.${c}->${fk.refTable}.${ref}`.toLowerCase();
        }),
      ),
    );
    const goldFk = gold.foreign_keys.map(([a, b]) => `${qualified(a)}->${qualified(b)}`);
    expect(goldFk.filter((k) => !ourFk.includes(k))).toEqual([]);
    expect(ourFk.filter((k) => !goldFk.includes(k)).sort()).toEqual(KEYS_MISSING_FROM_TABLES_JSON[gold.db_id] ?? []);
  });
});

if (!present) console.warn(`Spider data not found at ${SPIDER}: the Spider schema checks are skipped`);
