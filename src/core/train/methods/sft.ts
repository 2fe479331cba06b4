/** Plain SFT: the direct strategy's prompt (ROUTE's text-to-SQL layout) -> the gold SQL, one adapter. */
import { strategyExamples } from '../../ai/index.ts';
import { AUTHORS, QUICK } from './presets.ts';
import { defineMethod, MAIN_ROLE } from './spec.ts';

export const sft = defineMethod({
  name: 'sft',
  label: 'Plain SFT',
  description: 'One adapter learns question + schema → SQL; the prompt is masked from the loss.',
  adapters: [{ role: MAIN_ROLE, label: 'SQL adapter' }],
  evalStrategy: 'direct',
  // the direct prompt is also ROUTE's pre-SQL and text-to-SQL prompt: the adapter serves any strategy the user picks
  strategy: null,
  presets: [QUICK, AUTHORS],
  async build(e, ctx) {
    const gold = { question: e.question, evidence: e.evidence, sql: e.sql };
    const samples = await strategyExamples(ctx.db, gold, 'direct', ctx.options, await ctx.sampleRows());
    return samples.map((s) => ({ ...s, adapter: MAIN_ROLE }));
  },
});
