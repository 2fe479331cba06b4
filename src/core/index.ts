/**
 * The engine behind every face of Squill (Electron main, `squill serve`, the CLI). No Electron import here.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AppInfo } from '../shared/contract.ts';
import { createBackend, type Backend } from '../shared/rpc/backend.ts';
import { createEventHub, type EventHub } from '../shared/rpc/events.ts';
import { appInfo, health, startMetricsSampler, type HostFacts } from './app/info.ts';
import { readSettings, updateSettings } from './app/settings.ts';
import { getDemoDatabase, listDemoDatabases } from './db/demo.ts';
import { disposeLlama } from './llm/engine.ts';
import { openStore, type Store } from './store/index.ts';

export { resolveDataDir } from './app/dataDir.ts';
export { APP_VERSION } from './app/info.ts';
export { openStore, type Store } from './store/index.ts';

export interface CoreOptions {
  dataDir: string;
  host: AppInfo['host'];
  /** folder holding demo/ (the repository's resources/ unless packaged) */
  resourcesDir?: string;
  extraVersions?: Record<string, string>;
  log?: (message: string) => void;
}

export interface Core {
  readonly dataDir: string;
  readonly store: Store;
  readonly hub: EventHub;
  readonly backend: Backend;
  close(): Promise<void>;
}

/** The repository's resources/ folder, from src/core (source) or out/main (bundle): both sit two levels deep. */
export const DEFAULT_RESOURCES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../resources');

export function createCore(options: CoreOptions): Core {
  const store = openStore(options.dataDir);
  const resourcesDir = options.resourcesDir ?? DEFAULT_RESOURCES_DIR;
  const hub = createEventHub();
  hub.setSource('app.metrics', (emit) => startMetricsSampler(emit));
  const facts: HostFacts = { host: options.host, dataDir: options.dataDir, store, extraVersions: options.extraVersions };
  const log = options.log ?? ((m: string) => console.error(m));

  const backend = createBackend(
    {
      'app.info': () => appInfo(facts),
      'app.health': () => health(facts),
      'settings.get': () => readSettings(store),
      'settings.update': (patch) => {
        const settings = updateSettings(store, patch);
        hub.emit('settings.changed', settings);
        return settings;
      },
      'demo.list': () => listDemoDatabases(resourcesDir),
      'demo.get': ({ id }) => getDemoDatabase(resourcesDir, id),
    },
    hub,
    { onInternalError: (method, err) => log(`squill: ${method} failed: ${(err as Error)?.stack ?? String(err)}`) },
  );

  let closed = false;
  return {
    dataDir: options.dataDir,
    store,
    hub,
    backend,
    async close() {
      if (closed) return;
      closed = true;
      hub.close();
      await disposeLlama();
      store.close();
    },
  };
}
