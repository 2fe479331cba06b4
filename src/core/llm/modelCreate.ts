/**
 * Random-weight GGUF models with a real tokenizer (from the vocab-only GGUFs of the llama.cpp bundle) and the
 * matching chat template: how tests and benchmarks get models on machines that cannot download any.
 */
import fs from 'node:fs';
import { SquillError } from '../../shared/errors.ts';
import { GT, readGgufHeader, writeGguf, type F32Tensor, type GgufValue } from './gguf.ts';
import { bundledVocab, readLlamaSourceFile } from './llamaSource.ts';
import { GGML_TYPE, TYPES, WEIGHT_TYPES, type WeightType } from './quant.ts';
import { mulberry32 } from '../../shared/random.ts';

export type Arch = 'llama' | 'qwen2';

export interface ModelShape {
  layers: number;
  embd: number;
  ff: number;
  heads: number;
  kvHeads: number;
  /** output projection shares the embedding matrix (Qwen2.5-0.5B does) */
  tiedEmbeddings?: boolean;
}

export const SHAPES: Record<string, ModelShape & { arch?: Arch }> = {
  tiny: { layers: 2, embd: 128, ff: 256, heads: 4, kvHeads: 2 },
  '25m': { layers: 8, embd: 512, ff: 1376, heads: 8, kvHeads: 8 },
  'qwen2.5-0.5b': { arch: 'qwen2', layers: 24, embd: 896, ff: 4864, heads: 14, kvHeads: 2, tiedEmbeddings: true },
};

/** The chat template that goes with each bundled vocab. */
const TEMPLATES: Record<string, string> = {
  qwen2: 'models/templates/Qwen-Qwen2.5-7B-Instruct.jinja',
  'llama-bpe': 'models/templates/meta-llama-Llama-3.1-8B-Instruct.jinja',
  // a 32k vocabulary: the output layer is 5x smaller than qwen2's, so tests that train a model run 3-4x faster
  'phi-3': 'models/templates/microsoft-Phi-3.5-mini-instruct.jinja',
};

export interface CreateModelOptions {
  arch: Arch;
  shape: ModelShape;
  /** a bundled vocab name ("qwen2", "llama-bpe") or the path of a vocab GGUF */
  vocab: string;
  out: string;
  seed?: number;
  name?: string;
  cacheDir?: string;
  /**
   * storage type of the 2-D weight matrices (token embedding and output included), as llama.cpp's converters do;
   * norms and biases stay F32. A matrix whose rows are not a whole number of blocks falls back to F16, as
   * convert_hf_to_gguf.py does. Default f32.
   */
  type?: WeightType;
  /**
   * standard deviation of the output projection's random weights (default 0.02, like every other matrix). The final
   * RMS norm fixes |h| = sqrt(embd), so a logit is at most outputStd * embd: at 0.02 and embd 128 that is ~2.6,
   * and over a 150k vocabulary no continuation can get more than ~1e-4 of the probability, whatever an adapter
   * learns. A model that must be able to learn confident answers (the trainer's memorization check) uses a larger
   * one. Ignored with tiedEmbeddings (there is no separate output matrix).
   */
  outputStd?: number;
}

const CHUNK = 1 << 16;

export function validateShape(s: ModelShape): void {
  for (const [k, v] of Object.entries(s)) {
    if (typeof v === 'number' && (!Number.isInteger(v) || v < 1)) throw new SquillError('VALIDATION', `${k} must be a positive whole number`);
  }
  if (s.embd % s.heads !== 0) throw new SquillError('VALIDATION', `embd (${s.embd}) must be a multiple of heads (${s.heads})`);
  if (s.heads % s.kvHeads !== 0) throw new SquillError('VALIDATION', `heads (${s.heads}) must be a multiple of kv-heads (${s.kvHeads})`);
  if ((s.embd / s.heads) % 2 !== 0) throw new SquillError('VALIDATION', 'the head size (embd / heads) must be even for RoPE');
}

export function createModel(o: CreateModelOptions): { file: string; params: number; vocabSize: number } {
  validateShape(o.shape);
  const wtype = o.type ?? 'f32';
  if (!WEIGHT_TYPES.includes(wtype)) throw new SquillError('VALIDATION', `type must be one of ${WEIGHT_TYPES.join(', ')}, not ${String(wtype)}`);
  const info = TYPES[wtype];
  if (o.outputStd !== undefined && !(Number.isFinite(o.outputStd) && o.outputStd > 0)) throw new SquillError('VALIDATION', 'outputStd must be a positive number');
  const vocabFile = fs.existsSync(o.vocab) ? o.vocab : bundledVocab(o.vocab, o.cacheDir);
  const vocab = readGgufHeader(vocabFile);
  const tokens = vocab.metadata.get('tokenizer.ggml.tokens');
  if (!tokens || tokens.type !== GT.ARRAY) throw new SquillError('VALIDATION', `${vocabFile} has no tokenizer.ggml.tokens`);
  const nVocab = tokens.value.length;
  const { layers, embd, ff, heads, kvHeads } = o.shape;
  const headDim = embd / heads;
  const kvDim = kvHeads * headDim;
  const a = o.arch;

  const md = new Map<string, GgufValue>();
  const str = (k: string, v: string) => md.set(k, { type: GT.STRING, value: v });
  const u32 = (k: string, v: number) => md.set(k, { type: GT.U32, value: v });
  const f32 = (k: string, v: number) => md.set(k, { type: GT.F32, value: v });
  str('general.architecture', a);
  str('general.name', o.name ?? `squill-random-${a}-${layers}x${embd}`);
  u32('general.file_type', info.fileType); // llama_ftype: "mostly" this type, 1-D tensors F32
  u32(`${a}.context_length`, a === 'qwen2' ? 32768 : 8192);
  u32(`${a}.embedding_length`, embd);
  u32(`${a}.block_count`, layers);
  u32(`${a}.feed_forward_length`, ff);
  u32(`${a}.attention.head_count`, heads);
  u32(`${a}.attention.head_count_kv`, kvHeads);
  u32(`${a}.rope.dimension_count`, headDim);
  f32(`${a}.rope.freq_base`, a === 'qwen2' ? 1_000_000 : 500_000);
  f32(`${a}.attention.layer_norm_rms_epsilon`, a === 'qwen2' ? 1e-6 : 1e-5);
  u32(`${a}.vocab_size`, nVocab);
  for (const [key, value] of vocab.metadata) if (key.startsWith('tokenizer.')) md.set(key, value);
  const templatePath = TEMPLATES[o.vocab];
  if (templatePath) str('tokenizer.chat_template', readLlamaSourceFile(templatePath, o.cacheDir).toString('utf8'));

  const random = mulberry32(o.seed ?? 42);
  const normal = (std: number) => {
    // Box-Muller
    const u = 1 - random();
    const v = random();
    return std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
  const matrixType = (ne0: number) => (ne0 % info.blockSize === 0 ? info.ggml : GGML_TYPE.F16);
  const tensor = (name: string, dims: number[], init: 'normal' | 'ones' | 'zeros', std = 0.02): F32Tensor => ({
    name,
    dims,
    type: dims.length >= 2 ? matrixType(dims[0]!) : GGML_TYPE.F32,
    fill(write) {
      let left = dims.reduce((x, y) => x * y, 1);
      while (left > 0) {
        const chunk = new Float32Array(Math.min(CHUNK, left));
        if (init === 'ones') chunk.fill(1);
        else if (init === 'normal') for (let i = 0; i < chunk.length; i++) chunk[i] = normal(std);
        write(chunk);
        left -= chunk.length;
      }
    },
  });
  const tensors: F32Tensor[] = [tensor('token_embd.weight', [embd, nVocab], 'normal'), tensor('output_norm.weight', [embd], 'ones')];
  if (!o.shape.tiedEmbeddings) tensors.push(tensor('output.weight', [embd, nVocab], 'normal', o.outputStd ?? 0.02));
  for (let i = 0; i < layers; i++) {
    const b = `blk.${i}`;
    tensors.push(
      tensor(`${b}.attn_norm.weight`, [embd], 'ones'),
      tensor(`${b}.attn_q.weight`, [embd, embd], 'normal'),
      tensor(`${b}.attn_k.weight`, [embd, kvDim], 'normal'),
      tensor(`${b}.attn_v.weight`, [embd, kvDim], 'normal'),
      tensor(`${b}.attn_output.weight`, [embd, embd], 'normal'),
      tensor(`${b}.ffn_norm.weight`, [embd], 'ones'),
      tensor(`${b}.ffn_gate.weight`, [embd, ff], 'normal'),
      tensor(`${b}.ffn_up.weight`, [embd, ff], 'normal'),
      tensor(`${b}.ffn_down.weight`, [ff, embd], 'normal'),
    );
    if (a === 'qwen2') {
      tensors.push(
        tensor(`${b}.attn_q.bias`, [embd], 'zeros'),
        tensor(`${b}.attn_k.bias`, [kvDim], 'zeros'),
        tensor(`${b}.attn_v.bias`, [kvDim], 'zeros'),
      );
    }
  }
  writeGguf(o.out, md, tensors);
  const params = tensors.reduce((n, t) => n + t.dims.reduce((x, y) => x * y, 1), 0);
  return { file: o.out, params, vocabSize: nVocab };
}
