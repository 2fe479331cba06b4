/**
 * Scope-correct schema-constrained decoding: every identifier an SQL names resolves where it stands.
 *
 * Why two passes. GBNF cannot see the FROM clause while the model writes the SELECT list before it, so the schema
 * grammar alone lets `SELECT Location FROM singer` or `T1.Country` with T1 a concert through. The alternatives were
 * weighed against the constraints every strategy has:
 * - a token-level scope checker (PICARD) needs a per-token callback into the sampler: node-llama-cpp has one
 *   (tokenBias as a function), llama-server has none, so the remote path would get no guarantee; it must also judge,
 *   at every token, whether some FROM can still satisfy everything written so far, or it dead-ends;
 * - one grammar alternative per table set grows with the number of FROM clauses a schema allows (Spider's 4-table
 *   joins over 10+ tables: tens of thousands), and llama.cpp keeps one stack per live alternative at every token.
 * Here instead the model writes a draft under the schema grammar; `checkScopes` resolves its names with SQLite's
 * rules. A draft that resolves is the answer (one pass, nothing added). A draft that does not still tells which
 * tables the model meant: its FROM clauses. The model then writes the SQL again under a grammar specialised to those
 * FROM clauses (sqlGrammar's `scope`): the FROM text is fixed, each `q.c` pairs a declared qualifier with a column of
 * its table, a bare column is one that exactly one table in scope has, ON conditions name only tables declared up to
 * their JOIN, the subquery (or the second part of a compound) has its own scope. Whatever it samples, the second
 * pass resolves. Both passes are plain GBNF, so llama-server enforces them as node-llama-cpp does; both are finite
 * (grammar.ts), so a random model still always ends, in at most two bounded generations.
 *
 * An SQL cut by the token limit is not an answer: its last name may be half written (`FROM sing`), and a prefix
 * can be a complete statement naming a column before its FROM. It is dropped (the step keeps the draft), and the
 * strategy sees no SQL, as SQLite would have refused it.
 */
import { parse } from 'sql-parser-cst';
import type { DbSchema } from '../../shared/contract/index.ts';
import type { Generation, GrammarSpec } from '../llm/index.ts';
import { qualifierOf, sqlGrammar, type Binding, type QueryScopes, type SqlGrammarOptions } from './grammar.ts';

export interface ScopeReport {
  /** names that do not resolve where they stand, one line each; empty when the SQL resolves */
  problems: string[];
  /** the FROM clauses the SQL declares (null when it does not parse as the grammar's SQL) */
  scopes: QueryScopes | null;
}

type Node = { type?: string; [key: string]: unknown };
type Relation = { name: string; columns: Set<string> };
interface Scope {
  bindings: { table: Relation; qualifier: string }[];
  outer: Scope | null;
}

const lower = (s: string) => s.toLowerCase();

/**
 * Resolves every table and column an SQL names as SQLite does (case-insensitively, a qualifier by its alias or, when
 * it has none, its table name), with the stricter rules of the scoped grammar: a bare column must belong to exactly
 * one table of its own query's FROM; a qualified one may reach an enclosing query (correlation).
 */
export function checkScopes(sql: string, schema: DbSchema): ScopeReport {
  const relations = new Map<string, Relation>();
  for (const r of [...schema.tables, ...schema.views]) relations.set(lower(r.name), { name: r.name, columns: new Set(r.columns.map((c) => lower(c.name))) });
  let program: Node;
  try {
    program = parse(sql, { dialect: 'sqlite' }) as unknown as Node;
  } catch (err) {
    return { problems: [`does not parse: ${(err as Error).message.split('\n')[0]}`], scopes: null };
  }
  const statements = (program.statements as Node[]).filter((s) => s.type !== 'empty');
  if (statements.length !== 1) return { problems: ['not one statement'], scopes: null };
  const problems: string[] = [];
  const declared: Binding[][] = [];

  /** The FROM of one SELECT as bindings; ON conditions are checked against the tables declared up to them. */
  const fromOf = (expr: Node | undefined, outer: Scope | null): Scope => {
    const scope: Scope = { bindings: [], outer };
    const found: Binding[] = [];
    const add = (node: Node) => {
      const tableNode = (node.type === 'alias' ? node.expr : node) as Node;
      const aliasNode = node.type === 'alias' ? (node.alias as Node) : null;
      if (tableNode.type !== 'identifier') return void problems.push(`FROM holds a ${tableNode.type}, not a table`);
      const table = relations.get(lower(String(tableNode.name)));
      if (!table) return void problems.push(`no such table: ${tableNode.name}`);
      const alias = aliasNode ? String(aliasNode.name) : null;
      scope.bindings.push({ table, qualifier: lower(alias ?? table.name) });
      found.push({ table: table.name, alias });
    };
    const walkFrom = (node: Node | undefined) => {
      if (!node) return;
      if (node.type === 'join_expr') {
        walkFrom(node.left as Node);
        add(node.right as Node);
        const spec = node.specification as Node | undefined;
        if (spec?.type === 'join_on_specification') expression(spec.expr as Node, scope);
        else if (spec) problems.push(`a ${spec.type} join`);
      } else add(node);
    };
    walkFrom(expr);
    const names = scope.bindings.map((b) => b.qualifier);
    if (new Set(names).size !== names.length) problems.push(`a qualifier is declared twice in one FROM (${names.join(', ')})`);
    declared.push(found);
    return scope;
  };

  const column = (qualifier: string | null, name: string, scope: Scope) => {
    const c = lower(name);
    if (qualifier === null) {
      const owners = scope.bindings.filter((b) => b.table.columns.has(c));
      if (owners.length === 0) problems.push(`no such column: ${name} (not in ${scope.bindings.map((b) => b.table.name).join(', ')})`);
      else if (owners.length > 1) problems.push(`ambiguous column name: ${name}`);
      return;
    }
    const q = lower(qualifier);
    for (let s: Scope | null = scope; s; s = s.outer) {
      const binding = s.bindings.find((b) => b.qualifier === q);
      if (!binding) continue;
      if (c !== '*' && !binding.table.columns.has(c)) problems.push(`no such column: ${qualifier}.${name}`);
      return;
    }
    problems.push(`no such column: ${qualifier}.${name} (${qualifier} is not declared)`);
  };

  const expression = (node: unknown, scope: Scope): void => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach((n) => expression(n, scope));
    const n = node as Node;
    switch (n.type) {
      case 'select_stmt':
      case 'compound_select_stmt':
        return statement(n, scope);
      case 'identifier':
        return column(null, String(n.name), scope);
      case 'member_expr': {
        const object = n.object as Node;
        const property = n.property as Node;
        if (object.type !== 'identifier') return void problems.push(`a ${object.type} qualifier`);
        return column(String(object.name), property.type === 'all_columns' ? '*' : String(property.name), scope);
      }
      case 'func_call':
        return expression(n.args, scope); // the function's name is no column
      default:
        for (const [key, value] of Object.entries(n)) if (key !== 'range') expression(value, scope);
    }
  };

  const statement = (node: Node, outer: Scope | null): void => {
    if (node.type === 'compound_select_stmt') {
      statement(node.left as Node, outer);
      statement(node.right as Node, outer);
      return;
    }
    if (node.type !== 'select_stmt') return void problems.push(`a ${node.type}`);
    const clauses = node.clauses as Node[];
    const from = clauses.find((c) => c.type === 'from_clause');
    const scope = fromOf(from?.expr as Node | undefined, outer);
    for (const clause of clauses) if (clause !== from) expression(clause, scope);
  };

  const top = statements[0]!;
  statement(top, null);
  // the grammar's shapes: one query with at most one subquery, or a compound of two queries
  let scopes: QueryScopes | null = null;
  if (top.type === 'compound_select_stmt' && declared.length === 2) scopes = { top: declared[0]!, sub: null, second: declared[1]! };
  else if (top.type === 'select_stmt' && declared.length <= 2 && declared.length > 0) scopes = { top: declared[0]!, sub: declared[1] ?? null, second: null };
  if (scopes && [scopes.top, scopes.sub, scopes.second].some((b) => b && b.length === 0)) scopes = null;
  return { problems, scopes: scopes && normalized(scopes) };
}

/** Scopes a grammar can write: a qualifier that would be declared twice gets positional aliases T1, T2, ... */
function normalized(scopes: QueryScopes): QueryScopes {
  const fix = (bindings: Binding[] | null) => {
    if (!bindings) return null;
    const names = bindings.map((b) => lower(qualifierOf(b)));
    return new Set(names).size === names.length ? bindings : bindings.map((b, i) => ({ table: b.table, alias: `T${i + 1}` }));
  };
  return { top: fix(scopes.top)!, sub: fix(scopes.sub), second: fix(scopes.second) };
}

/** How an SQL grammar wraps the SQL: what precedes it in the output. */
export type SqlWrap = 'plain' | 'after-select' | 'reasoning' | 'labelled' | 'correct-or-sql';

export interface Redraft {
  /** the forced start of the second pass (reasoning, label or "SELECT " of the draft) */
  prefix: string;
  grammar: GrammarSpec;
}

/**
 * What the decoder does with a draft written under an SQL grammar (see the header): keep it, write it again under
 * its own scopes, or drop its SQL when it was cut. Attached to the grammar as `scoping` (trace.ts runs it).
 */
export interface Scoping {
  /** the draft's text split into what precedes the SQL and the SQL; null when it holds no SQL ("correct") */
  split(text: string): { prefix: string; sql: string } | null;
  /** resolves the SQL part of a draft (`split`'s parts) */
  check(parts: { prefix: string; sql: string }): ScopeReport;
  /** the second pass for a draft whose SQL is `sql` */
  redraft(prefix: string, scopes: QueryScopes): Redraft;
}

export type ScopedGrammarSpec = GrammarSpec & { scoping?: Scoping };

const THINK = /^<think>[^<]*<\/think>\n/;
const LABEL = '-- SQL: ';

export function scopingFor(schema: DbSchema, wrap: SqlWrap): Scoping {
  return {
    split(text) {
      if (wrap === 'correct-or-sql' && text.startsWith('correct')) return null;
      const prefix = wrap === 'reasoning' ? (THINK.exec(text)?.[0] ?? null) : wrap === 'labelled' ? LABEL : wrap === 'after-select' ? 'SELECT ' : '';
      if (prefix === null || !text.startsWith(prefix)) return wrap === 'reasoning' ? { prefix: text, sql: '' } : { prefix: '', sql: text };
      return { prefix, sql: text.slice(prefix.length) };
    },
    // the forced "SELECT " is part of the statement
    check: ({ prefix, sql }) => checkScopes(wrap === 'after-select' ? prefix + sql : sql, schema),
    redraft(prefix, scopes) {
      const options: SqlGrammarOptions = wrap === 'after-select' ? { afterSelect: true, scope: scopes } : { scope: scopes };
      return { prefix, grammar: sqlGrammar(schema, options) };
    },
  };
}

export interface ScopedOutcome {
  gen: Generation;
  /** the drafts that were not kept, with why */
  drafts: { text: string; why: string }[];
}

/**
 * Runs `generate` under a scoped SQL grammar: the draft, and when its names do not resolve, the second pass under
 * its scopes (see the header). `generate(prefix, grammar)` makes one model call.
 */
export async function decodeScoped(
  spec: ScopedGrammarSpec,
  generate: (prefix: string | undefined, grammar: GrammarSpec) => Promise<Generation>,
  callPrefix: string | undefined,
): Promise<ScopedOutcome> {
  const scoping = spec.scoping!;
  const drafts: ScopedOutcome['drafts'] = [];
  const draft = await generate(callPrefix, spec);
  const cut = (gen: Generation, parts: { prefix: string; sql: string }, why: string): ScopedOutcome => {
    drafts.push({ text: gen.text, why });
    return { gen: { ...gen, text: parts.prefix }, drafts };
  };
  const parts = draft.stopReason === 'abort' ? null : scoping.split(draft.text);
  if (!parts) return { gen: draft, drafts };
  if (draft.stopReason === 'maxTokens') return cut(draft, parts, 'cut by the token limit: the SQL is incomplete');
  const report = scoping.check({ prefix: parts.prefix, sql: parts.sql.replace(/;\s*$/, '') });
  if (report.problems.length === 0) return { gen: draft, drafts };
  if (!report.scopes) return cut(draft, parts, `its names do not resolve and its FROM clauses cannot be read: ${report.problems.join('; ')}`);
  drafts.push({ text: draft.text, why: `${report.problems.join('; ')}: written again within its FROM clauses` });
  const again = scoping.redraft(parts.prefix, report.scopes);
  const second = await generate(again.prefix || undefined, again.grammar);
  const total = (g: Generation): Generation => ({
    ...g,
    promptTokens: draft.promptTokens + g.promptTokens,
    completionTokens: draft.completionTokens + g.completionTokens,
    ms: draft.ms + g.ms,
  });
  if (second.stopReason === 'maxTokens') {
    const out = cut(second, { prefix: again.prefix, sql: '' }, 'cut by the token limit: the SQL is incomplete');
    return { ...out, gen: total(out.gen) };
  }
  return { gen: total(second), drafts };
}
