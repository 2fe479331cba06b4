/**
 * Reasoning SFT, FINER-SQL's stage 0: one adapter learns FINER's prompt -> `<think>` reasoning `</think>` SQL, the
 * format GRPO's format reward asks for and the reason / vote strategies read. The reasoning comes from
 * - `derived` (default, offline): deriveRationale — what the gold SQL does, in sentences, labelled as derived;
 * - `teacher`: a model (a local GGUF with an optional adapter, or an OpenAI-compatible endpoint) answers the same
 *   prompt through the reason strategy, under the reasoning grammar where it obeys one; as the authors do, its trace
 *   is kept only when its SQL returns the gold result (the evaluation harness's BIRD EX, gold results cached), and
 *   `fallback` says whether an example without a kept trace gets the derived rationale or no sample.
 * The teacher spans databases, so it is opened once per build (BuildContext.perJob) and closed after the last
 * example, with a log line of how many traces were kept. Samples from a teacher are task `finer_teacher`, derived
 * ones `finer`: the job log's per-task counts say the same.
 */
import path from 'node:path';
import { z } from 'zod';
import { serverPath } from '../../../shared/contract/index.ts';
import { DEFAULT_REASONING_CHARS, finerTarget, MIN_REASONING_CHARS, parse, runStrategy, strategyExamples, type DbHandle } from '../../ai/index.ts';
import { createSandboxPool, type SandboxPool } from '../../db/index.ts';
import { GoldCache, scoreExample } from '../../eval/index.ts';
import { openModelSpec, type OpenedModel } from '../../llm/index.ts';
import type { TrainExample } from '../datasets/index.ts';
import { AUTHORS, QUICK } from './presets.ts';
import { defineMethod, MAIN_ROLE, type BuildContext } from './spec.ts';

/** A teacher as a config names it: a local GGUF (optional adapter) or an OpenAI-compatible endpoint. */
const TeacherSchema = z.union([
  z.strictObject({
    path: serverPath('file'),
    adapter: serverPath('file').nullable().optional(),
    contextSize: z.number().int().min(256).max(131_072).optional(),
  }),
  z.strictObject({
    url: z.url({ protocol: /^https?$/ }),
    /** the model name the endpoint expects (default: the first it lists) */
    remoteModel: z.string().min(1).max(256).optional(),
    /** the environment variable holding the API key: a key itself would be kept in the job's stored config */
    apiKeyEnv: z.string().min(1).max(128).optional(),
  }),
]);

/** config['reason-sft']; absent fields take DEFAULTS (kept out of the schema, so a parsed config stays as written) */
const ReasonSftSettingsSchema = z
  .strictObject({
    /** where the reasoning comes from (default derived) */
    source: z.enum(['derived', 'teacher']).optional(),
    teacher: TeacherSchema.optional(),
    /** teacher answers tried per example until one is correct: the first greedy, the others at T = 1 (default 1) */
    teacherSamples: z.number().int().min(1).max(16).optional(),
    /** an example without a correct teacher trace: the derived rationale, or no sample (default derived) */
    fallback: z.enum(['derived', 'drop']).optional(),
    /**
     * The longest reasoning, in characters between `<think>` and `</think>` (the newlines around it included), as
     * the reasoning grammar counts them; at most its default, which the reason and vote strategies decode under.
     */
    maxReasoningChars: z
      .number()
      .int()
      .min(MIN_REASONING_CHARS + 60)
      .max(DEFAULT_REASONING_CHARS)
      .optional(),
  })
  .refine((s) => s.source !== 'teacher' || s.teacher !== undefined, { message: 'source "teacher" needs a teacher (a GGUF path or an endpoint url)', path: ['teacher'] });
const DEFAULTS = { source: 'derived', teacherSamples: 1, fallback: 'derived', maxReasoningChars: DEFAULT_REASONING_CHARS } as const;
type ReasonSftSettings = Omit<z.output<typeof ReasonSftSettingsSchema>, keyof typeof DEFAULTS> & {
  source: 'derived' | 'teacher';
  teacherSamples: number;
  fallback: 'derived' | 'drop';
  maxReasoningChars: number;
};
const resolve = (s: z.output<typeof ReasonSftSettingsSchema> | undefined): ReasonSftSettings => ({ ...DEFAULTS, ...Object.fromEntries(Object.entries(s ?? {}).filter(([, v]) => v !== undefined)) });

export const reasonSft = defineMethod({
  name: 'reason-sft',
  label: 'Reasoning SFT (FINER stage 0)',
  description: "One adapter learns FINER-SQL's format: reasoning inside <think>, then the SQL. The reasoning is derived from the gold SQL, or a teacher's trace kept only when its SQL is right.",
  adapters: [{ role: MAIN_ROLE, label: 'SQL adapter' }],
  settings: ReasonSftSettingsSchema,
  evalStrategy: 'reason',
  strategy: 'reason',
  // the wizard's options are numeric fields only: source, teacher and fallback come from the config file
  presets: [QUICK, AUTHORS],
  async build(e, ctx) {
    const s = resolve(ctx.settings);
    const gold = { question: e.question, evidence: e.evidence, sql: parse.trimSql(e.sql) };
    const derived = (await strategyExamples(ctx.db, gold, 'reason', { ...ctx.options, rationaleChars: s.maxReasoningChars - 2 }, await ctx.sampleRows()))[0]!;
    // counting samples for an estimate does not run the teacher: its traces are about as long as the budget allows
    if (s.source === 'derived' || ctx.options.preview) return [{ ...derived, adapter: MAIN_ROLE }];
    const teacher = await ctx.perJob('teacher', () => openTeacher(s, ctx.log), (t) => t.close());
    const trace = await teacher.trace(e, ctx);
    if (trace) return [{ task: 'finer_teacher', messages: derived.messages, target: finerTarget(trace.reasoning, trace.sql), adapter: MAIN_ROLE }];
    return s.fallback === 'derived' ? [{ ...derived, adapter: MAIN_ROLE, note: 'no correct teacher trace: derived rationale' }] : [];
  },
});

interface Teacher {
  /** the first correct trace of up to teacherSamples tries, or null */
  trace(e: TrainExample, ctx: BuildContext<unknown>): Promise<{ reasoning: string; sql: string } | null>;
  close(): Promise<void>;
}

/** Why a teacher's answer cannot be a sample (FINER's format, and what the reasoning grammar allows), or null. */
export function finerFormatProblem(reasoning: string | null, sql: string, maxReasoningChars: number): string | null {
  if (reasoning === null) return 'no <think> block';
  if (reasoning.length <= MIN_REASONING_CHARS) return `reasoning of ${reasoning.length} characters (more than ${MIN_REASONING_CHARS} needed)`;
  if (reasoning.length + 2 > maxReasoningChars) return `reasoning of ${reasoning.length} characters (at most ${maxReasoningChars - 2})`;
  if (/<\/?think>/.test(reasoning) || reasoning.includes('<')) return "a '<' in the reasoning";
  if (!sql.trim()) return 'no SQL after </think>';
  return null;
}

async function openTeacher(s: ReasonSftSettings, log: (line: string) => void): Promise<Teacher> {
  const t = s.teacher!;
  const spec =
    'path' in t
      ? { model: t.path, adapter: t.adapter ?? null, contextSize: t.contextSize }
      : { model: t.url, remoteModel: t.remoteModel, apiKey: t.apiKeyEnv ? process.env[t.apiKeyEnv] : undefined };
  const opened: OpenedModel = await openModelSpec(spec);
  const name = 'path' in t ? path.basename(t.path) + (t.adapter ? ` + ${path.basename(t.adapter)}` : '') : `${t.url}${t.remoteModel ? ` (${t.remoteModel})` : ''}`;
  log(`reason-sft: teacher ${name} opened; ${s.teacherSamples} tr${s.teacherSamples === 1 ? 'y' : 'ies'} per example, fallback ${s.fallback}`);
  // the evaluation harness's scoring runs SQL through a sandbox pool of its own; gold results are cached per query
  const pool: SandboxPool = createSandboxPool({ size: 1 });
  const cache = new GoldCache();
  const counts = { examples: 0, kept: 0, wrong: 0, format: 0 };
  const isCorrect = async (e: TrainExample, sql: string, index: number) => {
    const ex = { index, id: e.id, dbId: e.dbId, question: e.question, evidence: e.evidence, gold: e.sql, pred: sql, group: null, dbFiles: [e.dbPath], unavailable: null };
    const score = await scoreExample(ex, pool, { metrics: ['bird_ex'], keepDistinct: false, timeoutMs: 30_000, vesIterations: 1, schemas: new Map() }, cache);
    return score.scores.bird_ex === 1;
  };
  return {
    async trace(e, ctx) {
      counts.examples++;
      for (let i = 0; i < s.teacherSamples; i++) {
        const answer = await ask(opened, ctx.db, e, ctx, i);
        const problem = finerFormatProblem(answer.reasoning, answer.sql, s.maxReasoningChars);
        if (problem) {
          counts.format++;
          continue;
        }
        if (await isCorrect(e, answer.sql, counts.examples)) {
          counts.kept++;
          return { reasoning: answer.reasoning!, sql: answer.sql };
        }
        counts.wrong++;
      }
      return null;
    },
    async close() {
      const { examples, kept, wrong, format } = counts;
      log(
        `reason-sft: teacher traces kept for ${kept} of ${examples} examples (tries with a wrong result ${wrong}, with a bad format ${format}); ` +
          `${examples - kept} example(s) ${s.fallback === 'derived' ? 'fell back to the derived rationale' : 'dropped'}`,
      );
      await opened.close();
      await pool.close();
    },
  };
}

/**
 * One teacher answer through the reason strategy (FINER's prompt under the reasoning grammar with the job's prompt
 * settings): try 0 greedy, later tries at T = 1 with seeds from the job's seed, so a rerun asks the same.
 */
async function ask(teacher: OpenedModel, db: DbHandle, e: TrainExample, ctx: BuildContext<unknown>, i: number): Promise<{ reasoning: string | null; sql: string }> {
  const o = ctx.options;
  const trace = await runStrategy({
    question: e.question,
    evidence: e.evidence,
    db,
    strategy: 'reason',
    grammar: 'schema',
    settings: {
      sampling: i === 0 ? { temperature: 0 } : { temperature: 1, seed: (o.seed + i) % 2 ** 31 },
      ...(o.sampleRows !== undefined ? { sampleRows: o.sampleRows } : {}),
      schemaBudget: o.schemaBudget,
    },
    model: teacher.textModel,
    modelInfo: { id: null, ...teacher.info },
    adapterInfo: teacher.adapterInfo && { id: null, ...teacher.adapterInfo },
  });
  const step = trace.steps.find((x) => x.kind === 'reason');
  return { reasoning: step?.reasoning ?? null, sql: parse.trimSql(trace.final.sql) };
}
