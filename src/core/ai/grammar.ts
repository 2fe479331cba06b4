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
 * a whole query ~4,000: grammarCheck.ts `longestText` measures 3,950 for concert_singer and at most 4,900 over
 * Spider's dev databases. That is the sum of every bound at once; real answers are far shorter (Spider's longest
 * gold query has 410 characters), and random-weight models sampled at temperature 1 under it end after 50-90
 * tokens (grammar.test.ts checks 20+ of them end within 400).
 */
import type { DbSchema } from '../../shared/contract/index.ts';
import type { GrammarSpec } from '../llm/textModel.ts';

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

export interface SqlGrammarOptions {
  /** the grammar of what follows a forced "SELECT " prefix */
  afterSelect?: boolean;
  /** `<think>free text</think>` and a newline before the SQL */
  reasoning?: boolean;
  maxReasoningChars?: number;
}

/** One SQLite SELECT (see the header) over the schema's tables, views and columns. */
export function sqlGrammar(schema: DbSchema, options: SqlGrammarOptions = {}): GrammarSpec {
  const relations = relationsOf(schema).filter((r) => r.columns.length > 0);
  if (relations.length === 0) throw new Error('sqlGrammar needs a schema with at least one table');
  const B = SQL_BOUNDS;
  const rules: string[] = [];
  const rule = (name: string, body: string) => rules.push(`${name} ::= ${body}`);

  // reasoning comes before the SQL, so a forced "SELECT " prefix does not apply to it
  const after = options.afterSelect && !options.reasoning;
  const think = options.reasoning ? `"<think>" [^<]{0,${options.maxReasoningChars ?? DEFAULT_REASONING_CHARS}} "</think>\\n" ` : '';
  // a single query, or two subquery-sized ones joined by UNION / INTERSECT / EXCEPT
  const [single, part] = after ? ['select-body-0', 'select-body-1'] : ['select-0', 'select-1'];
  rule('root', `${think}(${single} | ${part} sp set-op sp select-1) ";"?`);

  // spacing: one space between words, an optional one around punctuation (Spider writes `name ,  age`)
  rule('sp', '" "');
  rule('osp', '" "?');
  rule('comma', 'osp "," osp');
  rule('table', gbnfTrie(relations.map((r) => sqlIdentifier(r.name))));
  rule('column', gbnfTrie(relations.flatMap((r) => r.columns.map(sqlIdentifier))));
  rule('alias', '[T] [1-9] | [t] [1-9]');
  rule('colref', '((alias | table) ".")? column');
  rule('number', `"-"? [0-9]{1,${B.intDigits}} ("." [0-9]{1,${B.fracDigits}})?`);
  // one '' escape at most: escapes counted as characters would double the worst case
  rule('string', `"'" [^'\\x00-\\x1f]{0,${B.stringChars}} ("''" [^'\\x00-\\x1f]{0,${B.stringChars >> 2}})? "'"`);
  rule('null', kw('NULL'));
  rule('literal', 'number | string | null');
  rule('agg', `${kw('COUNT')} osp "(" osp "*" osp ")" | (${['COUNT', 'SUM', 'AVG', 'MIN', 'MAX'].map(kw).join(' | ')}) osp "(" osp (${kw('DISTINCT')} sp)? colref osp ")"`);
  rule('value', 'colref | agg | number');
  rule('arith', '"+" | "-" | "*" | "/"');
  // no nesting: `a * b + c` is as far as arithmetic goes
  rule('operand', 'value (osp arith osp value)?');
  rule('expr', 'operand | string | null');
  rule('cmp', '"=" | "==" | "!=" | "<>" | "<=" | ">=" | "<" | ">"');
  rule('not', `${kw('NOT')} sp`);
  rule('andor', `sp (${kw('AND')} | ${kw('OR')}) sp`);
  rule('in-list', `literal (comma literal){0,${B.inList - 1}}`);
  rule(
    'pred',
    [
      'operand osp cmp osp (value | string | null)',
      `value sp not? ${kw('BETWEEN')} sp literal sp ${kw('AND')} sp literal`,
      `value sp not? ${kw('LIKE')} sp string`,
      `value sp not? ${kw('IN')} osp "(" osp in-list osp ")"`,
      `value sp ${kw('IS')} sp not? null`,
    ].join(' | '),
  );
  rule('cond', 'not? pred');
  // one level of parentheses, top query only, for `(a OR b) AND c`
  rule('cond-group', 'cond | "(" osp pred andor pred osp ")"');
  // the one condition of a top query that holds a subquery (one subquery per query keeps the worst case short)
  rule('sub', '"(" osp select-1 osp ")"');
  rule('pred-sub', `operand osp cmp osp sub | operand sp not? ${kw('IN')} osp sub | not? ${kw('EXISTS')} osp sub`);
  rule('set-op', `${kw('UNION')} (sp ${kw('ALL')})? | ${kw('INTERSECT')} | ${kw('EXCEPT')}`);
  rule('table-ref', `table (sp (${kw('AS')} sp)? alias)?`);
  rule('join', `sp ((${kw('INNER')} | ${kw('LEFT')}) sp)? ${kw('JOIN')} sp table-ref (sp ${kw('ON')} sp colref osp "=" osp colref)?`);
  rule('item', '"*" | (alias | table) "." "*" | expr');
  rule('order-term', `expr (sp (${kw('ASC')} | ${kw('DESC')}))?`);
  rule('limit', `sp ${kw('LIMIT')} sp [0-9]{1,3} (sp ${kw('OFFSET')} sp [0-9]{1,3})?`);
  const groupBy = `sp ${kw('GROUP')} sp ${kw('BY')} sp colref`;
  const having = `sp ${kw('HAVING')} sp `;

  // level 0: the top query; level 1: a subquery or a part of a compound query, smaller and without subqueries
  for (const level of [0, 1] as const) {
    const L = `-${level}`;
    rule(`select${L}`, `${kw('SELECT')} sp select-body${L}`);
    const head = `(${kw('DISTINCT')} sp)? item (comma item){0,${B.items[level] - 1}} sp ${kw('FROM')} sp table-ref join{0,${B.joins[level]}}`;
    const filters = level === 0 ? '(where-0s group-0? | where-0? group-0s | where-0? group-0?)' : 'where-1? group-1?';
    rule(`select-body${L}`, `${head} ${filters} order${L}? limit?`);
    const cond = level === 0 ? 'cond-group' : 'cond';
    rule(`where${L}`, `sp ${kw('WHERE')} sp ${cond} (andor ${cond}){0,${B.conditions[level] - 1}}`);
    rule(`group${L}`, `${groupBy} (comma colref){0,${B.groupBy[level] - 1}} (${having}cond)?`);
    rule(`order${L}`, `sp ${kw('ORDER')} sp ${kw('BY')} sp order-term (comma order-term){0,${B.orderBy[level] - 1}}`);
  }
  rule('where-0s', `sp ${kw('WHERE')} sp (cond-group andor)? pred-sub (andor cond-group)?`);
  rule('group-0s', `${groupBy} (comma colref){0,${B.groupBy[0] - 1}} ${having}pred-sub`);
  return { kind: 'gbnf', name: options.reasoning ? 'sql-reasoning' : options.afterSelect ? 'sql-after-select' : 'sql', source: `${rules.join('\n')}\n` };
}

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
