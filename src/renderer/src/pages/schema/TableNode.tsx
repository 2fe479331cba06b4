import { memo } from 'react';
import { Handle, Position, type Node, type NodeProps } from '@xyflow/react';
import { TABLE_HANDLE, inHandle, outHandle, rowLabel, type DiagramTable } from './diagramModel.ts';

export type TableNodeData = { table: DiagramTable; current: boolean };
export type TableFlowNode = Node<TableNodeData, 'table'>;

/** One table in the ER diagram: its name and row count, then its columns with PK/FK marks. */
export const TableNode = memo(function TableNode({ data: { table, current } }: NodeProps<TableFlowNode>) {
  return (
    <div className={`er-node${current ? ' er-node-current' : ''}`} data-testid={`er-node-${table.name}`}>
      <div className="er-node-head">
        <Handle type="target" position={Position.Left} id={TABLE_HANDLE} isConnectable={false} className="er-handle" />
        <span className="er-node-name" title={table.name}>
          {table.name}
        </span>
        <span className="er-node-rows">{rowLabel(table.rowCount)}</span>
      </div>
      {table.columns.map((c) => (
        <div key={c.index} className={`er-col${c.pk ? ' er-col-pk' : ''}`}>
          {c.in && (
            <Handle
              type="target"
              position={Position.Left}
              id={inHandle(c.index)}
              isConnectable={false}
              className="er-handle"
            />
          )}
          <span className="er-col-keys">
            {c.pk && <span className="er-key er-key-pk">PK</span>}
            {c.fk && <span className="er-key er-key-fk">FK</span>}
          </span>
          <span className="er-col-name" title={c.name}>
            {c.name}
          </span>
          <span className="er-col-type" title={c.type}>
            {c.type}
          </span>
          {c.out && (
            <Handle
              type="source"
              position={Position.Right}
              id={outHandle(c.index)}
              isConnectable={false}
              className="er-handle"
            />
          )}
        </div>
      ))}
      {table.hiddenColumns > 0 && (
        <div className="er-col er-col-more">
          +{table.hiddenColumns} more {table.hiddenColumns === 1 ? 'column' : 'columns'}
        </div>
      )}
    </div>
  );
});
