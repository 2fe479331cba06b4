import type { TrainDataCheck } from '../../../../shared/contract/index.ts';
import { formatCount } from '../../lib/format.ts';

const DEV_FROM: Record<TrainDataCheck['devFrom'], string> = {
  split: 'held out from the dataset',
  'dev set': 'the separate dev set',
  none: 'none: no dev evaluation',
};

/** One line for the review: sizes, rejected rows, benchmark overlap. */
export function DataCheckSummary({ check }: { check: TrainDataCheck }) {
  const invalid = check.sources.reduce((n, s) => n + s.invalidTotal, 0);
  const overlapping = check.contamination.filter((c) => c.overlapExamples > 0);
  return (
    <span data-testid="ft-data-summary">
      {formatCount(check.train)} training and {formatCount(check.dev)} dev examples from {formatCount(check.databases.length)} database{check.databases.length === 1 ? '' : 's'}
      {invalid > 0 && <>, {formatCount(invalid)} invalid row{invalid === 1 ? '' : 's'} left out</>}
      {overlapping.length > 0 ? (
        <span className="badge badge-warn" title="Training examples that share a normalized question or SQL with an evaluation set">
          {' '}
          overlaps {overlapping.map((c) => `${c.name} (${c.questionOverlap} questions, ${c.sqlOverlap} SQL)`).join(', ')}
        </span>
      ) : (
        check.contamination.length > 0 && <span className="badge badge-ok"> no overlap with {check.contamination.map((c) => c.name).join(', ')}</span>
      )}
    </span>
  );
}

/** The data step's report: what a job would read from the dataset(s), before anything trains. */
export function DataCheckView({ check }: { check: TrainDataCheck }) {
  const invalid = check.sources.flatMap((s) => s.invalid.map((r) => ({ ...r, source: s })));
  const invalidTotal = check.sources.reduce((n, s) => n + s.invalidTotal, 0);
  return (
    <div className="ft-check" data-testid="ft-data-check">
      <p>
        <strong>{formatCount(check.train)}</strong> training examples, <strong>{formatCount(check.dev)}</strong> dev examples ({DEV_FROM[check.devFrom]}), from{' '}
        {formatCount(check.databases.length)} database{check.databases.length === 1 ? '' : 's'}. <span className="muted small">Read in {(check.ms / 1000).toFixed(1)} s.</span>
      </p>
      <table className="table ft-compact">
        <thead>
          <tr>
            <th>Source</th>
            <th className="cell-num">Examples</th>
            <th className="cell-num">Invalid rows</th>
          </tr>
        </thead>
        <tbody>
          {check.sources.map((s, i) => (
            <tr key={i}>
              <td>
                {s.role === 'dev' ? 'dev set: ' : ''}
                {s.kind} <span className="mono small">{s.path ?? ''}</span>
              </td>
              <td className="cell-num">{formatCount(s.examples)}</td>
              <td className="cell-num">{formatCount(s.invalidTotal)}</td>
            </tr>
          ))}
        </tbody>
      </table>

      {invalidTotal > 0 && (
        <details className="ft-details" open={invalidTotal <= 20}>
          <summary>
            {formatCount(invalidTotal)} invalid row{invalidTotal === 1 ? '' : 's'}: not trained on{invalid.length < invalidTotal ? ` (the first ${formatCount(invalid.length)} shown)` : ''}
          </summary>
          <div className="table-scroll ft-scroll">
            <table className="table ft-compact" aria-label="Invalid rows">
              <thead>
                <tr>
                  <th>Source</th>
                  <th className="cell-num">Line</th>
                  <th>Why</th>
                </tr>
              </thead>
              <tbody>
                {invalid.map((r, i) => (
                  <tr key={i}>
                    <td className="small">{r.source.role === 'dev' ? 'dev set' : r.source.kind}</td>
                    <td className="cell-num">{r.line}</td>
                    <td>{r.reason}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </details>
      )}

      <h3>Overlap with evaluation sets</h3>
      {check.contamination.length === 0 ? (
        <p className="muted small">No evaluation benchmark was found on this machine and the run has no separate dev set: nothing to compare with.</p>
      ) : (
        <>
          <p className="muted small">
            Training examples whose normalized question (case, punctuation, spacing) or SQL (tokens, case) equals one in an evaluation set. Training on them inflates
            that set's accuracy.
          </p>
          <table className="table ft-compact" aria-label="Benchmark overlap">
            <thead>
              <tr>
                <th>Evaluation set</th>
                <th className="cell-num">Its examples</th>
                <th className="cell-num">Same question</th>
                <th className="cell-num">Same SQL</th>
              </tr>
            </thead>
            <tbody>
              {check.contamination.map((c) => (
                <tr key={c.name}>
                  <td>
                    {c.name} {c.overlapExamples > 0 ? <span className="badge badge-warn">overlap</span> : <span className="badge badge-ok">clean</span>}
                  </td>
                  <td className="cell-num">{formatCount(c.examples)}</td>
                  <td className="cell-num">{formatCount(c.questionOverlap)}</td>
                  <td className="cell-num">{formatCount(c.sqlOverlap)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {check.contamination
            .filter((c) => c.overlapExamples > 0)
            .map((c) => (
              <details key={c.name} className="ft-details">
                <summary>
                  {formatCount(c.overlapExamples)} overlapping training example{c.overlapExamples === 1 ? '' : 's'}: {c.name}
                  {c.overlapping.length < c.overlapExamples ? ` (the first ${c.overlapping.length} shown)` : ''}
                </summary>
                <div className="table-scroll ft-scroll">
                  <table className="table ft-compact">
                    <thead>
                      <tr>
                        <th>Same</th>
                        <th>Question</th>
                        <th>SQL</th>
                      </tr>
                    </thead>
                    <tbody>
                      {c.overlapping.map((o) => (
                        <tr key={o.id}>
                          <td className="small">{o.by}</td>
                          <td>{o.question}</td>
                          <td className="mono small">{o.sql}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              </details>
            ))}
        </>
      )}

      <h3>Tokens</h3>
      <p className="small">
        Questions: {check.tokens.question.mean.toFixed(1)} tokens on average, at most {check.tokens.question.max}. Gold SQL: {check.tokens.sql.mean.toFixed(1)} on average, at
        most {check.tokens.sql.max}. <span className="muted">The method's prompts (schema included) are counted on the Hyperparameters step.</span>
      </p>
      <details className="ft-details">
        <summary>Databases ({check.databases.length})</summary>
        <table className="table ft-compact">
          <thead>
            <tr>
              <th>Database</th>
              <th className="cell-num">Train</th>
              <th className="cell-num">Dev</th>
            </tr>
          </thead>
          <tbody>
            {check.databases.map((d) => (
              <tr key={d.dbId}>
                <td className="mono">{d.dbId}</td>
                <td className="cell-num">{formatCount(d.train)}</td>
                <td className="cell-num">{formatCount(d.dev)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
      <details className="ft-details">
        <summary>First training examples</summary>
        <div className="table-scroll ft-scroll">
          <table className="table ft-compact" aria-label="First training examples">
            <thead>
              <tr>
                <th>Database</th>
                <th>Question</th>
                <th>SQL</th>
                <th className="cell-num">Tokens (q / SQL)</th>
              </tr>
            </thead>
            <tbody>
              {check.sample.map((e) => (
                <tr key={e.id}>
                  <td className="mono small">{e.dbId}</td>
                  <td>{e.question}</td>
                  <td className="mono small">{e.sql}</td>
                  <td className="cell-num">
                    {e.questionTokens} / {e.sqlTokens}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </div>
  );
}
