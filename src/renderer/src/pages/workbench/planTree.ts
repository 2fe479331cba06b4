/**
 * EXPLAIN QUERY PLAN gives flat steps {id, parent, detail}; parent 0 is the top level. The tree keeps SQLite's order
 * of siblings (ids ascend in the order the plan prints).
 */

export interface PlanStep {
  id: number;
  parent: number;
  detail: string;
}

export interface PlanNode {
  id: number;
  detail: string;
  children: PlanNode[];
}

export function buildPlanTree(steps: readonly PlanStep[]): PlanNode[] {
  const nodes = new Map<number, PlanNode>();
  for (const s of steps) nodes.set(s.id, { id: s.id, detail: s.detail, children: [] });
  const roots: PlanNode[] = [];
  for (const s of steps) {
    const node = nodes.get(s.id)!;
    // a parent missing from the steps (should not happen) puts the step at the top level rather than losing it
    const parent = s.parent !== s.id ? nodes.get(s.parent) : undefined;
    (parent ? parent.children : roots).push(node);
  }
  return roots;
}

/** Whether a plan step reads a whole table (SCAN without an index): the thing to look at when a query is slow. */
export const isFullScan = (detail: string) => /^SCAN\b/.test(detail) && !/\bUSING\b.*\bINDEX\b/.test(detail);

/** The plan as indented text (two spaces per level), for copying. */
export function planText(nodes: readonly PlanNode[], depth = 0): string {
  return nodes.map((n) => `${'  '.repeat(depth)}${n.detail}\n${planText(n.children, depth + 1)}`).join('');
}
