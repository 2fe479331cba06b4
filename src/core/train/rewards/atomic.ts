/**
 * FINER-SQL's atomic operations: an SQL as a list of small structural facts (which tables, joins, selected columns,
 * predicates, grouping, ordering…) read from a real AST (sql-parser-cst, SQLite dialect), and the Jaccard similarity
 * of two such SETS as a dense partial-credit signal for a query that runs but returns the wrong rows.
 *
 * Canonical forms, so that equivalent spellings give the same set:
 * - table aliases renamed T1, T2… per SELECT, in order of appearance in its FROM (alias names are free choices);
 * - keywords and operators from the parser's canonical names (case and whitespace never reach an operation);
 * - table and column names lower-cased (SQLite resolves them case-insensitively); qualifiers dropped except in ON,
 *   where they say which tables are joined;
 * - AND chains flattened and sorted; OR / NOT trees kept whole (rendered canonically, their AND/OR operands sorted);
 * - ORDER BY a result alias or a result position (`ORDER BY 1`) resolved to the expression it names.
 *
 * Differences from the authors' atomic_ops.py (thanhdath/finer-sql), where the issue or SQLite semantics decide:
 * - every joined table gets its canonical alias (the authors register only the FROM clause's first table, so an ON
 *   condition shows the raw alias of a joined table), and each SELECT has its own alias scope (their JOIN search
 *   also descends into subqueries);
 * - ON_EQ's two sides are sorted (`a = b` is `b = a`);
 * - no ALIAS(...) operations: an output column's name is a free choice and changes no row;
 * - TOTAL and GROUP_CONCAT count as aggregates too (SQLite's), with DISTINCT kept in SELECT_AGG's arguments;
 * - a double-quoted name on the right of a comparison is read as the string SQLite's legacy rule makes of it
 *   (Spider's gold SQL writes `name = "Bob"`), so it matches a prediction's 'Bob';
 * - an SQL that does not parse gives null (theirs: an empty set, and Jaccard 0 when both sides are empty; the
 *   issue says both empty -> 1, see `jaccard`).
 */
import { parse } from 'sql-parser-cst';
import { tokenize } from '../../../shared/sql/tokenize.ts';

type Node = { type: string; [key: string]: unknown };

const AGGREGATES = new Set(['COUNT', 'SUM', 'AVG', 'MIN', 'MAX', 'TOTAL', 'GROUP_CONCAT']);
/** comparison operators kept as WHERE_PRED(op, lhs, rhs); others render as a tree */
const COMPARISONS: Record<string, string> = {
  '=': '=', '==': '=', '!=': '!=', '<>': '!=', '<': '<', '<=': '<=', '>': '>', '>=': '>=',
  LIKE: 'LIKE', 'NOT LIKE': 'NOT LIKE', GLOB: 'GLOB', 'NOT GLOB': 'NOT GLOB', IS: 'IS', 'IS NOT': 'IS NOT',
  IN: 'IN', 'NOT IN': 'NOT IN', MATCH: 'MATCH', REGEXP: 'REGEXP', 'NOT REGEXP': 'NOT REGEXP',
};

interface Scope {
  aliases: Map<string, string>;
  /** output alias -> the rendered expression it names (ORDER BY reads it) */
  outputs: Map<string, string>;
  /** result columns in order (ORDER BY 1) */
  columns: string[];
}

/** Where an expression stands: the role names subqueries (ENTER_SUBQUERY(WHERE_IN)), `table` keeps qualifiers. */
interface Ctx {
  role: string;
  table: boolean;
}

const isNode = (x: unknown): x is Node => typeof x === 'object' && x !== null && typeof (x as Node).type === 'string';
const lower = (s: string) => s.toLowerCase();

/** An operator as one canonical upper-case string: `<>`, `NOT IN`, `IS NOT`, `UNION ALL`. */
function opName(op: unknown): string {
  if (typeof op === 'string') return op.toUpperCase();
  if (Array.isArray(op)) return op.map(opName).join(' ');
  if (isNode(op) && op.type === 'keyword') return String(op.name);
  return String(op);
}

type QueryNode = Node & { type: 'select_stmt' | 'compound_select_stmt' };
const isQuery = (n: unknown): n is QueryNode => isNode(n) && (n.type === 'select_stmt' || n.type === 'compound_select_stmt');
/** the query inside `( … )`, if that is what the node is */
function subqueryOf(n: Node): Node | null {
  if (isQuery(n)) return n;
  return n.type === 'paren_expr' && isQuery(n.expr) ? n.expr : null;
}

class Emitter {
  readonly ops: string[] = [];
  private readonly scopes: Scope[] = [];

  /** the canonical alias of a qualifier, innermost scope first; an unknown one keeps its (lower-cased) name */
  canon(name: string): string {
    const key = lower(name);
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const hit = this.scopes[i]!.aliases.get(key);
      if (hit) return hit;
    }
    return key;
  }

  private register(key: string): string {
    const scope = this.scopes.at(-1)!;
    const existing = scope.aliases.get(key);
    if (existing) return existing;
    const t = `T${scope.aliases.size + 1}`;
    scope.aliases.set(key, t);
    return t;
  }

  /** ops emitted by `f` into a buffer of their own (to sort predicate groups) */
  private capture(f: () => void): string[] {
    const start = this.ops.length;
    f();
    return this.ops.splice(start);
  }

  subquery(kind: string, node: Node): void {
    this.ops.push(`ENTER_SUBQUERY(${kind})`);
    this.query(node);
    this.ops.push('EXIT_SUBQUERY');
  }

  query(node: Node): void {
    if (node.type === 'compound_select_stmt') {
      this.query(node.left as Node);
      this.ops.push(opName(node.operator).replace(/ /g, '_'));
      this.subquery('SET_RIGHT', node.right as Node);
      return;
    }
    if (node.type === 'paren_expr' && isNode(node.expr)) return this.query(node.expr);
    if (node.type !== 'select_stmt') {
      this.ops.push(`STATEMENT(${node.type})`);
      return;
    }
    this.scopes.push({ aliases: new Map(), outputs: new Map(), columns: [] });
    const clauses = node.clauses as Node[];
    const clause = (type: string) => clauses.find((c) => c.type === type);
    const withClause = clause('with_clause');
    if (withClause) this.with(withClause);
    const from = clause('from_clause');
    if (from) this.from(from.expr as Node);
    const select = clause('select_clause');
    if (select) this.select(select);
    const where = clause('where_clause');
    if (where) this.predicates(where.expr as Node, 'WHERE_PRED', { role: 'WHERE', table: false });
    const group = clause('group_by_clause');
    if (group) for (const item of listItems(group.columns)) this.ops.push(`GROUP_BY(${this.fmt(item, { role: 'GROUP_BY', table: false })})`);
    const having = clause('having_clause');
    if (having) this.predicates(having.expr as Node, 'HAVING_PRED', { role: 'HAVING', table: false });
    const order = clause('order_by_clause');
    if (order) for (const spec of listItems(order.specifications)) this.ops.push(`ORDER_BY(${this.sortSpec(spec, true)})`);
    const limit = clause('limit_clause');
    if (limit) {
      const ctx = { role: 'LIMIT', table: false };
      if (isNode(limit.count)) this.ops.push(`LIMIT(${this.literalOrExpr(limit.count, ctx)})`);
      if (isNode(limit.offset)) this.ops.push(`OFFSET(${this.literalOrExpr(limit.offset, ctx)})`);
    }
    const known = new Set(['with_clause', 'from_clause', 'select_clause', 'where_clause', 'group_by_clause', 'having_clause', 'order_by_clause', 'limit_clause']);
    for (const c of clauses) if (!known.has(c.type)) this.ops.push(`CLAUSE(${this.fmt(c, { role: 'CLAUSE', table: false })})`);
    this.scopes.pop();
  }

  private with(node: Node): void {
    for (const cte of listItems(node.tables)) {
      const name = isNode(cte.table) ? lower(String(cte.table.name)) : 'cte';
      this.ops.push(`WITH_CTE(${name})`);
      this.subquery('CTE', cte.expr as Node);
    }
  }

  /** the FROM clause: join tree left to right, each source declared T1, T2… */
  private from(node: Node): void {
    if (node.type === 'join_expr') {
      this.from(node.left as Node);
      const op = opName(node.operator);
      const words = op === ',' ? [] : op.split(' ').filter((w) => w !== 'JOIN' && w !== 'OUTER');
      this.source(node.right as Node, words.length ? words.join(' ') : 'INNER');
      const spec = node.specification;
      if (isNode(spec) && spec.type === 'join_on_specification') this.on(spec.expr as Node);
      else if (isNode(spec) && spec.type === 'join_using_specification') {
        const cols = listItems((spec.expr as Node).expr).map((c) => lower(String(c.name))).sort();
        this.ops.push(`ON_USING(${cols.join(', ')})`);
      }
      return;
    }
    this.source(node, null);
  }

  private source(node: Node, joinKind: string | null): void {
    let expr = node;
    let alias: string | null = null;
    if (node.type === 'alias') {
      expr = node.expr as Node;
      alias = String((node.alias as Node).name);
    }
    const sub = subqueryOf(expr);
    if (expr.type === 'paren_expr' && !sub && isNode(expr.expr)) return this.from(expr.expr); // ( a JOIN b )
    let name: string;
    if (sub) {
      this.subquery(joinKind === null ? 'FROM' : 'JOIN', sub);
      name = 'SUBQUERY';
    } else if (expr.type === 'identifier') name = lower(String(expr.name));
    else if (expr.type === 'member_expr' && isNode(expr.property)) name = lower(String(expr.property.name)); // schema.table
    else name = this.fmt(expr, { role: 'FROM', table: false }); // a table-valued function
    const t = this.register(lower(alias ?? (sub ? `(subquery ${this.ops.length})` : name)));
    this.ops.push(joinKind === null ? `FROM(${name} as ${t})` : `JOIN(${name}, ${joinKind})`);
  }

  private on(expr: Node): void {
    const ctx = { role: 'ON', table: true };
    for (const p of conjuncts(expr)) {
      if (p.type === 'binary_expr' && COMPARISONS[opName(p.operator)] === '=') {
        const sides = [this.fmt(p.left as Node, ctx), this.fmt(p.right as Node, ctx)].sort();
        this.ops.push(`ON_EQ(${sides.join(', ')})`);
      } else if (isTree(p)) this.ops.push(`ON_PRED_TREE(${this.fmt(p, ctx)})`);
      else this.ops.push(this.predicate('ON_PRED', p, ctx));
    }
  }

  private select(node: Node): void {
    const scope = this.scopes.at(-1)!;
    const ctx = { role: 'SELECT', table: false };
    for (const item of listItems(node.columns)) {
      let target = item;
      let alias: string | null = null;
      if (item.type === 'alias') {
        target = item.expr as Node;
        alias = lower(String((item.alias as Node).name));
      }
      let rendered: string;
      if (target.type === 'func_call' && isNode(target.over)) {
        const [name, args] = this.funcParts(target, ctx);
        this.ops.push(`WINDOW(${this.windowSpec(target.over, ctx)})`);
        this.ops.push(`SELECT_WIN(${name}${args ? `, ${args}` : ''})`);
        rendered = this.fmt(target, ctx);
      } else if (target.type === 'func_call' && AGGREGATES.has(this.funcParts(target, ctx)[0]) && !isNode(target.filter)) {
        const [name, args] = this.funcParts(target, ctx);
        this.ops.push(`SELECT_AGG(${name}, ${args})`);
        rendered = `${name}(${args})`;
      } else if (target.type === 'identifier' || target.type === 'member_expr' || target.type === 'all_columns') {
        rendered = this.fmt(target, ctx);
        this.ops.push(`SELECT_COL(${rendered})`);
      } else {
        rendered = this.fmt(target, ctx);
        this.ops.push(`SELECT_EXPR(${rendered})`);
      }
      scope.columns.push(rendered);
      if (alias) scope.outputs.set(alias, rendered);
    }
    if ((node.modifiers as Node[] | undefined)?.some((m) => m.type === 'select_distinct')) this.ops.push('DISTINCT');
  }

  /** `expr DIR`; in ORDER BY a result alias or position stands for its expression */
  private sortSpec(spec: Node, resolve: boolean): string {
    const ctx = { role: 'ORDER_BY', table: false };
    const dir = isNode(spec.direction) && spec.direction.type === 'sort_direction_desc' ? 'DESC' : 'ASC';
    const expr = spec.type === 'sort_specification' ? (spec.expr as Node) : spec;
    let text: string | undefined;
    if (resolve) {
      const scope = this.scopes.at(-1)!;
      if (expr.type === 'identifier') text = scope.outputs.get(lower(String(expr.name)));
      if (expr.type === 'number_literal') text = scope.columns[Number(expr.value) - 1];
    }
    return `${text ?? this.fmt(expr, ctx)}, ${dir}`;
  }

  private windowSpec(over: Node, ctx: Ctx): string {
    const win = over.window as Node;
    const def = win.type === 'paren_expr' ? (win.expr as Node) : win;
    if (def.type !== 'window_definition') return this.fmt(def, ctx); // a named window
    const parts: string[] = [];
    if (isNode(def.baseWindowName)) parts.push(`base=${lower(String(def.baseWindowName.name))}`);
    if (isNode(def.partitionBy)) parts.push(`partition_by=[${listItems(def.partitionBy.specifications).map((x) => this.fmt(x, ctx)).join(', ')}]`);
    if (isNode(def.orderBy)) parts.push(`order_by=[${listItems(def.orderBy.specifications).map((s) => this.sortSpec(s, false).replace(', ', ' ')).join(', ')}]`);
    if (isNode(def.frame)) parts.push(`frame=${this.fmt(def.frame, ctx)}`);
    return parts.length ? parts.join(', ') : 'default';
  }

  /** WHERE / HAVING: one operation per conjunct of the flattened AND chain, sorted by the predicate */
  private predicates(expr: Node, kind: string, ctx: Ctx): void {
    const groups = conjuncts(expr).map((p) =>
      this.capture(() => {
        this.ops.push(isTree(p) ? `${kind}_TREE(${this.fmt(p, ctx)})` : this.predicate(kind, p, ctx));
      }),
    );
    groups.sort((a, b) => (a.at(-1)! < b.at(-1)! ? -1 : a.at(-1)! > b.at(-1)! ? 1 : 0));
    for (const g of groups) this.ops.push(...g);
  }

  private predicate(kind: string, p: Node, ctx: Ctx): string {
    if (p.type === 'binary_expr') {
      const op = COMPARISONS[opName(p.operator)];
      if (op) {
        const right = p.right as Node;
        let rhs: string;
        if ((op === 'IN' || op === 'NOT IN') && right.type === 'paren_expr' && isNode(right.expr) && right.expr.type === 'list_expr') {
          rhs = `[${listItems(right.expr).map((v) => this.operand(v, ctx)).join(', ')}]`;
        } else rhs = op === 'IN' || op === 'NOT IN' ? this.fmt(right, { ...ctx, role: `${ctx.role}_IN` }) : this.operand(right, ctx);
        return `${kind}(${op}, ${this.fmt(p.left as Node, ctx)}, ${rhs})`;
      }
    }
    if (p.type === 'between_expr') {
      const op = opName(p.betweenKw) === 'NOT BETWEEN' ? 'NOT BETWEEN' : 'BETWEEN';
      return `${kind}(${op}, ${this.fmt(p.left as Node, ctx)}, [${this.operand(p.begin as Node, ctx)}, ${this.operand(p.end as Node, ctx)}])`;
    }
    if (p.type === 'postfix_op_expr') {
      const op = opName(p.operator) === 'ISNULL' ? 'IS' : 'IS NOT';
      return `${kind}(${op}, ${this.fmt(p.expr as Node, ctx)}, VALUE(NULL))`;
    }
    if (p.type === 'prefix_op_expr' && opName(p.operator) === 'EXISTS') return `${kind}(EXISTS, ${this.fmt(p.expr as Node, { ...ctx, role: `${ctx.role}_EXISTS` })})`;
    return `${kind}_TREE(${this.fmt(p, ctx)})`;
  }

  /** a comparison's value side: a bare double-quoted name there is SQLite's legacy string */
  private operand(node: Node, ctx: Ctx): string {
    if (node.type === 'identifier' && typeof node.text === 'string' && node.text.startsWith('"')) return `VALUE('${String(node.name)}')`;
    return this.fmt(node, ctx);
  }

  private literalOrExpr(node: Node, ctx: Ctx): string {
    return node.type === 'number_literal' ? String(node.text ?? node.value) : this.fmt(node, ctx);
  }

  private funcParts(node: Node, ctx: Ctx): [string, string] {
    const nameNode = node.name as Node;
    const name = (nameNode.type === 'identifier' ? String(nameNode.name) : opName(nameNode)).toUpperCase();
    const args = isNode(node.args) && node.args.type === 'paren_expr' ? (node.args.expr as Node) : null;
    if (!args) return [name, ''];
    if (args.type !== 'func_args') return [name, this.fmt(args, ctx)];
    const rendered = listItems(args.args).map((a) => this.fmt(a, ctx)).join(', ');
    return [name, isNode(args.distinctKw) ? `DISTINCT ${rendered}` : rendered];
  }

  /** The canonical text of an expression (never its source text: case, whitespace and aliases must not show). */
  fmt(node: Node, ctx: Ctx): string {
    const sub = subqueryOf(node);
    if (sub) {
      const form = ctx.role.endsWith('_IN') || ctx.role.endsWith('_EXISTS') ? ctx.role : `${ctx.role}_SCALAR`;
      this.subquery(form, sub);
      return 'SUBQUERY';
    }
    const child = (n: unknown) => (isNode(n) ? this.fmt(n, ctx) : '');
    switch (node.type) {
      case 'identifier':
        return lower(String(node.name));
      case 'member_expr': {
        const property = node.property as Node;
        const column = property.type === 'all_columns' ? '*' : lower(String(property.name));
        const object = node.object as Node;
        if (!ctx.table) return column;
        const qualifier = object.type === 'identifier' ? this.canon(String(object.name)) : object.type === 'member_expr' ? this.canon(String((object.property as Node).name)) : child(object);
        return `${qualifier}.${column}`;
      }
      case 'all_columns':
        return '*';
      case 'number_literal':
        return `VALUE(${String(node.text ?? node.value)})`;
      case 'string_literal':
        return `VALUE('${String(node.value)}')`;
      case 'null_literal':
        return 'VALUE(NULL)';
      case 'boolean_literal':
        return `VALUE(${String(node.value).toUpperCase()})`;
      case 'blob_literal':
        return `VALUE(X'${String(node.text ?? '').replace(/^x'|'$/gi, '').toLowerCase()}')`;
      case 'paren_expr':
        return isNode(node.expr) && node.expr.type === 'list_expr' ? `(${child(node.expr)})` : child(node.expr);
      case 'list_expr':
        return listItems(node).map((i) => this.fmt(i, ctx)).join(', ');
      case 'func_call': {
        const [name, args] = this.funcParts(node, ctx);
        let text = `${name}(${args})`;
        if (isNode(node.filter)) text += ` FILTER (${child(node.filter)})`;
        if (isNode(node.over)) text += ` OVER (${this.windowSpec(node.over, ctx)})`;
        return text;
      }
      case 'binary_expr': {
        const op = opName(node.operator);
        if (op === 'AND' || op === 'OR') {
          const parts = chain(node, op).map((p) => this.paren(p, ctx)).sort();
          return parts.join(` ${op} `);
        }
        const canonical = COMPARISONS[op] ?? op;
        const rightCtx = canonical === 'IN' || canonical === 'NOT IN' ? { ...ctx, role: `${ctx.role}_IN` } : ctx;
        return `${this.paren(node.left as Node, ctx)} ${canonical} ${this.paren(node.right as Node, rightCtx)}`;
      }
      case 'prefix_op_expr': {
        const op = opName(node.operator);
        if (op === 'EXISTS' || op === 'NOT EXISTS') return `${op}(${this.fmt(node.expr as Node, { ...ctx, role: `${ctx.role}_EXISTS` })})`;
        return /^[A-Z]/.test(op) ? `${op} ${this.paren(node.expr as Node, ctx)}` : `${op}${this.paren(node.expr as Node, ctx)}`;
      }
      case 'postfix_op_expr': {
        const op = opName(node.operator);
        return `${this.paren(node.expr as Node, ctx)} ${op === 'ISNULL' ? 'IS NULL' : op === 'NOTNULL' || op === 'NOT NULL' ? 'IS NOT NULL' : op}`;
      }
      case 'between_expr':
        return `${this.paren(node.left as Node, ctx)} ${opName(node.betweenKw)} ${this.paren(node.begin as Node, ctx)} AND ${this.paren(node.end as Node, ctx)}`;
      case 'cast_expr': {
        const arg = (node.args as Node).expr as Node;
        return `CAST(${child(arg.expr)} AS ${generic(arg.dataType, ctx, this)})`;
      }
      case 'case_expr': {
        const parts = ['CASE'];
        if (isNode(node.expr)) parts.push(child(node.expr));
        for (const c of (node.clauses as Node[]) ?? []) {
          if (c.type === 'case_when') parts.push(`WHEN ${child(c.condition)} THEN ${child(c.result)}`);
          else parts.push(`ELSE ${child(c.result)}`);
        }
        parts.push('END');
        return parts.join(' ');
      }
      case 'sort_specification':
        return this.sortSpec(node, false).replace(', ', ' ');
      default:
        return generic(node, ctx, this);
    }
  }

  /** nested operators in parentheses, so the text keeps the tree's shape */
  private paren(node: Node, ctx: Ctx): string {
    let inner = node;
    while (inner.type === 'paren_expr' && isNode(inner.expr) && inner.expr.type !== 'list_expr' && !isQuery(inner.expr)) inner = inner.expr;
    const text = this.fmt(inner, ctx);
    return inner.type === 'binary_expr' || inner.type === 'between_expr' ? `(${text})` : text;
  }
}

/** Any other node: its type and its parts, keywords by their canonical names (never the source text). */
function generic(node: unknown, ctx: Ctx, em: Emitter): string {
  if (Array.isArray(node)) return node.map((n) => generic(n, ctx, em)).join(' ');
  if (!isNode(node)) return node === undefined || node === null ? '' : String(node);
  if (node.type === 'keyword') return String(node.name);
  if (node.type === 'data_type_name') return generic(node.name, ctx, em).toUpperCase();
  const parts: string[] = [];
  for (const [key, value] of Object.entries(node)) {
    if (key === 'type' || key === 'range' || key === 'text' || value === undefined || value === null) continue;
    const text = isNode(value) && value.type !== 'keyword' ? em.fmt(value, ctx) : generic(value, ctx, em);
    if (text) parts.push(text);
  }
  return `${node.type}(${parts.join(' ')})`;
}

const listItems = (list: unknown): Node[] => (isNode(list) && Array.isArray(list.items) ? (list.items as Node[]) : isNode(list) ? [list] : []);

/** the operands of a chain of one associative operator, through parentheses */
function chain(node: Node, op: 'AND' | 'OR'): Node[] {
  if (node.type === 'paren_expr' && isNode(node.expr) && !isQuery(node.expr)) return chain(node.expr, op);
  if (node.type === 'binary_expr' && opName(node.operator) === op) return [...chain(node.left as Node, op), ...chain(node.right as Node, op)];
  return [node];
}

const conjuncts = (expr: Node) => chain(expr, 'AND');

/** OR and NOT predicates are kept whole (NOT IN, NOT LIKE, IS NOT are comparisons, not trees) */
function isTree(p: Node): boolean {
  let n = p;
  while (n.type === 'paren_expr' && isNode(n.expr) && !isQuery(n.expr)) n = n.expr;
  if (n.type === 'binary_expr') return opName(n.operator) === 'OR';
  return n.type === 'prefix_op_expr' && opName(n.operator).startsWith('NOT');
}

const parseSqlite = (sql: string): Node | null => {
  try {
    return parse(sql, { dialect: 'sqlite', includeRange: false }) as unknown as Node;
  } catch {
    return null;
  }
};

/**
 * sql-parser-cst reserves MATCH and CAST, which SQLite lets name a table (67 of Spider's train golds use a table
 * `match`, 24 a table `cast`; 26 of BIRD's dev golds `Match`): on a parse failure, each bare `match`, and each `cast`
 * not followed by `(`, is quoted and the parse retried. A quoted name reads as the same lower-cased identifier, so
 * the operations are those of the original. (`x MATCH y`, SQLite's full-text operator, is then misread, but such a
 * query failed to parse anyway.)
 */
function quoteReserved(sql: string): string {
  const tokens = tokenize(sql);
  const next = (i: number) => tokens.slice(i + 1).find((t) => t.type !== 'space' && t.type !== 'comment');
  return tokens
    .map((t, i) => {
      const word = t.type === 'word' ? t.text.toLowerCase() : '';
      const quote = word === 'match' || (word === 'cast' && next(i)?.text !== '(');
      return quote ? `"${t.text}"` : t.text;
    })
    .join('');
}

/**
 * The atomic operations of one SQL query, in query order (duplicates possible; compare them as sets). Null when it
 * does not parse as one query (sql-parser-cst cannot read everything SQLite accepts).
 */
export function atomicOps(sql: string): string[] | null {
  const program = parseSqlite(sql) ?? (/\b(match|cast)\b/i.test(sql) ? parseSqlite(quoteReserved(sql)) : null);
  if (!program) return null;
  const statements = (program.statements as Node[]).filter((s) => s.type !== 'empty');
  if (statements.length !== 1 || !isQuery(statements[0])) return null;
  const em = new Emitter();
  em.query(statements[0]);
  return em.ops;
}

/** Jaccard similarity of the SETS of operations, the best over the golds; both sets empty -> 1; no gold -> 0. */
export function jaccard(pred: readonly string[], golds: readonly (readonly string[])[]): number {
  const p = new Set(pred);
  let best = 0;
  for (const gold of golds) {
    const g = new Set(gold);
    const union = new Set([...p, ...g]).size;
    if (union === 0) return 1;
    let inter = 0;
    for (const op of p) if (g.has(op)) inter++;
    best = Math.max(best, inter / union);
  }
  return best;
}

export interface AtomicShape {
  e: number;
  b: number;
  g: number;
}

/** The paper's "S3" shaping (their best run): defaults e = 0.05, b = 0.79, g = 0.20. */
export const DEFAULT_ATOMIC_SHAPE: AtomicShape = { e: 0.05, b: 0.79, g: 0.2 };

/**
 * f(J) = e*J + (1-e)*b*J^g: with g < 1 a little structural overlap already earns much of the credit (f(0.5) ≈ 0.68
 * of f(1) ≈ 0.80 by default), and f(1) < 1 keeps a wrong result that looks right below a correct one (E = 2).
 */
export function shapeAtomic(j: number, shape: AtomicShape = DEFAULT_ATOMIC_SHAPE): number {
  return shape.e * j + (1 - shape.e) * shape.b * j ** shape.g;
}
