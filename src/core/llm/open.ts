/**
 * Opening a model named on a command line: a GGUF path (loaded with node-llama-cpp, optional LoRA adapter) or the
 * URL of an OpenAI-compatible endpoint. The model manager does the same for registered models.
 */
import fs from 'node:fs';
import path from 'node:path';
import { SquillError } from '../../shared/errors.ts';
import { getLlama } from './engine.ts';
import { readGgufHeader } from './gguf.ts';
import { openLocalTextModel } from './local.ts';
import { openRemoteTextModel } from './remote.ts';
import type { TextModel } from './textModel.ts';

export interface ModelSpec {
  /** a GGUF file, or an http(s) URL of an OpenAI-compatible API (…/v1) */
  model: string;
  adapter?: string | null;
  /** remote endpoints: the model name to request (default: the first the endpoint lists) */
  remoteModel?: string;
  apiKey?: string;
  contextSize?: number;
  gpuLayers?: 'auto' | number;
  /** CPU threads (default: SQUILL_THREADS, else node-llama-cpp's choice) */
  threads?: number;
}

export interface OpenedModel {
  textModel: TextModel;
  info: { name: string; sha256: string | null };
  adapterInfo: { name: string; sha256: string | null } | null;
  close(): Promise<void>;
}

const isUrl = (s: string) => /^https?:\/\//i.test(s);

export function checkGguf(file: string, what: string): void {
  if (!fs.existsSync(file)) throw new SquillError('NOT_FOUND', `${what} ${file} does not exist`);
  if (!fs.statSync(file).isFile()) throw new SquillError('VALIDATION', `${what} ${file} is not a file`);
  try {
    readGgufHeader(file);
  } catch (err) {
    throw new SquillError('VALIDATION', `${what} ${file} is not a readable GGUF file: ${(err as Error).message}`);
  }
}

export async function openModelSpec(spec: ModelSpec): Promise<OpenedModel> {
  if (isUrl(spec.model)) {
    if (spec.adapter) throw new SquillError('VALIDATION', 'An adapter can only be applied to a local GGUF model, not to an endpoint');
    const textModel = await openRemoteTextModel({ name: spec.remoteModel ?? spec.model, baseUrl: spec.model, model: spec.remoteModel ?? '', apiKey: spec.apiKey });
    return { textModel, info: { name: textModel.name, sha256: null }, adapterInfo: null, close: () => textModel.dispose() };
  }
  const file = path.resolve(spec.model);
  checkGguf(file, 'The model');
  const adapter = spec.adapter ? path.resolve(spec.adapter) : null;
  if (adapter) checkGguf(adapter, 'The adapter');
  const llama = await getLlama();
  const model = await llama.loadModel({ modelPath: file, gpuLayers: spec.gpuLayers ?? 'auto', defaultContextFlashAttention: false }).catch((err: Error) => {
    throw new SquillError('VALIDATION', `node-llama-cpp could not load ${file}: ${err.message}`);
  });
  try {
    const textModel = await openLocalTextModel(model, { name: path.basename(file), sha256: null, adapterPath: adapter, contextSize: spec.contextSize, threads: spec.threads });
    return {
      textModel,
      info: { name: path.basename(file), sha256: null },
      adapterInfo: adapter ? { name: path.basename(adapter), sha256: null } : null,
      async close() {
        await textModel.dispose();
        await model.dispose();
      },
    };
  } catch (err) {
    await model.dispose();
    throw err;
  }
}
