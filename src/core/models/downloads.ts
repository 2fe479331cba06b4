/**
 * Model downloads through node-llama-cpp's downloader (hf: URIs and URLs, parallel ranges, resume from the partial
 * file it keeps), with progress events at most every 250 ms and the finished file registered as a model.
 */
import path from 'node:path';
import { createModelDownloader, type ModelDownloader } from 'node-llama-cpp';
import type { Download, Model } from '../../shared/contract/index.ts';
import { SquillError } from '../../shared/errors.ts';

export const PROGRESS_INTERVAL_MS = 250;

export interface DownloadsOptions {
  dirPath: string;
  emit(download: Download): void;
  /** registers the finished file; returns the model */
  register(file: string, name: string | undefined): Promise<Model>;
  log(message: string): void;
}

export interface Downloads {
  start(uri: string, name?: string): Download;
  list(): Download[];
  cancel(id: string): Promise<Download>;
  close(): Promise<void>;
}

interface Entry {
  download: Download;
  downloader: ModelDownloader | null;
  cancelled: boolean;
  done: Promise<void>;
}

function defaultName(uri: string): string {
  if (uri.startsWith('hf:')) return uri.slice(3).replace(/^[^/]+\//, '');
  try {
    return decodeURIComponent(path.posix.basename(new URL(uri).pathname)).replace(/\.gguf$/i, '') || uri;
  } catch {
    return uri;
  }
}

export function createDownloads(o: DownloadsOptions): Downloads {
  const entries = new Map<string, Entry>();
  let seq = 0;

  const snapshot = (e: Entry): Download => ({ ...e.download });
  const emit = (e: Entry) => o.emit(snapshot(e));

  async function run(e: Entry, name: string | undefined) {
    const d = e.download;
    let lastEmit = 0;
    try {
      const downloader = await createModelDownloader({
        modelUri: d.uri,
        dirPath: o.dirPath,
        skipExisting: true,
        // the partial file stays on cancel: the next download of the same URI resumes it
        deleteTempFileOnCancel: false,
        onProgress: ({ totalSize, downloadedSize }) => {
          d.downloadedBytes = downloadedSize;
          d.totalBytes = totalSize || null;
          const now = Date.now();
          if (now - lastEmit >= PROGRESS_INTERVAL_MS && d.status === 'downloading') {
            lastEmit = now;
            emit(e);
          }
        },
      });
      e.downloader = downloader;
      if (e.cancelled) {
        await downloader.cancel({ deleteTempFile: false });
        return;
      }
      d.totalBytes = downloader.totalSize || null;
      emit(e);
      const file = await downloader.download();
      if (e.cancelled) return;
      d.downloadedBytes = downloader.downloadedSize || d.downloadedBytes;
      const model = await o.register(file, name);
      d.modelId = model.id;
      d.status = 'done';
      emit(e);
    } catch (err) {
      if (e.cancelled) return;
      d.status = 'failed';
      d.error = err instanceof SquillError ? err.message : `Could not download ${d.uri}: ${(err as Error)?.message ?? String(err)}`;
      o.log(`squill: download of ${d.uri} failed: ${(err as Error)?.stack ?? String(err)}`);
      emit(e);
    }
  }

  return {
    start(uri, name) {
      const trimmed = uri.trim();
      if (!/^(hf:[^/\s]+\/[^\s]+|https?:\/\/\S+)$/i.test(trimmed)) {
        throw new SquillError('VALIDATION', 'Give a Hugging Face URI (hf:user/repo:Q4_K_M or hf:user/repo/file.gguf) or an http(s) URL of a .gguf file');
      }
      const running = [...entries.values()].find((e) => e.download.uri === trimmed && e.download.status === 'downloading');
      if (running) throw new SquillError('CONFLICT', `${trimmed} is already downloading`);
      const id = `dl-${Date.now().toString(36)}-${(++seq).toString(36)}`;
      const entry: Entry = {
        download: { id, uri: trimmed, name: name ?? defaultName(trimmed), status: 'downloading', downloadedBytes: 0, totalBytes: null, error: null, modelId: null },
        downloader: null,
        cancelled: false,
        done: Promise.resolve(),
      };
      entries.set(id, entry);
      entry.done = run(entry, name);
      emit(entry);
      return snapshot(entry);
    },
    list: () => [...entries.values()].map(snapshot).reverse(),
    async cancel(id) {
      const e = entries.get(id);
      if (!e) throw new SquillError('NOT_FOUND', `No download with id "${id}"`);
      if (e.download.status !== 'downloading') return snapshot(e);
      e.cancelled = true;
      e.download.status = 'cancelled';
      await e.downloader?.cancel({ deleteTempFile: false }).catch(() => undefined);
      emit(e);
      return snapshot(e);
    },
    async close() {
      for (const e of entries.values()) {
        if (e.download.status !== 'downloading') continue;
        e.cancelled = true;
        e.download.status = 'cancelled';
        await e.downloader?.cancel({ deleteTempFile: false }).catch(() => undefined);
      }
      await Promise.all([...entries.values()].map((e) => e.done));
    },
  };
}
