/**
 * LR-SQL: two adapters trained one after the other — the schema-link model ("link") on every (question, slice) with
 * the None and the gold-so-far lists, then the SQL model ("main") on the gold tables' DDL — with the very builder
 * the prompt-consistency test checks (ai's lrsqlExamples). Dev evaluation and the workbench run the lrsql strategy
 * with the link adapter as its schema-link model.
 */
import { DEFAULT_SLICE_BUDGET, lrsqlExamples, prompts } from '../../ai/index.ts';
import { AUTHORS, QUICK } from './presets.ts';
import { defineMethod, MAIN_ROLE } from './spec.ts';

const LINK_ROLE = 'link';

export const lrsql = defineMethod({
  name: 'lrsql',
  label: 'LR-SQL',
  description: 'Two adapters: schema linking over FK-group slices of the schema, then SQL from the linked tables only.',
  // the link model first: the SQL phase's dev evaluations run the whole pipeline with it
  adapters: [
    { role: LINK_ROLE, label: 'schema-link adapter', linkModel: true },
    { role: MAIN_ROLE, label: 'SQL adapter' },
  ],
  evalStrategy: 'lrsql',
  strategy: 'lrsql',
  presets: [QUICK, AUTHORS],
  async build(e, ctx) {
    const { schema } = ctx.db;
    // slicing tokenizes every table: once per database
    const slices = await ctx.perDatabase('slices', () => prompts.lrsqlSlices(schema, ctx.options.count, ctx.options.sliceBudget ?? DEFAULT_SLICE_BUDGET));
    return lrsqlExamples(schema, slices, { question: e.question, evidence: e.evidence, sql: e.sql }).map((s) => ({
      ...s,
      adapter: s.task === 'lrsql_sql' ? MAIN_ROLE : LINK_ROLE,
    }));
  },
});
