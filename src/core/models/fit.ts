/**
 * Will a model fit: node-llama-cpp's own estimate of weights + context memory for a GPU offload and context size,
 * against the free VRAM and RAM now. An estimate: llama.cpp's graph overhead is approximated.
 */
import os from 'node:os';
import type { GgufInsights, Llama } from 'node-llama-cpp';
import type { ModelFit } from '../../shared/contract/index.ts';
import { SquillError } from '../../shared/errors.ts';
import type { LoadSettings } from './types.ts';

export const DEFAULT_CONTEXT = 4096;

const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(bytes < 1024 ** 3 ? 2 : 1)} GiB`;

/** The context size a setting asks for, bounded by what the model was trained on. */
export function contextSizeFor(insights: GgufInsights, requested?: number): number {
  const train = insights.trainContextSize ?? DEFAULT_CONTEXT;
  return Math.min(requested ?? Math.min(DEFAULT_CONTEXT, train), train);
}

export async function resolveGpuLayers(llama: Llama, insights: GgufInsights, gpuLayers: LoadSettings['gpuLayers']): Promise<number> {
  if (!llama.supportsGpuOffloading || llama.gpu === false) return 0;
  if (gpuLayers === undefined || gpuLayers === 'auto') {
    try {
      return await insights.configurationResolver.resolveModelGpuLayers('auto', { defaultContextFlashAttention: false });
    } catch {
      return 0;
    }
  }
  return Math.min(gpuLayers, insights.totalLayers);
}

export async function estimateFit(llama: Llama, insights: GgufInsights, settings: LoadSettings = {}): Promise<ModelFit> {
  if (settings.contextSize !== undefined && insights.trainContextSize !== undefined && settings.contextSize > insights.trainContextSize) {
    throw new SquillError('VALIDATION', `The model was trained on a context of ${insights.trainContextSize} tokens; ask for at most that`);
  }
  const gpuLayers = await resolveGpuLayers(llama, insights, settings.gpuLayers);
  const contextSize = contextSizeFor(insights, settings.contextSize);
  const weights = insights.estimateModelResourceRequirements({ gpuLayers });
  const context = insights.estimateContextResourceRequirements({ contextSize, modelGpuLayers: gpuLayers, flashAttention: false });
  const vramBytes = weights.gpuVram + context.gpuVram;
  const ramBytes = weights.cpuRam + context.cpuRam;
  const freeVramBytes = llama.gpu === false ? null : (await llama.getVramState()).free;
  const freeRamBytes = os.freemem();
  const vramOk = freeVramBytes === null || vramBytes <= freeVramBytes;
  const ramOk = ramBytes <= freeRamBytes;
  const notes: string[] = [];
  if (!vramOk) notes.push(`needs ${gib(vramBytes)} of GPU memory, ${gib(freeVramBytes ?? 0)} is free: offload fewer layers or use a smaller context`);
  if (!ramOk) notes.push(`needs ${gib(ramBytes)} of RAM, ${gib(freeRamBytes)} is free: close other programs, offload more layers or use a smaller context`);
  if (llama.gpu === false) notes.push('no GPU is in use: the model runs on the CPU');
  else if (vramOk && gpuLayers < insights.totalLayers) notes.push(`${gpuLayers} of ${insights.totalLayers} layers on the GPU; the rest runs on the CPU`);
  return {
    gpu: llama.gpu,
    gpuLayers,
    totalLayers: insights.totalLayers,
    contextSize,
    vramBytes,
    ramBytes,
    freeVramBytes,
    freeRamBytes,
    fits: vramOk && ramOk,
    note: notes.length ? capitalize(notes.join('; ')) : null,
  };
}

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * A rough fit for a model not on disk, from its parameter count and bits per weight: weights plus ~15% for a 4k
 * context and compute buffers, all on the GPU when one has room, else in RAM.
 */
export async function roughFit(llama: Llama, parameters: number, bitsPerWeight: number, layers: number): Promise<ModelFit> {
  const weights = (parameters * bitsPerWeight) / 8;
  const total = weights * 1.15;
  const freeVramBytes = llama.gpu === false ? null : (await llama.getVramState()).free;
  const freeRamBytes = os.freemem();
  const onGpu = freeVramBytes !== null && total <= freeVramBytes;
  const fits = onGpu || total <= freeRamBytes;
  return {
    gpu: llama.gpu,
    gpuLayers: onGpu ? layers : 0,
    totalLayers: layers,
    contextSize: DEFAULT_CONTEXT,
    vramBytes: onGpu ? total : 0,
    ramBytes: onGpu ? 0 : total,
    freeVramBytes,
    freeRamBytes,
    fits,
    note: fits
      ? onGpu ? `About ${gib(total)} on the GPU` : `About ${gib(total)} of RAM; runs on the CPU`
      : `Needs about ${gib(total)}; ${gib(Math.max(freeRamBytes, freeVramBytes ?? 0))} is free`,
  };
}
