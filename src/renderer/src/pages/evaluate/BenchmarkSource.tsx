import { useState, type ReactNode } from 'react';
import { BENCHES } from '../../../../shared/contract/index.ts';
import { useProcedure } from '../../api/hooks.ts';
import { formatCount } from '../../lib/format.ts';
import { PathInput } from '../../components/PathInput.tsx';
import { BENCH_LABEL, type Bench } from './model.ts';

/**
 * The benchmark and its data folder, as both run forms choose them: the folder follows the benchmark's first folder
 * detected on the backend machine until the user picks or types one.
 */
export function useBenchmarkSource() {
  const benchmarks = useProcedure('eval.benchmarks', {}, { staleTime: 60_000 });
  const [bench, setBench] = useState<Bench>('spider');
  const [typedDir, setTypedDir] = useState<string | null>(null);
  const detected = (benchmarks.data ?? []).filter((b) => b.bench === bench);
  const dataDir = typedDir ?? detected[0]?.path ?? '';
  const chooseBench = (next: Bench) => {
    setBench(next);
    setTypedDir(null);
  };
  return { benchmarks, bench, chooseBench, dataDir, setDataDir: setTypedDir, detected };
}

export type BenchmarkSourceState = ReturnType<typeof useBenchmarkSource>;

/** The benchmark tabs and the data folder field (detected folders, a typed path, and what was found). */
export function BenchmarkSource({
  id,
  source,
  onBench,
  jsonlHint,
  placeholder,
}: {
  id: string;
  source: BenchmarkSourceState;
  /** called instead of source.chooseBench, for forms that reset more with the benchmark */
  onBench?: (bench: Bench) => void;
  /** what the folder means for JSON lines examples */
  jsonlHint: ReactNode;
  placeholder: string;
}) {
  const { benchmarks, bench, dataDir, detected } = source;
  const dirChoice = detected.some((b) => b.path === dataDir) ? dataDir : '';
  return (
    <>
      <fieldset className="ev-field">
        <legend>Benchmark</legend>
        <div className="tabs" role="radiogroup" aria-label="Benchmark">
          {BENCHES.map((b) => (
            <label key={b} className={`tab ev-radio-tab${bench === b ? ' tab-active' : ''}`}>
              <input type="radio" name={`${id}-bench`} value={b} checked={bench === b} onChange={() => (onBench ?? source.chooseBench)(b)} />
              {BENCH_LABEL[b]}
            </label>
          ))}
        </div>
      </fieldset>

      <div className="ev-field">
        <label htmlFor={`${id}-dir`} className="ev-label">
          Data folder{bench === 'jsonl' && <span className="muted"> ({jsonlHint})</span>}
        </label>
        <div className="ev-row">
          {detected.length > 0 && (
            <select aria-label="Detected benchmark folders" value={dirChoice} onChange={(e) => source.setDataDir(e.target.value)}>
              {detected.map((b) => (
                <option key={b.path} value={b.path}>
                  {b.path} — {formatCount(b.examples)} examples, {formatCount(b.databases)} databases
                </option>
              ))}
              <option value="">Another folder…</option>
            </select>
          )}
          <PathInput id={`${id}-dir`} className="ev-grow" value={dataDir} onChange={source.setDataDir} placeholder={placeholder} label="Data folder path" />
        </div>
        {benchmarks.isLoading && <p className="muted small ev-hint">Looking for benchmark folders…</p>}
        {benchmarks.error && <p className="muted small ev-hint">Could not list benchmark folders ({benchmarks.error.message}); type the path.</p>}
        {benchmarks.data && detected.length === 0 && bench !== 'jsonl' && (
          <p className="muted small ev-hint">No {BENCH_LABEL[bench]} folder was found on the backend machine; type its path.</p>
        )}
        {detected
          .filter((b) => b.path === dataDir && b.note)
          .map((b) => (
            <p key={b.path} className="muted small ev-hint">
              {b.note}
            </p>
          ))}
      </div>
    </>
  );
}
