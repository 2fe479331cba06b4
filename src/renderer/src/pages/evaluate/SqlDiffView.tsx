import { useMemo, useState } from 'react';
import { formatDialect, sqlite } from 'sql-formatter';
import { writeClipboard } from '../../lib/clipboard.ts';
import { diffSql, type DiffSegment } from '../../lib/sqlDiff.ts';

const FORMAT_KEY = 'squill.evalFormatSql';

/** Laid out by sql-formatter when it can read the text; as written otherwise. */
function layout(sql: string): { text: string; formatted: boolean } {
  if (!sql.trim()) return { text: sql, formatted: false };
  try {
    return { text: formatDialect(sql, { dialect: sqlite, keywordCase: 'preserve', tabWidth: 2 }), formatted: true };
  } catch {
    return { text: sql, formatted: false };
  }
}

function Segments({ segments, empty }: { segments: DiffSegment[]; empty: string }) {
  if (segments.length === 0) return <span className="muted ev-sql-empty">{empty}</span>;
  return (
    <>
      {segments.map((s, i) =>
        s.kind === 'same' ? (
          <span key={i}>{s.text}</span>
        ) : s.kind === 'removed' ? (
          <del key={i} className="ev-del">
            {s.text}
          </del>
        ) : (
          <ins key={i} className="ev-ins">
            {s.text}
          </ins>
        ),
      )}
    </>
  );
}

function CopyButton({ text, what }: { text: string; what: string }) {
  const [state, setState] = useState<string | null>(null);
  return (
    <button
      type="button"
      className="ev-copy"
      disabled={!text}
      onClick={() =>
        writeClipboard(text).then(
          () => setState('Copied'),
          () => setState('Failed'),
        )
      }
      onBlur={() => setState(null)}
      aria-label={`Copy the ${what}`}
    >
      {state ?? 'Copy'}
    </button>
  );
}

/** Gold and predicted SQL side by side, token differences marked (removed in the gold, added in the prediction). */
export function SqlDiffView({ gold, pred }: { gold: string; pred: string }) {
  const [format, setFormat] = useState(() => {
    try {
      return localStorage.getItem(FORMAT_KEY) === '1';
    } catch {
      return false;
    }
  });
  const goldText = useMemo(() => (format ? layout(gold) : { text: gold, formatted: false }), [gold, format]);
  const predText = useMemo(() => (format ? layout(pred) : { text: pred, formatted: false }), [pred, format]);
  const predEmpty = pred.trim() === '';
  // against an empty prediction every gold token would read as removed: show the gold as it is
  const diff = useMemo(
    () => (predEmpty ? { ...diffSql(goldText.text, goldText.text), removed: 0 } : diffSql(goldText.text, predText.text)),
    [goldText.text, predText.text, predEmpty],
  );
  const toggle = (on: boolean) => {
    setFormat(on);
    try {
      localStorage.setItem(FORMAT_KEY, on ? '1' : '0');
    } catch {
      // not remembered
    }
  };
  return (
    <section className="panel ev-sql" aria-label="SQL">
      <div className="section-head">
        <h2>SQL</h2>
        <span className="ev-row small">
          <span className="muted" data-testid="sql-diff-summary">
            {predEmpty
              ? 'empty prediction'
              : diff.equivalent
              ? gold === pred
                ? 'identical'
                : 'same tokens (differs only in case, spacing or comments)'
              : `${diff.removed} ${diff.removed === 1 ? 'token' : 'tokens'} only in the gold, ${diff.added} only in the prediction`}
            {diff.coarse && ' (too long for a token diff: compared whole)'}
          </span>
          <span className="ev-legend">
            <del className="ev-del">gold only</del> <ins className="ev-ins">predicted only</ins>
          </span>
          <label className="ev-inline">
            <input type="checkbox" checked={format} onChange={(e) => toggle(e.target.checked)} /> Formatted
          </label>
        </span>
      </div>
      <div className="ev-sides">
        <div className="ev-side" aria-label="Gold SQL" role="region">
          <div className="ev-side-head">
            <strong>Gold</strong>
            {format && !goldText.formatted && gold.trim() && <span className="muted small">could not be formatted</span>}
            <CopyButton text={gold} what="gold SQL" />
          </div>
          <pre className="sql-block ev-sql-text" data-testid="gold-sql">
            <Segments segments={diff.gold} empty="(empty)" />
          </pre>
        </div>
        <div className="ev-side" aria-label="Predicted SQL" role="region">
          <div className="ev-side-head">
            <strong>Predicted</strong>
            {format && !predText.formatted && pred.trim() && <span className="muted small">could not be formatted</span>}
            <CopyButton text={pred} what="predicted SQL" />
          </div>
          <pre className="sql-block ev-sql-text" data-testid="pred-sql">
            <Segments segments={predEmpty ? [] : diff.pred} empty="(empty prediction)" />
          </pre>
        </div>
      </div>
    </section>
  );
}
