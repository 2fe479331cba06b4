/**
 * FINER-style voting: n samples with reasoning at T = 1, all executed; value-aware voting groups them by the set of
 * result rows, ignores errors and empty or all-zero results, and the largest group wins (falling back to the
 * largest successful group).
 */
import type { Cell } from '../../../shared/contract/index.ts';
import { extractSql, linkedBySql, splitReasoning } from '../parse.ts';
import { finerPrompt } from '../prompts.ts';
import type { Executed } from '../trace.ts';
import { DEFAULT_VOTE_SAMPLES, type Outcome, type StrategyContext } from './context.ts';

export interface VoteCandidate {
  sql: string;
  executed: Executed;
}

export interface VoteResult {
  groups: { key: string; size: number; members: number[]; sql: string; ok: boolean; ignored: string | null }[];
  winner: number | null;
  why: string;
}

const isZero = (c: Cell) => c === null || c === 0 || c === '0';

/** Groups candidates by result and picks the winner (index into groups). Pure, for tests and the benchmark. */
export function vote(candidates: VoteCandidate[]): VoteResult {
  const groups: VoteResult['groups'] = [];
  const byKey = new Map<string, VoteResult['groups'][number]>();
  candidates.forEach((c, i) => {
    const result = c.executed.result;
    let key: string;
    let ignored: string | null = null;
    if (!result) {
      key = `error:${c.executed.trace.error ?? ''}`;
      ignored = 'the SQL failed';
    } else {
      key = JSON.stringify([...new Set(result.rows.map((r) => JSON.stringify(r)))].sort());
      if (result.rows.length === 0) ignored = 'empty result';
      else if (result.rows.every((r) => r.every(isZero))) ignored = 'all values are zero or NULL';
    }
    let g = byKey.get(key);
    if (!g) {
      g = { key, size: 0, members: [], sql: c.sql, ok: result !== null, ignored };
      byKey.set(key, g);
      groups.push(g);
    }
    g.size++;
    g.members.push(i);
  });
  const largest = (pool: typeof groups) => pool.reduce<(typeof groups)[number] | null>((best, g) => (!best || g.size > best.size ? g : best), null);
  const eligible = largest(groups.filter((g) => g.ok && !g.ignored));
  if (eligible) {
    return { groups, winner: groups.indexOf(eligible), why: `${eligible.size} of ${candidates.length} samples agree on this result (the largest group with a non-empty, non-zero result).` };
  }
  const fallback = largest(groups.filter((g) => g.ok));
  if (fallback) {
    return { groups, winner: groups.indexOf(fallback), why: `No sample gave a non-empty, non-zero result; ${fallback.size} of ${candidates.length} samples agree on this ${fallback.ignored ?? 'result'}.` };
  }
  return { groups, winner: null, why: `All ${candidates.length} samples failed to execute; the first sample is shown.` };
}

export async function runVote(ctx: StrategyContext): Promise<Outcome> {
  const { input, rec } = ctx;
  const n = input.settings.vote?.samples ?? DEFAULT_VOTE_SAMPLES;
  const schemaText = await ctx.schemaText();
  const messages = finerPrompt(schemaText.text, input.question, input.evidence);
  const grammar = ctx.grammars.sql(undefined, { reasoning: true });
  const candidates: VoteCandidate[] = [];
  await rec.plain('sample', `Sample ${n} answers with reasoning`, async (step) => {
    const outputs: string[] = [];
    const reasonings: string[] = [];
    // consecutive seeds: reproducible, and different samples
    const call = (i: number, model: typeof input.model, stream: boolean) => {
      const sampling = { ...ctx.sampling, seed: ctx.sampling.seed === undefined ? undefined : ctx.sampling.seed + i };
      return rec.generateMore(step, { model, messages, sampling, grammar }, stream);
    };
    // a local model decodes the samples together (one decode per step for all lanes, in waves of its lane count);
    // a remote one answers one at a time. Only the first lane streams its text (interleaved samples would be noise).
    const gens = [];
    const lanes = input.model.parallel && n > 1 ? await input.model.parallel(n) : null;
    if (lanes && lanes.length > 1) {
      for (let w = 0; w < n; w += lanes.length) {
        const wave = lanes.slice(0, Math.min(lanes.length, n - w));
        // the samples of a wave run at the same time: the step's model time is the wave's wall time, not their sum
        const [before, started] = [step.modelMs, performance.now()];
        gens.push(...(await Promise.all(wave.map((lane, j) => call(w + j, lane, w + j === 0)))));
        step.modelMs = before + (performance.now() - started);
      }
    } else {
      for (let i = 0; i < n; i++) gens.push(await call(i, input.model, true));
    }
    for (const gen of gens) {
      const { reasoning } = splitReasoning(gen.text);
      const sql = extractSql(gen.text);
      outputs.push(gen.text);
      reasonings.push(reasoning ?? '');
      const executed = await ctx.execute(sql);
      step.executions.push(executed.trace);
      candidates.push({ sql, executed });
    }
    step.output = outputs.map((o, i) => `--- sample ${i + 1} ---\n${o}`).join('\n');
    step.reasoning = reasonings.map((r, i) => `--- sample ${i + 1} ---\n${r}`).join('\n');
    step.parsed = { sqls: candidates.map((c) => c.sql) };
    step.decision = `${candidates.filter((c) => c.executed.trace.ok).length} of ${n} samples execute.`;
  });
  return rec.plain('vote', 'Vote on execution results', (step) => {
    const result = vote(candidates);
    step.vote = { groups: result.groups, winner: result.winner };
    step.decision = result.why;
    const winner = result.winner === null ? null : result.groups[result.winner]!;
    const chosen = winner ? candidates[winner.members[0]!]! : candidates[0];
    const sql = chosen?.sql ?? '';
    step.sql = sql;
    step.linked = linkedBySql(sql, input.db.schema);
    step.parsed = { winner: winner?.key ?? null };
    return { sql, executed: chosen?.executed ?? null, why: `Vote: ${result.why}` };
  });
}
