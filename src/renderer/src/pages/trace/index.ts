/** The trace page (#/trace/<id>); the trace view itself is in components/trace. */
export { TracePage } from './TracePage.tsx';
