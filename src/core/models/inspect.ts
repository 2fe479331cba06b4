/**
 * Reading a GGUF file for the registry: the checks a user can act on (exists, is a file, is GGUF, is whole), its
 * metadata through node-llama-cpp's own reader, and its sha256 streamed off the event loop's critical path.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { GgufFileType, GgufInsights, readGgufFileInfo, type GgufFileInfo } from 'node-llama-cpp';
import type { ModelMetadata } from '../../shared/contract/index.ts';
import { SquillError } from '../../shared/errors.ts';
import { getLlama } from '../llm/index.ts';

export interface Inspected {
  info: GgufFileInfo;
  insights: GgufInsights;
  metadata: ModelMetadata;
  sizeBytes: number;
}

const GGUF_MAGIC = Buffer.from('GGUF', 'ascii');

/** The file exists, is a regular file and starts with the GGUF magic; returns its size. */
export function checkGgufFile(file: string, what = 'model'): number {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw new SquillError('NOT_FOUND', `No file at ${file}`);
  }
  if (stat.isDirectory()) throw new SquillError('VALIDATION', `${file} is a folder, not a GGUF ${what} file`);
  if (!stat.isFile()) throw new SquillError('VALIDATION', `${file} is not a regular file`);
  if (stat.size === 0) throw new SquillError('VALIDATION', `${file} is empty, not a GGUF ${what}`);
  const head = Buffer.alloc(4);
  try {
    const fd = fs.openSync(file, 'r');
    try {
      fs.readSync(fd, head, 0, 4, 0);
    } finally {
      fs.closeSync(fd);
    }
  } catch (err) {
    throw new SquillError('UNAVAILABLE', `${file} cannot be read: ${(err as Error).message}`);
  }
  if (!head.equals(GGUF_MAGIC)) {
    throw new SquillError('VALIDATION', `${file} is not a GGUF file (it does not start with "GGUF"); Squill runs llama.cpp models in GGUF format`);
  }
  return stat.size;
}

/** [elements per block, bytes per block] of the common ggml types, to find where the last tensor must end. */
const TYPE_SIZES: Record<number, [number, number]> = {
  0: [1, 4], 1: [1, 2], 2: [32, 18], 3: [32, 20], 6: [32, 22], 7: [32, 24], 8: [32, 34], 9: [32, 36],
  10: [256, 84], 11: [256, 110], 12: [256, 144], 13: [256, 176], 14: [256, 210], 15: [256, 292],
  24: [1, 1], 25: [1, 2], 26: [1, 4], 27: [1, 8], 28: [1, 8], 30: [1, 2],
};

/** The bytes the tensor data needs, from the tensor table (unknown types count as their offset only). */
function dataEnd(info: GgufFileInfo): number {
  let end = 0;
  for (const t of info.fullTensorInfo ?? []) {
    const n = t.dimensions.reduce<number>((a, d) => a * Number(d), 1);
    const size = TYPE_SIZES[t.ggmlType];
    const bytes = size ? Math.ceil(n / size[0]) * size[1] : 0;
    end = Math.max(end, Number(t.fileOffset) + bytes);
  }
  return end;
}

export function fileTypeName(fileType: number | undefined, info: GgufFileInfo): string {
  if (fileType !== undefined && GgufFileType[fileType]) return GgufFileType[fileType]!.replace(/^(MOSTLY|ALL)_/, '');
  const dominant = new Map<number, number>();
  for (const t of info.fullTensorInfo ?? []) dominant.set(t.ggmlType, (dominant.get(t.ggmlType) ?? 0) + 1);
  const top = [...dominant].sort((a, b) => b[1] - a[1])[0];
  return top ? `ggml type ${top[0]}` : 'unknown';
}

/** Metadata and memory insights of a GGUF file, with an error saying what is wrong when it cannot be used. */
export async function inspectGguf(file: string, what: 'model' | 'adapter' = 'model'): Promise<Inspected> {
  const sizeBytes = checkGgufFile(file, what);
  let info: GgufFileInfo;
  try {
    // the vocabulary is the bulk of the header and not needed here
    info = await readGgufFileInfo(file, { sourceType: 'filesystem', logWarnings: false, ignoreKeys: ['tokenizer.ggml.merges', 'tokenizer.ggml.token_type', 'tokenizer.ggml.scores'] });
  } catch (err) {
    throw new SquillError('VALIDATION', `${file} is a damaged or truncated GGUF file: its header cannot be read (${(err as Error).message})`);
  }
  const end = dataEnd(info);
  if (end > sizeBytes) {
    throw new SquillError('VALIDATION', `${file} is truncated: its tensors need ${end} bytes, the file has ${sizeBytes} (an interrupted download or copy?)`);
  }
  let insights: GgufInsights;
  try {
    insights = await GgufInsights.from(info, await getLlama());
  } catch (err) {
    throw new SquillError('VALIDATION', `The metadata of ${file} cannot be read: ${(err as Error).message}`);
  }
  if (insights.modelSize > sizeBytes) {
    throw new SquillError('VALIDATION', `${file} is truncated: its tensors need ${insights.modelSize} bytes, the file has ${sizeBytes}`);
  }
  const md = info.metadata as unknown as { general?: { architecture?: string; name?: string; file_type?: number }; tokenizer?: { chat_template?: string; ggml?: { tokens?: unknown[] } } };
  const arch = info.architectureMetadata as { context_length?: number; block_count?: number; embedding_length?: number; vocab_size?: number };
  const architecture = md.general?.architecture;
  if (!architecture) throw new SquillError('VALIDATION', `${file} has no general.architecture in its metadata; it is not a llama.cpp model`);
  const metadata: ModelMetadata = {
    architecture,
    parameters: insights.totalParameters,
    quantization: fileTypeName(md.general?.file_type, info),
    contextLength: arch.context_length ?? null,
    layers: arch.block_count ?? null,
    embeddingLength: arch.embedding_length ?? null,
    vocabSize: arch.vocab_size ?? md.tokenizer?.ggml?.tokens?.length ?? null,
    chatTemplate: typeof md.tokenizer?.chat_template === 'string' ? md.tokenizer.chat_template : null,
    name: typeof md.general?.name === 'string' ? md.general.name : null,
  };
  return { info, insights, metadata, sizeBytes };
}

/** sha256 of a file, streamed (a multi-GB model must not block the process or sit in memory). */
export function sha256File(file: string, signal?: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    const stream = fs.createReadStream(file, { highWaterMark: 1 << 20, signal });
    stream.on('data', (chunk) => hash.update(chunk));
    stream.on('error', reject);
    stream.on('end', () => resolve(hash.digest('hex')));
  });
}
