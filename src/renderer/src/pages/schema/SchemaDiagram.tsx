import '@xyflow/react/dist/style.css';
import { useEffect, useMemo, useState, type KeyboardEvent } from 'react';
import { useQuery } from '@tanstack/react-query';
import {
  Background,
  BackgroundVariant,
  Controls,
  MarkerType,
  MiniMap,
  ReactFlow,
  ReactFlowProvider,
  useNodesState,
  useReactFlow,
  useStoreApi,
  type Edge,
} from '@xyflow/react';
import type { DbSchema } from '../../../../shared/contract/index.ts';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { buildDiagram, type DiagramModel } from './diagramModel.ts';
import { layoutDiagram, type Positions } from './diagramLayout.ts';
import { findTable } from './model.ts';
import { TableNode, type TableFlowNode } from './TableNode.tsx';

const nodeTypes = { table: TableNode };
/** Above this many tables the diagram starts with key columns only, to stay readable. */
const COMPACT_ABOVE = 15;

/** The ER diagram of a database: tables as boxes, foreign keys as arrows to the referenced table. */
export function SchemaDiagram(props: { schema: DbSchema; current: string | undefined; onOpenTable: (name: string) => void }) {
  return (
    <ReactFlowProvider>
      <Diagram {...props} />
    </ReactFlowProvider>
  );
}

function Diagram({
  schema,
  current,
  onOpenTable,
}: {
  schema: DbSchema;
  current: string | undefined;
  onOpenTable: (name: string) => void;
}) {
  const [keyColumnsOnly, setKeyColumnsOnly] = useState(schema.tables.length > COMPACT_ABOVE);
  const model = useMemo(() => buildDiagram(schema, { keyColumnsOnly, measure: measureText }), [schema, keyColumnsOnly]);
  const layout = useQuery({
    queryKey: ['schema-diagram-layout', schema.fingerprint.schemaSha256, keyColumnsOnly, model.tables.length],
    queryFn: () => layoutDiagram(model),
    staleTime: Infinity,
    retry: false,
  });
  const currentId = current ? findTable(schema, current)?.name : undefined;
  const [focus, setFocus] = useState<string | null>(null);
  const { nodes, placed, onNodesChange, resetLayout } = useLaidOutNodes(model, layout.data, currentId);
  const edges = useMemo(() => (placed ? toEdges(placed, focus ?? currentId) : []), [placed, focus, currentId]);

  // Enter on a focused box opens its table, as a click does.
  const onKeyDown = (e: KeyboardEvent) => {
    const id = (e.target as HTMLElement).closest<HTMLElement>('.react-flow__node')?.dataset.id;
    if (e.key === 'Enter' && id) onOpenTable(id);
  };

  if (layout.error) return <ErrorNotice error={layout.error} what="the diagram layout" />;
  return (
    <div className="er-diagram">
      <DiagramToolbar
        model={model}
        keyColumnsOnly={keyColumnsOnly}
        onKeyColumnsOnly={setKeyColumnsOnly}
        onFind={setFocus}
        onResetLayout={resetLayout}
      />
      <div className="er-canvas" data-testid="er-diagram">
        {!layout.data && <p className="er-pending muted">Laying out {model.tables.length} tables…</p>}
        <ReactFlow
          nodes={nodes}
          edges={edges}
          nodeTypes={nodeTypes}
          onNodesChange={onNodesChange}
          onNodeClick={(_, node) => onOpenTable(node.id)}
          onNodeMouseEnter={(_, node) => setFocus(node.id)}
          onNodeMouseLeave={() => setFocus(null)}
          onKeyDown={onKeyDown}
          nodesConnectable={false}
          edgesFocusable={false}
          minZoom={0.1}
          maxZoom={2}
          onlyRenderVisibleElements={model.tables.length > 80}
          aria-label="Entity-relationship diagram"
        >
          <Background variant={BackgroundVariant.Dots} gap={20} size={1} />
          <Controls showInteractive={false} />
          <MiniMap pannable zoomable nodeBorderRadius={4} ariaLabel="Overview of the diagram" />
        </ReactFlow>
      </div>
    </div>
  );
}

/**
 * React Flow's nodes at ELK's positions; the user may drag them, and resetLayout puts them back. `placed` is the
 * model the nodes show, so edges never name handles of a model whose layout is still being computed.
 */
function useLaidOutNodes(model: DiagramModel, positions: Positions | undefined, currentId: string | undefined) {
  const [nodes, setNodes, onNodesChange] = useNodesState<TableFlowNode>([]);
  const [placed, setPlaced] = useState<DiagramModel | null>(null);
  const { fitView } = useReactFlow();
  const store = useStoreApi();

  const place = () => {
    if (!positions) return;
    setPlaced(model);
    setNodes(
      model.tables.map((t) => ({
        id: t.id,
        type: 'table',
        position: positions.get(t.id) ?? { x: 0, y: 0 },
        width: t.width,
        height: t.height,
        data: { table: t, current: t.id === currentId },
        ariaLabel: `Table ${t.name}`,
      })),
    );
    // after React Flow has the new nodes, and not while the diagram is hidden (no size to fit into)
    requestAnimationFrame(() => {
      if (store.getState().width > 0) void fitView({ padding: 0.1, duration: 200 });
    });
  };
  // only a new layout places the nodes; the current table changing must not undo the user's dragging
  useEffect(place, [positions]);
  useEffect(() => {
    setNodes((ns) => ns.map((n) => ({ ...n, data: { ...n.data, current: n.id === currentId } })));
  }, [currentId, setNodes]);
  return { nodes, placed, onNodesChange, resetLayout: place };
}

function toEdges(model: DiagramModel, active: string | null | undefined): Edge[] {
  return model.links.map((l) => {
    const on = l.source === active || l.target === active;
    return {
      id: l.id,
      source: l.source,
      sourceHandle: l.sourceHandle,
      target: l.target,
      targetHandle: l.targetHandle,
      type: 'smoothstep',
      className: on ? 'er-edge er-edge-active' : 'er-edge',
      zIndex: on ? 1 : 0,
      selectable: false,
      markerEnd: { type: MarkerType.ArrowClosed, width: 16, height: 16, color: on ? 'var(--accent)' : 'var(--er-edge)' },
      ariaLabel: `${l.source} references ${l.target}`,
    };
  });
}

function DiagramToolbar({
  model,
  keyColumnsOnly,
  onKeyColumnsOnly,
  onFind,
  onResetLayout,
}: {
  model: DiagramModel;
  keyColumnsOnly: boolean;
  onKeyColumnsOnly: (on: boolean) => void;
  onFind: (id: string | null) => void;
  onResetLayout: () => void;
}) {
  const { fitView } = useReactFlow();
  const find = (id: string) => {
    if (!id) return onFind(null);
    onFind(id);
    void fitView({ nodes: [{ id }], duration: 300, maxZoom: 1.2, padding: 0.4 });
  };
  return (
    <div className="er-toolbar">
      <select aria-label="Find a table" defaultValue="" onChange={(e) => find(e.target.value)}>
        <option value="">Find a table…</option>
        {model.tables.map((t) => (
          <option key={t.id} value={t.id}>
            {t.name}
          </option>
        ))}
      </select>
      <label className="er-toggle">
        <input type="checkbox" checked={keyColumnsOnly} onChange={(e) => onKeyColumnsOnly(e.target.checked)} /> Key
        columns only
      </label>
      <button type="button" onClick={onResetLayout}>
        Reset layout
      </button>
      <span className="muted small">
        {model.tables.length} tables · {model.links.length} key {model.links.length === 1 ? 'link' : 'links'}
        {model.danglingKeys > 0 && (
          <span className="bad"> · {model.danglingKeys} foreign keys point at missing tables</span>
        )}
      </span>
      <span className="er-legend small muted">
        <span className="er-key er-key-pk">PK</span> primary key <span className="er-key er-key-fk">FK</span> foreign
        key · click a table to open it
      </span>
    </div>
  );
}

// Box widths come from the text they hold, measured in the nodes' own fonts (see .er-* in styles.css).
const FONTS = { title: '600 13px', name: '12px', type: '11px' } as const;
let measuring: { context: CanvasRenderingContext2D | null; mono: string } | undefined;

function measureText(text: string, font: keyof typeof FONTS): number {
  measuring ??= {
    context: document.createElement('canvas').getContext('2d'),
    mono: getComputedStyle(document.documentElement).getPropertyValue('--mono').trim() || 'monospace',
  };
  if (!measuring.context) return text.length * 7.5;
  measuring.context.font = `${FONTS[font]} ${measuring.mono}`;
  return measuring.context.measureText(text).width;
}
