/**
 * The F16/BF16/Q8_0/Q4_0 encoders against IEEE rounding (Node's own Float16Array), hand-computed ggml blocks and
 * round-trip error bounds. (They were also checked byte for byte against ggml's quantize_row_*_ref and
 * ggml_fp32_to_fp16/bf16_row on 131,072 mixed values, including ties, subnormals and overflow.)
 */
import { describe, expect, it } from 'vitest';
import { bf16ToF32, decode, encode, f16ToF32, f32ToBf16, f32ToF16, GGML_TYPE, tensorBytes } from './quant.ts';

function values(n: number, seed: number, scale: number): Float32Array {
  let s = seed >>> 0;
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    x[i] = (s / 4294967296 - 0.5) * scale;
  }
  return x;
}

describe('F16', () => {
  it('rounds to nearest even exactly like IEEE half (Float16Array), subnormals and overflow included', () => {
    const F16 = (globalThis as { Float16Array?: new (n: number) => ArrayLike<number> & { [i: number]: number; buffer: ArrayBuffer } }).Float16Array;
    const x = new Float32Array([
      ...values(20000, 1, 2), ...values(2000, 2, 1e-5), ...values(2000, 3, 2e5), ...values(500, 4, 1e-7),
      0, -0, 65504, 65519, 65520, -70000, 2 ** -24, 2 ** -25, 3 * 2 ** -26, 2 ** -25 * 1.0000001, 2 ** -14 * (1 - 2 ** -11), Infinity, -Infinity,
      ...Array.from({ length: 64 }, (_, i) => 1 + (2 * i + 1) * 2 ** -11), // exact ties between two halves
    ]);
    if (F16) {
      const ref = new F16(x.length);
      for (let i = 0; i < x.length; i++) ref[i] = x[i]!;
      const bits = new Uint16Array(ref.buffer);
      for (let i = 0; i < x.length; i++) if (f32ToF16(x[i]!) !== bits[i]) expect([x[i], f32ToF16(x[i]!)]).toEqual([x[i], bits[i]]);
    }
    expect(f32ToF16(1 + 2 ** -11)).toBe(0x3c00); // tie: down to the even 1.0
    expect(f32ToF16(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie: up to the even mantissa
    expect(f32ToF16(65520)).toBe(0x7c00); // rounds to infinity
    expect(f32ToF16(2 ** -25)).toBe(0); // tie with zero: even
    expect(f32ToF16(3 * 2 ** -26)).toBe(1); // above the tie: smallest subnormal
    expect(f16ToF32(f32ToF16(0.1))).toBeCloseTo(0.1, 4);
    expect(Number.isNaN(f16ToF32(f32ToF16(NaN)))).toBe(true);
  });
});

describe('BF16', () => {
  it('rounds to nearest even and keeps NaN quiet, as ggml_compute_fp32_to_bf16', () => {
    expect(f32ToBf16(1)).toBe(0x3f80);
    expect(f32ToBf16(1 + 2 ** -8)).toBe(0x3f80); // tie: even
    expect(f32ToBf16(1 + 3 * 2 ** -8)).toBe(0x3f82); // tie: even (up)
    expect(f32ToBf16(1 + 2 ** -8 + 2 ** -20)).toBe(0x3f81); // above the tie
    expect(f32ToBf16(-2)).toBe(0xc000);
    expect(Number.isNaN(bf16ToF32(f32ToBf16(NaN)))).toBe(true);
    for (const v of values(5000, 9, 10)) expect(Math.abs(bf16ToF32(f32ToBf16(v)) - v)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -8);
  });
});

describe('Q8_0 and Q4_0 blocks', () => {
  it('writes the blocks ggml writes', () => {
    // Q8_0: x_j = j - 16: d = 16/127, q = round(x / d)
    const x8 = Float32Array.from({ length: 32 }, (_, j) => j - 16);
    const q8 = Buffer.alloc(tensorBytes(GGML_TYPE.Q8_0, 32));
    expect(encode(GGML_TYPE.Q8_0, x8, q8)).toBe(34);
    expect(q8.readUInt16LE(0)).toBe(f32ToF16(16 / 127));
    expect([q8.readInt8(2), q8.readInt8(2 + 16), q8.readInt8(2 + 17), q8.readInt8(2 + 31)]).toEqual([-127, 0, 8, 119]);
    // Q4_0: x_j = (j - 16) / 16: the max-magnitude value is -1, d = -1 / -8 = 0.125, q = min(15, trunc(x / d + 8.5));
    // byte j holds element j in its low nibble and element j + 16 in its high nibble
    const x4 = Float32Array.from({ length: 32 }, (_, j) => (j - 16) / 16);
    const q4 = Buffer.alloc(tensorBytes(GGML_TYPE.Q4_0, 32));
    expect(encode(GGML_TYPE.Q4_0, x4, q4)).toBe(18);
    expect(q4.readUInt16LE(0)).toBe(0x3000); // 0.125
    const q = (j: number) => Math.min(15, Math.floor((j + 1) / 2));
    for (let j = 0; j < 16; j++) expect(q4[2 + j]).toBe(q(j) | (q(j + 16) << 4));
    expect([q4[2], q4[17]]).toEqual([0x80, 0xf8]);
    // an all-zero block: d = 0, every q the zero point
    const z8 = Buffer.alloc(34);
    encode(GGML_TYPE.Q8_0, new Float32Array(32), z8);
    expect([...z8]).toEqual(Array(34).fill(0));
    const z4 = Buffer.alloc(18);
    encode(GGML_TYPE.Q4_0, new Float32Array(32), z4);
    expect([...z4.subarray(2)]).toEqual(Array(16).fill(0x88));
  });

  it.each([
    ['Q8_0', GGML_TYPE.Q8_0, 127, 0.5],
    ['Q4_0', GGML_TYPE.Q4_0, 8, 1],
  ] as const)('%s round trip: every value within the block bound (step/2, one step at the clamped top)', (_name, type, levels, steps) => {
    const n = 32 * 512;
    const x = values(n, 5, 0.05);
    const buf = Buffer.alloc(tensorBytes(type, n));
    encode(type, x, buf);
    const y = decode(type, buf, n);
    let rms = 0;
    for (let b = 0; b < n; b += 32) {
      let amax = 0;
      for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[b + j]!));
      // step/2 of rounding (Q4_0: up to one step for a value clamped at q = 15), plus the F16 rounding of the scale
      // d = step (relative 2^-11) times |q| <= levels
      const step = amax / levels;
      const bound = step * steps + levels * step * 2 ** -11 + 1e-12;
      for (let j = 0; j < 32; j++) {
        expect(Math.abs(y[b + j]! - x[b + j]!)).toBeLessThanOrEqual(bound);
        rms += (y[b + j]! - x[b + j]!) ** 2;
      }
    }
    expect(Math.sqrt(rms / n)).toBeLessThan(0.025 * (type === GGML_TYPE.Q8_0 ? 0.01 : 0.1));
  });

  it('F16 and BF16 round trips are within half a unit in the last place', () => {
    const x = values(4096, 11, 0.1);
    for (const [type, rel] of [[GGML_TYPE.F16, 2 ** -11], [GGML_TYPE.BF16, 2 ** -8]] as const) {
      const buf = Buffer.alloc(tensorBytes(type, x.length));
      encode(type, x, buf);
      const y = decode(type, buf, x.length);
      for (let i = 0; i < x.length; i++) expect(Math.abs(y[i]! - x[i]!)).toBeLessThanOrEqual(Math.abs(x[i]!) * rel + 2 ** -25);
    }
  });

  it('refuses partial blocks', () => {
    expect(() => tensorBytes(GGML_TYPE.Q4_0, 48)).toThrow(/whole number of Q4_0 blocks/);
    expect(() => encode(GGML_TYPE.Q8_0, new Float32Array(40), Buffer.alloc(100))).toThrow(/whole blocks/);
  });
});
