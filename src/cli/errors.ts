import { SquillError } from '../shared/errors.ts';

/** Exit codes of every `squill` command. */
export const EXIT = { OK: 0, FAILED: 1, USAGE: 2 } as const;

/** Bad usage or bad input: exit 2. */
export class UsageError extends Error {}

export function exitCodeFor(err: unknown): number {
  if (err instanceof UsageError) return EXIT.USAGE;
  if (err instanceof SquillError && (err.code === 'VALIDATION' || err.code === 'BAD_REQUEST')) return EXIT.USAGE;
  return EXIT.FAILED;
}

/** One line for stderr: the reason, never a stack. */
export function oneLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/\s*\n\s*/g, ' ').trim() || 'unknown error';
}

/** Runs a check of the user's input; its failures (missing or unusable file) become usage errors (exit 2). */
export function asUsageError<T>(check: () => T): T {
  try {
    return check();
  } catch (err) {
    if (err instanceof SquillError && (err.code === 'NOT_FOUND' || err.code === 'VALIDATION')) {
      throw new UsageError(err.message);
    }
    throw err;
  }
}
