/**
 * Downloads through node-llama-cpp's real downloader against a loopback HTTP server (these machines cannot reach
 * the internet) that honours Range requests and can hold a transfer mid-file, so cancel and resume are real.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Download } from '../../shared/contract/index.ts';
import { createEventHub } from '../../shared/rpc/events.ts';
import { failure, until } from '../../../test/helpers.ts';
import { createModel } from '../llm/index.ts';
import { openStore, type Store } from '../store/index.ts';
import { createModels, type Models } from './index.ts';

const cacheDir = path.join(os.tmpdir(), 'squill-test-cache');

let dir: string;
let source: Buffer;
let server: http.Server;
let base: string;
let store: Store;
let models: Models;
const events: Download[] = [];
/** bytes of file data the server sent since the last reset */
let served = 0;
/** the server stops sending (and holds the connection) once this many bytes went out */
let holdAfter = Infinity;
/**
 * bumped with each reset: a response from before it stops sending. Without it, a held response of the cancelled
 * transfer could drain after the reset lifted the hold and count its bytes as the resumed transfer's.
 */
let epoch = 0;
const ranges: string[] = [];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'squill-download-test-'));
  const file = path.join(dir, 'source.gguf');
  createModel({ arch: 'qwen2', shape: { layers: 1, embd: 64, ff: 128, heads: 4, kvHeads: 2 }, vocab: 'qwen2', out: file, seed: 9, cacheDir });
  source = fs.readFileSync(file);
  server = http.createServer((req, res) => {
    if (!req.url?.startsWith('/files/tiny-model.gguf')) {
      res.writeHead(404).end('not found');
      return;
    }
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    const end = range && range[2] ? Math.min(Number(range[2]), source.length - 1) : source.length - 1;
    if (range) ranges.push(req.headers.range!);
    const headers = { 'content-type': 'application/octet-stream', 'accept-ranges': 'bytes', 'content-length': String(end - start + 1) };
    if (range) res.writeHead(206, { ...headers, 'content-range': `bytes ${start}-${end}/${source.length}` });
    else res.writeHead(200, headers);
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    let at = start;
    const mine = epoch;
    const pump = () => {
      while (at <= end) {
        if (mine !== epoch) return; // a response of an earlier transfer
        if (served >= holdAfter) return; // hold: the client sees a stalled transfer until it gives up or cancels
        const chunk = source.subarray(at, Math.min(at + 65536, end + 1));
        at += chunk.length;
        served += chunk.length;
        if (!res.write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
      res.end();
    };
    res.on('error', () => undefined);
    pump();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  store = openStore(path.join(dir, 'data'));
  const hub = createEventHub();
  hub.subscribe('models.download', (d) => events.push(d as Download));
  models = createModels({ store, hub, dataDir: path.join(dir, 'data'), log: () => undefined });
});

afterAll(async () => {
  await models?.close();
  store?.close();
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  fs.rmSync(dir, { recursive: true, force: true });
});

const latest = (id: string) => events.filter((e) => e.id === id).at(-1);

describe('downloads', () => {
  it('refuses what is not a model URI', () => {
    expect(() => models.download('ftp://example.com/model.gguf')).toThrow(/Give a Hugging Face URI/);
  });

  it('cancels mid-file, keeps the partial file, and resumes from it', async () => {
    const url = `${base}/files/tiny-model.gguf`;
    // the downloader writes (and records for resuming) whole 5 MiB chunks over parallel connections: hold late
    // enough that some chunks are complete, and cancel only once the partial file holds data
    holdAfter = Math.floor((source.length * 2) / 3);
    const first = models.download(url, 'Tiny download');
    expect(first).toMatchObject({ uri: url, name: 'Tiny download', status: 'downloading', modelId: null });
    const partialBytes = () => {
      const folder = path.join(dir, 'data', 'models');
      return fs.existsSync(folder) ? fs.readdirSync(folder).reduce((n, f) => n + fs.statSync(path.join(folder, f)).size, 0) : 0;
    };
    await until(() => served >= holdAfter && (latest(first.id)?.downloadedBytes ?? 0) > 0 && partialBytes() > 0, 30_000, 'the first two thirds, partly on disk');
    expect(latest(first.id)?.totalBytes).toBe(source.length);
    expect(models.cancelDownload(first.id).status).toBe('cancelled');
    await until(() => latest(first.id)?.status === 'cancelled', 10_000, 'the cancelled event');
    expect(models.downloads()[0]).toMatchObject({ id: first.id, status: 'cancelled' });
    const partial = fs.readdirSync(path.join(dir, 'data', 'models'));
    expect(partial.length).toBeGreaterThan(0);
    expect(models.list()).toEqual([]);

    epoch++;
    served = 0;
    holdAfter = Infinity;
    ranges.length = 0;
    const second = models.download(url, 'Tiny download');
    await until(() => ['done', 'failed'].includes(latest(second.id)?.status ?? ''), 60_000, 'the download');
    const done = latest(second.id)!;
    expect(done).toMatchObject({ status: 'done', error: null, downloadedBytes: source.length, totalBytes: source.length });
    // resumed: the server sent only what the partial file lacked
    expect(served).toBeLessThan(source.length);
    expect(ranges.some((r) => !r.startsWith('bytes=0-'))).toBe(true);
    const model = models.get(done.modelId!);
    expect(model).toMatchObject({ name: 'Tiny download', source: 'download', status: 'ok', metadata: { architecture: 'qwen2', layers: 1 } });
    expect(fs.readFileSync(model.path!).equals(source)).toBe(true);
    await until(() => models.get(model.id).sha256 !== null, 20_000, 'the hash');
    expect(models.get(model.id).sha256).toBe(createHash('sha256').update(source).digest('hex'));

    // a downloaded file may be deleted with its model; a file added from disk may not
    await models.remove(model.id, true);
    expect(fs.existsSync(model.path!)).toBe(false);
  }, 120_000);

  it('reports a download that fails', async () => {
    const d = models.download(`${base}/files/missing.gguf`);
    expect(d.name).toBe('missing');
    await until(() => ['done', 'failed'].includes(latest(d.id)?.status ?? ''), 30_000, 'the failure');
    expect(latest(d.id)).toMatchObject({ status: 'failed', modelId: null });
    expect(latest(d.id)!.error).toMatch(/^Could not download http:\/\/127\.0\.0\.1:\d+\/files\/missing\.gguf: /);
    expect((await failure(Promise.resolve().then(() => models.cancelDownload('nope')))).code).toBe('NOT_FOUND');
  }, 60_000);
});
