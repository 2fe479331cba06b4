import type { SquillError } from '../../../shared/errors.ts';

/** A failed backend call, as the user sees it: the message, and the code for a bug report. */
export function ErrorNotice({ error, what }: { error: SquillError | Error; what: string }) {
  const code = 'code' in error ? (error as SquillError).code : undefined;
  return (
    <div className="notice notice-error" role="alert">
      <strong>Could not load {what}.</strong> {error.message}
      {code && <span className="muted"> ({code})</span>}
    </div>
  );
}

/** A failed action beside the control that started it. */
export function InlineError({ title, message }: { title: string; message: string }) {
  return (
    <div className="notice notice-error" role="alert">
      <strong>{title}</strong> {message}
    </div>
  );
}
