/**
 * Models that suit text-to-SQL on a desktop. Sizes are approximate (bartowski's GGUF repository listings); the fit
 * is estimated from the parameter count, so nothing is downloaded to show the list.
 * FINER-SQL-3B is not here: it is published as transformers weights only, and no GGUF of it is known to us.
 */
export interface Recommendation {
  name: string;
  uri: string;
  sizeBytes: number;
  parameters: number;
  /** block_count + output layer, as node-llama-cpp counts offloadable layers */
  layers: number;
  bitsPerWeight: number;
  description: string;
}

const GB = 1e9;

const coder = (size: string, parameters: number, layers: number, quant: 'Q4_K_M' | 'Q8_0', gb: number, description: string): Recommendation => ({
  name: `Qwen2.5-Coder-${size}-Instruct ${quant}`,
  uri: `hf:bartowski/Qwen2.5-Coder-${size}-Instruct-GGUF:${quant}`,
  sizeBytes: Math.round(gb * GB),
  parameters,
  layers,
  bitsPerWeight: (gb * GB * 8) / parameters,
  description,
});

export const RECOMMENDED: readonly Recommendation[] = [
  coder('0.5B', 494e6, 25, 'Q4_K_M', 0.40, 'Smallest: runs anywhere, fast on a CPU; good for trying strategies and for fine-tuning experiments.'),
  coder('0.5B', 494e6, 25, 'Q8_0', 0.53, 'The 0.5B model at near-full precision; a better base for LoRA fine-tuning.'),
  coder('1.5B', 1.54e9, 29, 'Q4_K_M', 0.99, 'A good default for a laptop: noticeably better SQL than 0.5B at about 1 GB.'),
  coder('1.5B', 1.54e9, 29, 'Q8_0', 1.65, 'The 1.5B model at near-full precision.'),
  coder('3B', 3.09e9, 37, 'Q4_K_M', 1.93, 'The strongest of the three; wants a GPU or a fast CPU.'),
  coder('3B', 3.09e9, 37, 'Q8_0', 3.29, 'The 3B model at near-full precision; a GPU with 4 GB or more.'),
];

export const formatParameters = (n: number) => (n >= 1e9 ? `${(n / 1e9).toFixed(1)}B` : `${Math.round(n / 1e6)}M`);
