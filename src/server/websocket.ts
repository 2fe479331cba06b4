/** The WebSocket transport of the contract, server side: one connection, its calls and its subscriptions. */
import type { WebSocket } from 'ws';
import { SquillError } from '../shared/errors.ts';
import type { Backend } from '../shared/rpc/backend.ts';
import { ClientMessageSchema, type ServerMessage } from '../shared/rpc/wire.ts';

/** Events are dropped for a client this far behind, rather than buffering without bound. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

export function serveConnection(ws: WebSocket, backend: Backend): void {
  const subscriptions = new Map<string, () => void>();
  const send = (message: ServerMessage) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
  };
  const reject = (id: number | null, code: 'BAD_REQUEST', message: string) =>
    send({ type: 'result', id, result: { ok: false, error: new SquillError(code, message).toData() } });

  ws.on('message', async (data, isBinary) => {
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
      case 'call':
        send({ type: 'result', id: message.id, result: await backend.call(message.method, message.input) });
        return;
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
  });

  ws.on('close', () => {
    for (const unsubscribe of subscriptions.values()) unsubscribe();
    subscriptions.clear();
  });
}
