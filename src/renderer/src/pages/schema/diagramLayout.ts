/**
 * Automatic layout of the ER diagram with ELK's layered algorithm: referencing tables to the left of the tables
 * they reference, each key column as a port at its row so ELK orders the boxes to keep links short and uncrossed.
 * The bundled build runs ELK in the page (no worker file to serve under the CSP).
 */
import ELK, { type ElkNode, type ElkPort } from 'elkjs/lib/elk.bundled.js';
import { handleOffset, type DiagramModel } from './diagramModel.ts';

const LAYOUT_OPTIONS = {
  'elk.algorithm': 'layered',
  'elk.direction': 'RIGHT',
  'elk.edgeRouting': 'ORTHOGONAL',
  'elk.layered.spacing.nodeNodeBetweenLayers': '90',
  'elk.spacing.nodeNode': '36',
  'elk.spacing.edgeNode': '24',
  'elk.spacing.componentComponent': '70',
  'elk.layered.nodePlacement.strategy': 'NETWORK_SIMPLEX',
  'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
  // tables without keys between them are packed into rows instead of one tall column
  'elk.separateConnectedComponents': 'true',
  'elk.aspectRatio': '1.8',
};

let elk: InstanceType<typeof ELK> | undefined;

const portId = (table: string, handle: string) => `${table}\u0000${handle}`;

export type Positions = Map<string, { x: number; y: number }>;

export async function layoutDiagram(model: DiagramModel): Promise<Positions> {
  elk ??= new ELK();
  const byId = new Map(model.tables.map((t) => [t.id, t]));
  const ports = new Map<string, ElkPort[]>();
  const addPort = (table: string, handle: string) => {
    const box = byId.get(table)!;
    const list = ports.get(table) ?? [];
    if (list.some((p) => p.id === portId(table, handle))) return;
    const { x, y, side } = handleOffset(box, handle);
    list.push({ id: portId(table, handle), x, y, width: 0, height: 0, layoutOptions: { 'elk.port.side': side } });
    ports.set(table, list);
  };
  for (const link of model.links) {
    addPort(link.source, link.sourceHandle);
    addPort(link.target, link.targetHandle);
  }
  const graph: ElkNode = {
    id: 'root',
    layoutOptions: LAYOUT_OPTIONS,
    children: model.tables.map((t) => ({
      id: t.id,
      width: t.width,
      height: t.height,
      ports: ports.get(t.id) ?? [],
      layoutOptions: { 'elk.portConstraints': 'FIXED_POS' },
    })),
    edges: model.links.map((l) => ({
      id: l.id,
      sources: [portId(l.source, l.sourceHandle)],
      targets: [portId(l.target, l.targetHandle)],
    })),
  };
  const laidOut = await elk.layout(graph);
  return new Map((laidOut.children ?? []).map((n) => [n.id, { x: n.x ?? 0, y: n.y ?? 0 }]));
}
