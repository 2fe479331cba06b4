/** The renderer's one client. It does not know which transport carries it. */
import type { EventName, Input, Output, Payload, ProcedureName } from '../contract/index.ts';
import { SquillError } from '../errors.ts';
import type { Listener } from './events.ts';
import { CallResultSchema, type CallResult } from './wire.ts';

export interface ClientTransport {
  call(method: string, input: unknown): Promise<CallResult>;
  subscribe(event: string, listener: Listener): () => void;
}

/** Procedures whose input has no required field may be called without one. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
type InputArgs<N extends ProcedureName> = {} extends Input<N> ? [input?: Input<N>] : [input: Input<N>];

export interface SquillClient {
  call<N extends ProcedureName>(method: N, ...args: InputArgs<N>): Promise<Output<N>>;
  on<E extends EventName>(event: E, listener: (payload: Payload<E>) => void): () => void;
}

export function createClient(transport: ClientTransport): SquillClient {
  return {
    async call(method, ...args) {
      const raw = await transport.call(method, args[0] ?? {});
      const result = CallResultSchema.safeParse(raw);
      if (!result.success) throw new SquillError('INTERNAL', `Malformed response to ${method}`);
      if (!result.data.ok) throw SquillError.fromData(result.data.error);
      return result.data.output as Output<typeof method>;
    },
    on(event, listener) {
      return transport.subscribe(event, listener as Listener);
    },
  };
}
