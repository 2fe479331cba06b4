import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test as base, type Page } from '@playwright/test';
import type { Input, Output, ProcedureName } from '../src/shared/contract/index.ts';
import { createClient } from '../src/shared/rpc/client.ts';
import { createWebSocketTransport } from '../src/shared/rpc/websocket.ts';

export interface Served {
  /** the URL `squill serve` printed, token included */
  url: string;
  origin: string;
  token: string;
  dataDir: string;
}

/** A real `squill serve --port 0` per test, on a temporary data folder, stopped afterwards. */
export const test = base.extend<{ served: Served }>({
  served: async ({}, use) => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'squill-e2e-'));
    const child: ChildProcess = spawn(process.execPath, ['bin/squill.js', 'serve', '--port', '0'], {
      env: { ...process.env, SQUILL_DATA_DIR: dataDir, SQUILL_THREADS: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`squill serve printed no URL:\n${output}`)), 20_000);
      const onData = (d: Buffer) => {
        output += d.toString();
        const m = /http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+/.exec(output);
        if (m) {
          clearTimeout(timer);
          resolve(m[0]);
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.on('exit', (code) => reject(new Error(`squill serve exited with ${code}:\n${output}`)));
    });
    const parsed = new URL(url);
    await use({ url, origin: parsed.origin, token: parsed.searchParams.get('token')!, dataDir });
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    fs.rmSync(dataDir, { recursive: true, force: true });
  },
});

export { expect } from '@playwright/test';

/** Page errors and console errors, which every test expects to stay empty. */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  return errors;
}

/**
 * Calls a contract procedure on the served backend over its WebSocket, as the renderer does (set-up that the UI
 * does on another page, e.g. registering a model file).
 */
export async function callApi<N extends ProcedureName>(served: Served, method: N, input: Input<N>): Promise<Output<N>> {
  const transport = createWebSocketTransport({ url: `${served.origin.replace(/^http/, 'ws')}/ws?token=${served.token}` });
  try {
    const client = createClient(transport);
    return await (client.call as (m: N, i: Input<N>) => Promise<Output<N>>)(method, input);
  } finally {
    transport.close();
  }
}
