import { describe, expect, it } from 'vitest';
import { classifySql } from './classify.ts';
import { locateError } from './locate.ts';
import { tokenize } from '../../shared/sql/tokenize.ts';

describe('classifying SQL for the sandbox', () => {
  it.each([
    'SELECT 1',
    'select * from t where a = \'x;y\' -- trailing ; comment',
    'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 5) SELECT x FROM c',
    'VALUES (1, 2), (3, 4)',
    'EXPLAIN QUERY PLAN SELECT * FROM t',
    'EXPLAIN SELECT 1',
    "SELECT * FROM pragma_table_info('t')",
    'SELECT 1;',
    'SELECT ?1, :name, @x, $y',
    '/* leading comment */ SELECT 2',
  ])('runs %s', (sql) => {
    expect(classifySql(sql)).toMatchObject({ ok: true });
  });

  it.each([
    ['INSERT INTO t VALUES (1)', /INSERT\/REPLACE writes/],
    ['REPLACE INTO t VALUES (1)', /INSERT\/REPLACE writes/],
    ['UPDATE t SET a = 1', /UPDATE writes/],
    ['DELETE FROM t', /DELETE writes/],
    ['WITH x AS (SELECT 1) DELETE FROM t', /DELETE writes/],
    ['CREATE TABLE x (a)', /CREATE changes the schema/],
    ['CREATE TEMP TABLE x (a)', /CREATE changes the schema/],
    ['DROP TABLE t', /DROP changes the schema/],
    ['ALTER TABLE t ADD COLUMN b', /ALTER changes the schema/],
    ["ATTACH 'other.db' AS o", /ATTACH opens another database file/],
    ['DETACH o', /DETACH changes the connection/],
    ['VACUUM', /VACUUM rewrites/],
    ["VACUUM INTO '/tmp/copy.db'", /VACUUM INTO writes a new file/],
    ['PRAGMA journal_mode = DELETE', /PRAGMA statements/],
    ['PRAGMA table_info(t)', /PRAGMA statements/],
    ['BEGIN', /transaction control/],
    ['COMMIT', /transaction control/],
    ['SAVEPOINT s', /transaction control/],
    ['ANALYZE', /ANALYZE writes/],
    ['REINDEX', /REINDEX rewrites/],
    ["SELECT load_extension('evil.so')", /load_extension\(\) loads native code/],
    ["EXPLAIN SELECT load_extension('evil.so')", /load_extension/],
    ['EXPLAIN DELETE FROM t', /DELETE writes/],
    ['SELECT 1; SELECT 2', /more than one statement \(2\)/],
    ['SELECT 1; DROP TABLE t', /more than one statement/],
    ['', /no SQL statement/],
    ['  -- only a comment', /no SQL statement/],
  ])('refuses %s', (sql, reason) => {
    const verdict = classifySql(sql);
    expect(verdict.ok).toBe(false);
    if (!verdict.ok) expect(verdict.refused).toMatch(reason);
  });

  it('decides SELECT and VALUES by their tokens, WITH and EXPLAIN with the parser', () => {
    expect(classifySql('SELECT a FROM t UNION SELECT b FROM u')).toMatchObject({ ok: true, decidedBy: 'tokens' });
    expect(classifySql('WITH x AS (SELECT 1) SELECT * FROM x UNION SELECT 2')).toMatchObject({ ok: true, decidedBy: 'parser' });
    expect(classifySql('EXPLAIN SELECT 1 EXCEPT SELECT 2')).toMatchObject({ ok: true, kind: 'explain', decidedBy: 'parser' });
  });

  it('leaves WITH statements the parser cannot read to SQLite, and stays strict about the rest', () => {
    // `match` as a table name: SQLite accepts it, sql-parser-cst does not (67 Spider gold queries use it)
    expect(classifySql('WITH m AS (SELECT * FROM match) SELECT * FROM m')).toEqual({ ok: true, kind: 'select', decidedBy: 'sqlite' });
    expect(classifySql('SELECT * FROM match; DELETE FROM t')).toMatchObject({ ok: false, refused: /more than one/ });
    expect(classifySql("SELECT load_extension('x') FROM match")).toMatchObject({ ok: false, refused: /load_extension/ });
    expect(classifySql('SELECT "load_extension"(\'x\')')).toMatchObject({ ok: false, refused: /load_extension/ });
    // no statement starts with an unknown word: SQLite reports the syntax error of a typo
    expect(classifySql('SELEC name FROM t')).toMatchObject({ ok: true, decidedBy: 'sqlite' });
  });

  it('points at the second statement', () => {
    expect(classifySql('SELECT 1; SELECT 2')).toMatchObject({ ok: false, offset: 10 });
  });
});

describe('tokenizer', () => {
  it('keeps strings, quoted identifiers, comments and blobs whole', () => {
    const tokens = tokenize(`SELECT 'a;b', "c""d", [e f], \`g\`, x'00', 1.5e3 -- c;\n/* ; */;`);
    expect(tokens.filter((t) => t.type !== 'space').map((t) => [t.type, t.text])).toEqual([
      ['word', 'SELECT'], ['string', "'a;b'"], ['op', ','], ['quoted', '"c""d"'], ['op', ','], ['quoted', '[e f]'],
      ['op', ','], ['quoted', '`g`'], ['op', ','], ['blob', "x'00'"], ['op', ','], ['number', '1.5e3'],
      ['comment', '-- c;'], ['comment', '/* ; */'], ['semicolon', ';'],
    ]);
  });
});

describe('locating SQLite errors in the text', () => {
  it.each([
    ['SELECT nope FROM t', 'no such column: nope', 7],
    ['SELECT t.a, T1.nope FROM t AS T1', 'no such column: T1.nope', 12],
    ['SELECT * FROM missing', 'no such table: missing', 14],
    ['SELECT * FROM t WHERE', 'incomplete input', 21],
    ['SELECT a FROM t ORDER a', 'near "a": syntax error', 22],
    ['SELECT a FROM t WHERE a = 1 1', 'near "1": syntax error', 28],
    ['SELECT frob(1)', 'no such function: frob', 7],
  ])('%s: %s', (sql, message, offset) => {
    expect(locateError(sql, message)).toBe(offset);
  });
});
