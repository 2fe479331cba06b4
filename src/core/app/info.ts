import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AppInfo, Health, Metrics } from '../../shared/contract/index.ts';
import { getEngineInfo } from '../llm/index.ts';
import type { Store } from '../store/index.ts';
import pkg from '../../../package.json' with { type: 'json' };

export const APP_VERSION: string = pkg.version;

export interface HostFacts {
  host: AppInfo['host'];
  dataDir: string;
  store: Store;
  /** e.g. Electron's process.versions.electron/chrome, added by the host */
  extraVersions?: Record<string, string>;
}

/**
 * Installed version of a dependency: its package.json, found above its entry point (some packages do not export
 * ./package.json), or "unknown".
 */
function dependencyVersion(name: string): string {
  try {
    let dir = path.dirname(fileURLToPath(import.meta.resolve(name)));
    for (;;) {
      const file = path.join(dir, 'package.json');
      if (fs.existsSync(file)) {
        const json = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
        if (json.name === name && json.version) return json.version;
      }
      const parent = path.dirname(dir);
      if (parent === dir) return 'unknown';
      dir = parent;
    }
  } catch {
    return 'unknown';
  }
}

export async function appInfo(facts: HostFacts): Promise<AppInfo> {
  const cpus = os.cpus();
  const sqlite = facts.store.db.prepare('SELECT sqlite_version()').pluck().get() as string;
  return {
    name: 'Squill',
    version: APP_VERSION,
    host: facts.host,
    platform: process.platform,
    arch: process.arch,
    dataDir: facts.dataDir,
    storePath: facts.store.path,
    storeSchemaVersion: facts.store.schemaVersion,
    versions: {
      node: process.versions.node,
      v8: process.versions.v8,
      sqlite,
      'better-sqlite3': dependencyVersion('better-sqlite3'),
      'node-llama-cpp': dependencyVersion('node-llama-cpp'),
      ...facts.extraVersions,
    },
    cpu: { model: cpus[0]?.model.trim() ?? 'unknown', logicalCores: os.availableParallelism() },
    memory: { totalBytes: os.totalmem(), freeBytes: os.freemem() },
    engine: await getEngineInfo(),
  };
}

const startedAt = Date.now();

export function health(facts: HostFacts): Health {
  const checks: Health['checks'] = [];
  try {
    const version = facts.store.db.prepare('SELECT MAX(version) FROM migrations').pluck().get() as number;
    checks.push({ name: 'store', ok: true, detail: `schema version ${version} at ${facts.store.path}` });
  } catch (err) {
    checks.push({ name: 'store', ok: false, detail: (err as Error).message });
  }
  try {
    fs.accessSync(facts.dataDir, fs.constants.W_OK);
    checks.push({ name: 'dataDir', ok: true, detail: `${facts.dataDir} is writable` });
  } catch (err) {
    checks.push({ name: 'dataDir', ok: false, detail: (err as Error).message });
  }
  return { ok: checks.every((c) => c.ok), uptimeSec: (Date.now() - startedAt) / 1000, checks };
}

export const METRICS_INTERVAL_MS = 2000;

/** An event source for app.metrics: samples now, then every interval, until stopped. */
export function startMetricsSampler(emit: (m: Metrics) => void, intervalMs = METRICS_INTERVAL_MS): () => void {
  let lastCpu = process.cpuUsage();
  let lastAt = process.hrtime.bigint();
  const sample = () => {
    const cpu = process.cpuUsage(lastCpu);
    const now = process.hrtime.bigint();
    const elapsedUs = Number(now - lastAt) / 1000;
    lastCpu = process.cpuUsage();
    lastAt = now;
    const mem = process.memoryUsage();
    emit({
      at: new Date().toISOString(),
      rssBytes: mem.rss,
      heapUsedBytes: mem.heapUsed,
      cpuPercent: elapsedUs > 0 ? Math.round(((cpu.user + cpu.system) / elapsedUs) * 1000) / 10 : 0,
      systemFreeBytes: os.freemem(),
      loadAverage: os.loadavg(),
    });
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  timer.unref?.();
  return () => clearInterval(timer);
}
