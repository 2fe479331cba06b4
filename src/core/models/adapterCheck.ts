/**
 * Will a LoRA adapter load onto a base model: the checks llama.cpp makes when it applies one (llama-adapter.cpp),
 * done up front so the user hears why at attach time, not at the first question.
 */
import { readGgufFileInfo, type GgufFileInfo } from 'node-llama-cpp';
import { SquillError } from '../../shared/errors.ts';
import { checkGgufFile } from './inspect.ts';

/** Reads an adapter file and checks it against the base model's tensors; returns its size. */
export async function checkAdapter(file: string, base: GgufFileInfo, baseName: string): Promise<number> {
  const sizeBytes = checkGgufFile(file, 'adapter');
  let info: GgufFileInfo;
  try {
    info = await readGgufFileInfo(file, { sourceType: 'filesystem', logWarnings: false });
  } catch (err) {
    throw new SquillError('VALIDATION', `${file} is a damaged or truncated GGUF file: its header cannot be read (${(err as Error).message})`);
  }
  const md = info.metadata as unknown as { general?: { type?: string; architecture?: string }; adapter?: { type?: string } };
  if (md.general?.type !== 'adapter' || md.adapter?.type !== 'lora') {
    const looksLikeModel = md.general?.type === 'model' || (md.general?.type === undefined && md.adapter === undefined);
    throw new SquillError(
      'VALIDATION',
      looksLikeModel
        ? `${file} is a model, not a LoRA adapter (its general.type is not "adapter"); add it as a model instead`
        : `${file} is not a LoRA adapter (general.type "${md.general?.type ?? ''}", adapter.type "${md.adapter?.type ?? ''}")`,
    );
  }
  const baseArch = (base.metadata as unknown as { general?: { architecture?: string } }).general?.architecture;
  if (md.general.architecture && baseArch && md.general.architecture !== baseArch) {
    throw new SquillError('VALIDATION', `${file} is an adapter for a ${md.general.architecture} model; ${baseName} is ${baseArch}`);
  }
  const baseTensors = new Map((base.fullTensorInfo ?? []).map((t) => [t.name, t.dimensions.map(Number)]));
  const tensors = new Map((info.fullTensorInfo ?? []).map((t) => [t.name, t.dimensions.map(Number)]));
  let pairs = 0;
  for (const [name, a] of tensors) {
    if (!name.endsWith('.lora_a')) continue;
    const target = name.slice(0, -'.lora_a'.length);
    const b = tensors.get(`${target}.lora_b`);
    if (!b) throw new SquillError('VALIDATION', `${file} has ${name} without its ${target}.lora_b; the adapter is damaged`);
    const w = baseTensors.get(target);
    if (!w) throw new SquillError('VALIDATION', `${file} adapts ${target}, which ${baseName} does not have: it was made for another model`);
    // ggml order: W is [n_in, n_out], A is [n_in, rank], B is [rank, n_out]
    if (a[0] !== w[0] || b[1] !== w[1] || a[1] !== b[0]) {
      throw new SquillError(
        'VALIDATION',
        `${file} does not match ${baseName}: ${target} is ${w.join('x')} in the model, the adapter's A/B are ${a.join('x')} and ${b.join('x')}. It was trained on a model with other dimensions`,
      );
    }
    pairs++;
  }
  if (pairs === 0) throw new SquillError('VALIDATION', `${file} holds no LoRA tensors (*.lora_a / *.lora_b)`);
  return sizeBytes;
}
