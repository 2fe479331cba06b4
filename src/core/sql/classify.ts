/**
 * Decides whether a text is one read-only statement the sandbox may run.
 *
 * SQLite's tokenizer rules (tokenize.ts) find the statements and their first keyword. A statement that starts with
 * SELECT or VALUES is a query by SQLite's grammar (no write can sit inside one), so the tokens decide it. One that
 * starts with WITH or EXPLAIN could wrap a write (`WITH x AS (...) DELETE ...`), so a real SQLite parser
 * (sql-parser-cst) classifies it; where that parser cannot read something SQLite accepts (e.g. `JOIN match AS t`),
 * the statement goes on to SQLite, whose `stmt.readonly` check in the sandbox is the second guard.
 */
import { parse, type Node } from 'sql-parser-cst';
import { identifierName, significant, tokenize, type Token } from '../../shared/sql/tokenize.ts';

export type Classification =
  | { ok: true; kind: 'select' | 'explain'; decidedBy: 'tokens' | 'parser' | 'sqlite' }
  | { ok: false; refused: string; offset?: number };

/** Functions that reach outside the database or load native code; refused wherever they appear. */
const FORBIDDEN_FUNCTIONS = new Map([
  ['load_extension', 'load_extension() loads native code into the process'],
  ['fts3_tokenizer', 'fts3_tokenizer() can register native code'],
  ['readfile', 'readfile() reads files from disk'],
  ['writefile', 'writefile() writes files to disk'],
  ['edit', 'edit() starts an external editor'],
]);

const WRITES_SCHEMA = (verb: string) => `${verb} changes the schema (DDL)`;
const TRANSACTION = 'transaction control changes the connection';
/** Why each kind of statement is refused, by its first keyword. */
const REFUSED_BY_KEYWORD: Record<string, string> = {
  INSERT: 'INSERT/REPLACE writes to the database',
  REPLACE: 'INSERT/REPLACE writes to the database',
  UPDATE: 'UPDATE writes to the database',
  DELETE: 'DELETE writes to the database',
  CREATE: WRITES_SCHEMA('CREATE'),
  DROP: WRITES_SCHEMA('DROP'),
  ALTER: WRITES_SCHEMA('ALTER'),
  ATTACH: 'ATTACH opens another database file',
  DETACH: 'DETACH changes the connection',
  VACUUM: 'VACUUM rewrites the database (VACUUM INTO writes a new file)',
  PRAGMA:
    "PRAGMA statements can change the connection; read pragmas through their table functions instead, e.g. SELECT * FROM pragma_table_info('t')",
  BEGIN: TRANSACTION,
  COMMIT: TRANSACTION,
  END: TRANSACTION,
  ROLLBACK: TRANSACTION,
  SAVEPOINT: TRANSACTION,
  RELEASE: TRANSACTION,
  ANALYZE: 'ANALYZE writes statistics tables',
  REINDEX: 'REINDEX rewrites indexes',
};
/** The parser's statement types, as the keyword that starts them. */
const KEYWORD_OF_STATEMENT: Record<string, string> = {
  insert_stmt: 'INSERT', update_stmt: 'UPDATE', delete_stmt: 'DELETE', attach_database_stmt: 'ATTACH',
  detach_database_stmt: 'DETACH', vacuum_stmt: 'VACUUM', pragma_stmt: 'PRAGMA', start_transaction_stmt: 'BEGIN',
  commit_transaction_stmt: 'COMMIT', rollback_transaction_stmt: 'ROLLBACK', savepoint_stmt: 'SAVEPOINT',
  release_savepoint_stmt: 'RELEASE', analyze_stmt: 'ANALYZE', reindex_stmt: 'REINDEX',
};
const QUERY_STATEMENTS = new Set(['select_stmt', 'compound_select_stmt']);
const ALLOWED = 'only SELECT, WITH … SELECT, VALUES and EXPLAIN run here';

function refuse(keyword: string, offset: number): Classification {
  const reason = REFUSED_BY_KEYWORD[keyword] ?? `${keyword || 'this statement'} is not a query`;
  return { ok: false, refused: `Refused: ${reason}; ${ALLOWED}.`, offset };
}

export function classifySql(sql: string): Classification {
  const statements: Token[][] = [[]];
  for (const t of significant(tokenize(sql))) {
    if (t.type === 'semicolon') statements.push([]);
    else statements.at(-1)!.push(t);
  }
  const nonEmpty = statements.filter((s) => s.length > 0);
  if (nonEmpty.length === 0) return { ok: false, refused: 'There is no SQL statement to run.' };
  // A statement that is no query is refused for what it is (a CREATE TRIGGER body has ';' inside it, too).
  const head = nonEmpty[0]![0]!;
  const headKeyword = head.type === 'word' ? head.text.toUpperCase() : '';
  if (headKeyword in REFUSED_BY_KEYWORD) return refuse(headKeyword, head.start);
  // No SQLite statement starts with any other word: SQLite itself reports the syntax error (a typo like SELEC).
  if (!['SELECT', 'VALUES', 'WITH', 'EXPLAIN'].includes(headKeyword)) return { ok: true, kind: 'select', decidedBy: 'sqlite' };
  if (nonEmpty.length > 1) {
    return {
      ok: false,
      refused: `Refused: more than one statement (${nonEmpty.length}); run one statement at a time.`,
      offset: nonEmpty[1]![0]!.start,
    };
  }
  const tokens = nonEmpty[0]!;
  const first = tokens[0]!;
  const keyword = first.type === 'word' ? first.text.toUpperCase() : '';
  for (let i = 0; i + 1 < tokens.length; i++) {
    const t = tokens[i]!;
    const isName = t.type === 'word' || t.type === 'quoted';
    const reason = isName ? FORBIDDEN_FUNCTIONS.get(identifierName(t).toLowerCase()) : undefined;
    if (reason && tokens[i + 1]!.text === '(') return { ok: false, refused: `Refused: ${reason}.`, offset: t.start };
  }
  if (keyword === 'SELECT' || keyword === 'VALUES') return { ok: true, kind: 'select', decidedBy: 'tokens' };
  return classifyByParser(sql, keyword as 'WITH' | 'EXPLAIN');
}

function classifyByParser(sql: string, keyword: 'WITH' | 'EXPLAIN'): Classification {
  const kind = keyword === 'EXPLAIN' ? 'explain' : 'select';
  let statement: Node;
  try {
    const cst = parse(sql, { dialect: 'sqlite', includeRange: true, paramTypes: ['?', '?nr', ':name', '@name', '$name'] });
    statement = cst.statements.find((s) => s.type !== 'empty')!;
  } catch {
    return { ok: true, kind, decidedBy: 'sqlite' };
  }
  const inner: Node = statement.type === 'explain_stmt' ? statement.statement : statement;
  if (QUERY_STATEMENTS.has(inner.type)) return { ok: true, kind, decidedBy: 'parser' };
  const innerKeyword = KEYWORD_OF_STATEMENT[inner.type] ?? inner.type.split('_')[0]!.toUpperCase();
  return refuse(innerKeyword, inner.range?.[0] ?? 0);
}
