/**
 * The model manager against real files and the real node-llama-cpp: registering GGUF models made by createModel,
 * the errors for files that are not usable models, the memory fit, loading, generating, and LoRA adapters made by
 * the real trainer.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Model } from '../../shared/contract/index.ts';
import { createEventHub } from '../../shared/rpc/events.ts';
import { failure, tempDir, until } from '../../../test/helpers.ts';
import { createModel, GREEDY } from '../llm/index.ts';
import { openStore, type Store } from '../store/index.ts';
import { startTrainer, trainerBinary } from '../train/index.ts';
import { createModels, type Models } from './index.ts';

const cacheDir = path.join(os.tmpdir(), 'squill-test-cache');
const SHAPE = { layers: 2, embd: 64, ff: 128, heads: 4, kvHeads: 2 };

let dir: string;
let modelFile: string;
let params: number;
let store: Store;
let models: Models;
const changes: Model[][] = [];

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'squill-models-test-'));
  modelFile = path.join(dir, 'tiny-qwen2.gguf');
  params = createModel({ arch: 'qwen2', shape: SHAPE, vocab: 'qwen2', out: modelFile, seed: 3, cacheDir }).params;
  store = openStore(path.join(dir, 'data'));
  const hub = createEventHub();
  hub.subscribe('models.changed', (list) => changes.push(list as Model[]));
  models = createModels({ store, hub, dataDir: path.join(dir, 'data'), log: () => undefined });
});

afterAll(async () => {
  await models?.close();
  store?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const sha256 = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

describe('registering models', () => {
  it('reads the metadata of a GGUF, hashes it in the background, and announces the list', async () => {
    const before = changes.length;
    const model = await models.add(modelFile);
    expect(model).toMatchObject({
      name: 'squill-random-qwen2-2x64',
      kind: 'local',
      path: fs.realpathSync(modelFile),
      source: 'file',
      sizeBytes: fs.statSync(modelFile).size,
      status: 'ok',
      loaded: false,
      adapters: [],
      remote: null,
    });
    expect(model.metadata).toMatchObject({
      architecture: 'qwen2',
      parameters: params,
      quantization: 'F32',
      contextLength: 32768,
      layers: 2,
      embeddingLength: 64,
      vocabSize: 151936,
      name: 'squill-random-qwen2-2x64',
    });
    expect(model.metadata!.chatTemplate).toContain('<|im_start|>');
    expect(changes.length).toBeGreaterThan(before);
    expect(changes.at(-1)!.map((m) => m.id)).toContain(model.id);
    await until(() => models.get(model.id).sha256 !== null, 20_000, 'the hash');
    expect(models.get(model.id).sha256).toBe(sha256(modelFile));
  });

  it('refuses the same file twice, also through a symlink', async () => {
    const link = path.join(dir, 'link.gguf');
    fs.symlinkSync(modelFile, link);
    const err = await failure(models.add(link));
    expect(err.code).toBe('CONFLICT');
    expect(err.message).toMatch(/already in the list as "squill-random-qwen2-2x64"/);
  });

  it('says what is wrong with files that are not usable models', async () => {
    const missing = await failure(models.add(path.join(dir, 'nope.gguf')));
    expect([missing.code, missing.message]).toEqual(['NOT_FOUND', `No file at ${path.join(dir, 'nope.gguf')}`]);

    expect((await failure(models.add(dir))).message).toMatch(/is a folder, not a GGUF model file/);

    const text = path.join(dir, 'notes.gguf');
    fs.writeFileSync(text, 'these are not weights\n');
    const notGguf = await failure(models.add(text));
    expect(notGguf.code).toBe('VALIDATION');
    expect(notGguf.message).toMatch(/is not a GGUF file \(it does not start with "GGUF"\)/);

    const bytes = fs.readFileSync(modelFile);
    const cutHeader = path.join(dir, 'cut-header.gguf');
    fs.writeFileSync(cutHeader, bytes.subarray(0, 200));
    expect((await failure(models.add(cutHeader))).message).toMatch(/(is a damaged or truncated GGUF file: its header cannot be read|is truncated: its tensors need)/);

    const cutData = path.join(dir, 'cut-data.gguf');
    fs.writeFileSync(cutData, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    const truncated = await failure(models.add(cutData));
    expect(truncated.code).toBe('VALIDATION');
    expect(truncated.message).toMatch(/is truncated: its tensors need \d+ bytes, the file has \d+/);
    expect(models.list().map((m) => m.path)).not.toContain(fs.realpathSync(cutData));
  });

  it('shows a model whose file went away as missing', async () => {
    const gone = path.join(dir, 'gone.gguf');
    fs.copyFileSync(modelFile, gone);
    const added = await models.add(gone, 'Going away');
    expect(added.name).toBe('Going away');
    fs.rmSync(gone);
    expect(models.get(added.id)).toMatchObject({ status: 'missing', error: `The file ${fs.realpathSync(dir)}/gone.gguf no longer exists` });
    expect((await failure(models.load(added.id))).code).toBe('UNAVAILABLE');
    await models.remove(added.id);
    expect((await failure(Promise.resolve().then(() => models.get(added.id)))).code).toBe('NOT_FOUND');
  });

  it('keeps remote endpoints without ever returning the key', () => {
    const remote = models.addRemote({ name: 'Team server', baseUrl: 'http://127.0.0.1:8080/v1/', model: 'qwen2.5-coder', apiKey: 'sk-secret' });
    expect(remote).toMatchObject({ kind: 'remote', source: 'remote', path: null, metadata: null, remote: { baseUrl: 'http://127.0.0.1:8080/v1', model: 'qwen2.5-coder', hasApiKey: true } });
    expect(JSON.stringify(models.list())).not.toContain('sk-secret');
  });
});

describe('fit, load, generate', () => {
  const id = () => models.list().find((m) => m.path === fs.realpathSync(modelFile))!.id;

  it('estimates memory for a GPU offload and context size', async () => {
    const fit = await models.fit(id(), { gpuLayers: 0, contextSize: 1024 });
    expect(fit).toMatchObject({ gpuLayers: 0, totalLayers: 3, contextSize: 1024, fits: true });
    expect(fit.ramBytes).toBeGreaterThan(fs.statSync(modelFile).size);
    expect(fit.freeRamBytes).toBeGreaterThan(0);
    const bigger = await models.fit(id(), { gpuLayers: 0, contextSize: 8192 });
    expect(bigger.ramBytes).toBeGreaterThan(fit.ramBytes);
    expect((await failure(models.fit(id(), { contextSize: 65536 }))).message).toMatch(/trained on a context of 32768 tokens/);
  });

  it('loads with settings it remembers, and unloads', async () => {
    const before = changes.length;
    const loaded = await models.load(id(), { gpuLayers: 0, contextSize: 512 });
    expect(loaded).toMatchObject({ loaded: true, settings: { gpuLayers: 0, contextSize: 512 } });
    expect(changes.length).toBeGreaterThan(before);
    expect(changes.at(-1)!.find((m) => m.id === id())!.loaded).toBe(true);
    const unloaded = await models.unload(id());
    expect(unloaded).toMatchObject({ loaded: false, settings: { gpuLayers: 0, contextSize: 512 } });
  });

  it('gives a TextModel that generates, loading the model on demand, cached until unload', async () => {
    const tm = await models.textModel(id());
    expect(models.get(id()).loaded).toBe(true);
    expect(tm.contextSize).toBe(512);
    expect(await models.textModel(id())).toBe(tm);
    const out = await tm.generate({ messages: [{ role: 'user', content: 'How many singers are there?' }], ...GREEDY, maxTokens: 4 });
    expect(out.prompt).toContain('<|im_start|>user\nHow many singers are there?');
    expect(out.promptTokens).toBeGreaterThan(5);
    expect(['eos', 'maxTokens']).toContain(out.stopReason);
    await models.unload(id());
    const again = await models.textModel(id());
    expect(again).not.toBe(tm);
    await models.unload(id());
  }, 180_000);

  it('refuses to load a model that does not fit, saying what it needs', async () => {
    // a GGUF whose tensor table asks for far more memory than any machine has: a sparse file, no real bytes
    const huge = path.join(dir, 'huge.gguf');
    writeHeaderOnlyGguf(huge);
    const model = await models.add(huge);
    expect(model.metadata).toMatchObject({ architecture: 'llama', layers: 1, embeddingLength: 16384 });
    const fit = await models.fit(model.id, { gpuLayers: 0 });
    expect(fit.fits).toBe(false);
    expect(fit.note).toMatch(/^Needs [\d.]+ GiB of RAM, [\d.]+ GiB is free/);
    const err = await failure(models.load(model.id, { gpuLayers: 0 }));
    expect(err.code).toBe('LIMIT');
    expect(err.message).toMatch(/does not fit in memory with these settings/);
    expect(models.get(model.id).loaded).toBe(false);
    await models.remove(model.id);
  });
});

let trainerUnavailable: string | null = null;
try {
  trainerBinary();
} catch (err) {
  trainerUnavailable = (err as Error).message;
}

describe.skipIf(trainerUnavailable !== null)(`adapters${trainerUnavailable ? ` (skipped: ${trainerUnavailable})` : ''}`, () => {
  let matching: string;
  let mismatching: string;
  beforeAll(async () => {
    const other = path.join(dir, 'wider.gguf');
    createModel({ arch: 'qwen2', shape: { ...SHAPE, embd: 128 }, vocab: 'qwen2', out: other, seed: 4, cacheDir });
    const trainer = await startTrainer();
    try {
      matching = path.join(dir, 'matching.lora.gguf');
      await trainer.load({ model: modelFile, ctx: 64, lora: { rank: 4, alpha: 8, targets: ['q', 'v'], seed: 1 } });
      await trainer.save({ adapter: matching });
    } finally {
      await trainer.shutdown();
    }
    const second = await startTrainer();
    try {
      mismatching = path.join(dir, 'mismatching.lora.gguf');
      await second.load({ model: other, ctx: 64, lora: { rank: 4, alpha: 8, targets: ['q', 'v'], seed: 1 } });
      await second.save({ adapter: mismatching });
    } finally {
      await second.shutdown();
    }
  }, 120_000);

  const id = () => models.list().find((m) => m.path === fs.realpathSync(modelFile))!.id;

  it('attaches an adapter made for the model, and generates with it', async () => {
    const adapter = await models.addAdapter(id(), matching, 'memorized');
    expect(adapter).toMatchObject({ modelId: id(), name: 'memorized', source: 'imported', status: 'ok', sizeBytes: fs.statSync(matching).size });
    expect(models.get(id()).adapters.map((a) => a.id)).toEqual([adapter.id]);
    expect((await failure(models.addAdapter(id(), matching))).code).toBe('CONFLICT');
    const tm = await models.textModel(id(), adapter.id);
    expect(tm.name).toBe(`${models.get(id()).name} + memorized`);
    const out = await tm.generate({ messages: [{ role: 'user', content: 'List the singers.' }], ...GREEDY, maxTokens: 3 });
    expect(out.promptTokens).toBeGreaterThan(3);
    models.removeAdapter(adapter.id);
    expect(models.get(id()).adapters).toEqual([]);
    await models.unload(id());
  }, 180_000);

  it('refuses an adapter trained on a model with other dimensions, and a model passed as an adapter', async () => {
    const err = await failure(models.addAdapter(id(), mismatching));
    expect(err.code).toBe('VALIDATION');
    expect(err.message).toMatch(/does not match squill-random-qwen2-2x64: blk\.0\.attn_q\.weight is 64x64 in the model, the adapter's A\/B are 128x4 and 4x128/);
    expect((await failure(models.addAdapter(id(), modelFile))).message).toMatch(/is a model, not a LoRA adapter/);
    expect(models.get(id()).adapters).toEqual([]);
  });
});

/** A GGUF header (llama, one layer, a 16384 x 8M F32 embedding = 512 GiB) over a sparse file of the right size. */
function writeHeaderOnlyGguf(file: string) {
  const parts: Buffer[] = [];
  const u32 = (v: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(v); parts.push(b); };
  const u64 = (v: number) => { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(v)); parts.push(b); };
  const str = (s: string) => { u64(Buffer.byteLength(s)); parts.push(Buffer.from(s)); };
  const kv: [string, string | number][] = [
    ['general.architecture', 'llama'],
    ['general.name', 'huge'],
    ['llama.block_count', 1],
    ['llama.context_length', 4096],
    ['llama.embedding_length', 16384],
    ['llama.feed_forward_length', 65536],
    ['llama.attention.head_count', 128],
    ['llama.attention.head_count_kv', 128],
  ];
  const dims = [16384, 8_000_000];
  parts.push(Buffer.from('GGUF'));
  u32(3);
  u64(1); // tensors
  u64(kv.length);
  for (const [k, v] of kv) {
    str(k);
    if (typeof v === 'string') { u32(8); str(v); } else { u32(4); u32(v); }
  }
  str('token_embd.weight');
  u32(dims.length);
  for (const d of dims) u64(d);
  u32(0); // F32
  u64(0); // offset in the data section
  const header = Buffer.concat(parts);
  const dataStart = Math.ceil(header.length / 32) * 32;
  fs.writeFileSync(file, header);
  fs.truncateSync(file, dataStart + dims[0]! * dims[1]! * 4);
}
