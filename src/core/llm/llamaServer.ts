/**
 * llama.cpp's llama-server, built from the same patched llama.cpp tree as squill-trainer (scripts/build-trainer.mjs
 * --server; npm install builds it). Squill talks to it like to any OpenAI-compatible endpoint (remote.ts); this file
 * finds the binary and runs one on loopback, for tests and for people who want a local endpoint.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SquillError } from '../../shared/errors.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const BUILD_DIR = path.join(ROOT, 'native', 'trainer', '.build');

export const BUILD_SERVER_COMMAND = 'npm run build:trainer -- --server';

/**
 * The built llama-server, or null when there is none for the current llama.cpp build (never built, its build
 * failed, or it is older than the trainer's source tree). SQUILL_LLAMA_SERVER overrides.
 */
export function llamaServerBinary(): string | null {
  if (process.env.SQUILL_LLAMA_SERVER) return fs.existsSync(process.env.SQUILL_LLAMA_SERVER) ? process.env.SQUILL_LLAMA_SERVER : null;
  try {
    const trainer = JSON.parse(fs.readFileSync(path.join(BUILD_DIR, 'status.json'), 'utf8')) as { key?: string };
    const server = JSON.parse(fs.readFileSync(path.join(BUILD_DIR, 'server-status.json'), 'utf8')) as { available?: boolean; binary?: string; key?: string };
    if (!server.available || !server.binary || server.key !== trainer.key || !fs.existsSync(server.binary)) return null;
    return server.binary;
  } catch {
    return null;
  }
}

export interface LlamaServerOptions {
  model: string;
  /** default 127.0.0.1 */
  host?: string;
  /** default 0: any free port (the one bound is read from the server's log) */
  port?: number;
  /** the name /v1/models reports (default: the file name) */
  alias?: string;
  apiKey?: string;
  contextSize?: number;
  threads?: number;
  binary?: string;
  /** how long to wait for the model to load; default 60 s */
  startTimeoutMs?: number;
}

export interface LlamaServer {
  /** http://host:port/v1 */
  baseUrl: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

/** Starts llama-server and resolves once /health answers 200. */
export async function startLlamaServer(o: LlamaServerOptions): Promise<LlamaServer> {
  const binary = o.binary ?? llamaServerBinary();
  if (!binary) throw new SquillError('UNAVAILABLE', `llama-server is not built; run \`${BUILD_SERVER_COMMAND}\``);
  const host = o.host ?? '127.0.0.1';
  const args = ['-m', o.model, '--host', host, '--port', String(o.port ?? 0), '-c', String(o.contextSize ?? 2048), '-np', '1', '--no-warmup'];
  if (o.alias) args.push('--alias', o.alias);
  if (o.threads) args.push('-t', String(o.threads));
  // the key goes through the environment so it does not show in `ps`
  const env = { ...process.env, ...(o.apiKey ? { LLAMA_API_KEY: o.apiKey } : {}) };
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let log = '';
  let port: number | null = o.port || null;
  const onData = (b: Buffer) => {
    log = (log + b.toString()).slice(-20_000);
    const m = /listening on https?:\/\/[^\s]*:(\d+)/.exec(log);
    if (m && !port) port = Number(m[1]);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  let exited: number | string | null = null;
  const exit = new Promise<void>((resolve) => child.once('exit', (code, signal) => {
    exited = code ?? signal ?? 'unknown';
    resolve();
  }));
  const stop = async () => {
    if (exited === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exit;
      clearTimeout(t);
    }
  };

  const deadline = Date.now() + (o.startTimeoutMs ?? 60_000);
  try {
    for (;;) {
      if (exited !== null) throw new SquillError('UNAVAILABLE', `llama-server exited (${exited}) while starting: ${log.trim().split('\n').slice(-5).join(' | ')}`);
      if (Date.now() > deadline) throw new SquillError('TIMEOUT', `llama-server did not become ready: ${log.trim().split('\n').slice(-5).join(' | ')}`);
      if (port) {
        const ok = await fetch(`http://${host}:${port}/health`, { signal: AbortSignal.timeout(2000) }).then((r) => r.ok, () => false);
        if (ok) break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { baseUrl: `http://${host}:${port}/v1`, port: port!, pid: child.pid!, stop };
}
