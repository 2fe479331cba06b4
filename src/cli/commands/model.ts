import path from 'node:path';
import { Command, Option } from 'commander';
import { positiveInt, positiveNumber } from '../options.ts';
import { resolveDataDir } from '../../core/index.ts';
import { type Arch, createModel, type ModelShape, SHAPES, TYPES, WEIGHT_TYPES, type WeightType } from '../../core/llm/index.ts';
import { asUsageError, UsageError } from '../errors.ts';

function createCommand(): Command {
  return new Command('create')
    .description('write a random-weight GGUF model with a real tokenizer and chat template (for tests and benchmarks)')
    .addOption(new Option('--arch <arch>', 'architecture').choices(['llama', 'qwen2']))
    .addOption(new Option('--shape <name>', 'preset sizes').choices(Object.keys(SHAPES)))
    .option('--layers <n>', 'transformer blocks', positiveInt('--layers'))
    .option('--embd <n>', 'embedding size', positiveInt('--embd'))
    .option('--ff <n>', 'feed-forward size', positiveInt('--ff'))
    .option('--heads <n>', 'attention heads', positiveInt('--heads'))
    .option('--kv-heads <n>', 'key/value heads', positiveInt('--kv-heads'))
    .requiredOption('--vocab <name|path>', 'qwen2, llama-bpe (from the llama.cpp bundle) or a vocab GGUF file')
    .requiredOption('--out <file>', 'the GGUF file to write')
    .option('--seed <n>', 'weight initialisation seed (default 42)', positiveInt('--seed'))
    .addOption(new Option('--type <type>', 'storage type of the weight matrices (norms and biases stay F32)').choices([...WEIGHT_TYPES]).default('f32'))
    .option('--output-std <s>', 'init scale of the output projection (default 0.02; ~0.2 lets an adapter learn confident answers)', positiveNumber('--output-std'))
    .action((opts: {
      arch?: Arch; shape?: string; layers?: number; embd?: number; ff?: number; heads?: number; kvHeads?: number;
      vocab: string; out: string; seed?: number; type: WeightType; outputStd?: number;
    }) => {
      const preset = SHAPES[opts.shape ?? 'tiny']!;
      const arch = opts.arch ?? preset.arch;
      if (!arch) throw new UsageError('--arch llama|qwen2 is required (or a --shape that implies one)');
      const shape: ModelShape = {
        layers: opts.layers ?? preset.layers,
        embd: opts.embd ?? preset.embd,
        ff: opts.ff ?? preset.ff,
        heads: opts.heads ?? preset.heads,
        kvHeads: opts.kvHeads ?? preset.kvHeads,
        tiedEmbeddings: preset.tiedEmbeddings,
      };
      const started = performance.now();
      const { params, vocabSize } = asUsageError(() =>
        createModel({
          arch,
          shape,
          vocab: opts.vocab,
          out: path.resolve(opts.out),
          seed: opts.seed,
          type: opts.type,
          outputStd: opts.outputStd,
          cacheDir: path.join(resolveDataDir(), 'cache'),
        }),
      );
      process.stdout.write(
        `wrote ${opts.out}: ${arch}, ${shape.layers} x ${shape.embd} (ff ${shape.ff}, heads ${shape.heads}/${shape.kvHeads}), ` +
          `vocab ${vocabSize}, ${(params / 1e6).toFixed(1)}M parameters, ${TYPES[opts.type].name}, in ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
      );
    });
}

export function modelCommand(): Command {
  return new Command('model').description('models').addCommand(createCommand().exitOverride());
}
