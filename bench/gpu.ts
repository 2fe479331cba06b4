/**
 * The GPU table in one command: builds squill-trainer for a GPU backend (scripts/build-trainer.mjs --gpu), then
 * measures LoRA training on it: per model shape (~25M 8x512 and the Qwen2.5-0.5B shape, Qwen2 vocabulary 151,936),
 * per base type (F32, F16, Q8_0) and sequence (256, 512), LoRA r16 alpha 32 on all seven linear layers, batch 1:
 * tokens/s, the device memory the trainer holds (device free memory before the trainer started minus after the
 * timed steps: weights, adapter, optimizer state and the scheduler's compute buffers), the compute buffer alone,
 * and the ops of the training step that no GPU backend computes (the load check of op_check.cpp: they run on the
 * CPU with copies each step, and explain a slow row). It also prints the GPU's measured F32 matrix-product peak
 * (the trainer's sgemm_peak) and the fraction of it each step uses (the FLOP count of bench/trainer.ts).
 * Run (on a machine with the toolkit and a GPU):
 *   npm run bench:gpu [-- --gpu cuda|vulkan] [-- --cuda-arch 90] [-- --shape 25m,qwen2.5-0.5b] [-- --type f32,f16,q8_0] [-- --seq 256,512]
 * --cuda-arch is passed to the build (default: the GPUs of this machine).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SHAPES, TYPES, WEIGHT_TYPES, type WeightType } from '../src/core/llm/index.ts';
import { startTrainer } from '../src/core/train/index.ts';
import { benchModels, flopsPerStep, timeSteps } from './trainer-common.ts';

const argv = process.argv.slice(2);
const arg = (name: string): string | undefined => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const gpu = arg('--gpu') ?? 'cuda';
const cudaArch = arg('--cuda-arch');
const shapeNames = (arg('--shape') ?? '25m,qwen2.5-0.5b').split(',');
const types = (arg('--type') ?? 'f32,f16,q8_0').split(',') as WeightType[];
const seqs = (arg('--seq') ?? '256,512').split(',').map(Number);
for (const s of shapeNames) if (!SHAPES[s]) throw new Error(`--shape takes ${Object.keys(SHAPES).join(', ')}, not ${s}`);
for (const t of types) if (!WEIGHT_TYPES.includes(t)) throw new Error(`--type takes ${WEIGHT_TYPES.join(', ')}, not ${t}`);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MiB = 1024 * 1024;
const warmup = 2;
const steps = 10;

// 1. the GPU build (cached by build-trainer.mjs when nothing changed)
const build = spawnSync(process.execPath, [path.join(root, 'scripts', 'build-trainer.mjs'), '--gpu', gpu, ...(cudaArch ? ['--cuda-arch', cudaArch] : [])], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
const status = JSON.parse(fs.readFileSync(path.join(root, 'native', 'trainer', '.build', 'status.json'), 'utf8')) as { binary: string; variant: string };
if (!status.variant.startsWith(gpu)) throw new Error(`the build reports variant ${status.variant}, not ${gpu}`);

const probe = await startTrainer({ binary: status.binary });
console.log(`squill-trainer ${status.variant} (${status.binary}); backends ${probe.ready.backends?.join(', ')}`);
const sg = await probe.sgemmPeak({ n: 4096, reps: 10 });
await probe.shutdown();
console.log(`F32 matrix-product peak (4096^3): ${sg.devices.map((d) => `${d.name} (${d.description}) ${d.supported ? `${d.gflops?.toFixed(0)} GFLOP/s` : 'n/a'}`).join(', ')}`);
const gpuDev = sg.devices.find((d) => d.name === sg.engine_backend);
if (!gpuDev || /^(CPU|BLAS)$/.test(sg.engine_backend)) console.log(`warning: the engine's matrix products run on ${sg.engine_backend}, not a GPU`);
console.log('');
console.log('model                 base  seq    tok/s  step ms  device MiB  compute MiB  GFLOP/s  % peak  CPU-only ops');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'squill-bench-gpu-'));
const deviceFree = (s: { device_memory?: { name: string; free: number }[] }) => s.device_memory?.find((d) => d.name === sg.engine_backend)?.free ?? 0;
for (const { name, shape, type, file } of benchModels(dir, shapeNames, types)) {
  for (const seq of seqs) {
    const trainer = await startTrainer({ binary: status.binary });
    try {
      const before = deviceFree(await trainer.stats());
      const { tokS, stepMs, warnings, computeBytes } = await timeSteps(trainer, file, seq, warmup, steps);
      const after = deviceFree(await trainer.stats());
      const gflops = flopsPerStep(shape, seq) / (stepMs / 1000) / 1e9;
      const cpuOnly = warnings.map((w) => w.split(' runs on the CPU')[0]).join('; ');
      console.log(
        `${`${name} (${shape.layers}x${shape.embd})`.padEnd(21)} ${TYPES[type].name.padEnd(5)} ${String(seq).padStart(4)} ${tokS.toFixed(0).padStart(8)} ${stepMs.toFixed(0).padStart(8)} ${((before - after) / MiB).toFixed(0).padStart(11)} ${(computeBytes / MiB).toFixed(0).padStart(12)} ${gflops.toFixed(0).padStart(8)} ${`${((100 * gflops) / sg.peak_gflops).toFixed(1)}%`.padStart(7)}  ${cpuOnly || '-'}`,
      );
    } catch (e) {
      console.log(`${`${name} (${shape.layers}x${shape.embd})`.padEnd(21)} ${TYPES[type].name.padEnd(5)} ${String(seq).padStart(4)}  failed: ${(e as Error).message}`);
    } finally {
      await trainer.shutdown();
    }
  }
}
fs.rmSync(dir, { recursive: true, force: true });
