import type { TrainEstimate } from '../../../../shared/contract/index.ts';
import { formatBytes, formatCount, formatDuration, formatParams } from '../../lib/format.ts';

/** Peak memory against this machine's, and the rough training time. */
export function EstimateHeadline({ estimate }: { estimate: TrainEstimate }) {
  const tight = estimate.peakBytes > estimate.host.freeMemBytes;
  return (
    <div className="ft-headline" data-testid="ft-estimate">
      <span>
        Peak memory ≈ <strong>{formatBytes(estimate.peakBytes)}</strong>{' '}
        <span className={tight ? 'badge badge-warn' : 'muted small'}>
          {formatBytes(estimate.host.freeMemBytes)} free of {formatBytes(estimate.host.totalMemBytes)}
          {tight ? ': may not fit; close other programs or lower the rank' : ''}
        </span>
      </span>
      <span>
        Training ≈ <strong>{formatDuration(estimate.seconds)}</strong>{' '}
        <span className="muted small">
          for {formatCount(estimate.totalSteps)} steps,{' '}
          {estimate.timeFrom.kind === 'runs'
            ? `at the ${formatCount(Math.round(estimate.timeFrom.tokensPerS))} tokens/s measured over ${formatCount(estimate.timeFrom.steps)} earlier steps on this model`
            : 'from the FLOPs (rough: a factor of a few either way until a run on this model measures it)'}
          ; dev evaluations not included
        </span>
      </span>
    </div>
  );
}

/** The estimator's figures per adapter, and the token counts of the method's real samples. */
export function EstimateView({ estimate }: { estimate: TrainEstimate }) {
  return (
    <div className="ft-estimate" aria-label="Estimate">
      <h3>Estimate</h3>
      <EstimateHeadline estimate={estimate} />
      <p className="muted small">
        From the model file, these settings and the method's samples for {estimate.previewed === estimate.trainExamples ? 'all' : `${formatCount(estimate.previewed)} of`}{' '}
        {formatCount(estimate.trainExamples)} training examples
        {estimate.previewed < estimate.trainExamples ? ' (a seeded subset; sample counts scaled up, the longest sequence may be longer)' : ''}. Made in{' '}
        {(estimate.ms / 1000).toFixed(1)} s.
      </p>
      <div className="table-scroll">
        <table className="table ft-compact" aria-label="Estimate per adapter">
          <thead>
            <tr>
              <th>Adapter</th>
              <th className="cell-num">Samples</th>
              <th className="cell-num">Tokens (mean / longest)</th>
              <th className="cell-num">Steps</th>
              <th className="cell-num">Base</th>
              <th className="cell-num">LoRA + optimizer</th>
              <th className="cell-num">Activations</th>
              <th className="cell-num">Loss</th>
              <th className="cell-num">Peak</th>
              <th className="cell-num">Time</th>
            </tr>
          </thead>
          <tbody>
            {estimate.adapters.map((a) => (
              <tr key={a.role}>
                <td>
                  {a.label} <span className="muted small">{formatParams(a.trainableParams)} trainable</span>
                </td>
                <td className="cell-num" title={Object.entries(a.byTask).map(([t, n]) => `${t}: ${n}`).join('\n')}>
                  {formatCount(a.samples)}
                  <div className="muted small">{Object.entries(a.byTask).map(([t, n]) => `${t} ${formatCount(n)}`).join(' · ')}</div>
                </td>
                <td className="cell-num">
                  {a.meanTokens.toFixed(0)} / {a.longestTokens}
                  <div className="muted small">context {a.ctx}</div>
                </td>
                <td className="cell-num">{formatCount(a.steps)}</td>
                <td className="cell-num">{formatBytes(a.memory.baseBytes)}</td>
                <td className="cell-num">{formatBytes(a.memory.loraBytes + a.memory.optimizerBytes)}</td>
                <td className="cell-num">{formatBytes(a.memory.activationBytes)}</td>
                <td className="cell-num">{formatBytes(a.memory.lossBytes)}</td>
                <td className="cell-num">{formatBytes(a.memory.totalBytes)}</td>
                <td className="cell-num">
                  {formatDuration(a.seconds)}
                  <div className="muted small">{a.secondsPerStep < 1 ? `${(a.secondsPerStep * 1000).toFixed(0)} ms` : `${a.secondsPerStep.toFixed(1)} s`}/step</div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <details className="ft-details">
        <summary>Token counts of the first examples' samples</summary>
        <div className="table-scroll ft-scroll">
          <table className="table ft-compact" aria-label="Sample token counts">
            <thead>
              <tr>
                <th>Question</th>
                <th className="cell-num">Samples</th>
                <th className="cell-num">Prompt tokens</th>
                <th className="cell-num">Answer tokens</th>
                <th className="cell-num">Longest sample</th>
              </tr>
            </thead>
            <tbody>
              {estimate.examples.map((e) => (
                <tr key={e.id}>
                  <td>{e.question}</td>
                  <td className="cell-num">{e.samples}</td>
                  <td className="cell-num">{formatCount(e.promptTokens)}</td>
                  <td className="cell-num">{formatCount(e.targetTokens)}</td>
                  <td className="cell-num">{formatCount(e.maxSampleTokens)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <p className="muted small">Prompt tokens include the chat template; only answer tokens are learned.</p>
      </details>
    </div>
  );
}
