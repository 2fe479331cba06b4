/**
 * Pure helpers of the rollout browser: which atomic operations a prediction shares with its gold, the tables and
 * columns both SQLs name (the trace view's Linked maps, with 0 = gold and 1 = prediction as their sources), and
 * how the step picker follows a running job.
 */
import type { NamedSchema } from '../../../../shared/sql/linked.ts';
import { linkedBySql } from '../../../../shared/sql/linked.ts';
import { addLink, columnKey, type Linked } from '../../components/trace/index.ts';

export const GOLD = 0;
export const PREDICTION = 1;

/** Each side's atomic operations (as the reward lists them), the ones in both marked; `shared` counts distinct ones. */
export function compareOps(pred: readonly string[], gold: readonly string[]) {
  const inPred = new Set(pred);
  const inGold = new Set(gold);
  const shared = [...inPred].filter((op) => inGold.has(op)).length;
  return {
    pred: pred.map((op) => ({ op, shared: inGold.has(op) })),
    gold: gold.map((op) => ({ op, shared: inPred.has(op) })),
    shared,
    /** distinct operations of either side */
    union: new Set([...pred, ...gold]).size,
  };
}

/** The schema names the gold SQL and the prediction use, each with the sides that use it. */
export function linkedOfSample(schema: NamedSchema, gold: string, sql: string): Linked {
  const tables = new Map<string, number[]>();
  const columns = new Map<string, number[]>();
  for (const [source, text] of [[GOLD, gold], [PREDICTION, sql]] as const) {
    const linked = linkedBySql(text, schema);
    for (const t of linked.tables) addLink(tables, t.toLowerCase(), source);
    for (const c of linked.columns) addLink(columns, columnKey(c.table, c.column), source);
  }
  return { tables, columns };
}

export const describeSources = (sources: number[]) =>
  sources.includes(GOLD) && sources.includes(PREDICTION) ? 'used by the gold SQL and the prediction' : sources.includes(GOLD) ? 'used by the gold SQL only' : 'used by the prediction only';

/** The step the browser shows: the one picked, else the latest kept (null: none yet). */
export function shownStep(steps: readonly number[], picked: number | null): number | null {
  if (picked !== null && steps.includes(picked)) return picked;
  return steps.at(-1) ?? null;
}

/** An advantage's sign as a class: what the step taught towards (positive) or away from (negative). */
export const advantageClass = (a: number) => (a > 0 ? 'ok' : a < 0 ? 'bad' : 'muted');

/** A reward part: null when the run did not compute it. */
export const part = (v: number | null, digits = 2) => (v === null ? '—' : v.toFixed(digits));
