/** The trace of an ask: the view (Workbench panel, #/trace/<id>, Evaluate drill-down) and its pure helpers. */
export { TraceView, type TraceViewProps } from './TraceView.tsx';
export { TracePage } from './TracePage.tsx';
export { StepItem, stepFacts } from './StepItem.tsx';
export { PreviewTable, ExecutionView } from './ExecutionView.tsx';
export { applyProgress, linkedOf, splitReasoning, sqlChanges, type LiveStep, type ProgressEvent } from './traceModel.ts';
