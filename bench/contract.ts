/**
 * Cost of the contract's transports: the same procedure called in-process (the reference: validation + handler),
 * over the WebSocket transport of `squill serve`, and over the IPC binding's logic. Prints calls/s, p50/p99 and
 * the ratio to in-process. Run: npm run bench:contract [-- N]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createCore } from '../src/core/index.ts';
import { loadOrCreateToken, startServer } from '../src/server/index.ts';
import { createClient, type SquillClient } from '../src/shared/rpc/client.ts';
import { createWebSocketTransport } from '../src/shared/rpc/websocket.ts';

const N = Number(process.argv[2] ?? 5000);
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'squill-bench-'));
const staticDir = path.join(dataDir, 'static');
fs.mkdirSync(staticDir);
fs.writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html>');

const core = createCore({ dataDir, host: 'server', log: () => undefined });
const token = loadOrCreateToken(dataDir);
const server = await startServer({ core, token, port: 0, staticDir });
const transport = createWebSocketTransport({ url: `ws://127.0.0.1:${server.port}/ws?token=${token}` });
const inProcess = createClient(core.backend);
const overWebSocket = createClient(transport);

async function measure(name: string, client: SquillClient, concurrency: number) {
  for (let i = 0; i < 200; i++) await client.call('settings.get'); // warm-up (JIT, socket)
  const latencies: number[] = [];
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < N) {
        const t0 = performance.now();
        await client.call('settings.get');
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const totalMs = performance.now() - started;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!;
  return { name, concurrency, calls: latencies.length, totalMs, perSec: latencies.length / (totalMs / 1000), p50: pct(50), p99: pct(99) };
}

const rows = [
  await measure('in-process (reference)', inProcess, 1),
  await measure('WebSocket', overWebSocket, 1),
  await measure('WebSocket', overWebSocket, 16),
];
const reference = rows[0]!;
console.log(`contract round trips: settings.get, ${N} calls each, node ${process.version}, ${os.cpus().length} cpus`);
console.log('transport                  conc   calls/s    p50 ms   p99 ms   time vs reference');
for (const r of rows) {
  console.log(
    `${r.name.padEnd(26)} ${String(r.concurrency).padStart(4)} ${r.perSec.toFixed(0).padStart(9)} ` +
      `${r.p50.toFixed(3).padStart(9)} ${r.p99.toFixed(3).padStart(8)}   ${(r.totalMs / reference.totalMs).toFixed(1)}x`,
  );
}

transport.close();
await server.close();
await core.close();
fs.rmSync(dataDir, { recursive: true, force: true });
