import { useState, type ReactNode } from 'react';
import { InlineError } from './ErrorNotice.tsx';

/**
 * Removing something from Squill takes a second click. `note` follows the question (what happens to the file),
 * `children` adds options to the confirmation (e.g. also delete a downloaded file).
 */
export function ConfirmRemove({ name, note, onRemove, pending, error, children }: {
  name: string;
  note: string;
  onRemove: () => void;
  pending: boolean;
  error: Error | null;
  children?: ReactNode;
}) {
  const [confirming, setConfirming] = useState(false);
  return (
    <div className="conn-remove">
      {!confirming ? (
        <button type="button" className="danger-quiet" onClick={() => setConfirming(true)}>
          Remove…
        </button>
      ) : (
        <div className="confirm" role="group" aria-label={`Remove ${name}`}>
          <span>
            Remove <strong>{name}</strong> from Squill?{note}
          </span>
          {children}
          <button type="button" className="danger" onClick={onRemove} disabled={pending}>
            {pending ? 'Removing…' : 'Remove'}
          </button>
          <button type="button" onClick={() => setConfirming(false)} disabled={pending}>
            Cancel
          </button>
        </div>
      )}
      {error && <InlineError title={`Could not remove ${name}.`} message={error.message} />}
    </div>
  );
}
