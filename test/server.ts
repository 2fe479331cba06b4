import fs from 'node:fs';
import path from 'node:path';
import { createCore, type Core } from '../src/core/index.ts';
import { loadOrCreateToken, startServer, type RunningServer } from '../src/server/index.ts';
import { tempDir } from './helpers.ts';

export interface TestServer {
  core: Core;
  server: RunningServer;
  token: string;
  dataDir: string;
  base: string;
  wsUrl: string;
  close(): Promise<void>;
}

/** A real `squill serve` (core + HTTP/WebSocket) on a free loopback port, with a temporary data folder. */
export async function startTestServer(dataDir = tempDir(), options: { allow?: string[]; log?: (line: string) => void } = {}): Promise<TestServer> {
  const staticDir = path.join(dataDir, 'static');
  fs.mkdirSync(staticDir, { recursive: true });
  fs.writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>Squill test page</title>');
  fs.mkdirSync(path.join(staticDir, 'assets'));
  fs.writeFileSync(path.join(staticDir, 'assets', 'app-123.js'), 'console.log(1)');
  const core = createCore({ dataDir, host: 'server', log: () => undefined });
  const token = loadOrCreateToken(dataDir);
  const server = await startServer({ core, token, port: 0, staticDir, allow: options.allow, log: options.log ?? (() => undefined) });
  const base = `http://127.0.0.1:${server.port}`;
  return {
    core,
    server,
    token,
    dataDir,
    base,
    wsUrl: `ws://127.0.0.1:${server.port}/ws?token=${token}`,
    async close() {
      await server.close();
      await core.close();
    },
  };
}
