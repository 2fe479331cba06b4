/**
 * Rationales derived from a gold SQL and the schema: the `<think>` text of FINER-style training samples when no
 * teacher writes one (reason-sft's `source: 'derived'`, and the vote / reason examples of strategyExamples).
 *
 * It is NOT a model's reasoning: it restates, in plain sentences, what the SQL does — the tables (with their
 * aliases), the columns with their table, the joins and their keys (named as foreign keys where the schema declares
 * one), the conditions, grouping and HAVING, the output and its aggregates, ordering and LIMIT, set operations,
 * common table expressions and subqueries. So it is labelled as such on its first line (DERIVED_LABEL): a reader of
 * the training data, or of a trained model's output, can tell that the "reasoning" was derived from the answer.
 *
 * The text is deterministic (same SQL and schema, same text), longer than MIN_REASONING_CHARS for any SQL (FINER's
 * format reward wants reasoning > 100 characters) and holds no '<' (the reasoning grammar allows `[^<]` between
 * `<think>` and `</think>`): comparisons are written in words. The SQL is read with sql-parser-cst; when it cannot
 * parse it, the description falls back to what its tokens show.
 */
import { parse, show } from 'sql-parser-cst';
import type { DbSchema } from '../../shared/contract/index.ts';
import { significant, tokenize } from '../../shared/sql/tokenize.ts';
import { DEFAULT_REASONING_CHARS } from './grammar.ts';

/** The first line of every derived rationale. */
export const DERIVED_LABEL = 'Derived from the SQL:';
/** FINER's format reward counts reasoning as present only above 100 characters. */
export const MIN_REASONING_CHARS = 100;

export interface RationaleOptions {
  /**
   * The longest rationale, in characters (default: the reasoning grammar's DEFAULT_REASONING_CHARS less the two
   * newlines a sample puts around it). Whole sentences are dropped from the end to fit; at least 160.
   */
  maxChars?: number;
}

/**
 * Appended when the rest is short, so any SQL's rationale passes MIN_REASONING_CHARS: the label (21) and the
 * shortest first sentence ("The query reads no table.", 25) with it make more than 100 characters.
 */
const CLOSING = "This text restates the SQL; it is not a model's reasoning.";
const MIN_MAX_CHARS = 160;

/** A sentence and how much it matters: the least important (highest rank, then the last) go first when too long. */
interface Sentence {
  text: string;
  rank: number;
}

/** A derived rationale for `sql` over `schema` (see the header). */
export function deriveRationale(sql: string, schema: DbSchema, o: RationaleOptions = {}): string {
  const max = Math.max(MIN_MAX_CHARS, o.maxChars ?? DEFAULT_REASONING_CHARS - 2);
  let sentences: Sentence[];
  try {
    sentences = fromAst(sql, schema);
  } catch {
    sentences = fromTokens(sql, schema);
  }
  return fit(
    sentences.map((s) => ({ ...s, text: sanitize(s.text) })),
    max,
  );
}

/** The label and the sentences, the least important dropped until they fit; a lone over-long sentence is cut at a word. */
function fit(sentences: Sentence[], max: number): string {
  const kept = [...sentences];
  const text = () => [DERIVED_LABEL, ...kept.map((s) => s.text)].join('\n');
  while (kept.length > 1 && text().length > max) {
    let worst = 0;
    kept.forEach((s, i) => {
      if (s.rank >= kept[worst]!.rank) worst = i;
    });
    kept.splice(worst, 1);
  }
  let out = text();
  if (out.length > max) {
    // not even the first sentence fits: cut it at a word boundary, so the rationale still says something
    const cut = out.slice(0, max - 1);
    out = `${cut.slice(0, cut.lastIndexOf(' '))}…`;
  }
  if (out.length <= MIN_REASONING_CHARS) out += `\n${CLOSING}`;
  return out;
}

/** The reasoning grammar forbids '<' inside <think>: one left in a literal or an unparsed expression becomes '‹'. */
const sanitize = (s: string) => s.replace(/\s+/g, ' ').trim().replace(/</g, '‹');

// ---------------------------------------------------------------------------------------------------------------
// from the AST

/** sql-parser-cst's nodes, read structurally (its full types add nothing here). */
interface Node {
  type: string;
  range?: [number, number];
  [key: string]: unknown;
}
const isNode = (x: unknown): x is Node => typeof x === 'object' && x !== null && !Array.isArray(x) && typeof (x as Node).type === 'string';
const child = (n: Node | undefined, key: string): Node | undefined => (n && isNode(n[key]) ? (n[key] as Node) : undefined);
const items = (n: Node | undefined): Node[] => (!n ? [] : n.type === 'list_expr' ? ((n.items as Node[]) ?? []) : [n]);
const keywords = (op: unknown): string =>
  typeof op === 'string' ? op.toUpperCase() : Array.isArray(op) ? op.map(keywords).join(' ') : isNode(op) ? String(op.name ?? op.text ?? '').toUpperCase() : '';
const list = (xs: string[]) => (xs.length <= 1 ? (xs[0] ?? '') : `${xs.slice(0, -1).join(', ')} and ${xs.at(-1)}`);
const isQuery = (n: Node | undefined) => n?.type === 'select_stmt' || n?.type === 'compound_select_stmt';

const AGGREGATES = new Set(['count', 'sum', 'avg', 'min', 'max', 'total', 'group_concat']);
/** comparisons in words: the reasoning grammar allows no '<' */
const COMPARISONS: Record<string, string> = {
  '=': '=',
  '==': '=',
  '!=': 'is not equal to',
  '<>': 'is not equal to',
  '>': 'is greater than',
  '>=': 'is at least',
  '<': 'is less than',
  '<=': 'is at most',
  LIKE: 'matches the pattern',
  'NOT LIKE': 'does not match the pattern',
  GLOB: 'matches the glob',
  'NOT GLOB': 'does not match the glob',
  IS: 'is',
  'IS NOT': 'is not',
  IN: 'is one of',
  'NOT IN': 'is not one of',
};
/** sentence ranks (lower matters more); a subquery's sentences rank one lower per level of nesting */
const RANK = { reads: 0, setOp: 0, joins: 1, where: 2, group: 3, returns: 3, order: 4, columns: 5 };

interface Relation {
  /** the table as the schema spells it, or the CTE's / subquery's name */
  name: string;
  alias: string | null;
  /** a table or view of the schema (not a CTE or a subquery) */
  real: boolean;
}

/** A query being described: its relations (for resolving names), the columns it uses and the subqueries it holds. */
interface Scope {
  sql: string;
  schema: DbSchema;
  relations: Relation[];
  columns: string[];
  outer: Scope | null;
  /** subqueries met while rendering this query's expressions, described after it */
  nested: { label: string; node: Node }[];
  /** numbers subqueries across the whole statement */
  counter: { n: number };
  ctes: Set<string>;
}

function fromAst(sql: string, schema: DbSchema): Sentence[] {
  const program = parse(sql, { dialect: 'sqlite', includeRange: true }) as unknown as Node;
  const statements = ((program.statements as Node[]) ?? []).filter((s) => s.type !== 'empty');
  if (statements.length !== 1 || !isQuery(statements[0])) throw new Error('one query expected');
  const out: Sentence[] = [];
  const root: Scope = { sql, schema, relations: [], columns: [], outer: null, nested: [], counter: { n: 0 }, ctes: new Set() };
  describeQuery(statements[0]!, root, 'The query', 0, out);
  return out;
}

/** Sentences about a query (a SELECT or a compound one) under `label`, then about its subqueries. */
function describeQuery(node: Node, parent: Scope, label: string, depth: number, out: Sentence[]): void {
  const say = (rank: number, text: string) => out.push({ text, rank: rank + depth });
  if (node.type === 'paren_expr') return describeQuery(child(node, 'expr')!, parent, label, depth, out);
  if (node.type === 'compound_select_stmt') {
    const op = keywords(node.operator);
    const meaning: Record<string, string> = {
      UNION: 'the rows of both parts, duplicates removed',
      'UNION ALL': 'the rows of both parts, duplicates kept',
      INTERSECT: 'the rows both parts return',
      EXCEPT: 'the rows of part 1 that part 2 does not return',
    };
    say(RANK.setOp, `${label} combines two parts with ${op}: ${meaning[op] ?? 'a set operation'}.`);
    const prefix = label === 'The query' ? '' : `${label}, `;
    describeQuery(child(node, 'left')!, parent, `${prefix}part 1`.replace(/^p/, 'P'), depth, out);
    describeQuery(child(node, 'right')!, parent, `${prefix}part 2`.replace(/^p/, 'P'), depth, out);
    return;
  }
  if (node.type !== 'select_stmt') throw new Error(`not a query: ${node.type}`);
  const clauses = (node.clauses as Node[]) ?? [];
  const clause = (type: string) => clauses.find((c) => c.type === type);
  const scope: Scope = { ...parent, relations: [], columns: [], outer: parent.relations.length || parent.outer ? parent : null, nested: [], ctes: new Set(parent.ctes) };

  for (const cte of items(child(clause('with_clause'), 'tables'))) {
    const name = String(child(cte, 'table')?.name ?? 'cte');
    describeQuery(child(cte, 'expr')!, parent, `The common table expression ${name} (defined first)`, depth, out);
    scope.ctes.add(name.toLowerCase());
  }

  // FROM first: names elsewhere resolve against its relations
  const joins: string[] = [];
  const from = clause('from_clause');
  if (from) readFrom(child(from, 'expr')!, scope, joins);
  const tables = scope.relations.map((r) => (r.alias && r.alias.toLowerCase() !== r.name.toLowerCase() ? `${r.name} (as ${r.alias})` : r.name));
  say(RANK.reads, tables.length ? `${label} reads ${tables.length === 1 ? 'the table' : 'the tables'} ${list(tables)}.` : `${label} reads no table.`);
  const at = out.length; // the columns sentence goes here once every clause has been read
  for (const j of joins) say(RANK.joins, j);

  const where = clause('where_clause');
  if (where) say(RANK.where, `It keeps the rows where ${list(andChain(child(where, 'expr')!).map((c) => render(c, scope)))}.`);
  const group = clause('group_by_clause');
  const having = clause('having_clause');
  if (group) {
    const by = items(child(group, 'columns')).map((c) => render(c, scope));
    const keep = having ? ` and keeps the groups where ${list(andChain(child(having, 'expr')!).map((c) => render(c, scope)))}` : '';
    say(RANK.group, `It groups the rows by ${list(by)}${keep}.`);
  } else if (having) {
    say(RANK.group, `It keeps the result only where ${render(child(having, 'expr')!, scope)}.`);
  }
  const select = clause('select_clause');
  if (select) {
    const cols = items(child(select, 'columns'));
    const distinct = ((select.modifiers as Node[]) ?? []).some((m) => m.type === 'select_distinct');
    const aggregated = cols.some(hasAggregate);
    const how = aggregated ? (group ? ', aggregated per group' : ', aggregated over all the kept rows') : '';
    say(RANK.returns, `It returns ${distinct ? 'the distinct values of ' : ''}${list(cols.map((c) => render(c, scope)))}${how}.`);
  }
  const order = clause('order_by_clause');
  const limit = clause('limit_clause');
  const sorts = items(child(order, 'specifications')).map((s) => {
    const expr = s.type === 'sort_specification' ? child(s, 'expr')! : s;
    const desc = s.type === 'sort_specification' && child(s, 'direction')?.type === 'sort_direction_desc';
    return `${render(expr, scope)} ${desc ? 'descending' : 'ascending'}`;
  });
  const count = child(limit, 'count');
  const offset = child(limit, 'offset');
  const n = count ? render(count, scope) : null;
  const keeps = limit ? `${n === '1' ? 'the first row' : n ? `the first ${n} rows` : 'some rows'}${offset ? ` after skipping ${render(offset, scope)}` : ''}` : '';
  if (order) say(RANK.order, `It sorts by ${list(sorts)}${limit ? ` and keeps ${keeps}` : ''}.`);
  else if (limit) say(RANK.order, `It keeps ${keeps}.`);

  if (scope.columns.length) out.splice(at, 0, { text: `It uses the column${scope.columns.length > 1 ? 's' : ''} ${list(scope.columns)}.`, rank: RANK.columns + depth });
  for (const { label: sub, node: q } of scope.nested) describeQuery(q, scope, sub, depth + 1, out);
}

/** The relations of a FROM clause into the scope, and a sentence per join with its keys; returns the names read. */
function readFrom(n: Node, scope: Scope, joins: string[]): string[] {
  if (n.type === 'join_expr') {
    const left = readFrom(child(n, 'left')!, scope, joins);
    const right = readFrom(child(n, 'right')!, scope, joins);
    const op = keywords(n.operator);
    const spec = child(n, 'specification');
    const kind = op === 'JOIN' || op === 'INNER JOIN' ? 'joins' : op === ',' || op === 'CROSS JOIN' ? 'cross-joins' : `${op.toLowerCase().replace(/ outer| join/g, '')}-joins`;
    const names = `${list(left)} with ${list(right)}`;
    if (spec?.type === 'join_on_specification') {
      const keys = andChain(child(spec, 'expr')!).map((c) => render(c, scope) + foreignKeyNote(c, scope));
      joins.push(`It ${kind} ${names} on ${list(keys)}.`);
    } else if (spec?.type === 'join_using_specification') {
      const cols = items(child(child(spec, 'expr'), 'expr')).map((c) => String(c.name ?? textOf(c, scope)));
      joins.push(`It ${kind} ${names} using ${list(cols)}.`);
    } else {
      joins.push(`It ${kind} ${names}${kind === 'cross-joins' ? '' : ' without a condition'}.`);
    }
    return [...left, ...right];
  }
  let alias: string | null = null;
  let target = n;
  if (n.type === 'alias') {
    alias = String(child(n, 'alias')?.name ?? '') || null;
    target = child(n, 'expr')!;
  }
  if (target.type === 'paren_expr') {
    const k = ++scope.counter.n;
    scope.nested.push({ label: `Subquery ${k} (in FROM${alias ? `, as ${alias}` : ''})`, node: target });
    scope.relations.push({ name: alias ?? `subquery ${k}`, alias: null, real: false });
    return [`subquery ${k}`];
  }
  const raw = String(target.name ?? textOf(target, scope));
  const known = scope.ctes.has(raw.toLowerCase()) ? undefined : relationOf(scope.schema, raw);
  const name = known?.name ?? raw;
  scope.relations.push({ name, alias, real: Boolean(known) });
  return [name];
}

const relationOf = (schema: DbSchema, name: string) =>
  schema.tables.find((t) => t.name.toLowerCase() === name.toLowerCase()) ?? schema.views.find((v) => v.name.toLowerCase() === name.toLowerCase());

/** " (a foreign key)" when a join condition col = col is a single-column key the schema declares. */
function foreignKeyNote(cond: Node, scope: Scope): string {
  if (cond.type !== 'binary_expr' || cond.operator !== '=') return '';
  const a = resolveColumn(child(cond, 'left')!, scope);
  const b = resolveColumn(child(cond, 'right')!, scope);
  if (!a || !b) return '';
  for (const [from, to] of [
    [a, b],
    [b, a],
  ] as const) {
    const parent = scope.schema.tables.find((x) => x.name === to.table);
    for (const fk of scope.schema.tables.find((x) => x.name === from.table)?.foreignKeys ?? []) {
      if (fk.refTable.toLowerCase() !== to.table.toLowerCase() || fk.columns.length !== 1 || fk.columns[0]!.toLowerCase() !== from.column.toLowerCase()) continue;
      const ref = fk.refColumns[0] ?? parent?.columns.find((c) => c.pk === 1)?.name;
      if (ref?.toLowerCase() === to.column.toLowerCase()) return ` (the foreign key of ${from.table})`;
    }
  }
  return '';
}

/** The conjuncts of an AND chain (parentheses around a whole conjunct dropped); anything else is one condition. */
function andChain(n: Node): Node[] {
  if (n.type === 'binary_expr' && keywords(n.operator) === 'AND') return [...andChain(child(n, 'left')!), ...andChain(child(n, 'right')!)];
  const inner = child(n, 'expr');
  if (n.type === 'paren_expr' && inner?.type === 'binary_expr' && keywords(inner.operator) === 'AND') return andChain(inner);
  return [n];
}

/** A column reference resolved to its table in this scope or an enclosing one (a correlated subquery). */
function resolveColumn(n: Node, scope: Scope): { table: string; column: string } | null {
  let qualifier: string | null = null;
  let column: string;
  if (n.type === 'identifier') column = String(n.name);
  else if (n.type === 'member_expr' && child(n, 'object')?.type === 'identifier' && child(n, 'property')?.type === 'identifier') {
    qualifier = String(child(n, 'object')!.name).toLowerCase();
    column = String(child(n, 'property')!.name);
  } else return null;
  for (let s: Scope | null = scope; s; s = s.outer) {
    const candidates = qualifier ? s.relations.filter((r) => (r.alias ?? r.name).toLowerCase() === qualifier || r.name.toLowerCase() === qualifier) : s.relations;
    for (const r of candidates) {
      const c = r.real ? relationOf(s.schema, r.name)?.columns.find((x) => x.name.toLowerCase() === column.toLowerCase()) : undefined;
      if (c) return { table: r.name, column: c.name };
    }
    // a CTE's or a subquery's column, or one the schema does not list: named with the relation, as the SQL does
    if (qualifier && candidates.length) return { table: candidates[0]!.name, column };
  }
  return null;
}

/** The SQL's own text of a node, spacing collapsed. */
const textOf = (n: Node, scope: Scope) => (n.range ? scope.sql.slice(n.range[0], n.range[1]) : show(n as never)).replace(/\s+/g, ' ').trim();

function noteColumn(scope: Scope, name: string): string {
  if (!scope.columns.includes(name)) scope.columns.push(name);
  return name;
}

/** A subquery met in an expression: numbered, described after its query. */
function subquery(n: Node, scope: Scope): string {
  const k = ++scope.counter.n;
  scope.nested.push({ label: `Subquery ${k}`, node: n });
  return `subquery ${k}`;
}
const subqueryIn = (n: Node | undefined) => (n?.type === 'paren_expr' && isQuery(child(n, 'expr')) ? child(n, 'expr')! : undefined);

/** An expression in words: columns with their table, comparisons spelled out, subqueries named. */
function render(n: Node, scope: Scope): string {
  switch (n.type) {
    case 'identifier':
    case 'member_expr': {
      if (n.type === 'member_expr' && child(n, 'property')?.type === 'all_columns') {
        const q = String(child(n, 'object')?.name ?? '').toLowerCase();
        const r = scope.relations.find((x) => (x.alias ?? x.name).toLowerCase() === q);
        return `all columns of ${r?.name ?? q}`;
      }
      const c = resolveColumn(n, scope);
      // an unresolved name: a result column's alias, or a double-quoted string (SQLite's legacy rule)
      return c ? noteColumn(scope, `${c.table}.${c.column}`) : textOf(n, scope);
    }
    case 'all_columns':
      return 'all columns';
    case 'paren_expr': {
      const inner = child(n, 'expr')!;
      if (isQuery(inner)) return `the value of ${subquery(inner, scope)}`;
      if (inner.type === 'list_expr') return `(${items(inner).map((x) => render(x, scope)).join(', ')})`;
      return `(${render(inner, scope)})`;
    }
    case 'binary_expr': {
      const op = keywords(n.operator);
      const l = render(child(n, 'left')!, scope);
      const sub = subqueryIn(child(n, 'right'));
      if ((op === 'IN' || op === 'NOT IN') && sub) return `${l} is ${op === 'IN' ? '' : 'not '}among the values of ${subquery(sub, scope)}`;
      const r = render(child(n, 'right')!, scope);
      if (op === 'AND' || op === 'OR') return `${l} ${op.toLowerCase()} ${r}`;
      return `${l} ${COMPARISONS[op] ?? op} ${r}`;
    }
    case 'between_expr': {
      const not = keywords(n.betweenKw).startsWith('NOT') ? 'not ' : '';
      return `${render(child(n, 'left')!, scope)} is ${not}between ${render(child(n, 'begin')!, scope)} and ${render(child(n, 'end')!, scope)}`;
    }
    case 'prefix_op_expr': {
      const op = keywords(n.operator);
      const sub = subqueryIn(child(n, 'expr'));
      if (op === 'EXISTS' && sub) return `${subquery(sub, scope)} returns a row`;
      const e = render(child(n, 'expr')!, scope);
      return op === 'NOT' ? `not (${e})` : `${op}${e}`;
    }
    case 'postfix_op_expr': {
      const op = keywords(n.operator);
      return `${render(child(n, 'expr')!, scope)} ${op === 'ISNULL' ? 'is NULL' : op === 'NOTNULL' || op === 'NOT NULL' ? 'is not NULL' : op}`;
    }
    case 'func_call': {
      const name = child(n, 'name')?.type === 'identifier' ? String(child(n, 'name')!.name) : textOf(child(n, 'name')!, scope);
      const args = child(child(n, 'args'), 'expr');
      if (!args || args.type !== 'func_args' || n.filter || n.over) {
        collectColumns(n, scope);
        return textOf(n, scope);
      }
      const rendered = items(child(args, 'args')).map((a) => (a.type === 'all_columns' ? '*' : render(a, scope)));
      return `${name}(${args.distinctKw ? 'DISTINCT ' : ''}${rendered.join(', ')})`;
    }
    case 'alias':
      return `${render(child(n, 'expr')!, scope)} as ${String(child(n, 'alias')?.name ?? '')}`;
    default:
      // literals, CASE, CAST, …: the SQL's own text, its columns still counted
      collectColumns(n, scope);
      return textOf(n, scope);
  }
}

/** Counts the column references under a node that is shown as SQL text (its subqueries are not described). */
function collectColumns(n: unknown, scope: Scope): void {
  if (Array.isArray(n)) return n.forEach((x) => collectColumns(x, scope));
  if (!isNode(n) || isQuery(n)) return;
  if (n.type === 'identifier' || n.type === 'member_expr') {
    const c = resolveColumn(n, scope);
    if (c) noteColumn(scope, `${c.table}.${c.column}`);
    if (n.type === 'identifier' || c) return;
  }
  for (const v of Object.values(n)) collectColumns(v, scope);
}

function hasAggregate(n: unknown): boolean {
  if (Array.isArray(n)) return n.some(hasAggregate);
  if (!isNode(n) || isQuery(n)) return false;
  if (n.type === 'func_call' && child(n, 'name')?.type === 'identifier' && AGGREGATES.has(String(child(n, 'name')!.name).toLowerCase()) && !n.over) return true;
  return Object.values(n).some(hasAggregate);
}

// ---------------------------------------------------------------------------------------------------------------
// from the tokens (the parser could not read the SQL)

const CLAUSES: [string, string][] = [
  ['join', 'joins'],
  ['where', 'conditions (WHERE)'],
  ['group', 'grouping (GROUP BY)'],
  ['having', 'group conditions (HAVING)'],
  ['order', 'ordering (ORDER BY)'],
  ['limit', 'a LIMIT'],
  ['union', 'a UNION'],
  ['intersect', 'an INTERSECT'],
  ['except', 'an EXCEPT'],
];

function fromTokens(sql: string, schema: DbSchema): Sentence[] {
  const tokens = significant(tokenize(sql));
  const words = tokens.filter((t) => t.type === 'word' || t.type === 'quoted').map((t) => t.text.replace(/^["`[]|["`\]]$/g, '').toLowerCase());
  const present = new Set(words);
  const tables = schema.tables.filter((t) => present.has(t.name.toLowerCase()));
  const columns = tables.flatMap((t) => t.columns.filter((c) => present.has(c.name.toLowerCase())).map((c) => `${t.name}.${c.name}`));
  const clauses = CLAUSES.filter(([w]) => present.has(w)).map(([, what]) => what);
  const aggregates = [...new Set(tokens.filter((t, i) => t.type === 'word' && AGGREGATES.has(t.text.toLowerCase()) && tokens[i + 1]?.text === '(').map((t) => t.text.toLowerCase()))];
  const selects = words.filter((w) => w === 'select').length;
  const lines = [
    'The SQL could not be parsed; this is read from its words.',
    tables.length ? `It names the table${tables.length > 1 ? 's' : ''} ${list(tables.map((t) => t.name))}.` : 'It names no table of the schema.',
    ...(columns.length ? [`Columns of those tables it names: ${list(columns)}.`] : []),
    ...(clauses.length ? [`It has ${list(clauses)}.`] : []),
    ...(aggregates.length ? [`Aggregates: ${list(aggregates)}.`] : []),
    ...(selects > 1 ? [`It holds ${selects} SELECTs (subqueries or set operations).`] : []),
  ];
  return lines.map((text, rank) => ({ text, rank }));
}
