/**
 * The TypeScript side of squill-trainer: spawns the native engine, speaks its JSON-lines protocol (versioned
 * handshake, one request at a time), and turns a crash (a ggml abort) into an error that says why, from stderr.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { inferenceThreads } from '../llm/index.ts';
import { SquillError, type ErrorCode } from '../../shared/errors.ts';

export const PROTOCOL_VERSION = 1;
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const STATUS_FILE = path.join(ROOT, 'native', 'trainer', '.build', 'status.json');

const ReadySchema = z.object({
  protocol: z.number(),
  engine: z.string(),
  version: z.string(),
  llama_cpp: z.string().optional(),
  backends: z.array(z.string()).optional(),
  blas: z.boolean().optional(),
});
export type TrainerReady = z.infer<typeof ReadySchema>;

/** Where the built engine is, or why there is none (the build's own message). */
export function trainerBinary(): string {
  if (process.env.SQUILL_TRAINER) return process.env.SQUILL_TRAINER;
  let status: { available?: boolean; binary?: string; reason?: string } = {};
  try {
    status = JSON.parse(fs.readFileSync(STATUS_FILE, 'utf8'));
  } catch {
    throw new SquillError('UNAVAILABLE', 'The trainer is not built; run `npm run build:trainer`');
  }
  if (!status.available || !status.binary || !fs.existsSync(status.binary)) {
    throw new SquillError('UNAVAILABLE', `Training is unavailable: ${status.reason ?? 'the trainer binary is missing; run `npm run build:trainer`'}`);
  }
  return status.binary;
}

export interface LoraSpec {
  rank: number;
  alpha: number;
  targets: ('q' | 'k' | 'v' | 'o' | 'gate' | 'up' | 'down')[];
  seed?: number;
}
export type LoadRequest = {
  model: string;
  threads?: number;
  ctx?: number;
  seed?: number;
  /** a frozen adapter the reference pass (logprobs with reference) applies: the policy a KL term is measured against */
  reference?: string;
} & (
  | { lora: LoraSpec }
  | { adapter: string }
  | { checkpoint: string }
);
/** A divergence of the student from a teacher (train.cpp's header: how the teacher's tail is handled). */
export type Divergence = 'reverse_kl' | 'forward_kl';
/** [token id, number] pairs of one position: soft-label probabilities, or a teacher's top-k log-probs */
export type TokenPairs = [number, number][];
export type Sequence =
  | { tokens: number[]; weights: number[] }
  | { tokens: number[]; soft: TokenPairs[] }
  /** distillation: weights[i] the divergence's weight at position i (0: none), teacher[i] the teacher's top-k there */
  | { tokens: number[]; weights: number[]; teacher: TokenPairs[]; divergence: Divergence };
export interface StepRequest {
  batch: Sequence[];
  lr: number;
  weight_decay?: number;
  clip?: number;
  accumulate?: number;
  /** time every op of the step's graphs (slower): the result then has `profile` (native/trainer/src/profile.h) */
  profile?: boolean;
}

/** Per-op times of a profiled step, slowest first: op kind, backend and (for matrix products) the shape class. */
export const StepProfileSchema = z.object({
  ms: z.number(),
  ops: z.array(z.object({ op: z.string(), ms: z.number(), count: z.number(), gflop: z.number() })),
});

const LoadInfoSchema = z.object({
  n_vocab: z.number(),
  n_ctx: z.number(),
  n_layer: z.number(),
  n_embd: z.number(),
  trainable_params: z.number(),
  base_type: z.string().optional(),
  /** ops of the training step that only the CPU computes on a GPU build (op_check.cpp) */
  warnings: z.array(z.string()).optional(),
}).passthrough();
const StepResultSchema = z.object({
  loss: z.number(),
  tokens: z.number(),
  grad_norm: z.number(),
  ms: z.number(),
  step: z.number(),
  profile: StepProfileSchema.optional(),
  /** a batch with distillation sequences: their summed weighted divergence (part of loss), positions, and how many of
   * them the student's most likely token was the teacher's */
  distill: z.object({ kd: z.number(), positions: z.number(), agree: z.number() }).optional(),
}).passthrough();
const LogprobsSchema = z.object({ logprobs: z.array(z.array(z.number())) });
const TopkSchema = z.object({ topk: z.array(z.array(z.array(z.tuple([z.number(), z.number()])))) });
/** per sample: its tokens, each token's log-prob under the model (T = 1, whole vocabulary: before temperature, top-k, top-p and grammar) and their sum */
const GenerateSchema = z.object({ samples: z.array(z.array(z.object({ tokens: z.array(z.number()), logprobs: z.array(z.number()), logprob: z.number() }))) });
const StatsSchema = z.object({
  rss: z.number(),
  peak_rss: z.number(),
  device_memory: z.array(z.object({ name: z.string(), free: z.number(), total: z.number() })).optional(),
}).passthrough();
const CheckSchema = z.object({ checks: z.array(z.object({ name: z.string(), ok: z.boolean(), detail: z.string() })) });
const SgemmPeakSchema = z.object({
  n: z.number(),
  threads: z.number(),
  devices: z.array(z.object({ name: z.string(), description: z.string(), supported: z.boolean(), gflops: z.number().optional() })),
  engine_backend: z.string(),
  peak_gflops: z.number(),
});
const OpsSchema = z.object({ ops: z.array(z.object({ op: z.string(), example: z.string(), backends: z.array(z.string()) })) });

const CODES: Record<string, ErrorCode> = {
  BAD_REQUEST: 'VALIDATION',
  NOT_LOADED: 'CONFLICT',
  LOAD_FAILED: 'UNAVAILABLE',
  IO: 'UNAVAILABLE',
  INTERNAL: 'INTERNAL',
};

export interface GenerateRequest {
  prompts: number[][];
  n?: number;
  /** 0: greedy */
  temperature?: number;
  top_p?: number;
  /** 0: off */
  top_k?: number;
  max_tokens: number;
  /** token ids that end a sample (besides the vocabulary's end-of-generation tokens); the stop token is kept */
  stop?: number[];
  seed?: number;
  /** GBNF source (llama.cpp's grammar format) every sample follows */
  grammar?: string;
  grammar_root?: string;
}

export interface Trainer {
  readonly ready: TrainerReady;
  readonly pid: number | undefined;
  load(request: LoadRequest): Promise<z.infer<typeof LoadInfoSchema>>;
  step(request: StepRequest): Promise<z.infer<typeof StepResultSchema>>;
  /** each token's log-prob given those before it (the first token has none); reference: under the base model alone, without the adapter */
  logprobs(sequences: number[][], options?: { reference?: boolean }): Promise<number[][]>;
  /**
   * The k most likely tokens and their log-probs, most likely first, at every position p >= from[i] of each sequence
   * (the distribution that predicts sequence[p]; from defaults to 1): a teacher's top-k, or with k 1 the argmax.
   * reference: without the trained adapter, as for logprobs.
   */
  topk(sequences: number[][], options: { k: number; from?: number[]; reference?: boolean }): Promise<TokenPairs[][]>;
  /** n samples per prompt, decoded together (one decode per step for all live samples); sample k of a seed is the same whatever n */
  generate(request: GenerateRequest): Promise<z.infer<typeof GenerateSchema>['samples']>;
  save(request: { adapter?: string; checkpoint?: string }): Promise<void>;
  stats(): Promise<z.infer<typeof StatsSchema>>;
  check(): Promise<z.infer<typeof CheckSchema>['checks']>;
  /** F32 matrix-product GFLOP/s of each backend, with the engine's thread count (no model needed; bench.cpp) */
  sgemmPeak(request?: { threads?: number; n?: number; reps?: number }): Promise<z.infer<typeof SgemmPeakSchema>>;
  /** every op of a training step of the loaded model and the backends that compute it (op_check.cpp) */
  ops(): Promise<z.infer<typeof OpsSchema>['ops']>;
  /** asks the engine to exit; kills it if it does not within a few seconds */
  shutdown(): Promise<void>;
  kill(): void;
  /** resolves with the reason when the process ends */
  readonly exited: Promise<string>;
}

export interface StartOptions {
  binary?: string;
  readyTimeoutMs?: number;
  /** every stderr line of the engine (its llama.cpp log) */
  onLog?: (line: string) => void;
}

export async function startTrainer(options: StartOptions = {}): Promise<Trainer> {
  const binary = options.binary ?? trainerBinary();
  const child: ChildProcess = spawn(binary, [], { stdio: ['pipe', 'pipe', 'pipe'] });
  // a write racing the process's death fails with EPIPE; the 'exit' handler below rejects the request with the cause
  child.stdin!.on('error', () => undefined);
  const stderrTail: string[] = [];
  readline.createInterface({ input: child.stderr! }).on('line', (line) => {
    stderrTail.push(line);
    if (stderrTail.length > 50) stderrTail.shift();
    options.onLog?.(line);
  });
  /** the likeliest cause of a crash: a ggml assert or abort line, else the last stderr line */
  const cause = () => stderrTail.findLast((l) => /GGML_ASSERT|GGML_ABORT|error|terminate|Aborted/i.test(l)) ?? stderrTail.at(-1) ?? 'no output';

  let nextId = 1;
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: SquillError): void }>();
  let readyResolve!: (r: TrainerReady) => void;
  let readyReject!: (e: SquillError) => void;
  const readyPromise = new Promise<TrainerReady>((res, rej) => {
    readyResolve = res;
    readyReject = rej;
  });
  let exitReason = '';
  const exited = new Promise<string>((resolve) => {
    child.on('exit', (code, signal) => {
      exitReason = signal ? `killed by ${signal}` : `exited with code ${code}`;
      const error = new SquillError('INTERNAL', `The trainer process ${exitReason}: ${cause()}`);
      for (const p of pending.values()) p.reject(error);
      pending.clear();
      readyReject(error);
      resolve(exitReason);
    });
    child.on('error', (err) => {
      readyReject(new SquillError('UNAVAILABLE', `The trainer cannot start: ${err.message}`));
      resolve(`failed to start: ${err.message}`);
    });
  });

  readline.createInterface({ input: child.stdout! }).on('line', (line) => {
    let message: { ready?: unknown; id?: number | null; ok?: unknown; error?: { code?: string; message?: string } };
    try {
      message = JSON.parse(line);
    } catch {
      options.onLog?.(`(stdout, not protocol) ${line}`);
      return;
    }
    if (message.ready !== undefined) {
      const ready = ReadySchema.safeParse(message.ready);
      if (!ready.success || ready.data.protocol !== PROTOCOL_VERSION) {
        readyReject(new SquillError('UNAVAILABLE', `The trainer speaks protocol ${String((message.ready as { protocol?: unknown })?.protocol)}, Squill ${PROTOCOL_VERSION}; rebuild it with npm run build:trainer`));
        child.kill('SIGKILL');
      } else readyResolve(ready.data);
      return;
    }
    const waiter = typeof message.id === 'number' ? pending.get(message.id) : undefined;
    if (!waiter) return;
    pending.delete(message.id as number);
    if (message.error) {
      waiter.reject(new SquillError(CODES[message.error.code ?? ''] ?? 'INTERNAL', message.error.message ?? 'trainer error', { trainerCode: message.error.code }));
    } else waiter.resolve(message.ok);
  });

  const timer = setTimeout(() => readyReject(new SquillError('TIMEOUT', `The trainer did not start within ${(options.readyTimeoutMs ?? 30000) / 1000} s`)), options.readyTimeoutMs ?? 30000);
  let ready: TrainerReady;
  try {
    ready = await readyPromise;
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  } finally {
    clearTimeout(timer);
  }

  const request = <T>(cmd: string, body: object, schema: z.ZodType<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (exitReason) return reject(new SquillError('UNAVAILABLE', `The trainer process ${exitReason}`));
      const id = nextId++;
      pending.set(id, {
        resolve: (v) => {
          const parsed = schema.safeParse(v);
          if (parsed.success) resolve(parsed.data);
          else reject(new SquillError('INTERNAL', `The trainer's answer to ${cmd} is malformed: ${parsed.error.issues[0]?.message}`));
        },
        reject,
      });
      child.stdin!.write(`${JSON.stringify({ id, cmd, ...body })}\n`);
    });

  return {
    ready,
    pid: child.pid,
    exited,
    // SQUILL_THREADS caps the engine's threads too (see inferenceThreads: ggml barriers stall on shared cores)
    load: (r) => request('load', { ...r, threads: r.threads ?? inferenceThreads() }, LoadInfoSchema),
    step: (r) => request('step', r, StepResultSchema),
    logprobs: async (sequences, options = {}) => (await request('logprobs', { sequences, ...(options.reference ? { reference: true } : {}) }, LogprobsSchema)).logprobs,
    topk: async (sequences, { k, from, reference }) =>
      (await request('topk', { sequences, k, ...(from ? { from } : {}), ...(reference ? { reference: true } : {}) }, TopkSchema)).topk,
    generate: async (r) => (await request('generate', r, GenerateSchema)).samples,
    save: async (r) => {
      await request('save', r, z.unknown());
    },
    stats: () => request('stats', {}, StatsSchema),
    check: async () => (await request('check', {}, CheckSchema)).checks,
    sgemmPeak: (r = {}) => request('sgemm_peak', { ...r, threads: r.threads ?? inferenceThreads() }, SgemmPeakSchema),
    ops: async () => (await request('ops', {}, OpsSchema)).ops,
    async shutdown() {
      if (exitReason) return;
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await request('shutdown', {}, z.unknown()).catch(() => undefined);
      await exited;
      clearTimeout(killer);
    },
    kill: () => {
      child.kill('SIGKILL');
    },
  };
}
