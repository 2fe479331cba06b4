/**
 * LoRA training throughput of squill-trainer, compared in the same run with PyTorch and QVAC Fabric, and against
 * the machine's measured matrix-product peak. Per model shape (tiny 2x128, ~25M 8x512, the Qwen2.5-0.5B shape;
 * all with the real Qwen2 vocabulary, 151,936), LoRA r16 alpha 32 on all seven linear layers (q, k, v, o, gate,
 * up, down), frozen base, batch 1, sequence 256 and 512:
 * - Squill: tokens/s (forward + backward + AdamW) and peak RSS, for each --type of the base's weight matrices;
 * - PyTorch: bench/trainer_reference.py, the same shape and LoRA with an output head over the same vocabulary,
 *   AdamW, 2 threads (F32 base), when a python3 that imports torch is found (SQUILL_PYTHON, python3,
 *   /usr/bin/python3; Debian's python3-torch); otherwise 'PyTorch: not installed';
 * - QVAC Fabric: its llama-finetune-lora on the same GGUF with the same LoRA, when --qvac PATH is given;
 * - SGEMM peak: the trainer's `sgemm_peak` command (the engine's backends and thread count) and the fraction of it
 *   a Squill step uses, from the step's FLOPs (flopsPerStep, bench/trainer-common.ts).
 * Ratios: Squill / PyTorch (tok/s and peak RSS), Squill / QVAC, each base type / F32.
 * Run: npm run bench:trainer [-- --quick] [-- --type f32|f16|bf16|q8_0|q4_0|all (or a comma list; default f32)]
 *        [-- --shape tiny,25m,qwen2.5-0.5b] [-- --seq 256,512] [-- --qvac /path/to/llama-finetune-lora] [-- --no-pytorch]
 *        [-- --profile]
 * --profile: after the timed steps, one more step timed op by op (the trainer's step {profile: true}); the slowest
 * ops of each row are printed after the table.
 * --quick: the tiny and 25M shapes, 3 timed steps. Every run is niced by the caller (nice -n 19 npm run …) if the
 * machine is shared.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inferenceThreads, type ModelShape, SHAPES, TYPES, WEIGHT_TYPES, type WeightType } from '../src/core/llm/index.ts';
import { startTrainer } from '../src/core/train/index.ts';
import { ALPHA, benchModels, flopsPerStep, RANK, timeSteps, VOCAB, profileLines } from './trainer-common.ts';

const argv = process.argv.slice(2);
const arg = (name: string): string | undefined => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const quick = argv.includes('--quick');
const typeArg = arg('--type') ?? 'f32';
const types = (typeArg === 'all' ? [...WEIGHT_TYPES] : typeArg.split(',')) as WeightType[];
for (const t of types) {
  if (!WEIGHT_TYPES.includes(t)) {
    console.error(`--type takes ${WEIGHT_TYPES.join(', ')} or all, not ${t}`);
    process.exit(2);
  }
}
const shapeNames = arg('--shape')?.split(',') ?? (quick ? ['tiny', '25m'] : ['tiny', '25m', 'qwen2.5-0.5b']);
for (const s of shapeNames) {
  if (!SHAPES[s]) {
    console.error(`--shape takes ${Object.keys(SHAPES).join(', ')}, not ${s}`);
    process.exit(2);
  }
}
const seqs = (arg('--seq') ?? '256,512').split(',').map(Number);
const qvac = arg('--qvac');
if (qvac && !fs.existsSync(qvac)) {
  console.error(`--qvac: ${qvac} does not exist (the path of QVAC Fabric's llama-finetune-lora)`);
  process.exit(2);
}
const warmup = 2;
const steps = quick ? 3 : 5;
const threads = inferenceThreads() ?? os.availableParallelism();
const MiB = 1024 * 1024;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** the first python that imports torch, or null (the bench never requires it) */
function findTorchPython(): string | null {
  for (const py of [process.env.SQUILL_PYTHON, 'python3', '/usr/bin/python3']) {
    if (!py) continue;
    const r = spawnSync(py, ['-c', 'import torch'], { stdio: 'ignore' });
    if (r.status === 0) return py;
  }
  return null;
}

interface Measured { tokS: number; peakRss: number }

function runPyTorch(py: string, s: ModelShape, seq: number): Measured | string {
  const a = ['--layers', s.layers, '--embd', s.embd, '--ff', s.ff, '--heads', s.heads, '--kv-heads', s.kvHeads, '--vocab', VOCAB,
    '--seq', seq, '--rank', RANK, '--alpha', ALPHA, '--steps', steps, '--warmup', warmup, '--threads', threads].map(String);
  if (s.tiedEmbeddings) a.push('--tied');
  const r = spawnSync(py, [path.join(root, 'bench', 'trainer_reference.py'), ...a], { encoding: 'utf8', maxBuffer: 16 * MiB });
  const line = r.stdout?.trim().split('\n').pop() ?? '';
  try {
    const j = JSON.parse(line) as { tok_s: number; peak_rss: number };
    return { tokS: j.tok_s, peakRss: j.peak_rss };
  } catch {
    return `failed (exit ${r.status ?? r.signal}): ${(r.stderr ?? '').trim().split('\n').pop() ?? ''}`;
  }
}

/** peak RSS of a running process (VmHWM only grows, so the last read before exit is the peak) */
function vmHwm(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * QVAC Fabric's llama-finetune-lora on the same GGUF: a text of ~11 sequences' worth of tokens (its dataset takes
 * windows of -c tokens at a stride of c/2, one window per optimizer step with -b = -ub = -c), the same LoRA, no
 * checkpoints (so its stock progress bar reports every step). Its progress line ("train: [...") is written after
 * each optimizer step; the rate is timed between the arrival of the line after the warm-up steps and the last one.
 */
async function runQvac(bin: string, model: string, seq: number, dir: string): Promise<Measured | string> {
  const words = ['select', 'from', 'where', 'group', 'order', 'table', 'name', 'count', 'value', 'join', 'the', 'city', 'year', 'price', 'total'];
  let text = '';
  for (let i = 0; i < (seq / 2) * (warmup + steps + 4) + seq; i++) text += `${words[(i * 7919) % words.length]} `;
  const data = path.join(dir, `qvac-${seq}.txt`);
  fs.writeFileSync(data, text);
  const args = ['-m', model, '-f', data, '-c', String(seq), '-b', String(seq), '-ub', String(seq), '-t', String(threads), '-ngl', '0',
    '--lora-rank', String(RANK), '--lora-alpha', String(ALPHA), '--lora-modules', 'attn_q,attn_k,attn_v,attn_o,ffn_gate,ffn_up,ffn_down',
    '--lora-seed', '1', '-fa', 'off', '--checkpoint-save-steps', '0', '--num-epochs', '1', '--output-adapter', path.join(dir, 'qvac-adapter.gguf')];
  return new Promise((resolve) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    const times: number[] = [];
    let peak = 0;
    let tail = '';
    const poll = setInterval(() => { peak = Math.max(peak, vmHwm(child.pid!)); }, 100);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      const now = performance.now();
      for (const _ of chunk.matchAll(/train: \[/g)) times.push(now);
      tail = (tail + chunk).slice(-2000);
      peak = Math.max(peak, vmHwm(child.pid!));
    });
    child.on('close', (code) => {
      clearInterval(poll);
      // the first line comes after step 1; time steps warmup+1 .. last
      if (times.length < warmup + 2) {
        resolve(`failed (exit ${code}, ${times.length} steps): ${tail.trim().split(/[\r\n]/).filter(Boolean).slice(-2).join(' | ')}`);
        return;
      }
      const n = times.length - 1 - (warmup - 1);
      const seconds = (times[times.length - 1]! - times[warmup - 1]!) / 1000;
      resolve({ tokS: (seq * n) / seconds, peakRss: peak });
    });
  });
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'squill-bench-trainer-'));
const fmt = (x: number | undefined, d = 0) => (x === undefined ? '-' : x.toFixed(d));
const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? '-' : `${(a / b).toFixed(2)}x`);

// the machine's matrix-product peak, with the engine's own backends and threads
const probe = await startTrainer();
const sg = await probe.sgemmPeak({ n: 2048, reps: 5 });
await probe.shutdown();
console.log(`squill-trainer LoRA r${RANK} alpha ${ALPHA} on q,k,v,o,gate,up,down; batch 1; vocab ${VOCAB}; ${threads} threads; node ${process.version}, ${os.availableParallelism()} cores`);
console.log(`SGEMM peak (F32 ${sg.n}^3, best of 5, ${sg.threads} threads): ${sg.devices.map((d) => `${d.name} ${d.supported ? `${fmt(d.gflops)} GFLOP/s` : 'n/a'}`).join(', ')}; the engine's matrix products run on ${sg.engine_backend}: peak ${fmt(sg.peak_gflops)} GFLOP/s`);
const noPytorch = argv.includes('--no-pytorch');
const profile = argv.includes('--profile');
const py = noPytorch ? null : findTorchPython();
console.log(py ? `PyTorch: ${spawnSync(py, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' }).stdout.trim()} (${py}), ${threads} threads, F32 base` : noPytorch ? 'PyTorch: not run (--no-pytorch)' : 'PyTorch: not installed');
console.log(qvac ? `QVAC Fabric: ${qvac} -c SEQ -b SEQ -ub SEQ -t ${threads} -ngl 0 --lora-rank ${RANK} --lora-alpha ${ALPHA} --lora-modules (all 7) -fa off` : 'QVAC Fabric: not run (--qvac PATH)');
console.log('');
const header = ['model', 'base', 'seq', 'tok/s', 'step ms', 'RSS MiB', 'GFLOP', 'GFLOP/s', '% peak', 'vs F32', 'PyTorch tok/s', 'PT RSS MiB', 'S/PT tok/s', 'S/PT RSS', 'QVAC tok/s', 'QVAC RSS MiB', 'S/QVAC'];
const widths = [20, 5, 4, 7, 8, 8, 6, 8, 7, 7, 13, 10, 10, 8, 10, 12, 7];
const row = (cells: string[]) => console.log(cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' '));
row(header);
const notes: string[] = [];
const profiles: string[][] = [];
const pytorch = new Map<string, Measured | string>();
const f32Speed = new Map<string, number>();
for (const { name, shape, type, file } of benchModels(dir, shapeNames, types)) {
  for (const seq of seqs) {
    const trainer = await startTrainer();
    let tokS = 0, stepMs = 0, peakRss = 0;
    try {
      const r = await timeSteps(trainer, file, seq, warmup, steps, profile);
      if (r.profile) profiles.push([`${name} ${type} seq ${seq}: profiled step ${fmt(r.profile.ms)} ms, slowest ops`, ...profileLines(r.profile)]);
      for (const w of r.warnings) notes.push(`${name} ${type}: ${w}`);
      ({ tokS, stepMs } = r);
      peakRss = (await trainer.stats()).peak_rss;
    } finally {
      await trainer.shutdown();
    }
    const flop = flopsPerStep(shape, seq);
    const gflops = flop / (stepMs / 1000) / 1e9;
    if (type === 'f32') f32Speed.set(`${name}:${seq}`, tokS);
    const key = `${name}:${seq}`;
    if (py && !pytorch.has(key)) pytorch.set(key, runPyTorch(py, shape, seq));
    const pt = pytorch.get(key);
    const ptm = typeof pt === 'object' ? pt : undefined;
    if (typeof pt === 'string') notes.push(`PyTorch ${name} seq ${seq}: ${pt}`);
    const q = qvac ? await runQvac(qvac, file, seq, dir) : undefined;
    const qm = typeof q === 'object' ? q : undefined;
    if (typeof q === 'string') notes.push(`QVAC ${name} ${type} seq ${seq}: ${q}`);
    const f32 = f32Speed.get(`${name}:${seq}`);
    row([
      `${name} (${shape.layers}x${shape.embd})`, TYPES[type].name, String(seq), fmt(tokS), fmt(stepMs), fmt(peakRss / MiB), fmt(flop / 1e9, 1),
      fmt(gflops), `${fmt((100 * gflops) / sg.peak_gflops, 1)}%`, type === 'f32' ? '' : ratio(tokS, f32),
      fmt(ptm?.tokS, 1), fmt(ptm && ptm.peakRss / MiB), ratio(tokS, ptm?.tokS), ratio(peakRss, ptm?.peakRss),
      fmt(qm?.tokS, 1), fmt(qm && qm.peakRss / MiB), ratio(tokS, qm?.tokS),
    ]);
  }
}
for (const n of notes) console.log(`note: ${n}`);
for (const p of profiles) console.log(`\n${p.join('\n')}`);
fs.rmSync(dir, { recursive: true, force: true });
