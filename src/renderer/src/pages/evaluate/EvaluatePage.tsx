import { href } from '../../app/router.ts';
import { ComparePage } from './ComparePage.tsx';
import { ExampleDrillDown } from './ExampleDrillDown.tsx';
import { useEvalProgress } from './hooks.ts';
import { RunPage } from './RunPage.tsx';
import { RunsHome } from './RunsHome.tsx';

/**
 * #/evaluate: the runs and a new run; #/evaluate/<runId>: one run; #/evaluate/<runId>/<index>: one example;
 * #/evaluate/compare/<runA>/<runB>: what changed between two runs.
 */
export function EvaluatePage({ rest }: { rest: string[] }) {
  useEvalProgress();
  const [first, second, third] = rest;
  if (first === undefined) return <RunsHome />;
  if (first === 'compare') return <ComparePage key={`${second}/${third}`} runA={second} runB={third} />;
  if (second === undefined) return <RunPage key={first} runId={first} />;
  const index = /^\d+$/.test(second) ? Number(second) : NaN;
  if (!Number.isSafeInteger(index) || rest.length > 2) {
    return (
      <div className="page">
        <h1>Page not found</h1>
        <p>
          There is no such page of an evaluation. <a href={href('evaluate', first)}>Go to the run</a>
        </p>
      </div>
    );
  }
  return <ExampleDrillDown key={`${first}/${index}`} runId={first} index={index} />;
}
