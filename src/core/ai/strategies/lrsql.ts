/**
 * LR-SQL: the schema-link model reads the schema slice by slice (FK groups under a token budget), carrying the
 * tables selected so far; the SQL model then writes the query from the DDL of the selected tables only. Greedy.
 */
import type { DbSchema } from '../../../shared/contract/index.ts';
import { extractSql, linkedBySql, parseTableList } from '../parse.ts';
import { ddlOf, lrsqlLinkPrompt, lrsqlSlices, lrsqlSqlPrompt } from '../prompts.ts';
import { DEFAULT_SLICE_BUDGET, type Outcome, type StrategyContext } from './context.ts';

export async function runLrsql(ctx: StrategyContext): Promise<Outcome> {
  const { input, rec } = ctx;
  const schema = input.db.schema;
  const linkModel = input.linkModel ?? input.model;
  const budget = input.settings.lrsql?.sliceBudget ?? DEFAULT_SLICE_BUDGET;
  const slices = await lrsqlSlices(schema, (t) => ctx.count(t, linkModel), budget);
  const selected: string[] = [];
  for (const [i, slice] of slices.entries()) {
    const messages = lrsqlLinkPrompt(ddlOf(schema, slice), input.question, input.evidence, [...selected]);
    await rec.generate(
      'slice_link',
      `Link tables in slice ${i + 1} of ${slices.length} (${slice.length} table${slice.length === 1 ? '' : 's'})`,
      { model: linkModel, messages, sampling: ctx.sampling, grammar: ctx.grammars.tableList(slice), stop: ['\n'] },
      (gen, step) => {
        const found = parseTableList(gen.text, slice);
        step.output = gen.text;
        step.parsed = { slice, tables: found, selectedSoFar: [...selected] };
        for (const t of found) if (!selected.includes(t)) selected.push(t);
        step.linked = { tables: found, columns: [] };
        step.decision = found.length ? `Selected ${found.join(', ')}.` : 'No table of this slice is needed.';
      },
    );
  }
  const tables = selected.length ? selected : schema.tables.map((t) => t.name);
  const sub: DbSchema = { ...schema, tables: schema.tables.filter((t) => tables.includes(t.name)) };
  const messages = lrsqlSqlPrompt(ddlOf(schema, tables), input.question, input.evidence);
  return rec.generate('sql', 'Write the SQL on the selected tables', { model: input.model, messages, sampling: ctx.sampling, grammar: ctx.grammars.labelledSql(sub) }, async (gen, step) => {
    const sql = extractSql(gen.text);
    step.output = gen.text;
    step.sql = sql;
    step.parsed = { sql, tables };
    step.linked = linkedBySql(sql, schema);
    const executed = await ctx.execute(sql);
    step.executions.push(executed.trace);
    step.decision = selected.length
      ? `Written from the DDL of ${tables.join(', ')}${executed.trace.ok ? '' : `; it fails: ${executed.trace.error}`}.`
      : 'No slice selected a table, so the SQL model saw the whole schema.';
    return {
      sql,
      executed,
      why: `LR-SQL: schema linking over ${slices.length} slice${slices.length === 1 ? '' : 's'} selected ${selected.length ? selected.join(', ') : 'nothing'}; the SQL model wrote this from ${selected.length ? 'those tables' : 'the whole schema'}.`,
    };
  });
}
