/**
 * Where in the SQL text an SQLite error points. better-sqlite3 does not expose sqlite3_error_offset, so the token
 * the message names is looked up in the text (`near "X"`, `no such column: a.b`, `no such table: t`, ...).
 */
import { parse } from 'sql-parser-cst';
import { identifierName, significant, tokenize } from '../../shared/sql/tokenize.ts';

const PATTERNS: RegExp[] = [
  /near "((?:[^"]|"")*)": syntax error/,
  /no such column: (.+)$/,
  /no such table: (.+)$/,
  /no such function: (.+)$/,
  /ambiguous column name: (.+)$/,
  /misuse of aggregate(?: function)?:? (\w+)\(\)/,
  /wrong number of arguments to function (\w+)\(\)/,
];

export function locateError(sql: string, message: string): number | undefined {
  for (const pattern of PATTERNS) {
    const m = pattern.exec(message);
    if (!m) continue;
    const parts = m[1]!.replaceAll('""', '"').split('.');
    const tokens = significant(tokenize(sql));
    const matches = (i: number, name: string) => {
      const t = tokens[i];
      return t !== undefined && (t.type === 'word' || t.type === 'quoted' || t.type === 'op' || t.type === 'string' || t.type === 'number')
        && identifierName(t).toLowerCase() === name.toLowerCase();
    };
    const candidates: number[] = [];
    for (let i = 0; i < tokens.length; i++) {
      // a.b: the tokens a . b in a row
      let ok = true;
      for (let p = 0; p < parts.length && ok; p++) {
        ok = matches(i + p * 2, parts[p]!) && (p === parts.length - 1 || tokens[i + p * 2 + 1]?.text === '.');
      }
      if (ok) candidates.push(tokens[i]!.start);
    }
    // A syntax error's token may occur more than once: the parser's own error position picks the right one.
    if (candidates.length > 1 && /syntax error/.test(message)) {
      const offset = parserErrorOffset(sql);
      if (offset !== undefined && candidates.includes(offset)) return offset;
    }
    return candidates[0];
  }
  if (/incomplete input/.test(message)) return sql.trimEnd().length;
  return undefined;
}

/** Where sql-parser-cst stops on a syntax error ("--> undefined:LINE:COL" in its message), as an offset. */
function parserErrorOffset(sql: string): number | undefined {
  try {
    parse(sql, { dialect: 'sqlite', paramTypes: ['?', '?nr', ':name', '@name', '$name'] });
    return undefined;
  } catch (err) {
    const m = /-->\s*\S*?:(\d+):(\d+)/.exec((err as Error).message);
    if (!m) return undefined;
    const lines = sql.split('\n');
    const line = Math.min(Number(m[1]) - 1, lines.length - 1);
    return lines.slice(0, line).reduce((n, l) => n + l.length + 1, 0) + Number(m[2]) - 1;
  }
}
