/**
 * The Electron transport, written against the small slice of Electron's IPC API it uses so that its logic runs
 * (and is tested) without Electron. src/main passes the real ipcMain; src/preload exposes createPreloadApi.
 */
import { z } from 'zod';
import { SquillError } from '../errors.ts';
import type { Backend } from './backend.ts';
import type { ClientTransport } from './client.ts';
import { IPC_CALL, IPC_EVENT, IPC_SUBSCRIBE, IPC_UNSUBSCRIBE, type PreloadApi } from './channels.ts';
import { CallResultSchema, type CallResult } from './wire.ts';

export interface IpcSender {
  readonly id: number;
  send(channel: string, ...args: unknown[]): void;
  isDestroyed(): boolean;
  once(event: 'destroyed', listener: () => void): unknown;
}
export interface IpcMainEventLike {
  sender: IpcSender;
  /** the URL of the frame that sent the message (Electron's senderFrame.url) */
  senderUrl: string;
}
export interface IpcMainLike {
  handle(channel: string, handler: (event: IpcMainEventLike, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
  on(channel: string, listener: (event: IpcMainEventLike, ...args: unknown[]) => void): unknown;
  removeAllListeners(channel: string): unknown;
}

const CallMessageSchema = z.object({ method: z.string(), input: z.unknown() });
const EventNameSchema = z.string().min(1).max(128);

export interface IpcBindingOptions {
  /** only our own pages may talk to the backend */
  isTrustedUrl(url: string): boolean;
}

export function bindIpcMain(ipc: IpcMainLike, backend: Backend, options: IpcBindingOptions): () => void {
  // sender id -> event name -> unsubscribe
  const subscriptions = new Map<number, Map<string, () => void>>();

  const dropSender = (id: number) => {
    for (const unsubscribe of subscriptions.get(id)?.values() ?? []) unsubscribe();
    subscriptions.delete(id);
  };

  ipc.handle(IPC_CALL, async (event, message): Promise<CallResult> => {
    if (!options.isTrustedUrl(event.senderUrl)) {
      return { ok: false, error: new SquillError('UNAUTHORIZED', 'Untrusted sender').toData() };
    }
    const parsed = CallMessageSchema.safeParse(message);
    if (!parsed.success) return { ok: false, error: new SquillError('BAD_REQUEST', 'Malformed call').toData() };
    return backend.call(parsed.data.method, parsed.data.input);
  });

  ipc.on(IPC_SUBSCRIBE, (event, name) => {
    const parsedName = EventNameSchema.safeParse(name);
    if (!parsedName.success || !options.isTrustedUrl(event.senderUrl)) return;
    const sender = event.sender;
    let mine = subscriptions.get(sender.id);
    if (!mine) {
      subscriptions.set(sender.id, (mine = new Map()));
      sender.once('destroyed', () => dropSender(sender.id));
    }
    if (mine.has(parsedName.data)) return;
    try {
      const unsubscribe = backend.subscribe(parsedName.data, (payload) => {
        if (!sender.isDestroyed()) sender.send(IPC_EVENT, { event: parsedName.data, payload });
      });
      mine.set(parsedName.data, unsubscribe);
    } catch {
      // unknown event name: nothing to forward; the renderer's typed client cannot ask for one
    }
  });

  ipc.on(IPC_UNSUBSCRIBE, (event, name) => {
    if (typeof name !== 'string') return;
    const mine = subscriptions.get(event.sender.id);
    mine?.get(name)?.();
    mine?.delete(name);
  });

  return () => {
    ipc.removeHandler(IPC_CALL);
    ipc.removeAllListeners(IPC_SUBSCRIBE);
    ipc.removeAllListeners(IPC_UNSUBSCRIBE);
    for (const id of [...subscriptions.keys()]) dropSender(id);
  };
}

/** The renderer's transport over `window.squill`. */
export function createIpcTransport(api: PreloadApi): ClientTransport {
  return {
    async call(method, input) {
      const result = CallResultSchema.safeParse(await api.call(method, input));
      if (!result.success) throw new SquillError('INTERNAL', `Malformed IPC response to ${method}`);
      return result.data;
    },
    subscribe: (event, listener) => api.subscribe(event, listener),
  };
}
