/**
 * Text embeddings through node-llama-cpp (loaded with `build: 'never'`, engine.ts): a GGUF embedding model, or a
 * chat model used as one (llama.cpp pools its last hidden states). FINER-SQL's memory reward compares reasonings
 * with them. One embedding context per opened model; calls are serialized on it.
 */
import path from 'node:path';
import type { LlamaEmbeddingContext, LlamaModel } from 'node-llama-cpp';
import { SquillError } from '../../shared/errors.ts';
import { getLlama } from './engine.ts';
import { checkGguf } from './open.ts';
import { inferenceThreads } from './threads.ts';

/** Turns texts into vectors; `id` names the model (vectors of different models are not comparable). */
export interface Embedder {
  readonly id: string;
  embed(texts: string[]): Promise<number[][]>;
}

export interface OpenedEmbedder extends Embedder {
  close(): Promise<void>;
}

/**
 * Opens a GGUF for embeddings. A text longer than the context keeps its first tokens (the authors truncate at 8192
 * tokens too). `id` defaults to the file name.
 */
export async function openEmbedder(file: string, options: { contextSize?: number; threads?: number; id?: string } = {}): Promise<OpenedEmbedder> {
  const modelPath = path.resolve(file);
  checkGguf(modelPath, 'The embedding model');
  const llama = await getLlama();
  const model: LlamaModel = await llama.loadModel({ modelPath, defaultContextFlashAttention: false }).catch((err: Error) => {
    throw new SquillError('VALIDATION', `node-llama-cpp could not load ${modelPath}: ${err.message}`);
  });
  const contextSize = Math.min(options.contextSize ?? 2048, model.trainContextSize);
  let context: LlamaEmbeddingContext;
  try {
    context = await model.createEmbeddingContext({ contextSize, batchSize: contextSize, threads: options.threads ?? inferenceThreads() });
  } catch (err) {
    await model.dispose();
    throw new SquillError('UNAVAILABLE', `Could not create an embedding context for ${path.basename(modelPath)}: ${(err as Error).message}`);
  }
  let queue: Promise<unknown> = Promise.resolve();
  const one = async (text: string): Promise<number[]> => {
    const tokens = model.tokenize(text).slice(0, contextSize - 1);
    const embedding = await context.getEmbeddingFor(tokens.length ? tokens : model.tokenize(' '));
    return [...embedding.vector];
  };
  return {
    id: options.id ?? path.basename(modelPath),
    embed(texts) {
      const run = async () => {
        const out: number[][] = [];
        for (const t of texts) out.push(await one(t));
        return out;
      };
      const next = queue.then(run, run);
      queue = next.catch(() => undefined);
      return next;
    },
    async close() {
      await queue.catch(() => undefined);
      await context.dispose();
      await model.dispose();
    },
  };
}
