import { useMemo } from 'react';
import { buildPlanTree, isFullScan, planText, type PlanNode, type PlanStep } from './planTree.ts';
import { writeClipboard } from '../../lib/clipboard.ts';

/** EXPLAIN QUERY PLAN as an indented tree; full table scans are flagged, as they are what makes queries slow. */
export function QueryPlan({ steps, sql }: { steps: PlanStep[]; sql: string }) {
  const tree = useMemo(() => buildPlanTree(steps), [steps]);
  return (
    <div className="plan-view" data-testid="query-plan">
      <div className="result-bar">
        <span className="plan-title">
          <strong>Query plan</strong>
          <span className="muted small mono plan-sql" title={sql}>
            {sql.trim().replace(/\s+/g, ' ')}
          </span>
        </span>
        <button type="button" onClick={() => void writeClipboard(planText(tree))} title="Copy the plan as indented text">
          Copy plan
        </button>
      </div>
      {tree.length === 0 ? (
        <p className="muted result-empty">SQLite reported no plan steps for this statement.</p>
      ) : (
        <ul className="plan-tree" role="tree" aria-label="Query plan">
          {tree.map((node) => (
            <PlanItem key={node.id} node={node} />
          ))}
        </ul>
      )}
    </div>
  );
}

function PlanItem({ node }: { node: PlanNode }) {
  const scan = isFullScan(node.detail);
  return (
    <li role="treeitem" aria-expanded={node.children.length > 0 ? true : undefined}>
      <span className="plan-step mono">
        {node.detail}
        {scan && (
          <span className="badge badge-warn" title="Reads every row of the table: an index on the filtered or joined columns may help">
            full scan
          </span>
        )}
      </span>
      {node.children.length > 0 && (
        <ul role="group">
          {node.children.map((child) => (
            <PlanItem key={child.id} node={child} />
          ))}
        </ul>
      )}
    </li>
  );
}
