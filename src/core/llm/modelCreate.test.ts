/** Random models with real tokenizers, loaded by the real node-llama-cpp. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers.ts';
import { getLlama } from './engine.ts';
import { GT, readGgufHeader } from './gguf.ts';
import { createModel, SHAPES } from './modelCreate.ts';
import { decode, GGML_TYPE, tensorBytes, TYPES, WEIGHT_TYPES } from './quant.ts';

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

  it('stores the weight matrices as F32, F16, BF16, Q8_0 or Q4_0, and node-llama-cpp loads and runs each', async () => {
    const dir = tempDir();
    const shape = { layers: 1, embd: 64, ff: 128, heads: 4, kvHeads: 2 };
    const file = (t: string) => path.join(dir, `${t}.gguf`);
    const weights = (t: string, name: string) => {
      const header = readGgufHeader(file(t));
      const info = header.tensors.find((x) => x.name === name)!;
      const n = info.dims.reduce((a, b) => a * b, 1);
      const fd = fs.openSync(file(t), 'r');
      const buf = Buffer.alloc(tensorBytes(info.ggmlType, n));
      fs.readSync(fd, buf, 0, buf.length, header.dataOffset + Number(info.offset));
      fs.closeSync(fd);
      return { type: info.ggmlType, values: decode(info.ggmlType, buf, n) };
    };
    const llama = await getLlama();
    for (const type of WEIGHT_TYPES) {
      createModel({ arch: 'qwen2', shape, vocab: 'qwen2', out: file(type), seed: 7, cacheDir, type });
      const header = readGgufHeader(file(type));
      expect(header.metadata.get('general.file_type')).toEqual({ type: GT.U32, value: TYPES[type].fileType });
      const typeOf = (name: string) => header.tensors.find((t) => t.name === name)?.ggmlType;
      for (const name of ['token_embd.weight', 'output.weight', 'blk.0.attn_q.weight', 'blk.0.attn_k.weight', 'blk.0.ffn_down.weight']) {
        expect([name, typeOf(name)]).toEqual([name, TYPES[type].ggml]);
      }
      for (const name of ['output_norm.weight', 'blk.0.attn_norm.weight', 'blk.0.ffn_norm.weight', 'blk.0.attn_q.bias']) {
        expect([name, typeOf(name)]).toEqual([name, GGML_TYPE.F32]);
      }

      const model = await llama.loadModel({ modelPath: file(type) });
      try {
        const context = await model.createContext({ contextSize: 256 });
        const tokens: number[] = [];
        for await (const token of context.getSequence().evaluate(model.tokenize('SELECT name FROM'), { temperature: 0 })) {
          tokens.push(token);
          if (tokens.length === 4) break;
        }
        expect(tokens).toHaveLength(4);
        await context.dispose();
      } finally {
        await model.dispose();
      }
    }
    // the stored weights are the F32 model's, within each type's rounding error (same seed, same values)
    const exact = weights('f32', 'blk.0.ffn_gate.weight').values;
    const bounds: Record<string, number> = { f16: 2 ** -11, bf16: 2 ** -8 };
    for (const type of ['f16', 'bf16', 'q8_0', 'q4_0'] as const) {
      const got = weights(type, 'blk.0.ffn_gate.weight').values;
      let worst = 0;
      for (let b = 0; b < exact.length; b += 32) {
        let amax = 0;
        for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(exact[b + j]!));
        for (let j = 0; j < 32; j++) {
          const x = exact[b + j]!;
          const bound = type === 'q8_0' ? (amax / 127) * 0.57 : type === 'q4_0' ? (amax / 8) * 1.01 : Math.abs(x) * bounds[type]! + 2 ** -25;
          worst = Math.max(worst, Math.abs(got[b + j]! - x) / bound);
        }
      }
      expect(worst, `${type}: worst error / its bound`).toBeLessThanOrEqual(1);
    }
  }, 120_000);

  it('falls back to F16 for a matrix whose rows are not whole blocks, as llama.cpp\'s converter does', () => {
    const out = path.join(tempDir(), 'odd.gguf');
    createModel({ arch: 'llama', shape: { layers: 1, embd: 48, ff: 96, heads: 2, kvHeads: 1 }, vocab: 'llama-bpe', out, seed: 1, cacheDir, type: 'q4_0' });
    const typeOf = (name: string) => readGgufHeader(out).tensors.find((t) => t.name === name)?.ggmlType;
    expect(typeOf('blk.0.attn_q.weight')).toBe(GGML_TYPE.F16); // ne0 = 48
    expect(typeOf('blk.0.ffn_down.weight')).toBe(GGML_TYPE.Q4_0); // ne0 = 96
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
