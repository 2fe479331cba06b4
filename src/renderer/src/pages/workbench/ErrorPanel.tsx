import type { SquillError } from '../../../../shared/errors.ts';
import { lineAndColumn } from '../../lib/format.ts';

const TITLES: Partial<Record<SquillError['code'], string>> = {
  REFUSED: 'Refused by the sandbox',
  SQL_ERROR: 'SQLite error',
  TIMEOUT: 'Timed out',
  VALIDATION: 'Invalid request',
  NOT_FOUND: 'Not found',
  UNAVAILABLE: 'Database unavailable',
  CANCELLED: 'Cancelled',
};

/** Where an error points in the editor text, from the backend's details.offset (relative to the SQL it ran). */
export function errorOffset(error: SquillError | Error): number | null {
  const details = 'details' in error ? (error as SquillError).details : undefined;
  const offset = (details as { offset?: unknown } | undefined)?.offset;
  return typeof offset === 'number' && Number.isInteger(offset) && offset >= 0 ? offset : null;
}

/**
 * A failed run or explain: what kind of failure, SQLite's or the sandbox's message, and the place in the SQL it
 * points at (a button that puts the cursor there).
 */
export function ErrorPanel({
  error,
  editorText,
  editorOffset,
  onLocate,
}: {
  error: SquillError | Error;
  /** the editor's text and the offset of the problem in it, when known */
  editorText: string;
  editorOffset: number | null;
  onLocate: (offset: number) => void;
}) {
  const code = 'code' in error ? (error as SquillError).code : undefined;
  const title = (code && TITLES[code]) ?? 'The query failed';
  const where = editorOffset === null ? null : lineAndColumn(editorText, editorOffset);
  return (
    <div className={`query-error notice ${code === 'REFUSED' ? 'notice-warn' : 'notice-error'}`} role="alert" data-testid="query-error">
      <div>
        <strong>{title}</strong>
        {code && <span className="muted small"> ({code})</span>}
      </div>
      <p className="mono error-message">{error.message}</p>
      {where && editorOffset !== null && (
        <button type="button" className="link-button" onClick={() => onLocate(editorOffset)}>
          Show in the editor: line {where.line}, column {where.column}
        </button>
      )}
    </div>
  );
}
