// Electron IPC channel names. Kept free of imports: the sandboxed preload bundles this file and nothing else.
export const IPC_CALL = 'squill:call';
export const IPC_SUBSCRIBE = 'squill:subscribe';
export const IPC_UNSUBSCRIBE = 'squill:unsubscribe';
export const IPC_EVENT = 'squill:event';

/** The API the preload exposes as `window.squill`; the IPC transport is built on it. */
export interface PreloadApi {
  call(method: string, input: unknown): Promise<unknown>;
  subscribe(event: string, listener: (payload: unknown) => void): () => void;
  /** The file system path of a file dropped into the window (Electron's webUtils.getPathForFile). */
  pathForFile?(file: File): string;
}

interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  send(channel: string, ...args: unknown[]): void;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

/**
 * Builds `window.squill` from Electron's ipcRenderer. One IPC subscription per event name however many listeners
 * the renderer adds, so the main process forwards each event once.
 */
export function createPreloadApi(ipc: IpcRendererLike): PreloadApi {
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  ipc.on(IPC_EVENT, (_event, message) => {
    const { event, payload } = (message ?? {}) as { event?: string; payload?: unknown };
    for (const listener of [...(listeners.get(event ?? '') ?? [])]) listener(payload);
  });
  return {
    call: (method, input) => ipc.invoke(IPC_CALL, { method, input }),
    subscribe(event, listener) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener);
      if (set.size === 1) ipc.send(IPC_SUBSCRIBE, event);
      return () => {
        if (!set.delete(listener)) return;
        if (set.size === 0) {
          listeners.delete(event);
          ipc.send(IPC_UNSUBSCRIBE, event);
        }
      };
    },
  };
}
