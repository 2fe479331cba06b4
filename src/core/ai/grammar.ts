/**
 * Grammars that constrain decoding to what a database can answer: one SQLite SELECT naming only real tables and
 * columns (GBNF), ROUTE's schema-linking JSON and LR-SQL's table list.
 *
 * Every derivation of these grammars is finite and short: literals, lists, joins and conditions have upper bounds
 * (SQL_BOUNDS, GBNF {m,n}), subqueries nest one level deep (the subquery rules are a second, smaller copy without
 * subqueries) and a query holds at most one subquery (in its WHERE or its HAVING) or is two subquery-sized parts of
 * a UNION / INTERSECT / EXCEPT. A model sampling under the grammar therefore always reaches the end — it cannot loop
 * on `AND x = 1` or open parentheses forever.
 *
 * Worst case, in characters (a token is at least one): with C the longest column reference (`T1.` or a table name,
 * `.`, the longest column), an expression is at most ~2·C + 40 (`COUNT(DISTINCT c) * COUNT(DISTINCT c)`), a
 * condition ~C + 170 (`c NOT IN ('…30…', '…', '…')`), a subquery ~10 such pieces (~1,300 for the demo's C = 35),
 * a whole query ~4,000-6,000: grammarCheck.ts `longestText` measures at most 5,800 over Spider's dev databases
 * (string literals count up to 60 characters: a '-' or '/' takes its next character with it, so no `--` or `/*`
 * appears). That is the sum of every bound at once; real answers are far shorter (Spider's longest
 * gold query has 410 characters), and random-weight models sampled at temperature 1 under it end after 50-90
 * tokens (grammar.test.ts checks 20+ of them end within 400).
 *
 * GBNF cannot see the FROM clause while the SELECT list is written, so the unscoped grammar checks names only
 * against the whole schema; with `scope` it is fixed to given FROM clauses and every name resolves (scope.ts runs
 * the two passes and says why).
 */
import type { DbSchema } from '../../shared/contract/index.ts';
import type { GrammarSpec } from '../llm/index.ts';

/** Upper bounds of the SQL grammar (see the header for what they cost). */
export const SQL_BOUNDS = {
  /** characters of a '...' string literal (Spider's longest is 28) */
  stringChars: 30,
  /** digits before / after the point of a number */
  intDigits: 7,
  fracDigits: 2,
  /** items of an IN (...) list */
  inList: 3,
  /** select-list items in a top query / a subquery or part of a UNION, INTERSECT, EXCEPT */
  items: [4, 3],
  /** JOINs after the first table (Spider dev has 6 golds with 4) */
  joins: [3, 2],
  /** conditions in a WHERE: top query / subquery */
  conditions: [3, 2],
  /** GROUP BY and ORDER BY terms: top query / subquery */
  groupBy: [2, 1],
  orderBy: [2, 1],
} as const;

export const DEFAULT_REASONING_CHARS = 600;

/** SQLite's keywords (sqlite.org/lang_keywords.html): an identifier equal to one must be quoted. */
const KEYWORDS = new Set(
  `ABORT ACTION ADD AFTER ALL ALTER ALWAYS ANALYZE AND AS ASC ATTACH AUTOINCREMENT BEFORE BEGIN BETWEEN BY CASCADE CASE
  CAST CHECK COLLATE COLUMN COMMIT CONFLICT CONSTRAINT CREATE CROSS CURRENT CURRENT_DATE CURRENT_TIME CURRENT_TIMESTAMP
  DATABASE DEFAULT DEFERRABLE DEFERRED DELETE DESC DETACH DISTINCT DO DROP EACH ELSE END ESCAPE EXCEPT EXCLUDE
  EXCLUSIVE EXISTS EXPLAIN FAIL FILTER FIRST FOLLOWING FOR FOREIGN FROM FULL GENERATED GLOB GROUP GROUPS HAVING IF
  IGNORE IMMEDIATE IN INDEX INDEXED INITIALLY INNER INSERT INSTEAD INTERSECT INTO IS ISNULL JOIN KEY LAST LEFT LIKE
  LIMIT MATCH MATERIALIZED NATURAL NO NOT NOTHING NOTNULL NULL NULLS OF OFFSET ON OR ORDER OTHERS OUTER OVER PARTITION
  PLAN PRAGMA PRECEDING PRIMARY QUERY RAISE RANGE RECURSIVE REFERENCES REGEXP REINDEX RELEASE RENAME REPLACE RESTRICT
  RETURNING RIGHT ROLLBACK ROW ROWS SAVEPOINT SELECT SET TABLE TEMP TEMPORARY THEN TIES TO TRANSACTION TRIGGER
  UNBOUNDED UNION UNIQUE UPDATE USING VACUUM VALUES VIEW VIRTUAL WHEN WHERE WINDOW WITH WITHOUT`.split(/\s+/),
);

/** An identifier as the SQL grammar writes it: bare when SQLite reads it back unchanged, else double-quoted. */
export function sqlIdentifier(name: string): string {
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !KEYWORDS.has(name.toUpperCase())) return name;
  return `"${name.replaceAll('"', '""')}"`;
}

/** A GBNF string literal for `text`. */
export function gbnfLiteral(text: string): string {
  let out = '"';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/**
 * One alternation over `words` written as a trie ("a" ("ge" | "ddress") | "name"): llama.cpp keeps one stack per
 * live alternative, so shared prefixes keep a 100-column schema as cheap as a short one.
 */
export function gbnfTrie(words: Iterable<string>): string {
  type Node = { end: boolean; next: Map<string, Node> };
  const root: Node = { end: false, next: new Map() };
  for (const word of new Set(words)) {
    let node = root;
    for (const ch of word) {
      let child = node.next.get(ch);
      if (!child) node.next.set(ch, (child = { end: false, next: new Map() }));
      node = child;
    }
    node.end = true;
  }
  if (root.next.size === 0) throw new Error('gbnfTrie needs at least one word');
  const emit = (node: Node): string => {
    const branches: string[] = [];
    for (let [ch, child] of node.next) {
      // follow single-child chains into one literal
      let run = ch;
      while (!child.end && child.next.size === 1) {
        const [c, n] = [...child.next][0]!;
        run += c;
        child = n;
      }
      branches.push(child.next.size === 0 ? gbnfLiteral(run) : `${gbnfLiteral(run)} ${emitRest(child)}`);
    }
    return branches.length === 1 ? branches[0]! : `(${branches.join(' | ')})`;
  };
  const emitRest = (node: Node): string => {
    const rest = emit(node);
    return node.end ? `${rest.startsWith('(') ? rest : `(${rest})`}?` : rest;
  };
  return emit(root);
}

/** Both spellings of a keyword (models and Spider's gold SQL write either). */
const kw = (word: string) => `(${gbnfLiteral(word)} | ${gbnfLiteral(word.toLowerCase())})`;

interface Relation {
  name: string;
  columns: string[];
}

const relationsOf = (schema: DbSchema): Relation[] => [
  ...schema.tables.map((t) => ({ name: t.name, columns: t.columns.map((c) => c.name) })),
  ...schema.views.map((v) => ({ name: v.name, columns: v.columns.map((c) => c.name) })),
];

/** One FROM entry of a query as a scoped grammar writes it: a real table, with the alias it is declared under. */
export interface Binding {
  table: string;
  alias: string | null;
}

/**
 * The FROM scopes a scoped grammar fixes: the top query's and its one subquery's, or the two parts of a compound
 * query (then `top` is the first part and `second` the second).
 */
export interface QueryScopes {
  top: Binding[];
  sub: Binding[] | null;
  second: Binding[] | null;
}

export interface SqlGrammarOptions {
  /** the grammar of what follows a forced "SELECT " prefix */
  afterSelect?: boolean;
  /** `<think>free text</think>` and a newline before the SQL */
  reasoning?: boolean;
  maxReasoningChars?: number;
  /** fix every query's FROM to these tables and aliases, and let it name only the columns in scope there */
  scope?: QueryScopes;
}

/** The name a binding's columns are qualified with (its alias, else its table). */
export const qualifierOf = (b: Binding) => b.alias ?? b.table;

/**
 * One SQLite SELECT (see the header) over the schema's tables, views and columns; with `scope`, only over the given
 * FROM clauses, each column reference resolving where it stands.
 */
export function sqlGrammar(schema: DbSchema, options: SqlGrammarOptions = {}): GrammarSpec {
  const relations = relationsOf(schema).filter((r) => r.columns.length > 0);
  if (relations.length === 0) throw new Error('sqlGrammar needs a schema with at least one table');
  const byName = new Map(relations.map((r) => [r.name.toLowerCase(), r]));
  const B = SQL_BOUNDS;
  const rules: string[] = [];
  const rule = (name: string, body: string) => rules.push(`${name} ::= ${body}`);
  const scope = options.scope;

  // reasoning comes before the SQL, so a forced "SELECT " prefix does not apply to it
  const after = options.afterSelect && !options.reasoning;
  const think = options.reasoning ? `"<think>" [^<]{0,${options.maxReasoningChars ?? DEFAULT_REASONING_CHARS}} "</think>\\n" ` : '';
  // a single query, or two subquery-sized parts joined by UNION / INTERSECT / EXCEPT; parts have no ORDER BY or
  // LIMIT of their own (SQLite refuses them before the operator), the compound may end with a LIMIT
  const first = after ? '' : `${kw('SELECT')} sp `;
  if (!scope) rule('root', `${think}(${first}body-top | ${first}body-part sp set-op sp select-part limit?) ";"?`);
  else if (scope.second) rule('root', `${think}${first}body-part sp set-op sp select-part2 limit? ";"?`);
  else rule('root', `${think}${first}body-top ";"?`);

  // spacing: one space between words, an optional one around punctuation (Spider writes `name ,  age`)
  rule('sp', '" "');
  rule('osp', '" "?');
  rule('comma', 'osp "," osp');
  rule('alias', '[T] [1-9] | [t] [1-9]');
  rule('unumber', `[0-9]{1,${B.intDigits}} ("." [0-9]{1,${B.fracDigits}})?`);
  rule('number', '"-"? unumber');
  // no `--` or `/*` inside a literal either (no output may hold a comment opener): a '-' or '/' is followed by a
  // character that is neither of them nor '*' ('2009-01-01', 'Jean-Pierre'), so a unit is one or two characters;
  // one '' escape at most, escapes counted as characters would double the worst case
  rule('schar', `[^'\\-/\\x00-\\x1f] | [\\-/] [^'\\-/*\\x00-\\x1f]`);
  rule('string', `"'" schar{0,${B.stringChars}} ("''" schar{0,${B.stringChars >> 2}})? "'"`);
  rule('null', kw('NULL'));
  rule('literal', 'number | string | null');
  rule('arith', '"+" | "-" | "*" | "/"');
  rule('cmp', '"=" | "==" | "!=" | "<>" | "<=" | ">=" | "<" | ">"');
  rule('not', `${kw('NOT')} sp`);
  rule('andor', `sp (${kw('AND')} | ${kw('OR')}) sp`);
  rule('in-list', `literal (comma literal){0,${B.inList - 1}}`);
  rule('set-op', `${kw('UNION')} (sp ${kw('ALL')})? | ${kw('INTERSECT')} | ${kw('EXCEPT')}`);
  rule('join-kw', `sp ((${kw('INNER')} | ${kw('LEFT')}) sp)? ${kw('JOIN')} sp`);
  rule('limit', `sp ${kw('LIMIT')} sp [0-9]{1,3} (sp ${kw('OFFSET')} sp [0-9]{1,3})?`);

  /** Expressions over one column-reference rule `c` (suffix X): the rules that differ between scopes. */
  const expressions = (X: string, qualifiers: string) => {
    rule(`agg${X}`, `${kw('COUNT')} osp "(" osp "*" osp ")" | (${['COUNT', 'SUM', 'AVG', 'MIN', 'MAX'].map(kw).join(' | ')}) osp "(" osp (${kw('DISTINCT')} sp)? colref${X} osp ")"`);
    rule(`value${X}`, `colref${X} | agg${X} | number`);
    // after an operator a number has no sign: `weight - -5` would be one space from `weight--5`, a comment
    rule(`uvalue${X}`, `colref${X} | agg${X} | unumber`);
    // no nesting: `a * b + c` is as far as arithmetic goes
    rule(`operand${X}`, `value${X} (osp arith osp uvalue${X})?`);
    rule(`expr${X}`, `operand${X} | string | null`);
    rule(
      `pred${X}`,
      [
        `operand${X} osp cmp osp (value${X} | string | null)`,
        `value${X} sp not? ${kw('BETWEEN')} sp literal sp ${kw('AND')} sp literal`,
        `value${X} sp not? ${kw('LIKE')} sp string`,
        `value${X} sp not? ${kw('IN')} osp "(" osp in-list osp ")"`,
        `value${X} sp ${kw('IS')} sp not? null`,
      ].join(' | '),
    );
    rule(`cond${X}`, `not? pred${X}`);
    // one level of parentheses, top query only, for `(a OR b) AND c`
    rule(`cond-group${X}`, `cond${X} | "(" osp pred${X} andor pred${X} osp ")"`);
    rule(`item${X}`, `"*" | ${qualifiers ? `(${qualifiers}) "." "*" | ` : ''}expr${X}`);
    rule(`order-term${X}`, `expr${X} (sp (${kw('ASC')} | ${kw('DESC')}))?`);
  };

  /**
   * One query's body after "SELECT ": its items, its FROM (`from`), filters over expressions X, and a subquery
   * (rule `sub`, or none) in one condition. Top queries (`top`) have more room and a parenthesised condition.
   */
  const body = (name: string, X: string, from: string, top: boolean, sub: string | null, orderBy: boolean) => {
    const level = top ? 0 : 1;
    const head = `(${kw('DISTINCT')} sp)? item${X} (comma item${X}){0,${B.items[level] - 1}} sp ${kw('FROM')} sp ${from}`;
    const cond = top ? `cond-group${X}` : `cond${X}`;
    const where = `sp ${kw('WHERE')} sp ${cond} (andor ${cond}){0,${B.conditions[level] - 1}}`;
    const groupBy = `sp ${kw('GROUP')} sp ${kw('BY')} sp colref${X} (comma colref${X}){0,${B.groupBy[level] - 1}}`;
    const having = `sp ${kw('HAVING')} sp`;
    let filters = `(${where})? (${groupBy} (${having} cond${X})?)?`;
    if (sub) {
      // the one condition that holds a subquery (one per query keeps the worst case short)
      const predSub = `(operand${X} osp cmp osp ${sub} | operand${X} sp not? ${kw('IN')} osp ${sub} | not? ${kw('EXISTS')} osp ${sub})`;
      const whereSub = `sp ${kw('WHERE')} sp (${cond} andor)? ${predSub} (andor ${cond})?`;
      filters = `(${whereSub} (${groupBy} (${having} cond${X})?)? | (${where})? ${groupBy} ${having} ${predSub} | ${filters})`;
    }
    const order = orderBy ? ` (sp ${kw('ORDER')} sp ${kw('BY')} sp order-term${X} (comma order-term${X}){0,${B.orderBy[level] - 1}})?` : '';
    rule(name, `${head} ${filters}${order}${orderBy ? ' limit?' : ''}`);
  };

  if (!scope) {
    // any table, any column: the scope is checked after decoding (scope.ts)
    rule('table', gbnfTrie(relations.map((r) => sqlIdentifier(r.name))));
    rule('column', gbnfTrie(relations.flatMap((r) => r.columns.map(sqlIdentifier))));
    rule('colref', '((alias | table) ".")? column');
    expressions('', 'alias | table');
    rule('table-ref', `table (sp (${kw('AS')} sp)? alias)?`);
    rule('join', `join-kw table-ref (sp ${kw('ON')} sp colref osp "=" osp colref)?`);
    rule('sub', `"(" osp ${kw('SELECT')} sp body-sub osp ")"`);
    body('body-top', '', `table-ref join{0,${B.joins[0]}}`, true, 'sub', true);
    body('body-sub', '', `table-ref join{0,${B.joins[1]}}`, false, null, true);
    body('body-part', '', `table-ref join{0,${B.joins[1]}}`, false, null, false);
    rule('select-part', `${kw('SELECT')} sp body-part`);
    return { kind: 'gbnf', name: grammarName(options), source: `${rules.join('\n')}\n` };
  }

  /** Rules for one FROM scope (suffix X): its FROM clause, its column references and its expressions. */
  const scoped = (X: string, bindings: Binding[]) => {
    const tables = bindings.map((b) => {
      const r = byName.get(b.table.toLowerCase());
      if (!r) throw new Error(`no table ${b.table} in the schema`);
      return r;
    });
    const qualifiers = bindings.map((b, i) => (b.alias ?? sqlIdentifier(tables[i]!.name)));
    const qualified = (upTo: number) =>
      bindings.slice(0, upTo).map((_, i) => `${gbnfLiteral(qualifiers[i]!)} "." ${gbnfTrie(tables[i]!.columns.map(sqlIdentifier))}`);
    // a bare column must name a column of exactly one table in scope (else SQLite calls it ambiguous)
    const owners = new Map<string, number>();
    for (const r of tables) for (const c of new Set(r.columns.map((c) => c.toLowerCase()))) owners.set(c, (owners.get(c) ?? 0) + 1);
    const bare = tables.flatMap((r) => r.columns.filter((c) => owners.get(c.toLowerCase()) === 1).map(sqlIdentifier));
    rule(`colref${X}`, [...qualified(bindings.length), ...(bare.length ? [gbnfTrie(bare)] : [])].join(' | '));
    expressions(X, qualifiers.map(gbnfLiteral).join(' | '));
    const ref = (i: number) => `${gbnfLiteral(sqlIdentifier(tables[i]!.name))}${bindings[i]!.alias ? ` sp (${kw('AS')} sp)? ${gbnfLiteral(bindings[i]!.alias!)}` : ''}`;
    // an ON condition names tables declared up to its JOIN, always qualified
    const joins = bindings.slice(1).map((_, k) => {
      rule(`on${X}-${k + 1}`, qualified(k + 2).join(' | '));
      return `join-kw ${ref(k + 1)} (sp ${kw('ON')} sp on${X}-${k + 1} osp "=" osp on${X}-${k + 1})?`;
    });
    rule(`from${X}`, [ref(0), ...joins].join(' '));
  };

  scoped('-s0', scope.top);
  if (scope.second) {
    scoped('-s2', scope.second);
    body('body-part', '-s0', 'from-s0', false, null, false);
    body('body-part2', '-s2', 'from-s2', false, null, false);
    rule('select-part2', `${kw('SELECT')} sp body-part2`);
  } else {
    if (scope.sub) {
      scoped('-s1', scope.sub);
      body('body-sub', '-s1', 'from-s1', false, null, true);
      rule('sub', `"(" osp ${kw('SELECT')} sp body-sub osp ")"`);
    }
    body('body-top', '-s0', 'from-s0', true, scope.sub ? 'sub' : null, true);
  }
  return { kind: 'gbnf', name: `${grammarName(options)}-scoped`, source: `${rules.join('\n')}\n` };
}

const grammarName = (o: SqlGrammarOptions) => (o.reasoning ? 'sql-reasoning' : o.afterSelect ? 'sql-after-select' : 'sql');

const MAX_LINKED_TABLES = 8;
const MAX_LINKED_COLUMNS = 12;

/**
 * ROUTE's schema-linking answer, `{"tables": [{"table": name, "columns": [names of that table]}]}`, as a JSON
 * schema (the columns enum depends on the table, hence one alternative per table); arrays are bounded.
 */
export function schemaLinkJsonGrammar(schema: DbSchema): GrammarSpec {
  const relations = relationsOf(schema).filter((r) => r.columns.length > 0);
  if (relations.length === 0) throw new Error('schemaLinkJsonGrammar needs a schema with at least one table');
  const entry = (r: Relation) => ({
    type: 'object',
    properties: {
      table: { const: r.name },
      columns: { type: 'array', items: { enum: [...new Set(r.columns)] }, maxItems: Math.min(new Set(r.columns).size, MAX_LINKED_COLUMNS) },
    },
    required: ['table', 'columns'],
    additionalProperties: false,
  });
  return {
    kind: 'json',
    name: 'schema-link',
    schema: {
      type: 'object',
      properties: {
        tables: {
          type: 'array',
          items: relations.length === 1 ? entry(relations[0]!) : { oneOf: relations.map(entry) },
          maxItems: Math.min(relations.length, MAX_LINKED_TABLES),
        },
      },
      required: ['tables'],
      additionalProperties: false,
    },
  };
}

/** LR-SQL's table-linking answer: `-- Tables: a, b;` naming only the given tables, or `#None#`. */
export function tableListGrammar(tableNames: string[]): GrammarSpec {
  const names = [...new Set(tableNames)];
  const list = names.length === 0 ? '' : `"-- Tables: " name (", " name){0,${Math.min(names.length - 1, MAX_LINKED_TABLES - 1)}} ";" | `;
  const source = `root ::= ${list}"#None#"\n${names.length ? `name ::= ${gbnfTrie(names)}\n` : ''}`;
  return { kind: 'gbnf', name: 'table-list', source };
}
