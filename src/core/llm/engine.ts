/**
 * The one node-llama-cpp instance of the process. Loaded lazily (it maps a native library and probes GPUs) and
 * never built from source at run time: the prebuilt binaries cover CPU, CUDA, Vulkan and Metal.
 */
import type { Llama } from 'node-llama-cpp';
import type { EngineInfo } from '../../shared/contract/index.ts';

let llamaPromise: Promise<Llama> | null = null;

export function getLlama(): Promise<Llama> {
  if (!llamaPromise) {
    llamaPromise = import('node-llama-cpp').then(({ getLlama: load, LlamaLogLevel }) =>
      load({ gpu: 'auto', build: 'never', progressLogs: false, logLevel: LlamaLogLevel.error }),
    );
    llamaPromise.catch(() => {
      llamaPromise = null; // a later call may succeed (e.g. after a driver install); do not cache the failure
    });
  }
  return llamaPromise;
}

export async function getEngineInfo(): Promise<EngineInfo> {
  try {
    const llama = await getLlama();
    const vram = llama.gpu ? await llama.getVramState() : null;
    return {
      gpu: llama.gpu,
      supportsGpuOffloading: llama.supportsGpuOffloading,
      cpuMathCores: llama.cpuMathCores,
      vram: vram && { totalBytes: vram.total, usedBytes: vram.used, freeBytes: vram.free },
      buildType: llama.buildType,
      llamaCppRelease: llama.llamaCppRelease.release,
    };
  } catch (err) {
    return {
      gpu: false,
      supportsGpuOffloading: false,
      cpuMathCores: 0,
      vram: null,
      buildType: 'unavailable',
      llamaCppRelease: 'unknown',
      error: `The inference engine could not be loaded: ${(err as Error).message}`,
    };
  }
}

export async function disposeLlama(): Promise<void> {
  const pending = llamaPromise;
  llamaPromise = null;
  if (pending) await pending.then((l) => l.dispose()).catch(() => undefined);
}
