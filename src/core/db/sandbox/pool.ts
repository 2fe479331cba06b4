/**
 * The SQL sandbox: a pool of child processes that hold read-only connections. better-sqlite3 cannot interrupt a
 * running statement, so a request that overruns its time is stopped by killing its process, which is replaced;
 * the pool survives any query.
 */
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DbSchema, QueryResult } from '../../../shared/contract/index.ts';
import { SquillError } from '../../../shared/errors.ts';
import type { SandboxRequest, SandboxResponseBody, WorkerMessage } from './protocol.ts';

export const DEFAULT_LIMITS = { timeoutMs: 10_000, maxRows: 10_000, maxBytes: 64 * 1024 * 1024 };
export interface QueryOptions extends Partial<QueryLimits> {
  /** emulate SQLite's legacy double-quoted strings, as Python's sqlite3 (and so the official evaluators) do */
  doubleQuotedStrings?: boolean;
  /** whole BLOBs rather than a 48-byte preview */
  fullBlobs?: boolean;
}
/** A sandbox process using more memory than this while it runs a request is stopped (Linux; see readRss). */
export const DEFAULT_MEMORY_LIMIT_BYTES = 1024 * 1024 * 1024;
const MEMORY_CHECK_MS = 50;
export type QueryLimits = typeof DEFAULT_LIMITS;

export interface SandboxPoolOptions {
  /** number of processes; default: the number of CPU cores */
  size?: number;
  /** the worker script; the TypeScript file beside this one unless a bundle passes its built copy */
  workerPath?: string;
  /** environment overrides for the workers */
  env?: Record<string, string>;
  /** resident memory a process may use while running a request */
  memoryLimitBytes?: number;
  /**
   * requests sent ahead to a busy process when every process is busy (default 2): hides the ~0.15 ms IPC round
   * trip in bulk runs; a request waiting behind a slow one runs after it (or elsewhere if that one is stopped)
   */
  pipelineDepth?: number;
}

export interface SandboxStats {
  size: number;
  running: number;
  queued: number;
  /** processes killed for overrunning their time */
  killed: number;
  /** processes that died on their own (crash, out of memory) */
  crashed: number;
}

export interface SandboxPool {
  query(dbPath: string, sql: string, options?: QueryOptions): Promise<QueryResult>;
  introspect(dbPath: string, details: boolean, timeoutMs?: number): Promise<Omit<DbSchema, 'fingerprint'>>;
  /** `runs` timed executions of one statement, each on a fresh connection (VES) */
  time(dbPath: string, sql: string, runs: number, options?: { timeoutMs?: number; doubleQuotedStrings?: boolean }): Promise<number[]>;
  /** starts every process now rather than on first use (benchmarks, app start) */
  warm(): Promise<void>;
  stats(): SandboxStats;
  close(): Promise<void>;
}

interface Job {
  id: number;
  request: SandboxRequest;
  timeoutMs: number;
  resolve(result: SandboxResponseBody): void;
  reject(err: SquillError): void;
}

interface Worker {
  child: ChildProcess;
  /** sent to this process, in order; the first is running, the others wait in its channel (pipelining) */
  jobs: Job[];
  timer?: ReturnType<typeof setTimeout>;
  memoryWatch?: ReturnType<typeof setInterval>;
  ready: Promise<void>;
}

/** Resident memory of a process from /proc (Linux), or null where there is no /proc. */
function readRss(pid: number): number | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+) kB/.exec(status);
    return kb ? Number(kb[1]) * 1024 : null;
  } catch {
    return null;
  }
}

export const DEFAULT_WORKER_PATH = path.join(path.dirname(fileURLToPath(import.meta.url)), 'worker.ts');

export function createSandboxPool(options: SandboxPoolOptions = {}): SandboxPool {
  const size = Math.max(1, options.size ?? os.availableParallelism());
  const depth = Math.max(1, options.pipelineDepth ?? 2);
  const workerPath = options.workerPath ?? DEFAULT_WORKER_PATH;
  const workers: Worker[] = [];
  const queue: Job[] = [];
  let nextId = 1;
  let closed = false;
  const counters = { killed: 0, crashed: 0 };
  const memoryLimit = options.memoryLimitBytes ?? DEFAULT_MEMORY_LIMIT_BYTES;
  const watchMemory = process.platform === 'linux';

  const disarm = (worker: Worker) => {
    clearTimeout(worker.timer);
    clearInterval(worker.memoryWatch);
    worker.timer = undefined;
    worker.memoryWatch = undefined;
  };

  /** Takes a process out of the pool: its running job fails with `error`, the ones waiting behind it go back. */
  const retire = (worker: Worker, error: SquillError | null) => {
    disarm(worker);
    const index = workers.indexOf(worker);
    if (index !== -1) workers.splice(index, 1);
    const [running, ...waiting] = worker.jobs.splice(0);
    if (running && error) running.reject(error);
    queue.unshift(...waiting); // never started: they run elsewhere, in their order
    if (!closed) dispatch();
  };

  /** The only way to stop a statement inside native code: end the process. The pool replaces it. */
  const stop = (worker: Worker, error: SquillError) => {
    counters.killed++;
    worker.child.removeAllListeners('exit');
    worker.child.kill('SIGKILL');
    retire(worker, error);
    if (!closed && workers.length < size) spawn(); // the replacement starts now, not when the next query comes
  };

  /** Time and memory limits watch the job that is running, i.e. the first one sent. */
  const arm = (worker: Worker) => {
    const job = worker.jobs[0];
    if (!job) return;
    worker.timer = setTimeout(() => {
      stop(worker, new SquillError('TIMEOUT', `The query was stopped after ${job.timeoutMs} ms (its time limit)`, { timeoutMs: job.timeoutMs }));
    }, job.timeoutMs);
    const pid = worker.child.pid;
    if (watchMemory && pid !== undefined) {
      worker.memoryWatch = setInterval(() => {
        const rss = readRss(pid);
        if (rss !== null && rss > memoryLimit) {
          const mib = Math.round(memoryLimit / 1024 / 1024);
          stop(worker, new SquillError('LIMIT', `The query was stopped: it used more than ${mib} MiB of memory`, { memoryLimitBytes: memoryLimit }));
        }
      }, MEMORY_CHECK_MS);
    }
  };

  const spawn = (): Worker => {
    const child = fork(workerPath, [], {
      serialization: 'json', // the worker sends JSON-ready cells; JSON is the fastest channel for small messages
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      // inside Electron, fork runs the Electron binary: ELECTRON_RUN_AS_NODE makes it a plain Node process
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', ...options.env },
      // the JS heap of a worker holds at most one capped result
      execArgv: ['--max-old-space-size=1024'],
    });
    let stderr = '';
    child.stderr?.on('data', (d) => (stderr = (stderr + d).slice(-2000)));
    const worker: Worker = {
      child,
      jobs: [],
      ready: new Promise((resolve, reject) => {
        child.once('spawn', () => resolve());
        child.once('error', reject);
      }),
    };
    worker.ready.catch(() => undefined);
    child.on('message', (message: WorkerMessage) => {
      const job = worker.jobs[0];
      if (!job || message.id !== job.id) return;
      worker.jobs.shift();
      disarm(worker);
      arm(worker);
      if (message.ok) job.resolve(message.result);
      else job.reject(SquillError.fromData(message.error));
      dispatch();
    });
    child.on('exit', (code, signal) => {
      const crashed = worker.jobs.length > 0;
      if (crashed) counters.crashed++;
      const why = signal ? `signal ${signal}` : `exit code ${code}`;
      const detail = stderr.trim().split('\n').at(-1);
      retire(
        worker,
        crashed
          ? new SquillError('INTERNAL', `The sandbox process died while running this request (${why})${detail ? `: ${detail}` : ''}`)
          : null,
      );
    });
    workers.push(worker);
    return worker;
  };

  /** Idle processes first, then new ones, then a place behind a running job (up to `depth` per process). */
  const pickWorker = (): Worker | undefined => {
    const live = workers.filter((w) => w.child.connected);
    const idle = live.find((w) => w.jobs.length === 0);
    if (idle) return idle;
    if (workers.length < size) return spawn();
    let best: Worker | undefined;
    for (const w of live) if (w.jobs.length < depth && (!best || w.jobs.length < best.jobs.length)) best = w;
    return best;
  };

  const dispatch = () => {
    while (queue.length > 0 && !closed) {
      const worker = pickWorker();
      if (!worker) return;
      const job = queue.shift()!;
      worker.jobs.push(job);
      if (worker.jobs.length === 1) arm(worker);
      worker.child.send({ id: job.id, request: job.request });
    }
  };

  const submit = (request: SandboxRequest, timeoutMs: number) =>
    new Promise<SandboxResponseBody>((resolve, reject) => {
      if (closed) return reject(new SquillError('UNAVAILABLE', 'The SQL sandbox is shut down'));
      queue.push({ id: nextId++, request, timeoutMs, resolve, reject });
      dispatch();
    });

  return {
    async query(dbPath, sql, options = {}) {
      const l = { ...DEFAULT_LIMITS };
      for (const key of Object.keys(l) as (keyof QueryLimits)[]) if (options[key] !== undefined) l[key] = options[key];
      const request = {
        type: 'query' as const,
        dbPath,
        sql,
        maxRows: l.maxRows,
        maxBytes: l.maxBytes,
        doubleQuotedStrings: options.doubleQuotedStrings ?? false,
        fullBlobs: options.fullBlobs ?? false,
      };
      return (await submit(request, l.timeoutMs)) as QueryResult;
    },
    async introspect(dbPath, details, timeoutMs = 60_000) {
      return (await submit({ type: 'introspect', dbPath, details }, timeoutMs)) as Omit<DbSchema, 'fingerprint'>;
    },
    async time(dbPath, sql, runs, options = {}) {
      const request = { type: 'time' as const, dbPath, sql, runs, doubleQuotedStrings: options.doubleQuotedStrings ?? false };
      const body = (await submit(request, options.timeoutMs ?? DEFAULT_LIMITS.timeoutMs * runs)) as { timesMs: number[] };
      return body.timesMs;
    },
    async warm() {
      while (workers.length < size) spawn();
      await Promise.all(workers.map((w) => w.ready));
    },
    stats: () => ({
      size,
      running: workers.filter((w) => w.jobs.length > 0).length,
      queued: queue.length + workers.reduce((n, w) => n + Math.max(0, w.jobs.length - 1), 0),
      ...counters,
    }),
    async close() {
      closed = true;
      const shuttingDown = () => new SquillError('UNAVAILABLE', 'The SQL sandbox is shutting down');
      for (const job of [...queue.splice(0), ...workers.flatMap((w) => w.jobs.splice(0))]) job.reject(shuttingDown());
      await Promise.all(
        workers.splice(0).map(
          (w) =>
            new Promise<void>((resolve) => {
              disarm(w);
              if (w.child.exitCode !== null || w.child.signalCode !== null) return resolve();
              w.child.once('exit', () => resolve());
              w.child.kill('SIGKILL');
            }),
        ),
      );
    },
  };
}
