/**
 * `squill serve` against a hostile client on loopback: malformed HTTP, path traversal, broken WebSocket frames and,
 * for every procedure of the contract, payloads generated from its zod schema and then broken. The property is the
 * same throughout: every input gets an answer (or its connection is closed), and afterwards the server still
 * answers /api/health with the token. fast-check picks a new seed each run; a failure prints the seed and the
 * shrunk payload to replay it. Bounded: every exchange has a time limit and the runs per property are few.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { procedures, type ProcedureName } from '../shared/contract/index.ts';
import { ERROR_CODES } from '../shared/errors.ts';
import { tempDir } from '../../test/helpers.ts';
import { exchange, frame, httpRequest, serverCloseCode, upgradeRequest } from '../../test/rawClient.ts';
import { startTestServer, type TestServer } from '../../test/server.ts';
import { hostile } from '../../test/zodArbitrary.ts';

let t: TestServer;
let dataDir: string;
const logged: string[] = [];
// one server for the whole file (its data folder outlives each test, unlike tempDir's)
beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'squill-fuzz-'));
  t = await startTestServer(dataDir, { log: (line) => logged.push(line) });
});
afterAll(async () => {
  await t?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const bearer = () => ({ Authorization: `Bearer ${t.token}` });

/** The server is alive and serving: /api/health with the token answers 200 within 5 s. */
async function expectHealthy(): Promise<void> {
  const res = await fetch(`${t.base}/api/health`, { headers: bearer(), signal: AbortSignal.timeout(5000) });
  expect(res.status).toBe(200);
  await res.arrayBuffer();
}

/** A WebSocket client that sends raw text and awaits the result with a given id. */
async function connect(): Promise<{ call(id: number, method: string, inputJson: string): Promise<{ ok: boolean; error?: { code: string } }>; ws: WebSocket }> {
  const ws = new WebSocket(t.wsUrl, { origin: t.base, maxPayload: 64 * 1024 * 1024 });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const waiting = new Map<number, (r: { ok: boolean; error?: { code: string } }) => void>();
  ws.on('message', (data) => {
    const message = JSON.parse(data.toString()) as { type: string; id: number | null; result: { ok: boolean; error?: { code: string } } };
    if (message.type === 'result' && message.id !== null) waiting.get(message.id)?.(message.result);
  });
  return {
    ws,
    call: (id, method, inputJson) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no answer to ${method} in 20 s`)), 20_000);
        waiting.set(id, (r) => {
          clearTimeout(timer);
          waiting.delete(id);
          resolve(r);
        });
        ws.send(`{"type":"call","id":${id},"method":${JSON.stringify(method)},"input":${inputJson}}`);
      }),
  };
}

describe('every procedure of the contract, with generated bad payloads', () => {
  // Runs per procedure: ~60 procedures x 15 = ~900 calls and as many health checks, ~6 s on 2 cores.
  const RUNS = 15;
  it('answers each with a result (an error where the payload cannot be valid) and stays healthy', async () => {
    const client = await connect();
    let id = 1;
    for (const method of Object.keys(procedures) as ProcedureName[]) {
      await fc.assert(
        fc.asyncProperty(hostile(procedures[method].input), async (payload) => {
          const result = await client.call(id++, method, payload.json);
          if (!result.ok) expect(ERROR_CODES).toContain(result.error!.code);
          // INTERNAL means a handler threw something unplanned: a bug even though the server survived it
          if (!result.ok) expect(result.error!.code, `${method} ${payload.breakage}: ${JSON.stringify(result.error)}`).not.toBe('INTERNAL');
          if (payload.mustFail) expect(result, `${method} ${payload.breakage}`).toMatchObject({ ok: false });
          await expectHealthy();
        }),
        { numRuns: RUNS },
      );
    }
    // the connection that carried all of it still works
    expect(await client.call(id++, 'app.health', '{}')).toMatchObject({ ok: true });
    client.ws.close();
  }, 240_000);

  it('answers messages that break the protocol without closing the connection', async () => {
    const client = await connect();
    const answers: unknown[] = [];
    client.ws.on('message', (d) => answers.push(JSON.parse(d.toString())));
    const bad = ['not json', '{"type":"call"}', '{"type":"call","id":-1,"method":"app.info"}', '{"type":"call","id":1.5,"method":"x"}',
      '{"type":"nope"}', '[]', 'null', '{"type":"subscribe","event":"no.such.event"}', `{"type":"call","id":7,"method":"${'m'.repeat(5000)}"}`,
      '{"type":"call","id":8,"method":"__proto__","input":{}}', '{"type":"call","id":9,"method":"constructor","input":{}}', '{"type":"call","id":1e999,"method":"app.info"}'];
    for (const text of bad) client.ws.send(text);
    client.ws.send(Buffer.from([0, 1, 2, 3]), { binary: true });
    await expect.poll(() => answers.length, { timeout: 5000 }).toBeGreaterThanOrEqual(bad.length);
    for (const a of answers) expect(a).toMatchObject({ type: 'result', result: { ok: false } });
    expect(await client.call(99, 'app.health', '{}')).toMatchObject({ ok: true });
    client.ws.close();
    await expectHealthy();
  });
});

describe('malformed HTTP', () => {
  it('a malformed cookie without a token answers 401 and the server stays up (the reported crash)', async () => {
    for (const cookie of ['x=%', 'x=%zz', 'a=%E0%A4%A', `squill_token_${t.server.port}=%`, '=%', ';;;=;%', 'x="%"']) {
      const anonymous = await exchange(t.server.port, [httpRequest(t.server.port, { target: '/', headers: { Cookie: cookie } })]);
      expect(anonymous.status, cookie).toBe(401);
      const withToken = await exchange(t.server.port, [httpRequest(t.server.port, { target: '/api/health', headers: { Cookie: cookie, ...bearer() } })]);
      expect(withToken.status, cookie).toBe(200);
    }
    await expectHealthy();
  });

  it('generated cookie headers, paths and queries never stop the server', async () => {
    const pieces = fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('%', '%%', '%zz', '%E0%A4', '%C0%AF', '%00', '..', '%2e%2e', '%2f', '\\', '?', '#', '&', '=', '~'));
    const text = fc.array(pieces, { maxLength: 6 }).map((p) => p.join(''));
    // header values may not hold control characters (the client side would refuse to send them): keep printable
    const headerSafe = text.map((s) => s.replace(/[^\x20-\x7e]/g, 'x'));
    const targetSafe = text.map((s) => s.replace(/[^\x21-\x7e]/g, '%20'));
    await fc.assert(
      fc.asyncProperty(headerSafe, targetSafe, targetSafe, fc.boolean(), async (cookie, target, query, authorized) => {
        const headers: Record<string, string> = { Cookie: cookie, ...(authorized ? bearer() : {}) };
        const answer = await exchange(t.server.port, [httpRequest(t.server.port, { target: `/${target}?${query}`, headers })]);
        expect(answer.status).not.toBeNull();
        expect(answer.status!).toBeLessThan(500);
        if (!authorized) expect([400, 401]).toContain(answer.status);
      }),
      { numRuns: 60 },
    );
    await expectHealthy();
  });

  it('never serves a file outside the renderer folder: dot segments in any spelling, absolute paths, links', async () => {
    const outside = tempDir();
    fs.writeFileSync(path.join(outside, 'secret.txt'), 'TOP-SECRET');
    const staticDir = path.join(t.dataDir, 'static');
    fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(staticDir, 'linked.txt'));
    fs.symlinkSync(outside, path.join(staticDir, 'linkdir'));
    fs.writeFileSync(path.join(t.dataDir, 'secret.txt'), 'TOP-SECRET');
    const targets = [
      '/../secret.txt', '/%2e%2e/secret.txt', '/%2E%2E%2Fsecret.txt', '/assets/..%2f..%2fsecret.txt', '/..%5csecret.txt', '/%252e%252e/secret.txt',
      '/.%2e/secret.txt', '//../secret.txt', `/${path.join(t.dataDir, 'secret.txt')}`, `/%2F${encodeURIComponent(path.join(t.dataDir, 'secret.txt').slice(1))}`,
      '/linked.txt', '/linkdir/secret.txt', '/linkdir/', '/assets/../../secret.txt', '/..%00/secret.txt', '/%00', `http://127.0.0.1:${t.server.port}/../secret.txt`,
    ];
    for (const target of targets) {
      const answer = await exchange(t.server.port, [httpRequest(t.server.port, { target, headers: bearer() })]);
      expect(answer.data.toString(), target).not.toContain('TOP-SECRET');
      expect(answer.status, target).not.toBeNull();
    }
    await expectHealthy();
  });

  it('every method, oversized headers and bodies, garbage and smuggling attempts get an answer or a closed connection', async () => {
    const port = t.server.port;
    for (const method of ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'CONNECT', 'PROPFIND', 'BREW', 'get', 'G@T']) {
      const answer = await exchange(port, [httpRequest(port, { method, target: method === 'CONNECT' ? '127.0.0.1:1' : '/api/health', headers: bearer() })]);
      expect(answer.closed || answer.status !== null, method).toBe(true);
    }
    const cases: { name: string; chunks: (string | Buffer)[]; status?: number[] }[] = [
      { name: 'a 100 kB header', chunks: [httpRequest(port, { headers: { 'X-Big': 'a'.repeat(100_000) } })], status: [431] },
      { name: '5,000 headers', chunks: [httpRequest(port, { headers: Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`X-H${i}`, 'v'])) })], status: [431, 400] },
      { name: 'a 1 MB target', chunks: [httpRequest(port, { target: `/${'a'.repeat(1_000_000)}` })], status: [431, 414, 400] },
      { name: 'a declared 10 GB body', chunks: [httpRequest(port, { method: 'POST', target: '/api/health', headers: { ...bearer(), 'Content-Length': String(10 * 1024 ** 3) }, body: 'x'.repeat(100_000) })], status: [405] },
      { name: 'Content-Length and Transfer-Encoding', chunks: [httpRequest(port, { method: 'POST', headers: { 'Content-Length': '4', 'Transfer-Encoding': 'chunked' }, body: '0\r\n\r\n' })], status: [400] },
      { name: 'broken chunks', chunks: [httpRequest(port, { method: 'POST', headers: { 'Transfer-Encoding': 'chunked', ...bearer() }, body: 'zz\r\nhello\r\n' })], status: [400, 405] },
      { name: 'two Content-Lengths', chunks: [httpRequest(port, { method: 'POST', headers: { 'Content-Length': '1', 'content-length': '2' }, body: 'ab' })], status: [400] },
      { name: 'binary garbage', chunks: [Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 37) % 256))], status: [400] },
      { name: 'HTTP/0.9', chunks: ['GET /\r\n\r\n'], status: [400, 403] },
      { name: 'HTTP/2 preface', chunks: ['PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'], status: [400, 505] },
      { name: 'a bare LF request', chunks: [`GET /api/health HTTP/1.1\nHost: 127.0.0.1:${port}\nAuthorization: Bearer ${t.token}\n\n`] },
      { name: 'a NUL in a header', chunks: [`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX: a\0b\r\n\r\n`], status: [400] },
      { name: 'an unterminated request target', chunks: [`GET http://[ HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${'Authorization: Bearer ' + t.token}\r\nConnection: close\r\n\r\n`], status: [400] },
    ];
    for (const c of cases) {
      const answer = await exchange(port, c.chunks, { timeoutMs: 5000 });
      expect(answer.closed || answer.status !== null, c.name).toBe(true);
      if (c.status && answer.status !== null) expect(c.status, c.name).toContain(answer.status);
    }
    await expectHealthy();
  });

  it('slow, never-finished requests do not stop others from being served', async () => {
    const port = t.server.port;
    // 100 clients that send a header line every 200 ms and never finish
    const slow = Array.from({ length: 100 }, () =>
      exchange(port, ['GET / HTTP/1.1\r\n', `Host: 127.0.0.1:${port}\r\n`, 'X-A: 1\r\n', 'X-B: 2\r\n', 'X-C: 3\r\n'], { gapMs: 200, timeoutMs: 2000 }),
    );
    await new Promise((r) => setTimeout(r, 300));
    for (let i = 0; i < 5; i++) await expectHealthy();
    await Promise.all(slow);
    await expectHealthy();
  });
});

describe('WebSocket frames that break the protocol', () => {
  const text = (s: string | Buffer) => (typeof s === 'string' ? Buffer.from(s) : s);
  const cases: { name: string; frames: () => Buffer[]; close: number[] }[] = [
    { name: 'invalid UTF-8 in a text frame', frames: () => [frame({ opcode: 1, payload: Buffer.from([0xc3, 0x28, 0xff]) })], close: [1007] },
    { name: 'an unmasked client frame', frames: () => [frame({ opcode: 1, payload: text('{}'), mask: false })], close: [1002] },
    ...[3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf].map((opcode) => ({ name: `reserved opcode ${opcode}`, frames: () => [frame({ opcode, payload: text('x') })], close: [1002] })),
    { name: 'a 126-byte ping (control frames carry at most 125)', frames: () => [frame({ opcode: 9, payload: Buffer.alloc(126) })], close: [1002] },
    { name: 'a fragmented ping', frames: () => [frame({ opcode: 9, fin: false, payload: text('p') })], close: [1002] },
    { name: 'RSV bits without an extension', frames: () => [frame({ opcode: 1, rsv: 4, payload: text('{}') })], close: [1002] },
    { name: 'a continuation with nothing to continue', frames: () => [frame({ opcode: 0, payload: text('x') })], close: [1002] },
    { name: 'a new message inside a fragmented one', frames: () => [frame({ opcode: 1, fin: false, payload: text('{') }), frame({ opcode: 1, payload: text('}') })], close: [1002] },
    { name: 'a declared length of 2^63 - 1', frames: () => [frame({ opcode: 1, declaredLength: 2n ** 63n - 1n, payload: text('x') })], close: [1009, 1002] },
    { name: 'a declared 100 MiB message (over maxPayload)', frames: () => [frame({ opcode: 2, declaredLength: 100n * 1024n * 1024n, payload: text('x') })], close: [1009] },
    { name: 'a close frame with an invalid code', frames: () => [frame({ opcode: 8, payload: Buffer.from([0x03, 0xe7]) })], close: [1002] },
    { name: 'a close frame with one byte', frames: () => [frame({ opcode: 8, payload: Buffer.from([0x03]) })], close: [1002] },
  ];
  for (const c of cases) {
    it(`closes on ${c.name} and stays healthy`, async () => {
      const answer = await exchange(t.server.port, [upgradeRequest(t.server.port, t.token), ...c.frames()], {
        timeoutMs: 5000,
        untilData: (d) => serverCloseCode(d) !== null,
      });
      expect(answer.status).toBe(101);
      expect(c.close, c.name).toContain(serverCloseCode(answer.data));
      await expectHealthy();
    });
  }

  it('random bytes after the handshake never stop the server', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 300 }), async (bytes) => {
        await exchange(t.server.port, [upgradeRequest(t.server.port, t.token), Buffer.from(bytes)], { timeoutMs: 300 });
        await expectHealthy();
      }),
      { numRuns: 40 },
    );
  });
});

describe('the boundary itself', () => {
  it('turns a throwing handler into a 500 / an error result and a log line, and keeps serving', async () => {
    const { startServer } = await import('./index.ts');
    const lines: string[] = [];
    const failing = {
      ...t.core,
      backend: {
        call: (method: string) => {
          if (method === 'app.health') throw new Error('boom in a handler');
          return Promise.reject(new Error('async boom'));
        },
        subscribe: () => () => undefined,
      },
    };
    const server = await startServer({ core: failing, token: t.token, port: 0, staticDir: path.join(t.dataDir, 'static'), log: (l) => lines.push(l) });
    try {
      const res = await fetch(`http://127.0.0.1:${server.port}/api/health`, { headers: bearer() });
      expect(res.status).toBe(500);
      expect(await res.json()).toMatchObject({ error: { code: 'INTERNAL' } });
      expect(lines.join('\n')).toContain('boom in a handler');
      const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws?token=${t.token}`, { origin: `http://127.0.0.1:${server.port}` });
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      const answer = new Promise<string>((resolve) => ws.once('message', (d) => resolve(d.toString())));
      ws.send('{"type":"call","id":1,"method":"app.info","input":{}}');
      expect(JSON.parse(await answer)).toMatchObject({ type: 'result', result: { ok: false, error: { code: 'INTERNAL', message: 'async boom' } } });
      ws.close();
      // and it still serves: the static page needs no backend
      expect((await fetch(`http://127.0.0.1:${server.port}/`, { headers: bearer() })).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});
