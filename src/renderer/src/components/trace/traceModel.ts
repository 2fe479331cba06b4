/**
 * What the trace view shows, worked out from a trace: reasoning set apart from the answer, how the SQL changed from
 * step to step, which tables and columns the steps linked, and the live steps of an ask as its progress events
 * arrive. Pure: no React, no DOM.
 */
import type { Payload, Trace, TraceStep } from '../../../../shared/contract/index.ts';

const THINK = /<think>([\s\S]*?)(?:<\/think>|$)/i;

/**
 * The reasoning of a model output (the backend's when it split it, else what <think>…</think> holds) and the rest.
 * An unclosed <think> (output cut by maxTokens) is all reasoning.
 */
export function splitReasoning(output: string | null, reasoning: string | null): { reasoning: string | null; answer: string | null } {
  if (output === null) return { reasoning, answer: null };
  const match = THINK.exec(output);
  const answer = match ? (output.slice(0, match.index) + output.slice(match.index + match[0].length)).trim() : output;
  const found = match?.[1]?.trim() || null;
  return { reasoning: reasoning?.trim() || found, answer };
}

/** A step's SQL against the SQL of the step before it that had one, where they differ. */
export interface SqlChange {
  fromIndex: number;
  toIndex: number;
  before: string;
  after: string;
}

const sameSql = (a: string, b: string) => a.replace(/\s+/g, ' ').trim() === b.replace(/\s+/g, ' ').trim();

/** The SQL changes along the steps, keyed by the index of the step that made the change. */
export function sqlChanges(steps: readonly TraceStep[]): Map<number, SqlChange> {
  const changes = new Map<number, SqlChange>();
  let previous: { index: number; sql: string } | null = null;
  for (const step of steps) {
    if (step.sql === null || step.sql.trim() === '') continue;
    if (previous && !sameSql(previous.sql, step.sql)) {
      changes.set(step.index, { fromIndex: previous.index, toIndex: step.index, before: previous.sql, after: step.sql });
    }
    previous = { index: step.index, sql: step.sql };
  }
  return changes;
}

/** Tables and columns any step linked, lower-cased (SQLite names compare case-insensitively), with the steps that did. */
export interface Linked {
  tables: Map<string, number[]>;
  /** "table.column" */
  columns: Map<string, number[]>;
}

export const columnKey = (table: string, column: string) => `${table.toLowerCase()}.${column.toLowerCase()}`;

/** Records that `source` (a step index, or another caller's source) linked `key`. */
export function addLink(map: Map<string, number[]>, key: string, source: number): void {
  const list = map.get(key) ?? [];
  if (!list.includes(source)) list.push(source);
  map.set(key, list);
}

export function linkedOf(steps: readonly TraceStep[]): Linked {
  const tables = new Map<string, number[]>();
  const columns = new Map<string, number[]>();
  for (const step of steps) {
    if (!step.linked) continue;
    for (const t of step.linked.tables) addLink(tables, t.toLowerCase(), step.index);
    for (const c of step.linked.columns) {
      addLink(columns, columnKey(c.table, c.column), step.index);
      // a linked column implies its table
      addLink(tables, c.table.toLowerCase(), step.index);
    }
  }
  return { tables, columns };
}

/** Any value as readable JSON; undefined (a step that parsed nothing) as null. */
export function toJson(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value, null, 2);
  } catch {
    return String(value);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Live steps of a running ask

export type ProgressEvent = Payload<'ai.progress'>;

export interface LiveStep {
  index: number;
  kind: string;
  title: string;
  /** tokens streamed so far */
  text: string;
  /** the finished step, once step-end came */
  step: TraceStep | null;
}

/** The steps after one progress event (the event's askId is the caller's business). */
export function applyProgress(steps: readonly LiveStep[], event: ProgressEvent): LiveStep[] {
  const index = event.type === 'step-end' ? event.step.index : event.index;
  const at = steps.findIndex((s) => s.index === index);
  const current: LiveStep =
    at === -1
      ? { index, kind: event.type === 'step-end' ? event.step.kind : event.type === 'step-start' ? event.kind : 'step', title: event.type === 'step-end' ? event.step.title : event.type === 'step-start' ? event.title : `Step ${index + 1}`, text: '', step: null }
      : steps[at]!;
  let next: LiveStep;
  if (event.type === 'step-start') next = { ...current, kind: event.kind, title: event.title };
  else if (event.type === 'tokens') next = { ...current, text: current.text + event.text };
  else next = { ...current, kind: event.step.kind, title: event.step.title, step: event.step };
  const out = [...steps];
  if (at === -1) {
    out.push(next);
    out.sort((a, b) => a.index - b.index);
  } else out[at] = next;
  return out;
}

/** Totals of a trace for its header. */
export function traceTotals(trace: Trace): { tokensIn: number; tokensOut: number; modelSteps: number; executions: number } {
  let tokensIn = 0;
  let tokensOut = 0;
  let modelSteps = 0;
  let executions = 0;
  for (const s of trace.steps) {
    tokensIn += s.tokensIn;
    tokensOut += s.tokensOut;
    if (s.prompt !== null || s.messages !== null) modelSteps++;
    executions += s.executions.length;
  }
  return { tokensIn, tokensOut, modelSteps, executions };
}
