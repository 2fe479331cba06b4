/**
 * SQLite's tokenizer rules (tokenize.c), for the places a full parse is not needed or has failed: finding statement
 * boundaries, the first keyword, function names, and where an error message's token sits in the text.
 */
export type TokenType =
  | 'space'
  | 'comment'
  | 'word'
  | 'quoted' // "identifier", `identifier`, [identifier]
  | 'string'
  | 'blob'
  | 'number'
  | 'variable'
  | 'semicolon'
  | 'op';

export interface Token {
  type: TokenType;
  text: string;
  start: number;
  end: number;
}

const isIdStart = (c: string) => /[A-Za-z_]/.test(c) || c.charCodeAt(0) > 0x7f;
const isIdPart = (c: string) => /[A-Za-z0-9_$]/.test(c) || c.charCodeAt(0) > 0x7f;
const isDigit = (c: string) => c >= '0' && c <= '9';
const OPERATORS = ['->>', '||', '<=', '>=', '==', '!=', '<>', '<<', '>>', '->'];

export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const push = (type: TokenType, end: number) => {
    tokens.push({ type, text: sql.slice(i, end), start: i, end });
    i = end;
  };
  // the end of a run delimited by `close`, where a doubled close character escapes it
  const quotedEnd = (from: number, close: string, doubling: boolean) => {
    let j = from;
    while (j < sql.length) {
      if (sql[j] === close) {
        if (doubling && sql[j + 1] === close) j += 2;
        else return j + 1;
      } else j++;
    }
    return sql.length; // unterminated: SQLite reports it; we keep going
  };
  while (i < sql.length) {
    const c = sql[i]!;
    const next = sql[i + 1] ?? '';
    if (/\s/.test(c)) {
      let j = i + 1;
      while (j < sql.length && /\s/.test(sql[j]!)) j++;
      push('space', j);
    } else if (c === '-' && next === '-') {
      const nl = sql.indexOf('\n', i);
      push('comment', nl === -1 ? sql.length : nl);
    } else if (c === '/' && next === '*') {
      const close = sql.indexOf('*/', i + 2);
      push('comment', close === -1 ? sql.length : close + 2);
    } else if (c === "'") {
      push('string', quotedEnd(i + 1, "'", true));
    } else if (c === '"' || c === '`') {
      push('quoted', quotedEnd(i + 1, c, true));
    } else if (c === '[') {
      push('quoted', quotedEnd(i + 1, ']', false));
    } else if ((c === 'x' || c === 'X') && next === "'") {
      push('blob', quotedEnd(i + 2, "'", false));
    } else if (isDigit(c) || (c === '.' && isDigit(next))) {
      let j = i;
      if (c === '0' && (next === 'x' || next === 'X')) {
        j += 2;
        while (j < sql.length && /[0-9A-Fa-f_]/.test(sql[j]!)) j++;
      } else {
        while (j < sql.length && /[0-9_.]/.test(sql[j]!)) j++;
        if (/[eE]/.test(sql[j] ?? '') && /[-+0-9]/.test(sql[j + 1] ?? '')) {
          j += 2;
          while (j < sql.length && isDigit(sql[j]!)) j++;
        }
      }
      push('number', j);
    } else if (c === '?') {
      let j = i + 1;
      while (j < sql.length && isDigit(sql[j]!)) j++;
      push('variable', j);
    } else if ((c === ':' || c === '@' || c === '$') && isIdPart(next)) {
      let j = i + 1;
      while (j < sql.length && (isIdPart(sql[j]!) || (sql[j] === ':' && sql[j + 1] === ':'))) j += sql[j] === ':' ? 2 : 1;
      push('variable', j);
    } else if (isIdStart(c)) {
      let j = i + 1;
      while (j < sql.length && isIdPart(sql[j]!)) j++;
      push('word', j);
    } else if (c === ';') {
      push('semicolon', i + 1);
    } else {
      const op = OPERATORS.find((o) => sql.startsWith(o, i));
      push('op', i + (op?.length ?? 1));
    }
  }
  return tokens;
}

/** Tokens that carry meaning (no spaces, no comments). */
export const significant = (tokens: Token[]) => tokens.filter((t) => t.type !== 'space' && t.type !== 'comment');

/** The name a word or quoted identifier stands for ("a""b" -> a"b). */
export function identifierName(token: Token): string {
  if (token.type !== 'quoted') return token.text;
  const body = token.text.slice(1, -1);
  const quote = token.text[0];
  return quote === '[' ? body : body.replaceAll(`${quote}${quote}`, quote!);
}
