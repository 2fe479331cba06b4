/**
 * Recording a strategy as it runs: every step gets its prompt, raw output, parsed result, executions and decision,
 * and is announced to listeners when it starts, while tokens stream, and when it ends.
 */
import type { QueryResult, Sampling, TraceExecution, TraceStep } from '../../shared/contract/index.ts';
import { SquillError } from '../../shared/errors.ts';
import type { ChatMessage, Generation, GrammarSpec, TextModel } from '../llm/index.ts';
import { decodeScoped, type ScopedGrammarSpec } from './scope.ts';
import type { DbHandle, ProgressEvent } from './types.ts';

export const PREVIEW_ROWS = 10;

export type ResolvedSampling = Required<Omit<Sampling, 'seed'>> & { seed?: number };

/** An executed SQL with the full result kept for decisions (voting), and its trace form. */
export interface Executed {
  trace: TraceExecution;
  result: QueryResult | null;
}

export function cancelledError(): SquillError {
  return new SquillError('CANCELLED', 'The question was cancelled');
}

export function createRecorder(onProgress: ((e: ProgressEvent) => void) | undefined, signal: AbortSignal | undefined) {
  const steps: TraceStep[] = [];
  const emit = (e: ProgressEvent) => {
    try {
      onProgress?.(e);
    } catch {
      // a listener's failure must not break the ask
    }
  };
  const checkCancelled = () => {
    if (signal?.aborted) throw cancelledError();
  };

  function begin(kind: string, title: string): TraceStep {
    checkCancelled();
    const step: TraceStep = {
      index: steps.length,
      kind,
      title,
      prompt: null,
      messages: null,
      promptTokens: null,
      output: null,
      reasoning: null,
      parsed: null,
      sql: null,
      sampling: null,
      grammar: null,
      tokensIn: 0,
      tokensOut: 0,
      ms: 0,
      modelMs: 0,
      executions: [],
      decision: null,
      vote: null,
      linked: null,
      skipped: null,
    };
    steps.push(step);
    emit({ type: 'step-start', index: step.index, kind, title });
    return step;
  }

  function end(step: TraceStep, started: number): TraceStep {
    step.ms = performance.now() - started;
    emit({ type: 'step-end', step });
    return step;
  }

  return {
    steps,
    checkCancelled,

    /** A step that calls no model (pruning, voting): `fn` fills the step in. */
    async plain<T>(kind: string, title: string, fn: (step: TraceStep) => Promise<T> | T): Promise<T> {
      const started = performance.now();
      const step = begin(kind, title);
      try {
        return await fn(step);
      } finally {
        end(step, started);
      }
    },

    /** A step switched off by the settings, recorded so the trace shows the whole pipeline. */
    skipped(kind: string, title: string, why: string): void {
      const step = begin(kind, title);
      step.skipped = why;
      end(step, performance.now());
    },

    /** A step that calls the model once; `fn` then parses, executes and decides on the step. */
    async generate<T>(
      kind: string,
      title: string,
      call: { model: TextModel; messages: ChatMessage[]; sampling: ResolvedSampling; grammar: GrammarSpec | null; prefix?: string; stop?: string[] },
      fn: (gen: Generation, step: TraceStep) => Promise<T> | T,
    ): Promise<T> {
      const started = performance.now();
      const step = begin(kind, title);
      try {
        const gen = await generateInto(step, call, (text) => emit({ type: 'tokens', index: step.index, text }), signal);
        checkCancelled();
        return await fn(gen, step);
      } finally {
        end(step, started);
      }
    },

    /** One more model call inside an existing step (vote samples); tokens and times add up. `stream: false` emits no tokens. */
    async generateMore(step: TraceStep, call: Parameters<typeof generateInto>[1], stream = true): Promise<Generation> {
      checkCancelled();
      const gen = await generateInto(step, call, (text) => (stream ? emit({ type: 'tokens', index: step.index, text }) : undefined), signal);
      checkCancelled();
      return gen;
    },
  };
}

export type Recorder = ReturnType<typeof createRecorder>;

async function generateInto(
  step: TraceStep,
  call: { model: TextModel; messages: ChatMessage[]; sampling: ResolvedSampling; grammar: GrammarSpec | null; prefix?: string; stop?: string[] },
  onText: (text: string) => void,
  signal: AbortSignal | undefined,
): Promise<Generation> {
  const grammar = call.grammar && call.model.supportsGrammar ? call.grammar : null;
  // the step shows its prompt's own size; a second (scoped) pass evaluates the prompt again, which counts in tokensIn
  let promptTokens: number | null = null;
  const once = async (prefix: string | undefined, g: GrammarSpec | null) => {
    const generated = await call.model.generate({
      messages: call.messages,
      prefix,
      grammar: g,
      temperature: call.sampling.temperature,
      topP: call.sampling.topP,
      topK: call.sampling.topK,
      maxTokens: call.sampling.maxTokens,
      seed: call.sampling.seed,
      stop: call.stop,
      onText,
      signal,
    });
    promptTokens ??= generated.promptTokens;
    return generated;
  };
  let gen: Generation;
  if (grammar && (grammar as ScopedGrammarSpec).scoping) {
    // an SQL grammar: names that do not resolve where they stand get a second pass within their FROM (scope.ts)
    const scoped = await decodeScoped(grammar, once, call.prefix);
    gen = scoped.gen;
    if (scoped.drafts.length) (step.drafts ??= []).push(...scoped.drafts);
  } else gen = await once(call.prefix, grammar);
  if (step.prompt === null) {
    step.prompt = gen.prompt;
    step.messages = call.messages;
    step.promptTokens = promptTokens ?? gen.promptTokens;
    step.sampling = { ...call.sampling };
    step.grammar = grammar ? grammar.name : call.grammar ? `${call.grammar.name} (not enforced by this endpoint)` : null;
  }
  step.tokensIn += gen.promptTokens;
  step.tokensOut += gen.completionTokens;
  step.modelMs += gen.ms;
  return gen;
}

/** Runs an SQL in the sandbox; failures are results here (the strategy decides), never thrown. */
export async function execute(db: DbHandle, sql: string, timeoutMs = 10_000, maxRows = 10_000): Promise<Executed> {
  const started = performance.now();
  if (!sql.trim()) {
    return { trace: { sql, ok: false, error: 'The model wrote no SQL', ms: 0 }, result: null };
  }
  try {
    const result = await db.execute(sql, { timeoutMs, maxRows });
    return {
      trace: {
        sql,
        ok: true,
        columns: result.columns.map((c) => c.name),
        rows: result.rows.slice(0, PREVIEW_ROWS),
        rowCount: result.rows.length,
        ms: performance.now() - started,
      },
      result,
    };
  } catch (err) {
    return { trace: { sql, ok: false, error: (err as Error).message, ms: performance.now() - started }, result: null };
  }
}
