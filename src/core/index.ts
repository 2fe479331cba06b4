/**
 * The engine behind every face of Squill (Electron main, `squill serve`, the CLI). No Electron import here.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AppInfo } from '../shared/contract/index.ts';
import { SquillError } from '../shared/errors.ts';
import { createBackend, type Backend, type BackendOptions, type Handlers } from '../shared/rpc/backend.ts';
import { createEventHub, type EventHub } from '../shared/rpc/events.ts';
import { APP_VERSION, appInfo, health, startMetricsSampler, type HostFacts } from './app/info.ts';
import { readSettings, updateSettings } from './app/settings.ts';
import { createDatabases, deleteHistory, listHistory, recordHistory, type Databases } from './db/index.ts';
import { createEvaluations, registeredModel, type Evaluations } from './eval/index.ts';
import { disposeLlama } from './llm/engine.ts';
import { createModels, type Models } from './models/index.ts';
import { createAi, type Ai } from './ai/index.ts';
import { openStore, type Store } from './store/index.ts';
import { createJobs, type Jobs, type MethodRegistry } from './train/index.ts';

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
  const connectionsChanged = () => hub.emit('connections.changed', connections.list());

  const handlers: Handlers = {
    'app.info': () => appInfo(facts),
    'app.health': () => health(facts),
    'settings.get': () => readSettings(store),
    'settings.update': (patch) => {
      const settings = updateSettings(store, patch);
      hub.emit('settings.changed', settings);
      return settings;
    },
    'connections.list': () => connections.list(),
    'connections.add': ({ path, name }) => {
      const added = connections.add(path, name);
      connectionsChanged();
      return added;
    },
    'connections.remove': ({ id }) => {
      connections.remove(id);
      connectionsChanged();
      return { removed: true as const };
    },
    'connections.pickFile': async () => {
      if (!options.pickFile) {
        throw new SquillError('UNAVAILABLE', 'The file dialog exists only in the desktop app; type the path instead');
      }
      return { path: await options.pickFile() };
    },
    'schema.get': ({ connectionId, refresh }) => databases.schema(connectionId, refresh),
    'schema.sampleRows': ({ connectionId, table, limit }) => databases.sampleRows(connectionId, table, limit),
    'query.run': async ({ connectionId, sql, limits, recordHistory: record }) => {
      const started = performance.now();
      try {
        const result = await databases.query(connectionId, sql, limits);
        if (record) {
          const entry = recordHistory(store, { connectionId, sql, status: 'ok', rowCount: result.rows.length, elapsedMs: result.elapsedMs, error: null });
          hub.emit('history.added', entry);
        }
        return result;
      } catch (err) {
        if (record && err instanceof SquillError && err.code !== 'NOT_FOUND') {
          const status = err.code === 'REFUSED' ? 'refused' : err.code === 'TIMEOUT' ? 'timeout' : 'error';
          const elapsedMs = performance.now() - started;
          hub.emit('history.added', recordHistory(store, { connectionId, sql, status, rowCount: null, elapsedMs, error: err.message }));
        }
        throw err;
      }
    },
    'query.explain': async ({ connectionId, sql }) => ({ steps: await databases.explain(connectionId, sql) }),
    'eval.start': (input) => evaluations.start(input),
    'eval.benchmarks': () => evaluations.benchmarks(),
    'eval.runs': () => evaluations.list(),
    'eval.run': ({ runId }) => evaluations.get(runId),
    'eval.examples': ({ runId, filter, offset, limit }) => evaluations.examples(runId, filter ?? {}, offset ?? 0, limit ?? 100),
    'eval.example': ({ runId, index }) => evaluations.example(runId, index),
    'eval.compare': ({ runA, runB, metric }) => evaluations.compare(runA, runB, metric),
    'eval.cancel': ({ runId }) => ({ cancelled: evaluations.cancel(runId) }),
    'eval.delete': ({ runId }) => ({ deleted: evaluations.delete(runId) }),
    'eval.generate': ({ modelId, adapterId, ...input }) => evaluations.generate(input, registeredModel(models, { modelId, adapterId, ...input })),
    'ai.ask': (input) => ai.ask(input),
    'ai.cancel': ({ askId }) => ({ cancelled: ai.cancel(askId) }),
    'ai.strategies': () => ai.strategies,
    'traces.list': (input) => ai.traces.list(input),
    'traces.get': ({ id }) => ai.traces.get(id),
    'traces.delete': ({ id }) => ({ deleted: ai.traces.delete(id) }),
    'corrections.add': (input) => ai.corrections.add(input),
    'corrections.list': ({ connectionId }) => ai.corrections.list(connectionId),
    'corrections.delete': ({ id }) => ({ deleted: ai.corrections.delete(id) }),
    'models.list': () => models.list(),
    'models.add': ({ path, name }) => models.add(path, name),
    'models.addRemote': (input) => models.addRemote(input),
    'models.remove': async ({ id, deleteFile }) => {
      await models.remove(id, deleteFile);
      return { removed: true as const };
    },
    'models.fit': ({ id, ...settings }) => models.fit(id, settings),
    'models.load': ({ id, ...settings }) => models.load(id, settings),
    'models.unload': ({ id }) => models.unload(id),
    'models.recommended': () => models.recommended(),
    'models.download': ({ uri, name }) => models.download(uri, name),
    'models.downloads': () => models.downloads(),
    'models.cancelDownload': ({ id }) => models.cancelDownload(id),
    'adapters.add': ({ modelId, path, name }) => models.addAdapter(modelId, path, name),
    'adapters.remove': ({ id }) => {
      models.removeAdapter(id);
      return { removed: true as const };
    },
    'train.methods': () => jobs.methods(),
    'train.jobs': () => jobs.list(),
    'train.job': ({ id }) => jobs.get(id),
    'train.create': (input) => jobs.create(input),
    'train.pause': ({ id }) => jobs.pause(id),
    'train.resume': ({ id }) => jobs.resume(id),
    'train.cancel': ({ id }) => jobs.cancel(id),
    'train.metrics': ({ id, since }) => jobs.metrics(id, since),
    'train.log': ({ id, offset }) => jobs.log(id, offset),
    'train.checkData': (input) => jobs.checkData(input),
    'train.estimate': (input) => jobs.estimate(input),
    'history.list': (input) => listHistory(store, input),
    'history.delete': ({ id }) => ({ deleted: deleteHistory(store, id) }),
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
