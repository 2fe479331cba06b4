import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { failure, until } from '../../test/helpers.ts';
import { startTestServer, type TestServer } from '../../test/server.ts';
import type { Metrics, Settings } from '../shared/contract/index.ts';
import { createClient, type SquillClient } from '../shared/rpc/client.ts';
import { createWebSocketTransport, type WebSocketTransport } from '../shared/rpc/websocket.ts';

let t: TestServer;
let transport: WebSocketTransport;
let client: SquillClient;

beforeEach(async () => {
  t = await startTestServer();
  transport = createWebSocketTransport({ url: t.wsUrl, maxBackoffMs: 100 });
  client = createClient(transport);
});
afterEach(async () => {
  transport.close();
  await t.close();
});


describe('contract over WebSocket', () => {
  it('round-trips app.health and app.info', async () => {
    const health = await client.call('app.health');
    expect(health.ok).toBe(true);
    expect(health.checks.map((c) => c.name)).toEqual(['store', 'dataDir']);
    const info = await client.call('app.info', {});
    expect(info.name).toBe('Squill');
    expect(info.host).toBe('server');
    expect(info.dataDir).toBe(t.dataDir);
    expect(info.storeSchemaVersion).toBeGreaterThanOrEqual(1);
    expect(info.versions['better-sqlite3']).toMatch(/^13\./);
    expect(info.versions['node-llama-cpp']).toBe('3.22.1');
    // the real engine, loaded through node-llama-cpp: CPU here (no GPU on test machines)
    expect(info.engine.error).toBeUndefined();
    expect(info.engine.cpuMathCores).toBeGreaterThan(0);
    expect(transport.status).toBe('open');
  });

  it('answers a bad input with VALIDATION naming the field', async () => {
    const err = await failure(client.call('settings.update', { theme: 'purple' as never }));
    expect(err.code).toBe('VALIDATION');
    expect(err.message).toMatch(/^Invalid input for settings.update: theme:/);
    expect(err.details).toEqual({ issues: [expect.objectContaining({ path: 'theme' })] });
  });

  it('rejects unknown fields, unknown procedures and missing records with their own codes', async () => {
    const extra = await failure(client.call('app.info', { verbose: true } as never));
    expect(extra.code).toBe('VALIDATION');
    const unknown = await failure((client.call as (m: string) => Promise<unknown>)('no.such'));
    expect(unknown.code).toBe('BAD_REQUEST');
    expect(unknown.message).toContain('no.such');
    const missing = await failure(client.call('connections.remove', { id: 'nope' }));
    expect(missing.code).toBe('NOT_FOUND');
    // the connection survives all of it
    expect((await client.call('app.health')).ok).toBe(true);
  });

  it('streams events to subscribers and stops the source when the last one leaves', async () => {
    const samples: Metrics[] = [];
    const stop = client.on('app.metrics', (m) => samples.push(m));
    await until(() => samples.length > 0, 5000, 'a metrics sample');
    expect(samples[0]!.rssBytes).toBeGreaterThan(0);
    expect(t.core.hub.listenerCount('app.metrics')).toBe(1);
    stop();
    await until(() => t.core.hub.listenerCount('app.metrics') === 0, 2000, 'unsubscription');
  });

  it('delivers events caused by another client', async () => {
    const seen: Settings[] = [];
    client.on('settings.changed', (s) => seen.push(s));
    await until(() => t.core.hub.listenerCount('settings.changed') === 1);
    const other = createWebSocketTransport({ url: t.wsUrl });
    await createClient(other).call('settings.update', { theme: 'dark' });
    other.close();
    await until(() => seen.length === 1, 2000, 'settings.changed');
    expect(seen[0]).toEqual({ theme: 'dark' });
    expect(await client.call('settings.get')).toEqual({ theme: 'dark' });
  });

  it('answers malformed frames with BAD_REQUEST and keeps the socket open', async () => {
    const ws = new WebSocket(t.wsUrl);
    const replies: unknown[] = [];
    ws.onmessage = (e) => replies.push(JSON.parse(String(e.data)));
    await new Promise((r) => (ws.onopen = r));
    ws.send('{not json');
    ws.send(JSON.stringify({ type: 'call', id: 7, method: 42 }));
    ws.send(JSON.stringify({ type: 'call', id: 8, method: 'app.health', input: {} }));
    await until(() => replies.length === 3, 3000, 'three replies');
    expect(replies[0]).toMatchObject({ type: 'result', id: null, result: { ok: false, error: { code: 'BAD_REQUEST' } } });
    expect(replies[1]).toMatchObject({ type: 'result', id: 7, result: { ok: false, error: { code: 'BAD_REQUEST' } } });
    expect(replies[2]).toMatchObject({ type: 'result', id: 8, result: { ok: true } });
    ws.close();
  });

  it('reconnects after the server restarts and renews its subscriptions', async () => {
    const seen: Settings[] = [];
    client.on('settings.changed', (s) => seen.push(s));
    await until(() => t.core.hub.listenerCount('settings.changed') === 1);
    const { port } = t.server;
    await t.server.close();
    await until(() => transport.status === 'reconnecting', 3000, 'reconnecting');
    const { startServer } = await import('./index.ts');
    t.server = await startServer({ core: t.core, token: t.token, port, staticDir: `${t.dataDir}/static` });
    await until(() => transport.status === 'open', 5000, 'reconnected');
    await until(() => t.core.hub.listenerCount('settings.changed') === 1, 3000, 'renewed subscription');
    await client.call('settings.update', { theme: 'light' });
    await until(() => seen.length === 1, 2000, 'event after reconnect');
  });

  it('fails calls cleanly when the transport is closed', async () => {
    transport.close();
    const err = await failure(client.call('app.health'));
    expect(err.code).toBe('UNAVAILABLE');
  });
});
