export * from './contract/index.ts';
export * from './errors.ts';
export { createBackend, type Backend, type Handlers } from './rpc/backend.ts';
export { createEventHub, type EventHub, type EventSource, type Listener } from './rpc/events.ts';
export { createClient, type ClientTransport, type SquillClient } from './rpc/client.ts';
export { bindIpcMain, createIpcTransport, type IpcMainLike, type IpcMainEventLike } from './rpc/ipc.ts';
export { createPreloadApi, type PreloadApi } from './rpc/channels.ts';
export {
  createWebSocketTransport,
  type ConnectionStatus,
  type WebSocketTransport,
} from './rpc/websocket.ts';
export { ClientMessageSchema, ServerMessageSchema, type CallResult, type ServerMessage } from './rpc/wire.ts';
