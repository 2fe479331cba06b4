/**
 * The SQL sandbox against the in-process reference: the runnable Spider dev gold queries (every query whose
 * database ships in ../shared/bench) through the pool of killable processes, and through a plain better-sqlite3
 * loop in this process. Prints totals, the ratio, and p50/p99 latency per query (latency includes
 * waiting in the queue when many are in flight).
 * Run: npm run bench:sandbox
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { createSandboxPool, encodeCell } from '../src/core/db/index.ts';
import { benchmarkFolder } from '../src/core/eval/index.ts';
import { prepareWithLegacyStrings } from '../src/core/sql/index.ts';

const SPIDER = path.resolve(import.meta.dirname, '../../shared/bench/spider');
if (!fs.existsSync(path.join(SPIDER, 'dev_gold.sql'))) {
  console.error(`Spider data not found at ${SPIDER}; nothing to measure`);
  process.exit(1);
}
const spider = benchmarkFolder('spider', SPIDER);
const dbFile = (id: string) => spider.database('dev', id).file;
const queries = fs
  .readFileSync(path.join(SPIDER, 'dev_gold.sql'), 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => {
    const [sql, db] = l.split('\t') as [string, string];
    return { sql, file: dbFile(db.trim()) };
  })
  .filter((q) => fs.existsSync(q.file));

const percentile = (xs: number[], p: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
};

/** The reference: the same work (run, read every row, encode cells) in this process, one query after another. */
function inProcess() {
  const connections = new Map<string, BetterSqlite3.Database>();
  const latencies: number[] = [];
  const started = performance.now();
  for (const q of queries) {
    const t0 = performance.now();
    let db = connections.get(q.file);
    if (!db) {
      db = new BetterSqlite3(q.file, { readonly: true, fileMustExist: true });
      db.defaultSafeIntegers(true);
      connections.set(q.file, db);
    }
    // Spider's golds use "double-quoted" strings: both runs apply SQLite's legacy rule (see core/sql/legacy.ts)
    const stmt = prepareWithLegacyStrings(q.sql, (sql) => db!.prepare(sql));
    for (const row of stmt.raw(true).all() as unknown[][]) for (const v of row) encodeCell(v);
    latencies.push(performance.now() - t0);
  }
  const total = performance.now() - started;
  for (const db of connections.values()) db.close();
  return { total, latencies };
}

async function throughPool(concurrency: number) {
  const pool = createSandboxPool();
  await pool.warm();
  for (const q of queries.slice(0, 20)) await pool.query(q.file, q.sql, { doubleQuotedStrings: true }); // warm up
  const latencies: number[] = [];
  let failures = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < queries.length) {
        const q = queries[next++]!;
        const t0 = performance.now();
        try {
          await pool.query(q.file, q.sql, { maxRows: 1_000_000, doubleQuotedStrings: true });
        } catch {
          failures++;
        }
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const total = performance.now() - started;
  const size = pool.stats().size;
  await pool.close();
  return { total, latencies, failures, size };
}

const reference = inProcess();
const sequential = await throughPool(1);
const parallel = await throughPool(os.availableParallelism());
const bulk = await throughPool(32); // how an evaluation run submits: many in flight, pipelined to the processes

console.log(`Spider dev gold queries: ${queries.length} (databases present), node ${process.version}, ${os.availableParallelism()} cores`);
console.log('run                                   total ms   p50 ms   p99 ms   vs in-process');
const line = (name: string, r: { total: number; latencies: number[] }) =>
  console.log(
    `${name.padEnd(36)} ${r.total.toFixed(0).padStart(9)} ${percentile(r.latencies, 50).toFixed(2).padStart(8)} ` +
      `${percentile(r.latencies, 99).toFixed(2).padStart(8)}   ${(r.total / reference.total).toFixed(2)}x`,
  );
line('in-process better-sqlite3 (reference)', reference);
line(`sandbox pool, 1 in flight`, sequential);
line(`sandbox pool, ${parallel.size} in flight (${parallel.size} procs)`, parallel);
line(`sandbox pool, 32 in flight (${bulk.size} procs)`, bulk);
const failures = [sequential, parallel, bulk].map((r) => r.failures);
if (failures.some(Boolean)) console.log(`failed queries per run: ${failures.join(' / ')}`);
