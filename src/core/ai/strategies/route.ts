/**
 * ROUTE's Multitask Collaboration Prompting, six steps, each switchable: (1) schema linking on the full schema,
 * (2) a pre-SQL on the full schema, (3) prune the schema to what (1) and (2) name (key columns kept), (4) SQL on the
 * pruned schema, (5) noise correction with the real execution error (a fix is accepted only if it runs),
 * (6) continuation from "SELECT " when the SQL still fails or touches more than two tables (accepted if its first
 * row is not all NULL).
 */
import { extractSql, linkedBySql, mergeLinked, parseSchemaLink, type Linked } from '../parse.ts';
import { routeContinuation, routeNoiseCorrection, routeSchemaLinking, routeTextToSql, selectionOf } from '../prompts.ts';
import type { Executed } from '../trace.ts';
import type { Outcome, StrategyContext } from './context.ts';

/** ROUTE runs candidate SQL with a 5 s limit during correction. */
const NC_TIMEOUT_MS = 5000;

export async function runRoute(ctx: StrategyContext): Promise<Outcome> {
  const { input, rec } = ctx;
  const schema = input.db.schema;
  const on = { schemaLinking: true, preSql: true, prune: true, noiseCorrection: true, continuation: true, ...input.settings.route };
  const full = await ctx.schemaText();
  const why: string[] = [];

  let linked: Linked = { tables: [], columns: [] };
  if (on.schemaLinking) {
    linked = await rec.generate(
      'schema_link',
      'Schema linking on the full schema',
      { model: input.model, messages: routeSchemaLinking(full.text, input.question, input.evidence), sampling: ctx.sampling, grammar: ctx.grammars.schemaLink() },
      (gen, step) => {
        const l = parseSchemaLink(gen.text, schema);
        step.output = gen.text;
        step.parsed = l;
        step.linked = l;
        step.decision = l.tables.length ? `Linked ${l.tables.join(', ')}.` : 'The output named no real table.';
        return l;
      },
    );
  } else rec.skipped('schema_link', 'Schema linking on the full schema', 'switched off');

  let preSql = '';
  if (on.preSql) {
    preSql = await rec.generate(
      'pre_sql',
      'Pre-SQL on the full schema',
      { model: input.model, messages: routeTextToSql(full.text, input.question, input.evidence), sampling: ctx.sampling, grammar: ctx.grammars.sql() },
      (gen, step) => {
        const sql = extractSql(gen.text);
        step.output = gen.text;
        step.sql = sql;
        step.parsed = { sql };
        step.linked = linkedBySql(sql, schema);
        return sql;
      },
    );
  } else rec.skipped('pre_sql', 'Pre-SQL on the full schema', 'switched off');

  let schemaText = full.text;
  const union = mergeLinked(linked, preSql ? linkedBySql(preSql, schema) : { tables: [], columns: [] });
  if (on.prune && union.tables.length > 0) {
    schemaText = await rec.plain('prune', 'Prune the schema', async (step) => {
      const pruned = await ctx.schemaText(selectionOf(union));
      step.linked = union;
      step.parsed = { tables: union.tables, columns: union.columns };
      step.output = pruned.text;
      step.decision = `Kept ${union.tables.length} of ${schema.tables.length} tables and ${union.columns.length} named columns (plus key columns).`;
      return pruned.text;
    });
    why.push(`the schema was pruned to ${union.tables.join(', ')}`);
  } else {
    rec.skipped('prune', 'Prune the schema', on.prune ? 'steps 1 and 2 named no real table' : 'switched off');
  }

  let sql = await rec.generate(
    'sql',
    on.prune && union.tables.length ? 'SQL on the pruned schema' : 'SQL',
    { model: input.model, messages: routeTextToSql(schemaText, input.question, input.evidence), sampling: ctx.sampling, grammar: ctx.grammars.sql() },
    (gen, step) => {
      const s = extractSql(gen.text);
      step.output = gen.text;
      step.sql = s;
      step.parsed = { sql: s };
      step.linked = linkedBySql(s, schema);
      return s;
    },
  );
  let executed: Executed = await ctx.execute(sql);

  if (on.noiseCorrection) {
    const error = executed.trace.ok ? null : (executed.trace.error ?? 'error');
    const fixed = await rec.generate(
      'noise_correction',
      'Noise correction',
      { model: input.model, messages: routeNoiseCorrection(schemaText, input.question, input.evidence, sql, error), sampling: ctx.sampling, grammar: ctx.grammars.correctOrSql() },
      async (gen, step) => {
        step.output = gen.text;
        step.executions.push(executed.trace);
        if (/^\s*correct\b/i.test(gen.text)) {
          step.parsed = { verdict: 'correct' };
          step.decision = error ? `The model calls the SQL correct although it fails (${error}); it stays.` : 'The model confirms the SQL.';
          return null;
        }
        const candidate = extractSql(gen.text);
        step.sql = candidate;
        step.parsed = { verdict: 'fixed', sql: candidate };
        const tried = await ctx.execute(candidate, NC_TIMEOUT_MS);
        step.executions.push(tried.trace);
        if (tried.trace.ok) {
          step.decision = 'The corrected SQL runs; it replaces the SQL.';
          return { sql: candidate, executed: tried };
        }
        step.decision = `The correction fails (${tried.trace.error}); the SQL stays.`;
        return null;
      },
    );
    if (fixed) {
      sql = fixed.sql;
      executed = fixed.executed;
      why.push('noise correction rewrote it');
    }
  } else rec.skipped('noise_correction', 'Noise correction', 'switched off');

  const tablesUsed = linkedBySql(sql, schema).tables.length;
  const needsContinuation = !executed.trace.ok || tablesUsed > 2;
  if (on.continuation && needsContinuation) {
    const prefix = 'SELECT ';
    const result = await rec.generate(
      'continuation',
      'Continuation writing from "SELECT "',
      { model: input.model, messages: routeContinuation(schemaText, input.question, input.evidence, prefix), sampling: ctx.sampling, grammar: ctx.grammars.sql(undefined, { afterSelect: true }), prefix },
      async (gen, step) => {
        const candidate = extractSql(gen.text);
        step.output = gen.text;
        step.sql = candidate;
        step.parsed = { sql: candidate };
        step.linked = linkedBySql(candidate, schema);
        const tried = await ctx.execute(candidate, NC_TIMEOUT_MS);
        step.executions.push(tried.trace);
        const first = tried.result?.rows[0];
        if (tried.trace.ok && first && first.some((c) => c !== null)) {
          step.decision = 'The continuation runs and its first row is not NULL; it replaces the SQL.';
          return { sql: candidate, executed: tried };
        }
        step.decision = tried.trace.ok ? 'The continuation returns no row or a NULL first row; the SQL stays.' : `The continuation fails (${tried.trace.error}); the SQL stays.`;
        return null;
      },
    );
    if (result) {
      sql = result.sql;
      executed = result.executed;
      why.push('continuation writing replaced it');
    }
  } else {
    rec.skipped('continuation', 'Continuation writing', on.continuation ? 'the SQL runs and touches at most two tables' : 'switched off');
  }

  return { sql, executed, why: `ROUTE: ${why.length ? `${why.join('; ')}.` : 'the SQL from the text-to-SQL step stood.'}` };
}
