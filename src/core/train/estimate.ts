/**
 * Memory and time of a LoRA training job, from the model file's header and the job's settings, as the engine
 * (native/trainer/src/train.cpp) spends them:
 * - base: the frozen weights (mmapped; an untied token embedding leaves the RSS after loading, as the engine gives
 *   its pages back and a step reads only its tokens' rows) + the vocabulary's tables + the process itself (+ the
 *   BLAS build's F32 copy of the largest non-F32 weight matrix); the load itself maps the whole file, so the peak
 *   is at least the file;
 * - LoRA: rank*(in+out) F32 per target matrix; optimizer: AdamW m and v, the gradient accumulators and the host
 *   copy of the gradients the step makes for clipping (4x LoRA);
 * - activations: one graph per pack of sequences (consecutive sequences of a batch share a graph up to seqLen
 *   tokens, so `batch` costs time, not memory); ggml keeps every forward tensor the backward pass needs, so this
 *   grows with seq (and seq^2 in the attention scores), plus the F16 KV cache of the context;
 * - loss: per chunk of positions two [n_vocab, chunk] F32 tensors (the logits and their gradient); the engine sizes
 *   the chunk to its loss memory (`lossMemory`, 512 MiB) unless `lossChunk` fixes it.
 * The per-layer constants are fitted to measured peak RSS (bench/trainer.ts shapes; see estimate.test.ts).
 * Time is rough (a factor of several either way): training ~ 3x the forward FLOPs at a CPU throughput measured once.
 */
import { readGgufHeader, type GgufHeader } from '../llm/index.ts';
import { SquillError } from '../../shared/errors.ts';
import type { LoraSpec } from './trainer.ts';

export interface EstimateInput {
  modelPath: string;
  /** the model's shape when the caller already read it (modelDims), so several estimates read the header once */
  dims?: ModelDims;
  rank: number;
  targets: LoraSpec['targets'];
  /** max tokens per sequence (the engine's ctx) */
  seqLen: number;
  /** sequences per step */
  batch: number;
  /**
   * positions per sequence that carry loss (the answer, not the masked prompt): the engine computes the output
   * head only there (train.cpp's active-position chunks), which is most of a small model's work; default seqLen
   */
  activeTokens?: number;
  /** positions per loss chunk (the engine's loss_chunk); default: sized by lossMemory */
  lossChunk?: number;
  /** the engine's loss_memory in bytes (default 512 MiB): the widest chunk holds two [n_vocab, chunk] F32 buffers */
  lossMemory?: number;
  /**
   * the engine's BLAS build (the default one) converts a non-F32 weight matrix to F32 in a work buffer for each
   * matmul it takes, sized by the largest such matrix (the output head, mostly); default true
   */
  blas?: boolean;
  /** sustained GFLOP/s of the machine for the step's matmuls; default: a measured 2-core figure */
  gflops?: number;
}

export interface JobEstimate {
  baseBytes: number;
  loraBytes: number;
  optimizerBytes: number;
  activationBytes: number;
  lossBytes: number;
  totalBytes: number;
  trainableParams: number;
  /** rough (a factor of several either way): FLOP count at a measured CPU throughput */
  tokensPerSecond: number;
  secondsPerStep: number;
}

const TARGET_TENSOR: Record<LoraSpec['targets'][number], string> = {
  q: 'attn_q', k: 'attn_k', v: 'attn_v', o: 'attn_output', gate: 'ffn_gate', up: 'ffn_up', down: 'ffn_down',
};

/** bytes per block and elements per block of the ggml types a GGUF may hold (ggml.c type_traits) */
const GGML_BLOCK: Record<number, [number, number]> = {
  0: [4, 1], 1: [2, 1], 30: [2, 1], // F32, F16, BF16
  2: [18, 32], 3: [20, 32], 6: [22, 32], 7: [24, 32], 8: [34, 32], 9: [36, 32], // Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q8_1
  10: [84, 256], 11: [110, 256], 12: [144, 256], 13: [176, 256], 14: [210, 256], 15: [292, 256], // K-quants
  24: [1, 1], 25: [2, 1], 26: [4, 1], 27: [8, 1], 28: [8, 1], // I8 I16 I32 I64 F64
};

// Fitted to peak RSS of squill-trainer (CPU BLAS build, 2026-11) on the tiny and 25M shapes, phi-3 vocabulary, seq
// 256/512, and checked on others: 25M with qwen2's vocabulary, the Qwen2.5-0.5B shape (2740 MiB measured, -1%),
// a Q8_0 base, loss chunk 128, seq 1024 all within 5%; LoRA on q/v only overestimates by ~10% (fewer inputs kept).
// Here: the process, ggml/llama runtime and step temporaries, and the vocabulary's token/merge tables per token.
const PROCESS_BYTES = 14 * 2 ** 20;
const VOCAB_BYTES_PER_TOKEN = 320;
// activations per layer and token, in F32 values: k1 per n_embd, k2 per n_ff, k3 per head and attended position
// (one [T, T, heads] score tensor per layer is kept for the backward pass: flash attention is off)
const K_EMBD = 11;
const K_FF = 2;
const K_ATTN = 1;
// [n_vocab, chunk] F32 tensors alive at once in the loss: train.cpp's fused head overwrites the logits with their
// gradient on a CPU/BLAS build (a GPU build keeps both: 2)
const K_LOSS = 1;
/** the engine's default loss memory (engine.h LoadOptions::loss_bytes) */
export const DEFAULT_LOSS_MEMORY = 512 * 2 ** 20;
// the default throughput for the time estimate: ~33 GFLOP/s measured on 2 idle cores (BLAS build) with the
// Qwen2.5-0.5B shape at seq 256 (22.6 s/step); small models reach less (per-op overhead dominates), and a machine
// shared with other work several times less (1-3 GFLOP/s measured under load). Pass gflops to calibrate.
const DEFAULT_GFLOPS = 30;

function tensorBytes(type: number, n: number): number {
  const b = GGML_BLOCK[type];
  if (!b) throw new SquillError('VALIDATION', `The model has a tensor of ggml type ${type}, which the estimator does not know`);
  return Math.ceil(n / b[1]) * b[0];
}

function meta(h: GgufHeader, key: string): number | undefined {
  const v = h.metadata.get(key)?.value;
  return typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : undefined;
}

export interface ModelDims {
  arch: string;
  layers: number;
  embd: number;
  ff: number;
  heads: number;
  kvHeads: number;
  vocab: number;
  weightBytes: number;
  /** elements of the per-token matmuls (all linear layers and the output head) */
  matmulParams: number;
  /** bytes of an untied token embedding, whose pages the engine releases after loading (0 when tied to the head) */
  releasedBytes: number;
  /** elements of the output head (n_embd x n_vocab) */
  headParams: number;
  /** elements of the largest non-F32 matmul weight (0 when all are F32) */
  largestConverted: number;
  /** [in, out] of each layer's linear matrices by target name */
  linear: Map<string, [number, number][]>;
}

export function modelDims(modelPath: string): ModelDims {
  const h = readGgufHeader(modelPath);
  const arch = String(h.metadata.get('general.architecture')?.value ?? '');
  const need = (key: string) => {
    const v = meta(h, `${arch}.${key}`);
    if (v === undefined) throw new SquillError('VALIDATION', `${modelPath} lacks ${arch}.${key}; is it a llama.cpp model?`);
    return v;
  };
  const tokens = h.metadata.get('tokenizer.ggml.tokens');
  const vocab = tokens?.type === 9 ? tokens.value.length : 0;
  const linear = new Map<string, [number, number][]>();
  let weightBytes = 0;
  let matmulParams = 0;
  let hasOutput = false;
  let headParams = 0;
  let embd = 0;
  let largestConverted = 0;
  let embdType = 0;
  let embdBytes = 0;
  for (const t of h.tensors) {
    const n = t.dims.reduce((a, b) => a * b, 1);
    weightBytes += tensorBytes(t.ggmlType, n);
    const m = /^blk\.\d+\.(\w+)\.weight$/.exec(t.name);
    if (m && t.dims.length === 2) {
      const list = linear.get(m[1]!) ?? [];
      list.push([t.dims[0]!, t.dims[1]!]);
      linear.set(m[1]!, list);
      matmulParams += n;
      if (t.ggmlType !== 0) largestConverted = Math.max(largestConverted, n);
    }
    if (t.name === 'output.weight') {
      hasOutput = true;
      headParams = n;
      matmulParams += n;
      if (t.ggmlType !== 0) largestConverted = Math.max(largestConverted, n);
    }
    if (t.name === 'token_embd.weight') {
      embd = t.dims[0]!;
      embdType = t.ggmlType;
      embdBytes = tensorBytes(t.ggmlType, n);
    }
  }
  // tied embeddings: the token embedding is the output head
  if (!hasOutput) {
    headParams = embd * vocab;
    matmulParams += embd * vocab;
    if (embdType !== 0) largestConverted = Math.max(largestConverted, embd * vocab);
  }
  return {
    arch,
    layers: need('block_count'),
    embd: need('embedding_length'),
    ff: need('feed_forward_length'),
    heads: need('attention.head_count'),
    kvHeads: meta(h, `${arch}.attention.head_count_kv`) ?? need('attention.head_count'),
    vocab,
    weightBytes,
    matmulParams,
    headParams,
    largestConverted,
    releasedBytes: hasOutput ? embdBytes : 0,
    linear,
  };
}

/** The engine's loss chunk (train.cpp): as wide as the memory allows, split evenly over the active positions. */
export function lossChunkOf(active: number, vocab: number, lossMemory: number): number {
  const widest = Math.max(16, Math.floor(lossMemory / (K_LOSS * vocab * 4)));
  const chunks = Math.max(1, Math.ceil(active / widest));
  return Math.ceil(Math.max(1, active) / chunks);
}

export function estimateJob(input: EstimateInput): JobEstimate {
  if (input.rank < 1 || input.seqLen < 2 || input.batch < 1) {
    throw new SquillError('VALIDATION', 'The estimate needs rank >= 1, seqLen >= 2 and batch >= 1');
  }
  const d = input.dims ?? modelDims(input.modelPath);
  const T = input.seqLen;
  const active = Math.min(T, input.activeTokens ?? T);
  const chunk = input.lossChunk !== undefined ? Math.min(input.lossChunk, T) : lossChunkOf(active, d.vocab, input.lossMemory ?? DEFAULT_LOSS_MEMORY);

  let trainableParams = 0;
  for (const target of new Set(input.targets)) {
    for (const [nIn, nOut] of d.linear.get(TARGET_TENSOR[target]) ?? []) trainableParams += input.rank * (nIn + nOut);
  }
  const loraBytes = trainableParams * 4;
  const optimizerBytes = 4 * loraBytes;

  const convertBytes = input.blas === false ? 0 : d.largestConverted * 4;
  const fixedBytes = d.vocab * VOCAB_BYTES_PER_TOKEN + PROCESS_BYTES;
  const baseBytes = d.weightBytes - d.releasedBytes + convertBytes + fixedBytes;
  const headDim = d.embd / d.heads;
  const kvBytes = 2 * d.layers * T * d.kvHeads * headDim * 2; // K and V, F16
  const perLayer = T * (K_EMBD * d.embd + K_FF * d.ff + K_ATTN * d.heads * T) * 4;
  const activationBytes = d.layers * perLayer + kvBytes;
  const lossBytes = K_LOSS * d.vocab * chunk * 4;
  const totalBytes = Math.max(baseBytes + loraBytes + optimizerBytes + activationBytes + lossBytes, d.weightBytes + fixedBytes);

  // forward FLOPs per token: 2 per matmul weight (+ LoRA's small matmuls) and the attention scores/values, the
  // output head only at the active positions; a training step is ~3x forward (the input gradients through the
  // frozen weights are a second matmul each)
  const attn = 4 * d.layers * d.embd * (T / 2);
  const bodyPerToken = 2 * (d.matmulParams - d.headParams) + 2 * trainableParams + attn;
  const flopsPerStep = 3 * (bodyPerToken * T + 2 * d.headParams * active) * input.batch;
  const secondsPerStep = flopsPerStep / ((input.gflops ?? DEFAULT_GFLOPS) * 1e9);
  return {
    baseBytes,
    loraBytes,
    optimizerBytes,
    activationBytes,
    lossBytes,
    totalBytes,
    trainableParams,
    tokensPerSecond: (T * input.batch) / secondsPerStep,
    secondsPerStep,
  };
}
