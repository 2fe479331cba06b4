/**
 * Decides whether a text is one read-only statement the sandbox may run. A real SQLite parser (sql-parser-cst)
 * classifies the statement; where that parser cannot read something SQLite accepts (e.g. `JOIN match AS t`), the
 * tokenizer decides conservatively and SQLite's own `stmt.readonly` (checked in the sandbox) is the second guard.
 */
import { parse, type Node } from 'sql-parser-cst';
import { significant, tokenize } from './tokenize.ts';

export type Classification =
  | { ok: true; kind: 'select' | 'explain'; parsedBy: 'parser' | 'tokenizer' }
  | { ok: false; refused: string; offset?: number };

/** Functions that reach outside the database or load native code; refused wherever they appear. */
const FORBIDDEN_FUNCTIONS = new Map([
  ['load_extension', 'load_extension() loads native code into the process'],
  ['fts3_tokenizer', 'fts3_tokenizer() can register native code'],
  ['readfile', 'readfile() reads files from disk'],
  ['writefile', 'writefile() writes files to disk'],
  ['edit', 'edit() starts an external editor'],
]);

const STATEMENT_REASONS: Record<string, string> = {
  insert_stmt: 'INSERT/REPLACE writes to the database',
  update_stmt: 'UPDATE writes to the database',
  delete_stmt: 'DELETE writes to the database',
  attach_database_stmt: 'ATTACH opens another database file',
  detach_database_stmt: 'DETACH changes the connection',
  vacuum_stmt: 'VACUUM rewrites the database (VACUUM INTO writes a new file)',
  pragma_stmt: 'PRAGMA statements can change the connection; read pragmas through their table functions instead, e.g. SELECT * FROM pragma_table_info(\'t\')',
  start_transaction_stmt: 'transaction control changes the connection',
  commit_transaction_stmt: 'transaction control changes the connection',
  rollback_transaction_stmt: 'transaction control changes the connection',
  savepoint_stmt: 'transaction control changes the connection',
  release_savepoint_stmt: 'transaction control changes the connection',
  analyze_stmt: 'ANALYZE writes statistics tables',
  reindex_stmt: 'REINDEX rewrites indexes',
};

const ALLOWED = 'only SELECT, WITH … SELECT, VALUES and EXPLAIN run here';

function refuseStatement(type: string, offset: number): Classification {
  const reason =
    STATEMENT_REASONS[type] ??
    (/^(create|drop|alter)_/.test(type)
      ? `${type.split('_')[0]!.toUpperCase()} changes the schema (DDL)`
      : `${type.replace(/_stmt$/, '').replaceAll('_', ' ').toUpperCase()} is not a query`);
  return { ok: false, refused: `Refused: ${reason}; ${ALLOWED}.`, offset };
}

export function classifySql(sql: string): Classification {
  let statements: Node[];
  try {
    const cst = parse(sql, {
      dialect: 'sqlite',
      includeRange: true,
      paramTypes: ['?', '?nr', ':name', '@name', '$name'],
    });
    statements = cst.statements.filter((s) => s.type !== 'empty');
  } catch {
    return classifyByTokens(sql);
  }
  if (statements.length === 0) return { ok: false, refused: 'There is no SQL statement to run.' };
  if (statements.length > 1) {
    return {
      ok: false,
      refused: `Refused: more than one statement (${statements.length}); run one statement at a time.`,
      offset: statements[1]!.range?.[0],
    };
  }
  const statement = statements[0]!;
  let inner: Node = statement;
  if (statement.type === 'explain_stmt') inner = statement.statement;
  if (inner.type !== 'select_stmt') return refuseStatement(inner.type, inner.range?.[0] ?? 0);
  const forbidden = findForbiddenCall(statement);
  if (forbidden) return forbidden;
  return { ok: true, kind: statement.type === 'explain_stmt' ? 'explain' : 'select', parsedBy: 'parser' };
}

function findForbiddenCall(root: Node): Classification | null {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (!node || typeof node !== 'object') continue;
    if (Array.isArray(node)) {
      stack.push(...node);
      continue;
    }
    const n = node as { type?: string; name?: { name?: string; range?: [number, number] } };
    if (n.type === 'func_call') {
      const name = n.name?.name?.toLowerCase();
      const reason = name ? FORBIDDEN_FUNCTIONS.get(name) : undefined;
      if (reason) return { ok: false, refused: `Refused: ${reason}.`, offset: n.name?.range?.[0] };
    }
    for (const value of Object.values(node)) if (value && typeof value === 'object') stack.push(value);
  }
  return null;
}

/** The fallback when the parser fails: one statement, starting with a query keyword, no forbidden function. */
function classifyByTokens(sql: string): Classification {
  const tokens = significant(tokenize(sql));
  const statements: (typeof tokens)[] = [[]];
  for (const t of tokens) {
    if (t.type === 'semicolon') statements.push([]);
    else statements.at(-1)!.push(t);
  }
  const nonEmpty = statements.filter((s) => s.length > 0);
  if (nonEmpty.length === 0) return { ok: false, refused: 'There is no SQL statement to run.' };
  if (nonEmpty.length > 1) {
    return {
      ok: false,
      refused: `Refused: more than one statement (${nonEmpty.length}); run one statement at a time.`,
      offset: nonEmpty[1]![0]!.start,
    };
  }
  const statement = nonEmpty[0]!;
  const first = statement[0]!;
  const keyword = first.type === 'word' ? first.text.toUpperCase() : '';
  if (!['SELECT', 'WITH', 'VALUES', 'EXPLAIN'].includes(keyword)) {
    const type = { INSERT: 'insert_stmt', REPLACE: 'insert_stmt', UPDATE: 'update_stmt', DELETE: 'delete_stmt',
      ATTACH: 'attach_database_stmt', DETACH: 'detach_database_stmt', VACUUM: 'vacuum_stmt', PRAGMA: 'pragma_stmt',
      BEGIN: 'start_transaction_stmt', COMMIT: 'commit_transaction_stmt', END: 'commit_transaction_stmt',
      ROLLBACK: 'rollback_transaction_stmt', SAVEPOINT: 'savepoint_stmt', RELEASE: 'release_savepoint_stmt',
      ANALYZE: 'analyze_stmt', REINDEX: 'reindex_stmt', CREATE: 'create_stmt', DROP: 'drop_stmt', ALTER: 'alter_stmt',
    }[keyword];
    return refuseStatement(type ?? `${keyword || 'unknown'}_stmt`, first.start);
  }
  for (let i = 0; i + 1 < statement.length; i++) {
    const t = statement[i]!;
    const reason = t.type === 'word' ? FORBIDDEN_FUNCTIONS.get(t.text.toLowerCase()) : undefined;
    if (reason && statement[i + 1]!.text === '(') return { ok: false, refused: `Refused: ${reason}.`, offset: t.start };
  }
  return { ok: true, kind: keyword === 'EXPLAIN' ? 'explain' : 'select', parsedBy: 'tokenizer' };
}
