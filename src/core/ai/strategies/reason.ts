/**
 * Reason: FINER-SQL's prompt answered once — `<think>` reasoning, then one SQL — under the reasoning grammar when
 * grammar is on, greedy unless the user's sampling says otherwise, executed like direct. It is how a FINER-trained
 * adapter (reason-sft, GRPO) is evaluated greedily; `vote` asks the same prompt n times at T = 1 and votes.
 */
import { extractSql, linkedBySql, splitReasoning } from '../parse.ts';
import { finerPrompt } from '../prompts.ts';
import type { Outcome, StrategyContext } from './context.ts';

export async function runReason(ctx: StrategyContext): Promise<Outcome> {
  const { input, rec } = ctx;
  const schemaText = await ctx.schemaText();
  const messages = finerPrompt(schemaText.text, input.question, input.evidence);
  const grammar = ctx.grammars.sql(undefined, { reasoning: true });
  return rec.generate('reason', 'Reason, then write the SQL', { model: input.model, messages, sampling: ctx.sampling, grammar }, async (gen, step) => {
    const { reasoning } = splitReasoning(gen.text);
    const sql = extractSql(gen.text);
    step.output = gen.text;
    step.reasoning = reasoning;
    step.sql = sql;
    step.parsed = { sql, reasoningChars: reasoning?.length ?? 0, omittedTables: schemaText.omittedTables, droppedSampleRows: schemaText.droppedSampleRows };
    step.linked = linkedBySql(sql, input.db.schema);
    const executed = await ctx.execute(sql);
    step.executions.push(executed.trace);
    const noThink = reasoning === null ? ' The answer has no <think> block.' : '';
    step.decision = (executed.trace.ok ? 'The SQL runs; it is the answer.' : `The SQL fails (${executed.trace.error}); reason has no repair step.`) + noThink;
    return { sql, executed, why: 'Reason: the model reasoned inside <think> and wrote this SQL in one answer.' };
  });
}
