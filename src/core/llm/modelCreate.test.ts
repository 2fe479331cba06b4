/** Random models with real tokenizers, loaded by the real node-llama-cpp. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers.ts';
import { getLlama } from './engine.ts';
import { GT, readGgufHeader } from './gguf.ts';
import { createModel, SHAPES } from './modelCreate.ts';

// shared by every test run: the bundle is cloned once
const cacheDir = path.join(os.tmpdir(), 'squill-test-cache');

describe('squill model create', () => {
  it.each([
    ['qwen2', 'qwen2', 151936],
    ['llama', 'llama-bpe', 128256],
  ] as const)('writes a %s model with the %s tokenizer that node-llama-cpp loads and runs', async (arch, vocab, vocabSize) => {
    const out = path.join(tempDir(), `${arch}.gguf`);
    const shape = { layers: 2, embd: 64, ff: 128, heads: 4, kvHeads: 2 };
    const created = createModel({ arch, shape, vocab, out, seed: 7, cacheDir });
    expect(created.vocabSize).toBe(vocabSize);

    const header = readGgufHeader(out);
    expect(header.metadata.get('general.architecture')).toEqual({ type: GT.STRING, value: arch });
    expect(header.metadata.get(`${arch}.block_count`)).toEqual({ type: GT.U32, value: 2 });
    expect(header.metadata.get('tokenizer.ggml.token_type')).toMatchObject({ type: GT.ARRAY, itemType: GT.I32 });
    expect(String(header.metadata.get('tokenizer.chat_template')?.value)).toContain(arch === 'qwen2' ? '<|im_start|>' : '<|start_header_id|>');
    expect(header.tensors.find((t) => t.name === 'blk.1.attn_k.weight')?.dims).toEqual([64, 32]);
    expect(header.tensors.some((t) => t.name === 'blk.0.attn_q.bias')).toBe(arch === 'qwen2');

    const llama = await getLlama();
    const model = await llama.loadModel({ modelPath: out });
    try {
      const sql = 'SELECT name FROM singer WHERE age > 30;';
      expect(model.detokenize(model.tokenize(sql))).toBe(sql);
      expect(model.tokenize(sql).length).toBeLessThan(sql.length); // a real BPE, not characters
      const context = await model.createContext({ contextSize: 256 });
      const sequence = context.getSequence();
      const tokens: number[] = [];
      for await (const token of sequence.evaluate(model.tokenize('SELECT'), { temperature: 0 })) {
        tokens.push(token);
        if (tokens.length === 4) break;
      }
      expect(tokens).toHaveLength(4);
      await context.dispose();
    } finally {
      await model.dispose();
    }
  });

  it('is reproducible for a seed and different across seeds', () => {
    const dir = tempDir();
    const make = (seed: number, name: string) =>
      createModel({ arch: 'llama', shape: { layers: 1, embd: 16, ff: 32, heads: 2, kvHeads: 1 }, vocab: 'llama-bpe', out: path.join(dir, name), seed, cacheDir });
    make(1, 'a.gguf');
    make(1, 'b.gguf');
    make(2, 'c.gguf');
    const bytes = (f: string) => fs.readFileSync(path.join(dir, f));
    expect(bytes('a.gguf').equals(bytes('b.gguf'))).toBe(true);
    expect(bytes('a.gguf').equals(bytes('c.gguf'))).toBe(false);
  });

  it('refuses shapes that cannot work, saying why', () => {
    const base = { arch: 'qwen2' as const, vocab: 'qwen2', out: path.join(tempDir(), 'x.gguf'), cacheDir };
    expect(() => createModel({ ...base, shape: { layers: 1, embd: 100, ff: 8, heads: 3, kvHeads: 1 } })).toThrow(/multiple of heads/);
    expect(() => createModel({ ...base, shape: { layers: 1, embd: 64, ff: 8, heads: 4, kvHeads: 3 } })).toThrow(/multiple of kv-heads/);
    expect(() => createModel({ ...base, vocab: 'nope', shape: SHAPES.tiny! })).toThrow(/not in the bundled llama.cpp source/);
  });
});
