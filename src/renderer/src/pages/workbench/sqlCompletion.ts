/**
 * Schema-aware SQL completion, as pure functions over the editor's text and a cursor offset (no Monaco here, so it
 * is unit-tested under node; completionProvider.ts adapts it to Monaco).
 *
 * Why a small tokenizer rather than a SQL parser: the text being completed is unfinished by definition
 * (`SELECT s. FROM singer AS s`), which parsers reject. Tokens are enough to find the statement under the cursor,
 * the tables its FROM/JOIN clauses name with their aliases, the CTEs it defines, and what kind of word the cursor
 * is on.
 */
import { isIdPart, tokenize as sqlTokens, tokenValue, type TokenType as SqlTokenType } from '../../../../shared/sql/tokenize.ts';
import { SQLITE_FUNCTIONS, SQLITE_KEYWORDS, isKeyword } from './sqliteVocabulary.ts';

// ---------------------------------------------------------------------------------------------------------------
// Tokens

export type TokenKind = 'word' | 'quoted' | 'string' | 'number' | 'param' | 'comment' | 'punct';

export interface Token {
  kind: TokenKind;
  /** the source text */
  text: string;
  /** identifiers: the name without quotes; otherwise the text */
  value: string;
  start: number;
  end: number;
  /** strings, quoted identifiers and comments that run to the end of the text (the cursor there is inside) */
  unterminated?: boolean;
}

/** The editor's view of SQLite's tokens (shared/sql/tokenize.ts): no spaces, values unquoted. */
const KIND: Record<SqlTokenType, TokenKind | null> = {
  space: null, comment: 'comment', word: 'word', quoted: 'quoted', string: 'string', blob: 'string',
  number: 'number', variable: 'param', semicolon: 'punct', op: 'punct',
};

export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  for (const t of sqlTokens(sql)) {
    const kind = KIND[t.type];
    if (kind === null) continue;
    tokens.push({ kind, text: t.text, value: tokenValue(t), start: t.start, end: t.end, ...(t.unterminated ? { unterminated: true } : {}) });
  }
  return tokens;
}

const isWord = (t: Token | undefined, ...words: string[]) =>
  t?.kind === 'word' && words.includes(t.text.toUpperCase());
const isPunct = (t: Token | undefined, text: string) => t?.kind === 'punct' && t.text === text;
/** A name: a quoted identifier, or a bare word that is not a keyword. */
const isName = (t: Token | undefined): t is Token =>
  t?.kind === 'quoted' || (t?.kind === 'word' && !isKeyword(t.text));

// ---------------------------------------------------------------------------------------------------------------
// Statements

/** The [start, end) of the statement that contains `offset`: the text between the semicolons around it. */
export function statementRange(sql: string, offset: number): { start: number; end: number } {
  let start = 0;
  for (const t of tokenize(sql)) {
    if (!isPunct(t, ';')) continue;
    if (t.end <= offset) start = t.end;
    else return { start, end: t.start };
  }
  return { start, end: sql.length };
}

/** The statements of a text, without the empty ones (so "a; b;" has two). */
export function splitStatements(sql: string): { start: number; end: number; text: string }[] {
  const out: { start: number; end: number; text: string }[] = [];
  let start = 0;
  const add = (end: number) => {
    if (tokenize(sql.slice(start, end)).some((t) => t.kind !== 'comment')) out.push({ start, end, text: sql.slice(start, end) });
  };
  for (const t of tokenize(sql)) {
    if (isPunct(t, ';')) {
      add(t.start);
      start = t.end;
    }
  }
  add(sql.length);
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// What a statement names

/** A row source of a statement: a table or view, a CTE, or a subquery (then `table` is null). */
export interface SourceRef {
  /** the table, view or CTE name as written (unquoted); null for a subquery */
  table: string | null;
  /** the alias, or null when none */
  alias: string | null;
  /** output column names when known from the text itself (subqueries, CTEs) */
  columns?: string[];
}

export interface StatementScope {
  sources: SourceRef[];
  /** CTE names defined by WITH, with their columns when known */
  ctes: { name: string; columns: string[] }[];
}

/** Index of the token that closes the parenthesis opened at `open` (or the last index when unbalanced). */
function matchingParen(tokens: Token[], open: number): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    if (isPunct(tokens[i], '(')) depth++;
    else if (isPunct(tokens[i], ')') && --depth === 0) return i;
  }
  return tokens.length - 1;
}

/**
 * The output column names of `SELECT …` (tokens after SELECT, up to FROM at the same depth): an alias, or the
 * name of a bare column reference. Expressions without an alias and `*` give nothing.
 */
function selectListNames(tokens: Token[]): string[] {
  let i = isWord(tokens[0], 'SELECT') ? 1 : 0;
  if (isWord(tokens[i], 'DISTINCT', 'ALL')) i++;
  const names: string[] = [];
  let item: Token[] = [];
  const flush = () => {
    const last = item.at(-1);
    const beforeLast = item.at(-2);
    if (isName(last) && (item.length === 1 || isWord(beforeLast, 'AS') || isPunct(beforeLast, '.') || isName(beforeLast) || isPunct(beforeLast, ')'))) {
      names.push(last.value);
    }
    item = [];
  };
  for (; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (isPunct(t, '(')) {
      const close = matchingParen(tokens, i);
      item.push(...tokens.slice(i, close + 1));
      i = close;
    } else if (isPunct(t, ',')) flush();
    else if (isWord(t, 'FROM', 'WHERE', 'GROUP', 'ORDER', 'LIMIT', 'UNION', 'EXCEPT', 'INTERSECT', 'WINDOW')) break;
    else item.push(t);
  }
  flush();
  return names;
}

/** Output columns of a parenthesised query `( … )` whose tokens (without the parentheses) are given. */
function subqueryColumns(inner: Token[]): string[] {
  const select = inner.findIndex((t) => isWord(t, 'SELECT'));
  return select === -1 ? [] : selectListNames(inner.slice(select));
}

/** Reads `[AS] alias` at `i`; returns the alias and the index after it. */
function readAlias(tokens: Token[], i: number): { alias: string | null; next: number } {
  if (isWord(tokens[i], 'AS') && isName(tokens[i + 1])) return { alias: tokens[i + 1]!.value, next: i + 2 };
  if (isName(tokens[i])) return { alias: tokens[i]!.value, next: i + 1 };
  return { alias: null, next: i };
}

/** Reads one row source at `i` (`name [AS alias]`, `schema.name …`, `fn(…) …` or `(subquery) [AS alias]`). */
function readSource(tokens: Token[], i: number): { ref: SourceRef | null; next: number } {
  const t = tokens[i];
  if (isPunct(t, '(')) {
    const close = matchingParen(tokens, i);
    const columns = subqueryColumns(tokens.slice(i + 1, close));
    const { alias, next } = readAlias(tokens, close + 1);
    return { ref: { table: null, alias, columns }, next };
  }
  if (!isName(t)) return { ref: null, next: i };
  let name = t.value;
  let j = i + 1;
  // schema-qualified: main.singer
  if (isPunct(tokens[j], '.') && isName(tokens[j + 1])) {
    name = tokens[j + 1]!.value;
    j += 2;
  }
  // table-valued function: json_each(…)
  if (isPunct(tokens[j], '(')) j = matchingParen(tokens, j) + 1;
  const { alias, next } = readAlias(tokens, j);
  return { ref: { table: name, alias }, next };
}

/** `WITH [RECURSIVE] name [(cols)] AS [NOT] [MATERIALIZED] (…), …` at the start of a statement. */
function readCtes(tokens: Token[]): StatementScope['ctes'] {
  const ctes: StatementScope['ctes'] = [];
  let i = tokens.findIndex((t) => t.kind !== 'comment');
  if (!isWord(tokens[i], 'WITH')) return ctes;
  i++;
  if (isWord(tokens[i], 'RECURSIVE')) i++;
  while (isName(tokens[i])) {
    const name = tokens[i]!.value;
    let columns: string[] | null = null;
    i++;
    if (isPunct(tokens[i], '(')) {
      const close = matchingParen(tokens, i);
      columns = tokens.slice(i + 1, close).filter(isName).map((t) => t.value);
      i = close + 1;
    }
    if (!isWord(tokens[i], 'AS')) break;
    i++;
    while (isWord(tokens[i], 'NOT', 'MATERIALIZED')) i++;
    if (!isPunct(tokens[i], '(')) break;
    const close = matchingParen(tokens, i);
    ctes.push({ name, columns: columns ?? subqueryColumns(tokens.slice(i + 1, close)) });
    i = close + 1;
    if (!isPunct(tokens[i], ',')) break;
    i++;
  }
  return ctes;
}

/** The tables, views, CTEs and subqueries a statement reads from (FROM and JOIN clauses at any depth). */
export function statementScope(statement: string): StatementScope {
  const tokens = tokenize(statement).filter((t) => t.kind !== 'comment');
  const sources: SourceRef[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const inFromList = isWord(tokens[i], 'FROM');
    if (!inFromList && !isWord(tokens[i], 'JOIN')) continue;
    let j = i + 1;
    for (;;) {
      const { ref, next } = readSource(tokens, j);
      if (ref) sources.push(ref);
      // FROM a, b, c: a comma-separated list; JOIN takes one source. A subquery's own FROM is met by the outer loop.
      if (!ref || !inFromList || !isPunct(tokens[next], ',')) break;
      j = next + 1;
    }
  }
  return { sources, ctes: readCtes(tokens) };
}

// ---------------------------------------------------------------------------------------------------------------
// Where the cursor is

export type CompletionContext =
  /** after `qualifier.`: the columns of that table or alias */
  | { kind: 'member'; qualifier: string; prefix: string }
  /** after FROM/JOIN (or a comma in a FROM list): table names */
  | { kind: 'table'; prefix: string }
  /** anywhere else in a statement: columns in scope, functions, keywords, tables */
  | { kind: 'expression'; prefix: string }
  /** inside a string, a quoted identifier or a comment: nothing to suggest */
  | { kind: 'none' };

const TABLE_INTRODUCERS = ['FROM', 'JOIN', 'INTO', 'UPDATE', 'TABLE'];
/** Clause keywords that end a FROM list when walking back from the cursor. */
const CLAUSE_KEYWORDS = ['SELECT', 'FROM', 'WHERE', 'GROUP', 'HAVING', 'ORDER', 'LIMIT', 'ON', 'USING', 'SET', 'VALUES', 'WINDOW', 'JOIN'];

/** What kind of word the cursor at `offset` in `statement` is completing. */
export function completionContext(statement: string, offset: number): CompletionContext {
  const tokens = tokenize(statement);
  const inside = tokens.find(
    (t) => (t.kind === 'string' || t.kind === 'quoted' || t.kind === 'comment') && t.start < offset && (offset < t.end || t.unterminated),
  );
  if (inside) return { kind: 'none' };

  let wordStart = offset;
  while (wordStart > 0 && isIdPart(statement[wordStart - 1]!)) wordStart--;
  const prefix = statement.slice(wordStart, offset);
  const before = tokens.filter((t) => t.end <= wordStart && t.kind !== 'comment');
  const previous = before.at(-1);

  if (isPunct(previous, '.') && previous!.end === wordStart && isName(before.at(-2))) {
    return { kind: 'member', qualifier: before.at(-2)!.value, prefix };
  }
  if (isWord(previous, ...TABLE_INTRODUCERS)) return { kind: 'table', prefix };
  if (isPunct(previous, ',')) {
    // in `FROM a, |` the comma continues the FROM list: find the clause it belongs to at the same depth
    let depth = 0;
    for (let i = before.length - 2; i >= 0; i--) {
      const t = before[i]!;
      if (isPunct(t, ')')) depth++;
      else if (isPunct(t, '(')) {
        if (depth-- === 0) break;
      } else if (depth === 0 && isWord(t, ...CLAUSE_KEYWORDS)) {
        if (isWord(t, 'FROM')) return { kind: 'table', prefix };
        break;
      }
    }
  }
  return { kind: 'expression', prefix };
}

// ---------------------------------------------------------------------------------------------------------------
// Suggestions

export interface SchemaRelation {
  name: string;
  kind: 'table' | 'view';
  columns: { name: string; type: string }[];
}

export type SuggestionKind = 'column' | 'table' | 'view' | 'cte' | 'alias' | 'function' | 'keyword';

export interface Suggestion {
  label: string;
  kind: SuggestionKind;
  /** shown next to the label: the column's table and type, a function's signature */
  detail: string;
  insertText: string;
  /** insertText is a snippet (functions place the cursor between the parentheses) */
  snippet?: boolean;
  /** orders the groups: columns first, then aliases, tables, functions, keywords */
  sortText: string;
}

const SIMPLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A name as SQL: bare when it can be, else in double quotes. */
export function quoteIdentifier(name: string): string {
  return SIMPLE_NAME.test(name) && !isKeyword(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

const same = (a: string, b: string) => a.localeCompare(b, undefined, { sensitivity: 'accent' }) === 0;

/** A source's columns: from the schema for tables and views, from the text for CTEs and subqueries. */
function sourceColumns(ref: SourceRef, scope: StatementScope, schema: SchemaRelation[]): { name: string; type: string }[] {
  if (ref.columns) return ref.columns.map((name) => ({ name, type: '' }));
  if (ref.table === null) return [];
  const cte = scope.ctes.find((c) => same(c.name, ref.table!));
  if (cte) return cte.columns.map((name) => ({ name, type: '' }));
  return schema.find((r) => same(r.name, ref.table!))?.columns ?? [];
}

/** The source a qualifier names: an alias first, else an unaliased table of that name, else any table. */
export function resolveQualifier(qualifier: string, scope: StatementScope, schema: SchemaRelation[]): SourceRef | null {
  const byAlias = scope.sources.find((s) => s.alias !== null && same(s.alias, qualifier));
  if (byAlias) return byAlias;
  const byTable = scope.sources.find((s) => s.table !== null && same(s.table, qualifier));
  if (byTable) return byTable;
  // `singer.` before the FROM clause is written: still the table's columns
  const relation = schema.find((r) => same(r.name, qualifier)) ?? scope.ctes.find((c) => same(c.name, qualifier));
  return relation ? { table: relation.name, alias: null } : null;
}

const sortKey = (group: number, label: string) => `${group}_${label.toLowerCase()}`;

function relationSuggestions(scope: StatementScope, schema: SchemaRelation[], group: number): Suggestion[] {
  const out: Suggestion[] = scope.ctes.map((c) => ({
    label: c.name,
    kind: 'cte' as const,
    detail: 'CTE',
    insertText: quoteIdentifier(c.name),
    sortText: sortKey(group, c.name),
  }));
  for (const r of schema) {
    out.push({
      label: r.name,
      kind: r.kind,
      detail: `${r.kind} · ${r.columns.length} columns`,
      insertText: quoteIdentifier(r.name),
      sortText: sortKey(group, r.name),
    });
  }
  return out;
}

/** A source's columns as suggestions; `qualify` says which to insert as `owner.column`. */
function columnSuggestions(
  ref: SourceRef,
  scope: StatementScope,
  schema: SchemaRelation[],
  qualify: (column: string) => boolean = () => false,
): Suggestion[] {
  const owner = ref.alias ?? ref.table ?? 'subquery';
  return sourceColumns(ref, scope, schema).map((c) => ({
    label: c.name,
    kind: 'column' as const,
    detail: `${ref.table ?? 'subquery'}${c.type ? ` · ${c.type}` : ''}`,
    insertText: qualify(c.name) ? `${quoteIdentifier(owner)}.${quoteIdentifier(c.name)}` : quoteIdentifier(c.name),
    sortText: sortKey(0, `${c.name} ${owner}`),
  }));
}

const FUNCTION_SUGGESTIONS: Suggestion[] = SQLITE_FUNCTIONS.map((f) => ({
  label: f.name,
  kind: 'function',
  detail: f.signature,
  insertText: f.signature.startsWith(`${f.name}()`) ? `${f.name}()` : `${f.name}($0)`,
  snippet: true,
  sortText: sortKey(3, f.name),
}));

const KEYWORD_SUGGESTIONS: Suggestion[] = SQLITE_KEYWORDS.map((k) => ({
  label: k,
  kind: 'keyword',
  detail: 'keyword',
  insertText: k,
  sortText: sortKey(4, k),
}));

/**
 * The suggestions at `offset` in `text` (the whole editor): the statement under the cursor decides which tables
 * are in scope. Filtering by the typed prefix is left to the editor (it matches fuzzily).
 */
export function suggest(text: string, offset: number, schema: SchemaRelation[]): Suggestion[] {
  const range = statementRange(text, offset);
  const statement = text.slice(range.start, range.end);
  const context = completionContext(statement, offset - range.start);
  if (context.kind === 'none') return [];
  const scope = statementScope(statement);

  if (context.kind === 'member') {
    const ref = resolveQualifier(context.qualifier, scope, schema);
    return ref ? columnSuggestions(ref, scope, schema) : [];
  }
  if (context.kind === 'table') return relationSuggestions(scope, schema, 2);

  // A column name that two sources share is inserted qualified, so the query stays unambiguous.
  const counts = new Map<string, number>();
  for (const ref of scope.sources) {
    for (const c of sourceColumns(ref, scope, schema)) counts.set(c.name.toLowerCase(), (counts.get(c.name.toLowerCase()) ?? 0) + 1);
  }
  const ambiguous = (column: string) => (counts.get(column.toLowerCase()) ?? 0) > 1;
  const columns = scope.sources.flatMap((ref) => columnSuggestions(ref, scope, schema, ambiguous));
  const aliases: Suggestion[] = scope.sources
    .filter((s): s is SourceRef & { alias: string } => s.alias !== null)
    .map((s) => ({ label: s.alias, kind: 'alias', detail: s.table ? `alias of ${s.table}` : 'subquery', insertText: quoteIdentifier(s.alias), sortText: sortKey(1, s.alias) }));
  return [...columns, ...aliases, ...relationSuggestions(scope, schema, 2), ...FUNCTION_SUGGESTIONS, ...KEYWORD_SUGGESTIONS];
}
