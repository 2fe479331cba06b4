import { z } from 'zod';

/** Every failure that crosses a boundary (IPC, WebSocket, CLI) is one of these codes. */
export const ERROR_CODES = [
  'VALIDATION', // the input does not match the contract; details.issues lists the field paths
  'BAD_REQUEST', // malformed message, unknown procedure or event
  'UNAUTHORIZED',
  'FORBIDDEN', // allowed in general, not here: a path outside the folders a team server lets browser clients name
  'NOT_FOUND',
  'CONFLICT',
  'TIMEOUT',
  'LIMIT', // stopped for using more of a resource (memory) than allowed
  'CANCELLED',
  'UNAVAILABLE', // a dependency (engine, file, database) cannot be used right now
  'REFUSED', // the SQL sandbox will not run this statement; the message names what and why
  'SQL_ERROR', // SQLite rejected the statement; details.offset is the position when known
  'INTERNAL', // a bug: the message says what happened, the log has the stack
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export const ValidationIssueSchema = z.object({
  path: z.string(),
  message: z.string(),
});
export type ValidationIssue = z.infer<typeof ValidationIssueSchema>;

export const ErrorDataSchema = z.object({
  code: z.enum(ERROR_CODES),
  message: z.string(),
  details: z.unknown().optional(),
});
export type ErrorData = z.infer<typeof ErrorDataSchema>;

/** The one error type of the contract; thrown on both sides, serialised as {code, message, details}. */
export class SquillError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'SquillError';
    this.code = code;
    this.details = details;
  }

  toData(): ErrorData {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }

  static fromData(data: ErrorData): SquillError {
    return new SquillError(data.code, data.message, data.details);
  }

  /** Any thrown value as contract error data; non-Squill errors become INTERNAL. */
  static toData(err: unknown): ErrorData {
    if (err instanceof SquillError) return err.toData();
    const message = err instanceof Error ? err.message : String(err);
    return { code: 'INTERNAL', message: message || 'unknown internal error' };
  }
}

/** "a.b[2].c" from a zod issue path; "(root)" for the value itself. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out || '(root)';
}

export function validationError(what: string, error: z.ZodError): SquillError {
  // at most 50 listed: an array of a million wrong items must not come back as a million issues
  const issues: ValidationIssue[] = error.issues.slice(0, 50).map((issue) => ({
    path: formatPath(issue.path),
    message: issue.message,
  }));
  const first = issues[0];
  const summary = first ? `${first.path}: ${first.message}` : 'invalid value';
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more)` : '';
  return new SquillError('VALIDATION', `Invalid ${what}: ${summary}${more}`, { issues });
}
