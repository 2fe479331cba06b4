/**
 * The backend side of the contract, independent of any transport: validates the input, runs the handler,
 * checks the output, and turns every failure into {code, message, details}. Both transports call this.
 */
import { procedures, isProcedureName, type Output, type ParsedInput, type ProcedureName } from '../contract/index.ts';
import { SquillError, validationError } from '../errors.ts';
import type { EventHub, Listener } from './events.ts';
import type { CallResult } from './wire.ts';

export type Handlers = {
  [N in ProcedureName]: (input: ParsedInput<N>) => Promise<Output<N>> | Output<N>;
};

/** The handlers of one domain of the contract (`HandlersOf<'train'>`: every `train.*`), which its capability exports. */
export type HandlersOf<Prefix extends string> = Pick<Handlers, Extract<ProcedureName, `${Prefix}.${string}`>>;

export interface Backend {
  call(method: string, input: unknown): Promise<CallResult>;
  subscribe(event: string, listener: Listener): () => void;
}

export interface BackendOptions {
  /** called with every INTERNAL failure, for the log */
  onInternalError?: (method: string, err: unknown) => void;
  /**
   * runs on every validated input before its handler and may refuse it by throwing a SquillError (a team server
   * confines the paths browser clients name this way)
   */
  inputGuard?: (method: ProcedureName, input: unknown) => void;
}

export function createBackend(handlers: Handlers, hub: EventHub, options: BackendOptions = {}): Backend {
  return {
    // Every step is inside the try, validation included: whatever a caller sends (a 100,000-deep nesting that
    // overflows the stack, a getter that throws), the answer is an error result, never a throw into the transport.
    async call(method, input) {
      if (typeof method !== 'string' || !isProcedureName(method)) {
        return fail(new SquillError('BAD_REQUEST', `Unknown procedure "${String(method).slice(0, 128)}"`));
      }
      try {
        const def = procedures[method];
        // An absent input means "no arguments": callers may omit {} for procedures that take none.
        const parsed = def.input.safeParse(input === undefined ? {} : input);
        if (!parsed.success) return fail(validationError(`input for ${method}`, parsed.error));
        options.inputGuard?.(method, parsed.data);
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
