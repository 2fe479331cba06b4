/**
 * The renderer's one client and how it reaches the backend: Electron IPC when the preload exposed `window.squill`,
 * else the WebSocket of `squill serve` on this page's own origin (the auth cookie travels with it).
 */
import { createClient, type SquillClient } from '../../../shared/rpc/client.ts';
import { createIpcTransport } from '../../../shared/rpc/ipc.ts';
import { createWebSocketTransport, type ConnectionStatus } from '../../../shared/rpc/websocket.ts';

export type TransportKind = 'ipc' | 'websocket';

export interface Connection {
  kind: TransportKind;
  client: SquillClient;
  status(): ConnectionStatus;
  onStatus(listener: (status: ConnectionStatus) => void): () => void;
}

export function connect(): Connection {
  if (window.squill) {
    return {
      kind: 'ipc',
      client: createClient(createIpcTransport(window.squill)),
      status: () => 'open',
      onStatus: () => () => undefined,
    };
  }
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  // an ask runs as long as the model needs (minutes on a CPU); it is stopped with ai.cancel, not by a timeout
  const transport = createWebSocketTransport({ url: `${scheme}//${location.host}/ws`, methodTimeoutsMs: { 'ai.ask': 6 * 60 * 60_000 } });
  return {
    kind: 'websocket',
    client: createClient(transport),
    status: () => transport.status,
    onStatus: (l) => transport.onStatus(l),
  };
}
