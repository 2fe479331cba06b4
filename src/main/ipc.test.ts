import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir, until } from '../../test/helpers.ts';
import { createCore, type Core } from '../core/index.ts';
import type { Settings } from '../shared/contract/index.ts';
import { SquillError } from '../shared/errors.ts';
import { createPreloadApi } from '../shared/rpc/channels.ts';
import { createClient } from '../shared/rpc/client.ts';
import { bindIpcMain, createIpcTransport, type IpcMainEventLike, type IpcMainLike, type IpcSender } from '../shared/rpc/ipc.ts';

/**
 * An in-process stand-in for Electron's ipcMain/ipcRenderer pair (Electron cannot run on the test machines):
 * invoke -> handle, send -> on, and webContents.send back to the renderer, with structured-clone semantics.
 */
function channelPair(senderUrl: string) {
  const handlers = new Map<string, (e: IpcMainEventLike, ...a: unknown[]) => unknown>();
  const mainListeners = new Map<string, ((e: IpcMainEventLike, ...a: unknown[]) => void)[]>();
  const rendererListeners = new Map<string, ((e: unknown, ...a: unknown[]) => void)[]>();
  let destroyed = false;
  const onDestroyed: (() => void)[] = [];
  const sent: string[] = [];
  const sender: IpcSender = {
    id: 1,
    send: (channel, ...args) => {
      sent.push(channel);
      queueMicrotask(() => rendererListeners.get(channel)?.forEach((l) => l({}, ...structuredClone(args))));
    },
    isDestroyed: () => destroyed,
    once: (_event, listener) => onDestroyed.push(listener),
  };
  const event: IpcMainEventLike = { sender, senderUrl };
  const ipcMain: IpcMainLike = {
    handle: (channel, handler) => handlers.set(channel, handler),
    removeHandler: (channel) => handlers.delete(channel),
    on: (channel, listener) => mainListeners.set(channel, [...(mainListeners.get(channel) ?? []), listener]),
    removeAllListeners: (channel) => mainListeners.delete(channel),
  };
  const ipcRenderer = {
    invoke: async (channel: string, ...args: unknown[]) => {
      const handler = handlers.get(channel);
      if (!handler) throw new Error(`No handler registered for '${channel}'`);
      return structuredClone(await handler(event, ...structuredClone(args)));
    },
    send: (channel: string, ...args: unknown[]) =>
      queueMicrotask(() => mainListeners.get(channel)?.forEach((l) => l(event, ...structuredClone(args)))),
    on: (channel: string, listener: (e: unknown, ...a: unknown[]) => void) =>
      rendererListeners.set(channel, [...(rendererListeners.get(channel) ?? []), listener]),
  };
  return {
    ipcMain,
    ipcRenderer,
    sent,
    destroy() {
      destroyed = true;
      onDestroyed.forEach((l) => l());
    },
  };
}

const OWN_PAGE = 'file:///app/out/renderer/index.html';
let core: Core;
let unbind: () => void;

beforeEach(() => {
  core = createCore({ dataDir: tempDir(), host: 'electron', log: () => undefined });
});
afterEach(async () => {
  unbind?.();
  await core.close();
});

function connect(senderUrl = OWN_PAGE) {
  const pair = channelPair(senderUrl);
  unbind = bindIpcMain(pair.ipcMain, core.backend, { isTrustedUrl: (url) => url === OWN_PAGE });
  const client = createClient(createIpcTransport(createPreloadApi(pair.ipcRenderer)));
  return { pair, client };
}

describe('contract over the Electron IPC binding', () => {
  it('round-trips procedures', async () => {
    const { client } = connect();
    expect((await client.call('app.health')).ok).toBe(true);
    const connections = await client.call('connections.list');
    expect(connections.map((d) => d.id)).toEqual(['concert_singer', 'world_1', 'car_1']);
    expect(await client.call('settings.update', { theme: 'light' })).toEqual({ theme: 'light' });
  });

  it('returns typed validation errors with the field path', async () => {
    const { client } = connect();
    const err = await client.call('connections.remove', { id: '' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SquillError);
    expect((err as SquillError).code).toBe('VALIDATION');
    expect((err as SquillError).details).toEqual({ issues: [expect.objectContaining({ path: 'id' })] });
  });

  it('refuses calls from pages that are not ours', async () => {
    const { client } = connect('https://evil.example/');
    const err = await client.call('app.health').catch((e: unknown) => e);
    expect((err as SquillError).code).toBe('UNAUTHORIZED');
  });

  it('forwards events once per event name and stops when the renderer unsubscribes', async () => {
    const { client, pair } = connect();
    const a: Settings[] = [];
    const b: Settings[] = [];
    const stopA = client.on('settings.changed', (s) => a.push(s));
    const stopB = client.on('settings.changed', (s) => b.push(s));
    await until(() => core.hub.listenerCount('settings.changed') === 1, 2000, 'one main-side subscription');
    await client.call('settings.update', { theme: 'dark' });
    await until(() => a.length === 1 && b.length === 1, 2000, 'both listeners');
    expect(pair.sent.filter((c) => c === 'squill:event')).toHaveLength(1);
    stopA();
    expect(core.hub.listenerCount('settings.changed')).toBe(1);
    stopB();
    await until(() => core.hub.listenerCount('settings.changed') === 0, 2000, 'unsubscribed');
  });

  it('drops the subscriptions of a destroyed window', async () => {
    const { client, pair } = connect();
    client.on('app.metrics', () => undefined);
    await until(() => core.hub.listenerCount('app.metrics') === 1, 2000, 'subscribed');
    pair.destroy();
    expect(core.hub.listenerCount('app.metrics')).toBe(0);
  });
});
