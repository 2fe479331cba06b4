/**
 * The engine behind every face of Squill (Electron main, `squill serve`, the CLI). No Electron import here.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AppInfo } from '../shared/contract/index.ts';
import { createBackend, type Backend, type BackendOptions, type Handlers } from '../shared/rpc/backend.ts';
import { createEventHub, type EventHub } from '../shared/rpc/events.ts';
import { APP_VERSION, appHandlers, startMetricsSampler, type HostFacts } from './app/index.ts';
import { createDatabases, databaseHandlers, type Databases } from './db/index.ts';
import { createEvaluations, evaluationHandlers, type Evaluations } from './eval/index.ts';
import { disposeLlama } from './llm/engine.ts';
import { createModels, modelHandlers, type Models } from './models/index.ts';
import { aiHandlers, createAi, type Ai } from './ai/index.ts';
import { openStore, type Store } from './store/index.ts';
import { createJobs, trainHandlers, type Jobs, type MethodRegistry } from './train/index.ts';

export { APP_VERSION, resolveDataDir } from './app/index.ts';
export { openStore, type Store } from './store/index.ts';

export interface CoreOptions {
  dataDir: string;
  host: AppInfo['host'];
  /** folder holding demo/ (the repository's resources/ unless packaged) */
  resourcesDir?: string;
  extraVersions?: Record<string, string>;
  log?: (message: string) => void;
  /** the desktop app's open-file dialog; absent elsewhere */
  pickFile?: () => Promise<string | null>;
  /** the sandbox worker script, for bundles that ship a built copy */
  sandboxWorkerPath?: string;
  sandboxSize?: number;
  /** run queued and interrupted training jobs (default: everywhere but the CLI, whose `train` command asks for it) */
  runJobs?: boolean;
  /** the training methods (default: the built-in ones; tests register a toy method) */
  methods?: MethodRegistry;
}

export interface Core {
  readonly dataDir: string;
  readonly store: Store;
  readonly hub: EventHub;
  readonly backend: Backend;
  /**
   * Another face of the same handlers, for a transport that restricts its callers (a team server's path policy):
   * `inputGuard` sees every validated input, `handlers` replaces some procedures.
   */
  backendWith(options: { inputGuard?: BackendOptions['inputGuard']; handlers?: Partial<Handlers> }): Backend;
  readonly databases: Databases;
  readonly evaluations: Evaluations;
  readonly models: Models;
  readonly ai: Ai;
  readonly jobs: Jobs;
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
  const databases = createDatabases(store, resourcesDir, {
    workerPath: options.sandboxWorkerPath,
    size: options.sandboxSize,
  });
  const { connections } = databases;
  const evaluations = createEvaluations({
    store,
    hub,
    sandbox: databases.sandbox,
    sandboxOptions: { workerPath: options.sandboxWorkerPath },
    squillVersion: APP_VERSION,
    log,
  });
  const models = createModels({ store, hub, dataDir: options.dataDir, log });
  const ai = createAi({ store, hub, databases, models });
  const jobs = createJobs({
    store,
    hub,
    dataDir: options.dataDir,
    sandbox: databases.sandbox,
    models,
    connections,
    run: options.runJobs ?? options.host !== 'cli',
    benchmarks: () => evaluations.benchmarks(),
    methods: options.methods,
  });
  // each capability answers its own domain of the contract; the core only puts the slices together
  const handlers: Handlers = {
    ...appHandlers(facts, hub),
    ...databaseHandlers(databases, { store, hub, pickFile: options.pickFile }),
    ...evaluationHandlers(evaluations, models),
    ...modelHandlers(models),
    ...aiHandlers(ai),
    ...trainHandlers(jobs),
  };
  const onInternalError = (method: string, err: unknown) => log(`squill: ${method} failed: ${(err as Error)?.stack ?? String(err)}`);
  const backend = createBackend(handlers, hub, { onInternalError });

  let closed = false;
  return {
    dataDir: options.dataDir,
    store,
    hub,
    backend,
    backendWith: (extra) => createBackend({ ...handlers, ...extra.handlers }, hub, { onInternalError, inputGuard: extra.inputGuard }),
    databases,
    evaluations,
    models,
    ai,
    jobs,
    async close() {
      if (closed) return;
      closed = true;
      await jobs.close();
      await evaluations.close();
      ai.close();
      await models.close();
      hub.close();
      await databases.close();
      await disposeLlama();
      store.close();
    },
  };
}
