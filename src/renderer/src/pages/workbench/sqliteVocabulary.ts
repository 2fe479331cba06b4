/**
 * What SQLite understands, for completion: its keywords (https://sqlite.org/lang_keywords.html) and its built-in
 * functions with their signatures (core, aggregate, window, date/time, math and JSON). No Monaco imports: the
 * completion logic that uses these runs under node in the unit tests.
 */

export const SQLITE_KEYWORDS: readonly string[] = [
  'ABORT', 'ACTION', 'ADD', 'AFTER', 'ALL', 'ALTER', 'ALWAYS', 'ANALYZE', 'AND', 'AS', 'ASC', 'ATTACH',
  'AUTOINCREMENT', 'BEFORE', 'BEGIN', 'BETWEEN', 'BY', 'CASCADE', 'CASE', 'CAST', 'CHECK', 'COLLATE', 'COLUMN',
  'COMMIT', 'CONFLICT', 'CONSTRAINT', 'CREATE', 'CROSS', 'CURRENT', 'CURRENT_DATE', 'CURRENT_TIME',
  'CURRENT_TIMESTAMP', 'DATABASE', 'DEFAULT', 'DEFERRABLE', 'DEFERRED', 'DELETE', 'DESC', 'DETACH', 'DISTINCT', 'DO',
  'DROP', 'EACH', 'ELSE', 'END', 'ESCAPE', 'EXCEPT', 'EXCLUDE', 'EXCLUSIVE', 'EXISTS', 'EXPLAIN', 'FAIL', 'FILTER',
  'FIRST', 'FOLLOWING', 'FOR', 'FOREIGN', 'FROM', 'FULL', 'GENERATED', 'GLOB', 'GROUP', 'GROUPS', 'HAVING', 'IF',
  'IGNORE', 'IMMEDIATE', 'IN', 'INDEX', 'INDEXED', 'INITIALLY', 'INNER', 'INSERT', 'INSTEAD', 'INTERSECT', 'INTO',
  'IS', 'ISNULL', 'JOIN', 'KEY', 'LAST', 'LEFT', 'LIKE', 'LIMIT', 'MATCH', 'MATERIALIZED', 'NATURAL', 'NO', 'NOT',
  'NOTHING', 'NOTNULL', 'NULL', 'NULLS', 'OF', 'OFFSET', 'ON', 'OR', 'ORDER', 'OTHERS', 'OUTER', 'OVER',
  'PARTITION', 'PLAN', 'PRAGMA', 'PRECEDING', 'PRIMARY', 'QUERY', 'RAISE', 'RANGE', 'RECURSIVE', 'REFERENCES',
  'REGEXP', 'REINDEX', 'RELEASE', 'RENAME', 'REPLACE', 'RESTRICT', 'RETURNING', 'RIGHT', 'ROLLBACK', 'ROW', 'ROWS',
  'SAVEPOINT', 'SELECT', 'SET', 'TABLE', 'TEMP', 'TEMPORARY', 'THEN', 'TIES', 'TO', 'TRANSACTION', 'TRIGGER',
  'UNBOUNDED', 'UNION', 'UNIQUE', 'UPDATE', 'USING', 'VACUUM', 'VALUES', 'VIEW', 'VIRTUAL', 'WHEN', 'WHERE',
  'WINDOW', 'WITH', 'WITHOUT',
];

const KEYWORD_SET = new Set(SQLITE_KEYWORDS);
export const isKeyword = (word: string) => KEYWORD_SET.has(word.toUpperCase());

export type FunctionGroup = 'core' | 'aggregate' | 'window' | 'date' | 'math' | 'json';

export interface SqlFunction {
  name: string;
  /** the call as documented, e.g. "substr(X, Y, Z?)" */
  signature: string;
  group: FunctionGroup;
}

/** One line per group: "name(args)" signatures separated by ";". Kept compact; parsed once below. */
const FUNCTION_SIGNATURES: Record<FunctionGroup, string> = {
  core:
    'abs(X); changes(); char(X1, X2, …); coalesce(X, Y, …); concat(X, …); concat_ws(SEP, X, …); format(FORMAT, …); ' +
    'glob(X, Y); hex(X); ifnull(X, Y); iif(X, Y, Z); instr(X, Y); last_insert_rowid(); length(X); like(X, Y, Z?); ' +
    'likelihood(X, Y); likely(X); lower(X); ltrim(X, Y?); max(X, Y, …); min(X, Y, …); nullif(X, Y); ' +
    'octet_length(X); printf(FORMAT, …); quote(X); random(); randomblob(N); replace(X, Y, Z); round(X, Y?); ' +
    'rtrim(X, Y?); sign(X); soundex(X); sqlite_version(); substr(X, Y, Z?); substring(X, Y, Z?); ' +
    'total_changes(); trim(X, Y?); typeof(X); unhex(X, Y?); unicode(X); unlikely(X); upper(X); zeroblob(N)',
  aggregate:
    'avg(X); count(X); count(*); group_concat(X, SEP?); max(X); min(X); string_agg(X, SEP); sum(X); total(X)',
  window:
    'row_number(); rank(); dense_rank(); percent_rank(); cume_dist(); ntile(N); lag(EXPR, OFFSET?, DEFAULT?); ' +
    'lead(EXPR, OFFSET?, DEFAULT?); first_value(EXPR); last_value(EXPR); nth_value(EXPR, N)',
  date:
    'date(TIME, MODIFIER…); time(TIME, MODIFIER…); datetime(TIME, MODIFIER…); julianday(TIME, MODIFIER…); ' +
    'unixepoch(TIME, MODIFIER…); strftime(FORMAT, TIME, MODIFIER…); timediff(TIME1, TIME2)',
  math:
    'acos(X); acosh(X); asin(X); asinh(X); atan(X); atan2(Y, X); atanh(X); ceil(X); ceiling(X); cos(X); cosh(X); ' +
    'degrees(X); exp(X); floor(X); ln(X); log(X); log(B, X); log10(X); log2(X); mod(X, Y); pi(); pow(X, Y); ' +
    'power(X, Y); radians(X); sin(X); sinh(X); sqrt(X); tan(X); tanh(X); trunc(X)',
  json:
    'json(JSON); jsonb(JSON); json_array(VALUE, …); jsonb_array(VALUE, …); json_array_length(JSON, PATH?); ' +
    'json_error_position(JSON); json_extract(JSON, PATH, …); jsonb_extract(JSON, PATH, …); ' +
    'json_insert(JSON, PATH, VALUE, …); jsonb_insert(JSON, PATH, VALUE, …); json_object(LABEL, VALUE, …); ' +
    'jsonb_object(LABEL, VALUE, …); json_patch(JSON1, JSON2); jsonb_patch(JSON1, JSON2); json_pretty(JSON, INDENT?); ' +
    'json_remove(JSON, PATH, …); jsonb_remove(JSON, PATH, …); json_replace(JSON, PATH, VALUE, …); ' +
    'jsonb_replace(JSON, PATH, VALUE, …); json_set(JSON, PATH, VALUE, …); jsonb_set(JSON, PATH, VALUE, …); ' +
    'json_type(JSON, PATH?); json_valid(JSON, FLAGS?); json_quote(VALUE); json_group_array(VALUE); ' +
    'jsonb_group_array(VALUE); json_group_object(LABEL, VALUE); jsonb_group_object(LABEL, VALUE); ' +
    'json_each(JSON, PATH?); json_tree(JSON, PATH?)',
};

/** Every built-in function, one entry per name (the first signature listed wins; others join its signature). */
export const SQLITE_FUNCTIONS: readonly SqlFunction[] = (() => {
  const byName = new Map<string, SqlFunction>();
  for (const [group, list] of Object.entries(FUNCTION_SIGNATURES) as [FunctionGroup, string][]) {
    for (const signature of list.split(';').map((s) => s.trim())) {
      const name = signature.slice(0, signature.indexOf('('));
      const known = byName.get(name);
      if (!known) byName.set(name, { name, signature, group });
      else if (!known.signature.split(' | ').includes(signature)) known.signature += ` | ${signature}`;
    }
  }
  return [...byName.values()];
})();
