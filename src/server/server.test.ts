import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers.ts';
import { startTestServer, type TestServer } from '../../test/server.ts';
import { TOKEN_FILE_NAME, loadOrCreateToken } from './auth.ts';

let t: TestServer;
beforeEach(async () => {
  t = await startTestServer();
});
afterEach(async () => {
  await t.close();
});

const bearer = () => ({ Authorization: `Bearer ${t.token}` });

/** The status line of a WebSocket upgrade attempt, read off a raw socket. */
function upgradeStatus(port: number, pathAndQuery: string, headers: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      const lines = [
        `GET ${pathAndQuery} HTTP/1.1`,
        `Host: 127.0.0.1:${port}`,
        'Upgrade: websocket',
        'Connection: Upgrade',
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
        'Sec-WebSocket-Version: 13',
        ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
      ];
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    });
    socket.once('data', (data) => {
      resolve(data.toString().split('\r\n')[0]!);
      socket.destroy();
    });
    socket.once('error', reject);
  });
}

describe('squill serve: authentication', () => {
  it('/api/health is 401 without the token and 200 with the bearer token', async () => {
    const anonymous = await fetch(`${t.base}/api/health`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual({ error: { code: 'UNAUTHORIZED', message: expect.any(String) } });
    const wrong = await fetch(`${t.base}/api/health`, { headers: { Authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    const ok = await fetch(`${t.base}/api/health`, { headers: bearer() });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ ok: true, checks: expect.any(Array) });
  });

  it('rejects every static request without the token, with a page that says what to do', async () => {
    for (const p of ['/', '/index.html', '/assets/app-123.js', '/anything']) {
      expect((await fetch(`${t.base}${p}`)).status).toBe(401);
    }
    const page = await fetch(`${t.base}/`, { headers: { Accept: 'text/html' } });
    expect(await page.text()).toContain('needs its access token');
  });

  it('trades ?token= for an HttpOnly cookie and a clean address', async () => {
    const res = await fetch(`${t.base}/?token=${t.token}`, { redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/');
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(new RegExp(`^squill_token_${t.server.port}=`));
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    const page = await fetch(`${t.base}/`, { headers: { Cookie: cookie.split(';')[0]! } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(await page.text()).toContain('Squill test page');
  });

  it('refuses a foreign Host header (DNS rebinding) even with the token', async () => {
    const res = await new Promise<number>((resolve) => {
      const socket = net.connect(t.server.port, '127.0.0.1', () =>
        socket.write(`GET /api/health HTTP/1.1\r\nHost: evil.example\r\nAuthorization: Bearer ${t.token}\r\nConnection: close\r\n\r\n`),
      );
      socket.once('data', (d) => resolve(Number(d.toString().split(' ')[1])));
    });
    expect(res).toBe(403);
  });

  it('accepts WebSocket upgrades only with the token and from its own origin', async () => {
    const port = t.server.port;
    expect(await upgradeStatus(port, '/ws')).toBe('HTTP/1.1 401 Unauthorized');
    expect(await upgradeStatus(port, '/ws?token=wrong')).toBe('HTTP/1.1 401 Unauthorized');
    expect(await upgradeStatus(port, `/ws?token=${t.token}`, { Origin: 'http://evil.example' })).toBe(
      'HTTP/1.1 403 Forbidden',
    );
    expect(await upgradeStatus(port, `/elsewhere?token=${t.token}`)).toBe('HTTP/1.1 404 Not Found');
    expect(await upgradeStatus(port, `/ws?token=${t.token}`, { Origin: `http://127.0.0.1:${port}` })).toBe(
      'HTTP/1.1 101 Switching Protocols',
    );
  });
});

describe('squill serve: routes', () => {
  it('serves hashed assets as immutable and never a file outside the renderer folder', async () => {
    const asset = await fetch(`${t.base}/assets/app-123.js`, { headers: bearer() });
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toContain('text/javascript');
    expect(asset.headers.get('cache-control')).toContain('immutable');
    fs.writeFileSync(path.join(t.dataDir, 'secret.txt'), 'secret');
    for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt']) {
      const res = await fetch(`${t.base}${p}`, { headers: bearer() });
      expect(await res.text()).not.toContain('secret');
    }
  });

  it('answers unknown API routes with 404 and writes with 405', async () => {
    expect((await fetch(`${t.base}/api/nothing`, { headers: bearer() })).status).toBe(404);
    expect((await fetch(`${t.base}/api/health`, { method: 'POST', headers: bearer() })).status).toBe(405);
  });
});

describe('the access token', () => {
  it('is kept owner-only in the data folder, reused, and replaced on rotation', () => {
    const dir = tempDir();
    const first = loadOrCreateToken(dir);
    expect(first).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(fs.statSync(path.join(dir, TOKEN_FILE_NAME)).mode & 0o777).toBe(0o600);
    expect(loadOrCreateToken(dir)).toBe(first);
    const rotated = loadOrCreateToken(dir, true);
    expect(rotated).not.toBe(first);
    expect(loadOrCreateToken(dir)).toBe(rotated);
  });

  it('replaces a damaged token file', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, TOKEN_FILE_NAME), 'short');
    expect(loadOrCreateToken(dir)).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});
