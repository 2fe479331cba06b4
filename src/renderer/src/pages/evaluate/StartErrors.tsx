import type { SquillError } from '../../../../shared/errors.ts';

/** Validation issues of the contract's VALIDATION error: [{path, message}]. */
export function validationIssues(error: SquillError): { path: string; message: string }[] {
  const details = error.details as { issues?: unknown } | undefined;
  if (error.code !== 'VALIDATION' || !Array.isArray(details?.issues)) return [];
  return details.issues.filter(
    (i): i is { path: string; message: string } => typeof i === 'object' && i !== null && typeof i.path === 'string' && typeof i.message === 'string',
  );
}

/** What stops a run form: the form's own checks, then the backend's refusal with each invalid field. */
export function StartErrors({ problems, error, title, testId }: { problems: string[]; error: SquillError | null; title: string; testId: string }) {
  const issues = error ? validationIssues(error) : [];
  return (
    <>
      {problems.length > 0 && (
        <div className="notice notice-error" role="alert">
          {problems.map((p) => (
            <div key={p}>{p}</div>
          ))}
        </div>
      )}
      {error && (
        <div className="notice notice-error" role="alert" data-testid={testId}>
          <strong>{title}</strong> {error.message}
          {error.code && <span className="muted"> ({error.code})</span>}
          {issues.length > 0 && (
            <ul className="ev-issues">
              {issues.map((i) => (
                <li key={`${i.path}:${i.message}`}>
                  {i.path && <code className="mono">{i.path}</code>} {i.message}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </>
  );
}
