/** Direct: one text-to-SQL prompt on the whole schema, the answer executed as is. */
import { extractSql, linkedBySql } from '../parse.ts';
import { routeTextToSql } from '../prompts.ts';
import type { Outcome, StrategyContext } from './context.ts';

export async function runDirect(ctx: StrategyContext): Promise<Outcome> {
  const { input, rec } = ctx;
  const schemaText = await ctx.schemaText();
  const messages = routeTextToSql(schemaText.text, input.question, input.evidence);
  return rec.generate('sql', 'Write the SQL', { model: input.model, messages, sampling: ctx.sampling, grammar: ctx.grammars.sql() }, async (gen, step) => {
    const sql = extractSql(gen.text);
    step.output = gen.text;
    step.sql = sql;
    step.parsed = { sql, omittedTables: schemaText.omittedTables, droppedSampleRows: schemaText.droppedSampleRows };
    step.linked = linkedBySql(sql, input.db.schema);
    const executed = await ctx.execute(sql);
    step.executions.push(executed.trace);
    step.decision = executed.trace.ok ? 'The SQL runs; it is the answer.' : `The SQL fails (${executed.trace.error}); direct has no repair step.`;
    return { sql, executed, why: 'Direct: the model wrote this SQL from the full schema in one step.' };
  });
}
