/**
 * SQLite's tokenizer rules (tokenize.c), shared by the backend (statement boundaries and first keywords for the
 * sandbox, error positions) and the editor (completion). Pure: no Node or DOM.
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
  /** a string, quoted identifier, blob or comment that runs to the end of the text without closing */
  unterminated?: true;
}

const isIdStart = (c: string) => /[A-Za-z_]/.test(c) || c.charCodeAt(0) > 0x7f;
/** A character that may continue a bare identifier. */
export const isIdPart = (c: string) => /[A-Za-z0-9_$]/.test(c) || c.charCodeAt(0) > 0x7f;
const isDigit = (c: string) => c >= '0' && c <= '9';
const OPERATORS = ['->>', '||', '<=', '>=', '==', '!=', '<>', '<<', '>>', '->'];

export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const push = (type: TokenType, end: number, unterminated = false) => {
    tokens.push({ type, text: sql.slice(i, end), start: i, end, ...(unterminated ? { unterminated: true as const } : {}) });
    i = end;
  };
  // pushes a run delimited by `close`, where a doubled close character escapes it
  const pushQuoted = (type: TokenType, from: number, close: string, doubling: boolean) => {
    let j = from;
    while (j < sql.length) {
      if (sql[j] === close) {
        if (doubling && sql[j + 1] === close) j += 2;
        else return push(type, j + 1);
      } else j++;
    }
    push(type, sql.length, true); // unterminated: SQLite reports it; an editor's cursor may sit inside
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
      push('comment', nl === -1 ? sql.length : nl, nl === -1);
    } else if (c === '/' && next === '*') {
      const close = sql.indexOf('*/', i + 2);
      push('comment', close === -1 ? sql.length : close + 2, close === -1);
    } else if (c === "'") {
      pushQuoted('string', i + 1, "'", true);
    } else if (c === '"' || c === '`') {
      pushQuoted('quoted', i + 1, c, true);
    } else if (c === '[') {
      pushQuoted('quoted', i + 1, ']', false);
    } else if ((c === 'x' || c === 'X') && next === "'") {
      pushQuoted('blob', i + 2, "'", false);
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

/**
 * What a token stands for: a quoted identifier's name ("a""b" -> a"b), a string's content ('it''s' -> it's), else
 * the text itself.
 */
export function tokenValue(token: Token): string {
  if (token.type !== 'quoted' && token.type !== 'string') return token.text;
  const quote = token.text[0]!;
  const body = token.text.slice(1, token.unterminated ? undefined : -1);
  return quote === '[' ? body : body.replaceAll(`${quote}${quote}`, quote);
}

/** The name a word or quoted identifier stands for. */
export const identifierName = (token: Token): string => (token.type === 'quoted' ? tokenValue(token) : token.text);
