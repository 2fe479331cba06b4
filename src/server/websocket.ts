/** The WebSocket transport of the contract, server side: one connection, its calls and its subscriptions. */
import type { RawData, WebSocket } from 'ws';
import { SquillError } from '../shared/errors.ts';
import type { Backend } from '../shared/rpc/backend.ts';
import { ClientMessageSchema, type CallResult, type ServerMessage } from '../shared/rpc/wire.ts';

/** Events are dropped for a client this far behind, rather than buffering without bound. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

/**
 * Serves one client. Protocol violations (invalid UTF-8, unmasked or oversized frames, reserved opcodes) make `ws`
 * emit 'error' and close that connection with the right code; nothing a client sends reaches the process as a throw.
 */
export function serveConnection(ws: WebSocket, backend: Backend, log: (line: string) => void = () => undefined): void {
  const subscriptions = new Map<string, () => void>();
  const send = (message: ServerMessage) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
  };
  ws.on('error', (err) => log(`squill serve: WebSocket client closed for a protocol error: ${err.message}`));
  const reject = (id: number | null, code: 'BAD_REQUEST', message: string) =>
    send({ type: 'result', id, result: { ok: false, error: new SquillError(code, message).toData() } });

  ws.on('message', (data, isBinary) => {
    handleMessage(data, isBinary).catch((err: unknown) => {
      log(`squill serve: a WebSocket message failed: ${(err as Error)?.stack ?? String(err)}`);
      try {
        send({ type: 'result', id: null, result: { ok: false, error: SquillError.toData(err) } });
      } catch {
        ws.terminate();
      }
    });
  });

  const handleMessage = async (data: RawData, isBinary: boolean) => {
    if (isBinary) return reject(null, 'BAD_REQUEST', 'Binary messages are not part of the protocol');
    let json: unknown;
    try {
      json = JSON.parse(data.toString());
    } catch {
      return reject(null, 'BAD_REQUEST', 'A message is not valid JSON');
    }
    const parsed = ClientMessageSchema.safeParse(json);
    if (!parsed.success) {
      const id = (json as { id?: unknown })?.id;
      return reject(typeof id === 'number' && Number.isInteger(id) && id >= 0 ? id : null, 'BAD_REQUEST',
        `Malformed message: ${parsed.error.issues[0]?.message ?? 'unknown shape'}`);
    }
    const message = parsed.data;
    switch (message.type) {
      case 'call': {
        let result: CallResult;
        try {
          result = await backend.call(message.method, message.input);
        } catch (err) {
          // a backend never throws by contract; if one does, the caller still gets an answer to its id
          log(`squill serve: ${message.method} threw: ${(err as Error)?.stack ?? String(err)}`);
          result = { ok: false, error: SquillError.toData(err) };
        }
        send({ type: 'result', id: message.id, result });
        return;
      }
      case 'subscribe':
        if (subscriptions.has(message.event)) return;
        try {
          subscriptions.set(
            message.event,
            backend.subscribe(message.event, (payload) => {
              if (ws.bufferedAmount < MAX_BUFFERED_BYTES) send({ type: 'event', event: message.event, payload });
            }),
          );
        } catch (err) {
          send({ type: 'result', id: null, result: { ok: false, error: SquillError.toData(err) } });
        }
        return;
      case 'unsubscribe':
        subscriptions.get(message.event)?.();
        subscriptions.delete(message.event);
        return;
    }
  };

  ws.on('close', () => {
    for (const unsubscribe of subscriptions.values()) unsubscribe();
    subscriptions.clear();
  });
}
