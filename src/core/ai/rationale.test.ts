/**
 * Rationales derived from the gold SQL: labelled, deterministic, longer than FINER's 100 characters and within the
 * reasoning grammar's budget with no '<', and saying what each shape of SQL does (on the demo concert_singer
 * database, whose concert.Stadium_ID is a declared foreign key to stadium).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { schemaOfFile } from '../../../test/helpers.ts';
import { DEFAULT_REASONING_CHARS } from './grammar.ts';
import { DERIVED_LABEL, deriveRationale, MIN_REASONING_CHARS } from './rationale.ts';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const schema = schemaOfFile(path.join(ROOT, 'resources/demo/concert_singer.sqlite'));

/** the properties every rationale has, whatever the SQL */
function expectWellFormed(text: string, max = DEFAULT_REASONING_CHARS - 2): void {
  expect(text.split('\n')[0]).toBe(DERIVED_LABEL);
  expect(text.length).toBeGreaterThan(MIN_REASONING_CHARS);
  expect(text.length).toBeLessThanOrEqual(max);
  expect(text).not.toContain('<');
}

const SHAPES: { sql: string; says: (string | RegExp)[] }[] = [
  { sql: 'SELECT 1', says: ['reads no table', 'It returns 1.'] },
  { sql: 'SELECT count(*) FROM singer', says: ['reads the table singer.', 'It returns count(*), aggregated over all the kept rows.'] },
  {
    sql: 'SELECT T2.Name, count(*) FROM concert AS T1 JOIN stadium AS T2 ON T1.Stadium_ID = T2.Stadium_ID WHERE T1.Year >= 2014 AND T2.Capacity < 5000 GROUP BY T1.Stadium_ID HAVING count(*) > 1 ORDER BY count(*) DESC LIMIT 1',
    says: [
      'the tables concert (as T1) and stadium (as T2)',
      'It joins concert with stadium on concert.Stadium_ID = stadium.Stadium_ID (the foreign key of concert).',
      'where concert.Year is at least 2014 and stadium.Capacity is less than 5000',
      'It groups the rows by concert.Stadium_ID and keeps the groups where count(*) is greater than 1.',
      'It returns stadium.Name and count(*), aggregated per group.',
      'It sorts by count(*) descending and keeps the first row.',
    ],
  },
  {
    sql: 'SELECT name FROM singer WHERE age > (SELECT avg(age) FROM singer)',
    says: ['where singer.Age is greater than the value of subquery 1', 'Subquery 1 reads the table singer.', 'It returns avg(singer.Age)'],
  },
  { sql: 'SELECT name FROM stadium WHERE stadium_id NOT IN (SELECT stadium_id FROM concert)', says: ['stadium.Stadium_ID is not among the values of subquery 1', 'Subquery 1 reads the table concert.'] },
  {
    sql: 'SELECT country FROM singer WHERE age > 40 INTERSECT SELECT country FROM singer WHERE age < 30',
    says: ['combines two parts with INTERSECT', 'Part 1 reads the table singer.', 'singer.Age is greater than 40', 'Part 2 reads', 'singer.Age is less than 30'],
  },
  {
    sql: "SELECT DISTINCT country FROM singer WHERE name LIKE '%a%' OR age BETWEEN 20 AND 30",
    says: ["singer.Name matches the pattern '%a%' or singer.Age is between 20 and 30", 'the distinct values of singer.Country'],
  },
  {
    sql: 'WITH c AS (SELECT Stadium_ID, count(*) AS n FROM concert GROUP BY Stadium_ID) SELECT s.Name, c.n FROM stadium s JOIN c ON s.Stadium_ID = c.Stadium_ID',
    says: ['The common table expression c (defined first) reads the table concert.', 'stadium (as s) and c', 'on stadium.Stadium_ID = c.Stadium_ID.', 'It returns stadium.Name and c.n.'],
  },
  { sql: 'SELECT T1.Name FROM singer AS T1 LEFT JOIN singer_in_concert AS T2 USING (Singer_ID)', says: ['It left-joins singer with singer_in_concert using Singer_ID.'] },
  { sql: "SELECT CASE WHEN age < 30 THEN 'young' ELSE 'old' END FROM singer", says: ['It uses the column singer.Age.', /It returns CASE WHEN age ‹ 30/] },
];

describe('deriveRationale', () => {
  for (const { sql, says } of SHAPES) {
    it(`says what ${sql.slice(0, 60)}… does`, () => {
      const text = deriveRationale(sql, schema);
      expectWellFormed(text);
      for (const s of says) expect(text).toMatch(typeof s === 'string' ? new RegExp(s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : s);
      expect(deriveRationale(sql, schema)).toBe(text); // deterministic
    });
  }

  it('names the same columns whatever the aliases, the keyword case or the spacing', () => {
    const a = deriveRationale('SELECT T1.Name FROM singer AS T1 JOIN singer_in_concert AS T2 ON T1.Singer_ID = T2.Singer_ID WHERE T1.Age > 30', schema);
    const b = deriveRationale('select  x.name from singer as x join singer_in_concert as y on x.singer_id = y.singer_id where x.age > 30', schema);
    expect(a.replace(/\(as T\d\)/g, '')).toBe(b.replace(/\(as [xy]\)/g, ''));
  });

  it('falls back to the tokens when the parser cannot read the SQL', () => {
    const text = deriveRationale('SELEC Name FROM singer WHERE', schema);
    expectWellFormed(text);
    expect(text).toMatch(/could not be parsed/);
    expect(text).toMatch(/It names the table singer\./);
    expect(text).toMatch(/conditions \(WHERE\)/);
  });

  it('fits a smaller budget by dropping the least important sentences, the label and the tables kept', () => {
    const sql = SHAPES[2]!.sql;
    const full = deriveRationale(sql, schema);
    for (const max of [160, 250, 400]) {
      const text = deriveRationale(sql, schema, { maxChars: max });
      expectWellFormed(text, max);
      expect(text).toMatch(/reads the tables concert/);
      // only whole sentences of the full text, in its order (and the closing sentence that keeps a short one long enough)
      const lines = text.split('\n').filter((l) => !/it is not a model's reasoning\.$/.test(l));
      const fullLines = full.split('\n');
      expect(lines.every((l) => fullLines.includes(l))).toBe(true);
      expect(lines.map((l) => fullLines.indexOf(l))).toEqual([...lines.map((l) => fullLines.indexOf(l))].sort((x, y) => x - y));
    }
  });

  it('is well formed for every SQL of the demo training set and of the strategies’ questions', () => {
    const rows = fs
      .readFileSync(path.join(ROOT, 'examples/demo-train.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { sql: string; db_path: string });
    const schemas = new Map<string, ReturnType<typeof schemaOfFile>>();
    for (const r of rows) {
      const file = path.resolve(ROOT, 'examples', r.db_path);
      if (!schemas.has(file)) schemas.set(file, schemaOfFile(file));
      expectWellFormed(deriveRationale(r.sql, schemas.get(file)!));
    }
    expect(rows.length).toBeGreaterThan(50);
  });
});
