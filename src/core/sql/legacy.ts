/**
 * SQLite's legacy "double-quoted string" rule (DQS): a "word" that names no column is taken as the string 'word'.
 * better-sqlite3 builds SQLite with DQS off and does not expose the switch, while Python's sqlite3 (which the
 * official Spider/BIRD evaluators use) has it on and many gold queries rely on it. So the rule is emulated: when
 * SQLite reports that a double-quoted name is no column, that token becomes a single-quoted string and the
 * statement is prepared again.
 */
import { identifierName, tokenize } from '../../shared/sql/tokenize.ts';

const UNRESOLVED = /^no such column: "((?:[^"]|"")*)" - should this be a string literal in single-quotes\?$/;

/** The double-quoted name SQLite could not resolve, when its error says so. */
export function unresolvedDoubleQuoted(message: string): string | null {
  const m = UNRESOLVED.exec(message);
  return m ? m[1]!.replaceAll('""', '"') : null;
}

/** The SQL with every "name" token (double quotes only) turned into the string literal 'name'. */
export function doubleQuotedToString(sql: string, name: string): string {
  let out = '';
  for (const t of tokenize(sql)) {
    const isTarget = t.type === 'quoted' && t.text.startsWith('"') && identifierName(t) === name;
    out += isTarget ? `'${name.replaceAll("'", "''")}'` : t.text;
  }
  return out;
}

/** Prepares `sql` with `prepare`, applying the legacy rule as often as SQLite asks for it. */
export function prepareWithLegacyStrings<T>(sql: string, prepare: (sql: string) => T): T {
  let text = sql;
  for (let attempt = 0; ; attempt++) {
    try {
      return prepare(text);
    } catch (err) {
      const name = attempt < 32 ? unresolvedDoubleQuoted((err as Error).message) : null;
      if (name === null) throw err;
      const next = doubleQuotedToString(text, name);
      if (next === text) throw err;
      text = next;
    }
  }
}
