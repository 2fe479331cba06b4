/**
 * The browser transport: the contract over one WebSocket, reconnecting with backoff. Calls made while the socket
 * is down wait for it (up to callTimeoutMs); calls in flight when it drops fail with UNAVAILABLE, since the server
 * may or may not have run them. Subscriptions are renewed after every reconnect.
 */
import { SquillError } from '../errors.ts';
import type { ClientTransport } from './client.ts';
import type { Listener } from './events.ts';
import { ServerMessageSchema, type CallResult, type ClientMessage } from './wire.ts';

export type ConnectionStatus = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface WebSocketTransport extends ClientTransport {
  readonly status: ConnectionStatus;
  onStatus(listener: (status: ConnectionStatus) => void): () => void;
  close(): void;
}

export interface WebSocketTransportOptions {
  url: string;
  /** a WHATWG WebSocket constructor; the browser's and Node's global one qualify */
  WebSocketImpl?: typeof WebSocket;
  callTimeoutMs?: number;
  /** longer limits for procedures that legitimately run long (an ask on a CPU can take minutes) */
  methodTimeoutsMs?: Readonly<Record<string, number>>;
  maxBackoffMs?: number;
}

interface Pending {
  resolve(result: CallResult): void;
  timer: ReturnType<typeof setTimeout>;
  sent: boolean;
  message: ClientMessage;
}

export function createWebSocketTransport(options: WebSocketTransportOptions): WebSocketTransport {
  const WS = options.WebSocketImpl ?? globalThis.WebSocket;
  const callTimeoutMs = options.callTimeoutMs ?? 120_000;
  const maxBackoffMs = options.maxBackoffMs ?? 5_000;

  let socket: WebSocket | null = null;
  let status: ConnectionStatus = 'connecting';
  let attempt = 0;
  let closed = false;
  let reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  let nextId = 1;
  const pending = new Map<number, Pending>();
  const listeners = new Map<string, Set<Listener>>();
  const statusListeners = new Set<(s: ConnectionStatus) => void>();

  const setStatus = (next: ConnectionStatus) => {
    if (next === status) return;
    status = next;
    for (const l of [...statusListeners]) l(next);
  };
  const isOpen = () => socket !== null && socket.readyState === WS.OPEN;
  const send = (message: ClientMessage) => socket!.send(JSON.stringify(message));

  const settle = (id: number, result: CallResult) => {
    const p = pending.get(id);
    if (!p) return;
    clearTimeout(p.timer);
    pending.delete(id);
    p.resolve(result);
  };
  const failure = (code: 'UNAVAILABLE' | 'TIMEOUT' | 'INTERNAL', message: string): CallResult => ({
    ok: false,
    error: new SquillError(code, message).toData(),
  });

  const onMessage = (data: unknown) => {
    let json: unknown;
    try {
      json = JSON.parse(String(data));
    } catch {
      return;
    }
    const parsed = ServerMessageSchema.safeParse(json);
    if (!parsed.success) return;
    const message = parsed.data;
    if (message.type === 'result') {
      if (message.id !== null) settle(message.id, message.result);
    } else {
      for (const l of [...(listeners.get(message.event) ?? [])]) l(message.payload);
    }
  };

  const connect = () => {
    if (closed) return;
    const ws = new WS(options.url);
    socket = ws;
    ws.onopen = () => {
      attempt = 0;
      setStatus('open');
      for (const event of listeners.keys()) send({ type: 'subscribe', event });
      for (const p of pending.values()) {
        if (!p.sent) {
          send(p.message);
          p.sent = true;
        }
      }
    };
    ws.onmessage = (e) => onMessage(e.data);
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = null;
      for (const [id, p] of pending) {
        if (p.sent) settle(id, failure('UNAVAILABLE', 'Connection to the Squill backend was lost during the call'));
      }
      if (closed) return setStatus('closed');
      setStatus('reconnecting');
      const delay = Math.min(maxBackoffMs, 250 * 2 ** attempt++);
      reconnectTimer = setTimeout(connect, delay);
    };
    ws.onerror = () => {
      // onclose follows and handles reconnection
    };
  };
  connect();

  return {
    get status() {
      return status;
    },
    call(method, input) {
      if (closed) return Promise.resolve(failure('UNAVAILABLE', 'The connection is closed'));
      return new Promise<CallResult>((resolve) => {
        const id = nextId++;
        const message: ClientMessage = { type: 'call', id, method, input };
        const limitMs = options.methodTimeoutsMs?.[method] ?? callTimeoutMs;
        const timer = setTimeout(() => settle(id, failure('TIMEOUT', `${method} got no answer within ${limitMs / 1000} s`)), limitMs);
        const p: Pending = { resolve, timer, sent: false, message };
        pending.set(id, p);
        if (isOpen()) {
          send(message);
          p.sent = true;
        }
      });
    },
    subscribe(event, listener) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener);
      if (set.size === 1 && isOpen()) send({ type: 'subscribe', event });
      return () => {
        if (!set.delete(listener) || set.size > 0) return;
        listeners.delete(event);
        if (isOpen()) send({ type: 'unsubscribe', event });
      };
    },
    onStatus(listener) {
      statusListeners.add(listener);
      return () => statusListeners.delete(listener);
    },
    close() {
      closed = true;
      clearTimeout(reconnectTimer);
      for (const [id] of pending) settle(id, failure('UNAVAILABLE', 'The connection was closed'));
      if (socket) socket.close();
      else setStatus('closed');
    },
  };
}
