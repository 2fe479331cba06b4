/**
 * Load on a real `squill serve` process (a child, so the load generator does not share its event loop): C WebSocket
 * clients call schema.get and query.run on the demo databases as fast as their answers come, for S seconds, while
 * a prober asks /api/health every 50 ms. Prints calls/s, errors, p50/p99 of the calls and of /api/health under load
 * (against an idle baseline taken first, the reference of the same run), and the server's RSS before, at its peak
 * and after. Loopback only; bounded in time.
 *   npm run bench:serve-load [-- --clients 50 --seconds 30 --rounds 2]
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createClient } from '../src/shared/rpc/client.ts';
import { createWebSocketTransport } from '../src/shared/rpc/websocket.ts';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const CLIENTS = arg('clients', 50);
const SECONDS = arg('seconds', 30);
const ROUNDS = arg('rounds', 2);
const QUERIES = ['SELECT * FROM singer', 'SELECT Name, Country FROM singer WHERE Age > 30 ORDER BY Age', 'SELECT count(*) FROM concert GROUP BY Year'];

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'squill-load-'));
const bin = path.resolve(import.meta.dirname, '../bin/squill.js');
const child = spawn(process.execPath, [bin, 'serve', '--port', '0'], { env: { ...process.env, SQUILL_DATA_DIR: dataDir }, stdio: ['ignore', 'pipe', 'pipe'] });
let serverErr = '';
child.stderr.on('data', (d) => (serverErr += d));
const url = await new Promise<URL>((resolve, reject) => {
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
    const m = /http:\/\/\S+\?token=[\w-]+/.exec(out);
    if (m) resolve(new URL(m[0]));
  });
  child.on('exit', (code) => reject(new Error(`squill serve exited with ${code}: ${serverErr}`)));
});
const token = url.searchParams.get('token')!;
const origin = url.origin;

/** VmRSS and VmHWM (peak) of the server, in MiB. */
const memory = () => {
  const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
  const kib = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
  return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
};
const pct = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
};

async function probeHealth(ms: number): Promise<{ latencies: number[]; failures: number }> {
  const latencies: number[] = [];
  let failures = 0;
  const end = performance.now() + ms;
  while (performance.now() < end) {
    const t0 = performance.now();
    try {
      const res = await fetch(`${origin}/api/health`, { headers: { Authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000) });
      await res.arrayBuffer();
      if (res.status === 200) latencies.push(performance.now() - t0);
      else failures++;
    } catch {
      failures++;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { latencies, failures };
}

const idle = await probeHealth(3000);
const before = memory();

const wsUrl = `ws://${url.host}/ws?token=${token}`;

/** One load phase: fresh clients, SECONDS of calls, the clients closed at the end. */
async function loadPhase() {
  const clients = Array.from({ length: CLIENTS }, () => createWebSocketTransport({ url: wsUrl, callTimeoutMs: 30_000 }));
  const connections = await createClient(clients[0]!).call('connections.list');
  const concert = connections.find((c) => c.name === 'concert_singer') ?? connections[0]!;
  const callLatencies: number[] = [];
  const errors = new Map<string, number>();
  let calls = 0;
  const deadline = performance.now() + SECONDS * 1000;
  let peak = memory().peak;
  const sampler = setInterval(() => (peak = Math.max(peak, memory().peak)), 500);
  const [health] = await Promise.all([
    probeHealth(SECONDS * 1000),
    ...clients.map(async (transport, i) => {
      const client = createClient(transport);
      let n = i;
      while (performance.now() < deadline) {
        const t0 = performance.now();
        try {
          if (n % 3 === 0) await client.call('schema.get', { connectionId: concert.id });
          else await client.call('query.run', { connectionId: concert.id, sql: QUERIES[n % QUERIES.length]!, recordHistory: n % 10 === 0 });
          callLatencies.push(performance.now() - t0);
        } catch (err) {
          const code = (err as { code?: string }).code ?? (err as Error).message;
          errors.set(code, (errors.get(code) ?? 0) + 1);
        }
        calls++;
        n++;
      }
    }),
  ]);
  clearInterval(sampler);
  for (const c of clients) c.close();
  await new Promise((r) => setTimeout(r, 2000));
  return { concert, calls, callLatencies, errors, health, peak, after: memory() };
}

// a second phase shows whether memory keeps growing (a leak) or stays at the first phase's level (heap reuse)
const phases = [];
for (let i = 0; i < ROUNDS; i++) phases.push(await loadPhase());
child.kill('SIGTERM');
await new Promise((r) => child.on('exit', r));
fs.rmSync(dataDir, { recursive: true, force: true });

const { concert } = phases[0]!;
console.log(`squill serve under load: ${CLIENTS} WebSocket clients, ${SECONDS} s per phase, ${ROUNDS} phase(s), schema.get + query.run on ${concert.name}; node ${process.version}, ${os.cpus().length} cpus`);
console.log(`/api/health idle (reference): p50 ${pct(idle.latencies, 50).toFixed(2)} ms, p99 ${pct(idle.latencies, 99).toFixed(2)} ms; server RSS before ${before.rss.toFixed(1)} MiB`);
phases.forEach(({ calls, callLatencies, errors, health, peak, after }, i) => {
  const errorCount = [...errors.values()].reduce((a, b) => a + b, 0);
  console.log(`phase ${i + 1}: calls ${calls} (${(calls / SECONDS).toFixed(0)}/s), errors ${errorCount}${errorCount ? ` ${JSON.stringify(Object.fromEntries(errors))}` : ''}; call p50 ${pct(callLatencies, 50).toFixed(1)} ms, p99 ${pct(callLatencies, 99).toFixed(1)} ms`);
  console.log(
    `  /api/health under load: p50 ${pct(health.latencies, 50).toFixed(2)} ms, p99 ${pct(health.latencies, 99).toFixed(2)} ms ` +
      `(${(pct(health.latencies, 99) / pct(idle.latencies, 99)).toFixed(1)}x idle p99), ${health.latencies.length} probes, ${health.failures} failed`,
  );
  console.log(`  server RSS: peak ${peak.toFixed(1)} MiB, after ${after.rss.toFixed(1)} MiB`);
});
