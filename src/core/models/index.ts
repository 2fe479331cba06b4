/**
 * The model manager: GGUF files and remote endpoints registered in the app store, their metadata and memory fit,
 * loading into node-llama-cpp, LoRA adapters per model, downloads, and the TextModels strategies generate with.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { LlamaModel } from 'node-llama-cpp';
import type { Adapter, Model } from '../../shared/contract/index.ts';
import { SquillError } from '../../shared/errors.ts';
import type { HandlersOf } from '../../shared/rpc/backend.ts';
import type { EventHub } from '../../shared/rpc/events.ts';
import { getLlama, openLocalTextModel, openRemoteTextModel, type TextModel } from '../llm/index.ts';
import type { Store } from '../store/index.ts';
import { checkAdapter } from './adapterCheck.ts';
import { createDownloads } from './downloads.ts';
import { contextSizeFor, estimateFit, roughFit } from './fit.ts';
import { inspectGguf, sha256File, type Inspected } from './inspect.ts';
import { RECOMMENDED, formatParameters } from './recommended.ts';
import { createRegistry, type RemoteConfig } from './registry.ts';
import type { LoadSettings, Models } from './types.ts';

export type { LoadSettings, Models } from './types.ts';
export { checkGgufFile, inspectGguf, sha256File } from './inspect.ts';
export { RECOMMENDED } from './recommended.ts';

/** models.*, adapters.* */
export function modelHandlers(models: Models): HandlersOf<'models' | 'adapters'> {
  return {
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
  };
}

export interface ModelsOptions {
  store: Store;
  hub: EventHub;
  dataDir: string;
  log?: (message: string) => void;
}

interface Loaded {
  model: LlamaModel;
  gpuLayers: number;
}

export function createModels(o: ModelsOptions): Models {
  const log = o.log ?? ((m: string) => console.error(m));
  const registry = createRegistry(o.store);
  const loaded = new Map<string, Loaded>();
  const loading = new Map<string, Promise<Loaded>>();
  /** key: modelId \0 adapterId */
  const textModels = new Map<string, Promise<TextModel>>();
  /** file inspections, keyed by path and invalidated when size or mtime change */
  const inspections = new Map<string, { key: string; value: Promise<Inspected> }>();
  const hashing = new Map<string, AbortController>();
  let closed = false;

  const list = () => registry.rows().map((r) => registry.describe(r, loaded.has(r.id)));
  const changed = () => {
    if (!closed) o.hub.emit('models.changed', list());
  };

  function inspect(file: string): Promise<Inspected> {
    const stat = fs.statSync(file, { throwIfNoEntry: false });
    const key = stat ? `${stat.size}:${stat.mtimeMs}` : 'missing';
    const cached = inspections.get(file);
    if (cached && cached.key === key) return cached.value;
    const value = inspectGguf(file);
    value.catch(() => inspections.delete(file));
    inspections.set(file, { key, value });
    return value;
  }

  /** Hashes a file in the background and stores the sha256; a model's hash names it in traces. */
  function hashInBackground(table: 'models' | 'adapters', id: string, file: string) {
    const key = `${table}:${id}`;
    if (hashing.has(key)) return;
    const abort = new AbortController();
    hashing.set(key, abort);
    sha256File(file, abort.signal)
      .then((sha) => {
        if (abort.signal.aborted) return;
        registry.setSha256(table, id, sha);
        changed();
      })
      .catch((err: Error) => {
        if (!abort.signal.aborted) log(`squill: could not hash ${file}: ${err.message}`);
      })
      .finally(() => hashing.delete(key));
  }

  function localRow(id: string) {
    const row = registry.modelRow(id);
    if (row.kind !== 'local' || !row.path) throw new SquillError('VALIDATION', `${row.name} is a remote endpoint; it is not loaded into this process`);
    return row as typeof row & { path: string };
  }

  function usableLocal(id: string) {
    const row = localRow(id);
    const model = registry.describe(row, loaded.has(id));
    if (model.status !== 'ok') throw new SquillError('UNAVAILABLE', `${model.name}: ${model.error ?? 'the file cannot be used'}`);
    return row;
  }

  const storedSettings = (id: string) => JSON.parse(registry.modelRow(id).settings) as LoadSettings;

  async function disposeTextModels(match: (modelId: string, adapterId: string) => boolean) {
    const doomed: Promise<TextModel>[] = [];
    for (const [key, tm] of textModels) {
      const [modelId, adapterId] = key.split('\u0000') as [string, string];
      if (match(modelId, adapterId)) {
        doomed.push(tm);
        textModels.delete(key);
      }
    }
    await Promise.all(doomed.map((p) => p.then((tm) => tm.dispose()).catch(() => undefined)));
  }

  async function doUnload(id: string) {
    await loading.get(id)?.catch(() => undefined);
    await disposeTextModels((m) => m === id);
    const l = loaded.get(id);
    loaded.delete(id);
    if (l) await l.model.dispose();
  }

  async function fit(id: string, settings: LoadSettings = {}) {
    const row = usableLocal(id);
    const merged = { ...storedSettings(id), ...settings };
    const [llama, inspected] = await Promise.all([getLlama(), inspect(row.path)]);
    return estimateFit(llama, inspected.insights, merged);
  }

  async function ensureLoaded(id: string, settings: LoadSettings = {}): Promise<Loaded> {
    const pending = loading.get(id);
    if (pending) return pending;
    const existing = loaded.get(id);
    const merged = { ...storedSettings(id), ...settings };
    const promise = (async () => {
      const row = usableLocal(id);
      const [llama, inspected] = await Promise.all([getLlama(), inspect(row.path)]);
      const estimate = await estimateFit(llama, inspected.insights, merged);
      if (existing && existing.gpuLayers === estimate.gpuLayers) return existing;
      if (!estimate.fits) {
        throw new SquillError('LIMIT', `${row.name} does not fit in memory with these settings: ${estimate.note ?? 'not enough free memory'}`, { fit: estimate });
      }
      if (existing) await doUnload(id);
      let model: LlamaModel;
      try {
        model = await llama.loadModel({ modelPath: row.path, gpuLayers: estimate.gpuLayers, defaultContextFlashAttention: false });
      } catch (err) {
        throw new SquillError('UNAVAILABLE', `${row.name} could not be loaded: ${(err as Error).message}`);
      }
      const entry = { model, gpuLayers: estimate.gpuLayers };
      loaded.set(id, entry);
      return entry;
    })();
    loading.set(id, promise);
    try {
      return await promise;
    } finally {
      loading.delete(id);
    }
  }

  const downloads = createDownloads({
    dirPath: path.join(o.dataDir, 'models'),
    emit: (d) => {
      if (!closed) o.hub.emit('models.download', d);
    },
    async register(file, name) {
      try {
        return await api.add(file, name, 'download');
      } catch (err) {
        // the same file downloaded again: it is already registered
        const real = fs.realpathSync(file);
        const existing = registry.rows().find((r) => r.path === real);
        if (err instanceof SquillError && err.code === 'CONFLICT' && existing) return registry.describe(existing, loaded.has(existing.id));
        throw err;
      }
    },
    log,
  });

  const api: Models = {
    list,
    get: (id) => registry.describe(registry.modelRow(id), loaded.has(id)),

    async add(file, name, source = 'file') {
      const resolved = path.resolve(file);
      const inspected = await inspectGguf(resolved); // throws with the reason a user can act on
      const real = fs.realpathSync(resolved);
      const same = registry.rows().find((r) => {
        if (!r.path) return false;
        try {
          return fs.realpathSync(r.path) === real;
        } catch {
          return r.path === real;
        }
      });
      if (same) throw new SquillError('CONFLICT', `${real} is already in the list as "${same.name}"`);
      const displayName = name ?? inspected.metadata.name ?? path.basename(real).replace(/\.gguf$/i, '');
      const id = registry.uniqueId('models', displayName);
      registry.insertModel({
        id,
        name: displayName,
        kind: 'local',
        path: real,
        remote: null,
        source,
        size_bytes: inspected.sizeBytes,
        sha256: null,
        metadata: JSON.stringify(inspected.metadata),
        settings: '{}',
      });
      hashInBackground('models', id, real);
      changed();
      return api.get(id);
    },

    addRemote({ name, baseUrl, model, apiKey }) {
      const id = registry.uniqueId('models', name);
      const remote: RemoteConfig = { baseUrl: baseUrl.replace(/\/+$/, ''), model, ...(apiKey ? { apiKey } : {}) };
      registry.insertModel({
        id,
        name,
        kind: 'remote',
        path: null,
        remote: JSON.stringify(remote),
        source: 'remote',
        size_bytes: null,
        sha256: null,
        metadata: null,
        settings: '{}',
      });
      changed();
      return api.get(id);
    },

    async remove(id, deleteFile = false) {
      const row = registry.modelRow(id);
      if (deleteFile && row.source !== 'download') {
        throw new SquillError('VALIDATION', `Squill deletes only files it downloaded; ${row.path ?? row.name} stays where it is`);
      }
      await doUnload(id);
      await disposeTextModels((m) => m === id);
      hashing.get(`models:${id}`)?.abort();
      for (const a of registry.adapterRows(id)) hashing.get(`adapters:${a.id}`)?.abort();
      registry.deleteModel(id);
      if (row.path) inspections.delete(row.path);
      if (deleteFile && row.path) fs.rmSync(row.path, { force: true });
      changed();
    },

    fit,

    async load(id, settings = {}) {
      const merged = { ...storedSettings(id), ...settings };
      const before = loaded.get(id);
      await ensureLoaded(id, settings);
      registry.setSettings(id, merged);
      // a new context size applies to contexts made from now on
      if (before && before === loaded.get(id)) await disposeTextModels((m) => m === id);
      changed();
      return api.get(id);
    },

    async unload(id) {
      localRow(id);
      await doUnload(id);
      changed();
      return api.get(id);
    },

    async recommended() {
      const llama = await getLlama();
      return Promise.all(
        RECOMMENDED.map(async (r) => ({
          name: r.name,
          uri: r.uri,
          sizeBytes: r.sizeBytes,
          parameters: formatParameters(r.parameters),
          description: r.description,
          fit: await roughFit(llama, r.parameters, r.bitsPerWeight, r.layers).catch(() => null),
        })),
      );
    },

    download: (uri, name) => downloads.start(uri, name),
    downloads: () => downloads.list(),
    cancelDownload(id) {
      // answered at once; the downloader closes its connections in the background
      const current = downloads.list().find((d) => d.id === id);
      if (!current) throw new SquillError('NOT_FOUND', `No download with id "${id}"`);
      if (current.status !== 'downloading') return current;
      void downloads.cancel(id);
      return { ...current, status: 'cancelled' };
    },

    async addAdapter(modelId, file, name, source = 'imported') {
      const row = usableLocal(modelId);
      const resolved = path.resolve(file);
      const base = await inspect(row.path);
      const sizeBytes = await checkAdapter(resolved, base.info, row.name);
      const real = fs.realpathSync(resolved);
      const same = registry.adapterRows(modelId).find((a) => a.path === real);
      if (same) throw new SquillError('CONFLICT', `${real} is already attached to ${row.name} as "${same.name}"`);
      const displayName = name ?? path.basename(real).replace(/\.gguf$/i, '');
      const id = registry.uniqueId('adapters', `${modelId}-${displayName}`);
      registry.insertAdapter({ id, model_id: modelId, name: displayName, path: real, source, size_bytes: sizeBytes, sha256: null });
      hashInBackground('adapters', id, real);
      changed();
      return registry.describeAdapter(registry.adapterRow(id));
    },

    removeAdapter(id) {
      registry.adapterRow(id);
      void disposeTextModels((_, adapterId) => adapterId === id);
      hashing.get(`adapters:${id}`)?.abort();
      registry.deleteAdapter(id);
      changed();
    },

    textModel(modelId, adapterId = null) {
      const key = `${modelId}\u0000${adapterId ?? ''}`;
      const cached = textModels.get(key);
      if (cached) return cached;
      const promise = openTextModel(modelId, adapterId);
      textModels.set(key, promise);
      promise.catch(() => {
        if (textModels.get(key) === promise) textModels.delete(key);
      });
      return promise;
    },

    async close() {
      if (closed) return;
      closed = true;
      for (const abort of hashing.values()) abort.abort();
      await downloads.close();
      for (const id of [...loaded.keys()]) await doUnload(id).catch(() => undefined);
      await disposeTextModels(() => true);
    },
  };

  async function openTextModel(modelId: string, adapterId: string | null): Promise<TextModel> {
    const row = registry.modelRow(modelId);
    let adapter: Adapter | null = null;
    if (adapterId) {
      adapter = registry.describeAdapter(registry.adapterRow(adapterId));
      if (adapter.modelId !== modelId) throw new SquillError('VALIDATION', `The adapter ${adapter.name} belongs to another model`);
      if (adapter.status !== 'ok') throw new SquillError('UNAVAILABLE', `The adapter file ${adapter.path} no longer exists`);
    }
    const name = adapter ? `${row.name} + ${adapter.name}` : row.name;
    if (row.kind === 'remote') {
      if (adapter) throw new SquillError('VALIDATION', 'Adapters apply to local models only');
      const remote = JSON.parse(row.remote ?? '{}') as RemoteConfig;
      return openRemoteTextModel({ name, baseUrl: remote.baseUrl, model: remote.model, apiKey: remote.apiKey });
    }
    const wasLoaded = loaded.has(modelId);
    const { model } = await ensureLoaded(modelId);
    if (!wasLoaded) changed();
    const inspected = await inspect(row.path!);
    const settings = storedSettings(modelId);
    return openLocalTextModel(model, {
      name,
      sha256: registry.modelRow(modelId).sha256,
      adapterPath: adapter?.path ?? null,
      contextSize: contextSizeFor(inspected.insights, settings.contextSize),
    });
  }

  // hashes an earlier session did not finish
  for (const r of registry.rows()) {
    if (r.kind === 'local' && r.path && !r.sha256 && fs.existsSync(r.path)) hashInBackground('models', r.id, r.path);
  }

  return api;
}
