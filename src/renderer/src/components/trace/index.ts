/** The trace of an ask, as every page shows it (Workbench panel, #/trace/<id>, Evaluate drill-down), and its pure helpers. */
export { TraceView, type TraceViewProps } from './TraceView.tsx';
export { StepItem, stepFacts } from './StepItem.tsx';
export { PreviewTable, ExecutionView } from './ExecutionView.tsx';
export { LinkedSchema } from './LinkedSchema.tsx';
export { addLink, applyProgress, columnKey, linkedOf, splitReasoning, sqlChanges, type Linked, type LiveStep, type ProgressEvent } from './traceModel.ts';
