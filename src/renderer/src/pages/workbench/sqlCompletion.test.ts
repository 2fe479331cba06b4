import { describe, expect, it } from 'vitest';
import {
  completionContext,
  quoteIdentifier,
  resolveQualifier,
  splitStatements,
  statementRange,
  statementScope,
  suggest,
  tokenize,
  type SchemaRelation,
} from './sqlCompletion.ts';
import { SQLITE_FUNCTIONS } from './sqliteVocabulary.ts';

const SCHEMA: SchemaRelation[] = [
  {
    name: 'singer',
    kind: 'table',
    columns: [
      { name: 'Singer_ID', type: 'int' },
      { name: 'Name', type: 'text' },
      { name: 'Country', type: 'text' },
    ],
  },
  {
    name: 'concert',
    kind: 'table',
    columns: [
      { name: 'concert_ID', type: 'int' },
      { name: 'concert_Name', type: 'text' },
      { name: 'Stadium_ID', type: 'text' },
    ],
  },
  { name: 'stadium', kind: 'table', columns: [{ name: 'Stadium_ID', type: 'int' }, { name: 'Name', type: 'text' }] },
  { name: 'big singers', kind: 'view', columns: [{ name: 'Name', type: '' }] },
];

/** The text with "|" removed, and the offset where it was. */
function at(textWithCursor: string): [string, number] {
  const offset = textWithCursor.indexOf('|');
  return [textWithCursor.replace('|', ''), offset];
}
const labels = (text: string, kind?: string) =>
  suggest(...at(text), SCHEMA)
    .filter((s) => !kind || s.kind === kind)
    .map((s) => s.label);

describe('tokenize', () => {
  it('reads strings, quoted identifiers, comments, numbers and operators', () => {
    const tokens = tokenize(`SELECT "a ""b""", [c d], \`e\`, 'it''s', 1.5e3, x->>'$.y' -- note\n/* block */ FROM t`);
    expect(tokens.map((t) => [t.kind, t.value])).toEqual([
      ['word', 'SELECT'],
      ['quoted', 'a "b"'],
      ['punct', ','],
      ['quoted', 'c d'],
      ['punct', ','],
      ['quoted', 'e'],
      ['punct', ','],
      ['string', "it's"],
      ['punct', ','],
      ['number', '1.5e3'],
      ['punct', ','],
      ['word', 'x'],
      ['punct', '->>'],
      ['string', '$.y'],
      ['comment', '-- note'],
      ['comment', '/* block */'],
      ['word', 'FROM'],
      ['word', 't'],
    ]);
  });

  it('marks what runs to the end of the text as unterminated', () => {
    expect(tokenize("SELECT 'abc").at(-1)).toMatchObject({ kind: 'string', unterminated: true });
    expect(tokenize('SELECT /* x').at(-1)).toMatchObject({ kind: 'comment', unterminated: true });
  });
});

describe('statements', () => {
  it('finds the statement under the cursor, ignoring semicolons in strings and comments', () => {
    const [text, offset] = at("SELECT ';' FROM a; SELECT |x FROM b -- ;\n; SELECT 3");
    const range = statementRange(text, offset);
    expect(text.slice(range.start, range.end)).toBe(' SELECT x FROM b -- ;\n');
  });

  it('splits a text into its non-empty statements', () => {
    expect(splitStatements('SELECT 1; ; -- c\nSELECT 2;').map((s) => s.text.trim())).toEqual(['SELECT 1', '-- c\nSELECT 2']);
  });
});

describe('statementScope', () => {
  it('reads FROM lists, JOINs, aliases with and without AS, quoted and schema-qualified names', () => {
    const scope = statementScope(
      'SELECT * FROM singer AS s, main.concert c JOIN "big singers" b ON 1 LEFT JOIN stadium WHERE x IN (SELECT 1 FROM concert)',
    );
    expect(scope.sources).toEqual([
      { table: 'singer', alias: 's' },
      { table: 'concert', alias: 'c' },
      { table: 'big singers', alias: 'b' },
      { table: 'stadium', alias: null },
      { table: 'concert', alias: null },
    ]);
  });

  it('knows the columns of subqueries and CTEs from their select lists', () => {
    const scope = statementScope(
      'WITH top(n) AS (SELECT 1), counts AS MATERIALIZED (SELECT country, count(*) AS total FROM singer GROUP BY 1) ' +
        'SELECT * FROM counts JOIN (SELECT s.name AS who, age FROM singer s) AS sub ON 1',
    );
    expect(scope.ctes).toEqual([
      { name: 'top', columns: ['n'] },
      { name: 'counts', columns: ['country', 'total'] },
    ]);
    expect(scope.sources).toContainEqual({ table: null, alias: 'sub', columns: ['who', 'age'] });
  });

  it('resolves a qualifier by alias first, then by table name, case-insensitively', () => {
    const scope = statementScope('SELECT * FROM singer AS S JOIN concert');
    expect(resolveQualifier('s', scope, SCHEMA)?.table).toBe('singer');
    expect(resolveQualifier('CONCERT', scope, SCHEMA)?.table).toBe('concert');
    expect(resolveQualifier('stadium', scope, SCHEMA)?.table).toBe('stadium');
    expect(resolveQualifier('nothing', scope, SCHEMA)).toBeNull();
  });
});

describe('completionContext', () => {
  it('tells table positions, members, expressions and the places with nothing to suggest', () => {
    expect(completionContext(...at('SELECT * FROM sin|'))).toEqual({ kind: 'table', prefix: 'sin' });
    expect(completionContext(...at('SELECT * FROM a JOIN |'))).toEqual({ kind: 'table', prefix: '' });
    expect(completionContext(...at('SELECT * FROM a, |'))).toEqual({ kind: 'table', prefix: '' });
    expect(completionContext(...at('SELECT a, |'))).toEqual({ kind: 'expression', prefix: '' });
    expect(completionContext(...at('SELECT * FROM a WHERE x IN (1, |'))).toEqual({ kind: 'expression', prefix: '' });
    expect(completionContext(...at('SELECT s.na| FROM singer s'))).toEqual({ kind: 'member', qualifier: 's', prefix: 'na' });
    expect(completionContext(...at('SELECT "my t".| FROM x'))).toEqual({ kind: 'member', qualifier: 'my t', prefix: '' });
    expect(completionContext(...at("SELECT 'sin|'"))).toEqual({ kind: 'none' });
    expect(completionContext(...at('SELECT 1 -- FROM |'))).toEqual({ kind: 'none' });
  });
});

describe('suggest', () => {
  it('offers tables and views after FROM', () => {
    expect(labels('SELECT * FROM |')).toEqual(['singer', 'concert', 'stadium', 'big singers']);
    expect(suggest(...at('SELECT * FROM |'), SCHEMA).find((s) => s.label === 'big singers')?.insertText).toBe('"big singers"');
  });

  it('offers the columns of the aliased table after alias.', () => {
    expect(labels('SELECT s.| FROM singer AS s JOIN concert c ON 1')).toEqual(['Singer_ID', 'Name', 'Country']);
    expect(labels('SELECT c.| FROM singer AS s JOIN concert c ON 1')).toEqual(['concert_ID', 'concert_Name', 'Stadium_ID']);
    expect(labels('SELECT x.| FROM singer')).toEqual([]);
  });

  it('offers the columns of the tables in scope, qualifying names they share', () => {
    const items = suggest(...at('SELECT | FROM concert AS c JOIN stadium s ON c.Stadium_ID = s.Stadium_ID'), SCHEMA);
    const columns = items.filter((s) => s.kind === 'column');
    expect(columns.map((s) => s.insertText)).toEqual(['concert_ID', 'concert_Name', 'c.Stadium_ID', 's.Stadium_ID', 'Name']);
    expect(items.filter((s) => s.kind === 'alias').map((s) => s.label)).toEqual(['c', 's']);
    expect(columns[0]).toMatchObject({ detail: 'concert · int' });
  });

  it('only uses the statement under the cursor', () => {
    expect(labels('SELECT * FROM stadium; SELECT | FROM singer', 'column')).toEqual(['Singer_ID', 'Name', 'Country']);
  });

  it('offers SQLite functions as snippets and keywords', () => {
    const items = suggest(...at('SELECT |'), SCHEMA);
    expect(items.find((s) => s.label === 'json_extract')).toMatchObject({ kind: 'function', insertText: 'json_extract($0)', snippet: true });
    expect(items.find((s) => s.label === 'random')?.insertText).toBe('random()');
    expect(items.find((s) => s.label === 'strftime')?.detail).toBe('strftime(FORMAT, TIME, MODIFIER…)');
    expect(items.some((s) => s.kind === 'keyword' && s.label === 'GROUP')).toBe(true);
    expect(items.filter((s) => s.kind === 'column')).toEqual([]);
  });

  it('suggests nothing inside strings', () => {
    expect(labels("SELECT * FROM singer WHERE name = 'Jo|")).toEqual([]);
  });
});

describe('vocabulary', () => {
  it('has each function once, merging signatures of the same name', () => {
    const names = SQLITE_FUNCTIONS.map((f) => f.name);
    expect(new Set(names).size).toBe(names.length);
    expect(SQLITE_FUNCTIONS.find((f) => f.name === 'count')?.signature).toBe('count(X) | count(*)');
    expect(SQLITE_FUNCTIONS.find((f) => f.name === 'max')?.group).toBe('core');
  });

  it('quotes identifiers only when needed', () => {
    expect(quoteIdentifier('singer')).toBe('singer');
    expect(quoteIdentifier('order')).toBe('"order"');
    expect(quoteIdentifier('big "one"')).toBe('"big ""one"""');
  });
});
