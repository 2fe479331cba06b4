/**
 * `squill serve`: the built renderer and the contract over WebSocket, for browser tabs. Every request needs the
 * token (Bearer header, ?token=, or the cookie set when a page is opened with ?token=).
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import { CONTENT_SECURITY_POLICY } from '../shared/csp.ts';
import type { Core } from '../core/index.ts';
import { authenticate, cookieName, hostHeaderAllowed, isLoopbackHost } from './auth.ts';
import { createPathPolicy } from './pathPolicy.ts';
import { serveStatic } from './static.ts';
import { serveConnection } from './websocket.ts';

export { loadOrCreateToken, TOKEN_FILE_NAME } from './auth.ts';
export { createPathPolicy, type PathPolicy } from './pathPolicy.ts';

export interface ServerOptions {
  core: Core;
  token: string;
  host?: string;
  port?: number;
  /** the built renderer (out/renderer) */
  staticDir: string;
  /**
   * folders browser clients may name paths in (databases, models, datasets, evaluation folders); absent: any path
   * the server's user can open, as in the desktop app
   */
  allow?: readonly string[];
  /** one line per failed request or connection (default: stderr) */
  log?: (line: string) => void;
}

export interface RunningServer {
  readonly port: number;
  readonly host: string;
  /** the address to open, token included */
  readonly url: string;
  close(): Promise<void>;
}

const SECURITY_HEADERS = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

const UNAUTHORIZED_PAGE = `<!doctype html><meta charset="utf-8"><title>Squill — token needed</title>
<body style="font-family:system-ui;max-width:36rem;margin:4rem auto;line-height:1.5">
<h1>This Squill server needs its access token</h1>
<p>Open the address that <code>squill serve</code> printed when it started: it ends in <code>?token=…</code>.
The token is also in the file <code>server-token</code> in Squill's data folder.</p></body>`;

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const loopback = isLoopbackHost(host);
  const staticDir = path.resolve(options.staticDir);
  if (!fs.existsSync(path.join(staticDir, 'index.html'))) {
    throw new Error(`The renderer is not built (no index.html in ${staticDir}); run \`npm run build\` first`);
  }
  const { core, token } = options;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const policy = options.allow ? createPathPolicy(options.allow) : null;
  // Browser clients of a confined server go through the path policy; benchmark folders outside it are not listed.
  const backend = policy
    ? core.backendWith({
        inputGuard: (method, input) => policy.checkInput(method, input),
        handlers: { 'eval.benchmarks': async () => (await core.evaluations.benchmarks()).filter((b) => policy.allows(b.path)) },
      })
    : core.backend;
  let port = options.port ?? 0;

  const json = (res: http.ServerResponse, status: number, body: unknown, extra: http.OutgoingHttpHeaders = {}) =>
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...extra })
      .end(JSON.stringify(body));

  // Everything a request does runs behind this boundary: a throw (sync or async) becomes a 500 (or a dropped
  // response when the headers are gone) and a log line; the process, its connections and its jobs carry on.
  const handleRequest = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    if (!hostHeaderAllowed(req.headers.host, loopback)) {
      return json(res, 403, { error: { code: 'UNAUTHORIZED', message: 'Host not allowed' } });
    }
    const url = requestUrl(req);
    if (!url) return json(res, 400, { error: { code: 'BAD_REQUEST', message: 'Malformed request target' } }, { Connection: 'close' });
    const source = authenticate(req, url, token, port);
    const isApi = url.pathname.startsWith('/api/');
    if (!source) {
      if (!isApi && (req.headers.accept ?? '').includes('text/html')) {
        return res.writeHead(401, { 'Content-Type': 'text/html; charset=utf-8' }).end(UNAUTHORIZED_PAGE);
      }
      return json(res, 401, { error: { code: 'UNAUTHORIZED', message: 'Missing or wrong access token' } });
    }
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD') {
      return json(res, 405, { error: { code: 'BAD_REQUEST', message: `${method} is not supported` } }, { Allow: 'GET, HEAD' });
    }
    if (isApi) {
      if (url.pathname === '/api/health') {
        const result = await backend.call('app.health', {});
        if (!result.ok) return json(res, 500, { error: result.error });
        return json(res, (result.output as { ok: boolean }).ok ? 200 : 503, result.output);
      }
      return json(res, 404, { error: { code: 'NOT_FOUND', message: `No API route ${url.pathname}` } });
    }
    if (source === 'query') {
      // Trade the token in the address for a cookie, so it leaves the address bar and the history.
      url.searchParams.delete('token');
      res.setHeader('Set-Cookie', `${cookieName(port)}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict`);
      return res.writeHead(303, { Location: url.pathname + url.search }).end();
    }
    serveStatic(staticDir, url.pathname, res, method === 'HEAD');
  };
  const server = http.createServer((req, res) => {
    handleRequest(req, res).catch((err: unknown) => {
      log(`squill serve: ${req.method} ${String(req.url).slice(0, 200)} failed: ${(err as Error)?.stack ?? String(err)}`);
      if (!res.headersSent) json(res, 500, { error: { code: 'INTERNAL', message: 'The request failed; the server log says why' } });
      else res.destroy();
    });
  });
  // Slow or never-finished requests (slowloris) give up their socket after these, not after Node's minutes.
  server.headersTimeout = 15_000;
  server.requestTimeout = 30_000;

  const wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 * 1024 });
  const handleUpgrade = (req: http.IncomingMessage, socket: Socket, head: Buffer) => {
    const refuse = (status: string) => {
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    const url = requestUrl(req);
    if (!url) return refuse('400 Bad Request');
    if (url.pathname !== '/ws') return refuse('404 Not Found');
    if (!hostHeaderAllowed(req.headers.host, loopback)) return refuse('403 Forbidden');
    // Browsers always send Origin on WebSocket upgrades: it must be this very server (no cross-site sockets).
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://${req.headers.host}`) return refuse('403 Forbidden');
    if (!authenticate(req, url, token, port)) return refuse('401 Unauthorized');
    wss.handleUpgrade(req, socket, head, (ws) => {
      // handleUpgrade (noServer) does not emit 'connection' itself; the heartbeat below counts on it
      wss.emit('connection', ws, req);
      serveConnection(ws, backend, log);
    });
  };
  server.on('upgrade', (req, socket: Socket, head: Buffer) => {
    // a reset or half-written upgrade must not become an unhandled 'error' event
    socket.on('error', () => socket.destroy());
    try {
      handleUpgrade(req, socket, head);
    } catch (err) {
      log(`squill serve: upgrade ${String(req.url).slice(0, 200)} failed: ${(err as Error)?.stack ?? String(err)}`);
      socket.destroy();
    }
  });

  // Dead peers (a laptop that slept) are found by ping/pong and dropped, which ends their subscriptions.
  const alive = new WeakSet<object>();
  wss.on('connection', (ws) => {
    alive.add(ws);
    ws.on('pong', () => alive.add(ws));
  });
  const heartbeat = setInterval(() => {
    for (const ws of wss.clients) {
      if (!alive.has(ws)) ws.terminate();
      else {
        alive.delete(ws);
        ws.ping();
      }
    }
  }, 30_000);
  heartbeat.unref();
  wss.on('error', (err) => log(`squill serve: WebSocket server: ${err.message}`));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((err: NodeJS.ErrnoException) => {
    clearInterval(heartbeat);
    if (err.code === 'EADDRINUSE') throw new Error(`Port ${port} on ${host} is already in use; pass --port N`);
    if (err.code === 'EADDRNOTAVAIL') throw new Error(`${host} is not an address of this machine`);
    if (err.code === 'EACCES') throw new Error(`Not allowed to listen on ${host}:${port}; pick a port above 1023`);
    throw err;
  });
  port = (server.address() as AddressInfo).port;
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;

  return {
    port,
    host,
    url: `http://${shownHost}:${port}/?token=${token}`,
    async close() {
      clearInterval(heartbeat);
      for (const ws of wss.clients) ws.close(1001, 'server shutting down');
      wss.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/** The request's URL, or null when its target is not one (`GET http://[ HTTP/1.1` makes `new URL` throw). */
function requestUrl(req: http.IncomingMessage): URL | null {
  try {
    return new URL(req.url ?? '/', 'http://localhost');
  } catch {
    return null;
  }
}
