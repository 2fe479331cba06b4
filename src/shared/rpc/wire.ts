/** Messages on the wire, shared by both transports. Parsed with zod wherever they arrive from outside. */
import { z } from 'zod';
import { ErrorDataSchema, type ErrorData } from '../errors.ts';

export type CallResult = { ok: true; output: unknown } | { ok: false; error: ErrorData };

export const CallResultSchema = z.union([
  z.object({ ok: z.literal(true), output: z.unknown() }),
  z.object({ ok: z.literal(false), error: ErrorDataSchema }),
]);

const id = z.number().int().nonnegative();
const name = z.string().min(1).max(128);

/** client -> server (WebSocket) */
export const ClientMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('call'), id, method: name, input: z.unknown() }),
  z.object({ type: z.literal('subscribe'), event: name }),
  z.object({ type: z.literal('unsubscribe'), event: name }),
]);
export type ClientMessage = z.infer<typeof ClientMessageSchema>;

/** server -> client (WebSocket) */
export const ServerMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('result'), id: id.nullable(), result: CallResultSchema }),
  z.object({ type: z.literal('event'), event: name, payload: z.unknown() }),
]);
export type ServerMessage = z.infer<typeof ServerMessageSchema>;
