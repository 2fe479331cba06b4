/**
 * The backend side of the contract, independent of any transport: validates the input, runs the handler,
 * checks the output, and turns every failure into {code, message, details}. Both transports call this.
 */
import { procedures, isProcedureName, type Output, type ParsedInput, type ProcedureName } from '../contract.ts';
import { SquillError, validationError } from '../errors.ts';
import type { EventHub, Listener } from './events.ts';
import type { CallResult } from './wire.ts';

export type Handlers = {
  [N in ProcedureName]: (input: ParsedInput<N>) => Promise<Output<N>> | Output<N>;
};

export interface Backend {
  call(method: string, input: unknown): Promise<CallResult>;
  subscribe(event: string, listener: Listener): () => void;
}

export interface BackendOptions {
  /** called with every INTERNAL failure, for the log */
  onInternalError?: (method: string, err: unknown) => void;
}

export function createBackend(handlers: Handlers, hub: EventHub, options: BackendOptions = {}): Backend {
  return {
    async call(method, input) {
      if (typeof method !== 'string' || !isProcedureName(method)) {
        return fail(new SquillError('BAD_REQUEST', `Unknown procedure "${String(method)}"`));
      }
      const def = procedures[method];
      // An absent input means "no arguments": callers may omit {} for procedures that take none.
      const parsed = def.input.safeParse(input === undefined ? {} : input);
      if (!parsed.success) return fail(validationError(`input for ${method}`, parsed.error));
      try {
        const handler = handlers[method] as (input: unknown) => unknown;
        const output = await handler(parsed.data);
        const checked = def.output.safeParse(output);
        if (!checked.success) {
          throw new SquillError('INTERNAL', `${method} produced output that breaks the contract`, {
            issues: validationError('output', checked.error).details,
          });
        }
        return { ok: true, output: checked.data };
      } catch (err) {
        if (!(err instanceof SquillError) || err.code === 'INTERNAL') options.onInternalError?.(method, err);
        return { ok: false, error: SquillError.toData(err) };
      }
    },
    subscribe: (event, listener) => hub.subscribe(event, listener),
  };
}

const fail = (err: SquillError): CallResult => ({ ok: false, error: err.toData() });
