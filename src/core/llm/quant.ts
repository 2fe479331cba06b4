/**
 * ggml tensor storage types Squill writes (F32, F16, BF16, Q8_0, Q4_0): encoding from F32 exactly as ggml's
 * reference code does it (ggml-impl.h ggml_compute_fp32_to_fp16 / ggml_compute_fp32_to_bf16, ggml-quants.c
 * quantize_row_q8_0_ref / quantize_row_q4_0_ref), and decoding for tests. Float arithmetic is rounded to F32 at each
 * step (Math.fround) so that the bytes match what ggml itself would write.
 */

/** ggml_type ids (ggml.h) */
export const GGML_TYPE = { F32: 0, F16: 1, Q4_0: 2, Q8_0: 8, BF16: 30 } as const;
export type GgmlType = (typeof GGML_TYPE)[keyof typeof GGML_TYPE];

export type WeightType = 'f32' | 'f16' | 'bf16' | 'q8_0' | 'q4_0';
export const WEIGHT_TYPES: readonly WeightType[] = ['f32', 'f16', 'bf16', 'q8_0', 'q4_0'];

export interface TypeInfo {
  ggml: GgmlType;
  /** llama_ftype for general.file_type ("mostly" this type, 1-D tensors F32) */
  fileType: number;
  /** elements per block and bytes per block */
  blockSize: number;
  blockBytes: number;
  name: string;
}

export const TYPES: Record<WeightType, TypeInfo> = {
  f32: { ggml: GGML_TYPE.F32, fileType: 0, blockSize: 1, blockBytes: 4, name: 'F32' },
  f16: { ggml: GGML_TYPE.F16, fileType: 1, blockSize: 1, blockBytes: 2, name: 'F16' },
  q4_0: { ggml: GGML_TYPE.Q4_0, fileType: 2, blockSize: 32, blockBytes: 18, name: 'Q4_0' },
  q8_0: { ggml: GGML_TYPE.Q8_0, fileType: 7, blockSize: 32, blockBytes: 34, name: 'Q8_0' },
  bf16: { ggml: GGML_TYPE.BF16, fileType: 32, blockSize: 1, blockBytes: 2, name: 'BF16' },
};

export function typeInfo(ggml: number): TypeInfo {
  const t = Object.values(TYPES).find((x) => x.ggml === ggml);
  if (!t) throw new Error(`unsupported ggml type ${ggml}`);
  return t;
}

/** bytes a tensor of n elements takes in this type (n must be a whole number of blocks) */
export function tensorBytes(ggml: number, n: number): number {
  const t = typeInfo(ggml);
  if (n % t.blockSize !== 0) throw new Error(`${n} elements are not a whole number of ${t.name} blocks (${t.blockSize})`);
  return (n / t.blockSize) * t.blockBytes;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const bitsOf = (x: number) => {
  f32[0] = x;
  return u32[0]!;
};
const fromBits = (b: number) => {
  u32[0] = b >>> 0;
  return f32[0]!;
};

/** IEEE half, round to nearest even (with subnormals, overflow to infinity, quiet NaN) */
export function f32ToF16(x: number): number {
  const w = bitsOf(x);
  const sign = (w >>> 16) & 0x8000;
  const exp = (w >>> 23) & 0xff;
  const mant = w & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 | (mant >>> 13) : 0);
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign; // below half the smallest subnormal: zero
    const m = mant | 0x800000;
    const shift = 14 - e;
    let h = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && (h & 1) !== 0)) h++;
    return sign | h; // a carry into the exponent field gives the smallest normal, as it should
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1) !== 0)) h++; // a carry may reach infinity: correct
  return sign | h;
}

export function f16ToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 31) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** bfloat16 as ggml_compute_fp32_to_bf16: round to nearest even, NaN kept quiet */
export function f32ToBf16(x: number): number {
  const w = bitsOf(x);
  if ((w & 0x7fffffff) > 0x7f800000) return ((w >>> 16) | 64) & 0xffff;
  return ((w + 0x7fff + ((w >>> 16) & 1)) >>> 16) & 0xffff;
}

export function bf16ToF32(h: number): number {
  return fromBits((h & 0xffff) << 16);
}

const fr = Math.fround;
/** C roundf: half away from zero */
const roundf = (x: number) => (x < 0 ? -Math.floor(-x + 0.5) : Math.floor(x + 0.5));

/** encodes x (a whole number of blocks) into out at offset; returns the bytes written */
export function encode(ggml: number, x: Float32Array, out: Buffer, offset = 0): number {
  const n = x.length;
  switch (ggml) {
    case GGML_TYPE.F32:
      for (let i = 0; i < n; i++) out.writeFloatLE(x[i]!, offset + 4 * i);
      return 4 * n;
    case GGML_TYPE.F16:
      for (let i = 0; i < n; i++) out.writeUInt16LE(f32ToF16(x[i]!), offset + 2 * i);
      return 2 * n;
    case GGML_TYPE.BF16:
      for (let i = 0; i < n; i++) out.writeUInt16LE(f32ToBf16(x[i]!), offset + 2 * i);
      return 2 * n;
    case GGML_TYPE.Q8_0: {
      if (n % 32 !== 0) throw new Error('Q8_0 needs whole blocks of 32');
      let o = offset;
      for (let b = 0; b < n; b += 32) {
        let amax = 0;
        for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[b + j]!));
        const d = fr(amax / 127);
        const id = d ? fr(1 / d) : 0;
        out.writeUInt16LE(f32ToF16(d), o);
        for (let j = 0; j < 32; j++) out.writeInt8(roundf(fr(x[b + j]! * id)), o + 2 + j);
        o += 34;
      }
      return o - offset;
    }
    case GGML_TYPE.Q4_0: {
      if (n % 32 !== 0) throw new Error('Q4_0 needs whole blocks of 32');
      let o = offset;
      for (let b = 0; b < n; b += 32) {
        let amax = 0;
        let max = 0;
        for (let j = 0; j < 32; j++) {
          const v = x[b + j]!;
          if (amax < Math.abs(v)) {
            amax = Math.abs(v);
            max = v;
          }
        }
        const d = fr(max / -8);
        const id = d ? fr(1 / d) : 0;
        out.writeUInt16LE(f32ToF16(d), o);
        // (int8_t)(x*id + 8.5f) truncates toward zero; x*id lies in [-8, 8] so the sum is positive
        const q = (v: number) => Math.min(15, Math.trunc(fr(fr(v * id) + 8.5)));
        for (let j = 0; j < 16; j++) out.writeUInt8(q(x[b + j]!) | (q(x[b + 16 + j]!) << 4), o + 2 + j);
        o += 18;
      }
      return o - offset;
    }
    default:
      throw new Error(`cannot encode ggml type ${ggml}`);
  }
}

/** decodes n elements of the given type (for tests and tools) */
export function decode(ggml: number, buf: Buffer, n: number, offset = 0): Float32Array {
  const y = new Float32Array(n);
  switch (ggml) {
    case GGML_TYPE.F32:
      for (let i = 0; i < n; i++) y[i] = buf.readFloatLE(offset + 4 * i);
      return y;
    case GGML_TYPE.F16:
      for (let i = 0; i < n; i++) y[i] = f16ToF32(buf.readUInt16LE(offset + 2 * i));
      return y;
    case GGML_TYPE.BF16:
      for (let i = 0; i < n; i++) y[i] = bf16ToF32(buf.readUInt16LE(offset + 2 * i));
      return y;
    case GGML_TYPE.Q8_0:
      for (let b = 0, o = offset; b < n; b += 32, o += 34) {
        const d = f16ToF32(buf.readUInt16LE(o));
        for (let j = 0; j < 32; j++) y[b + j] = buf.readInt8(o + 2 + j) * d;
      }
      return y;
    case GGML_TYPE.Q4_0:
      for (let b = 0, o = offset; b < n; b += 32, o += 18) {
        const d = f16ToF32(buf.readUInt16LE(o));
        for (let j = 0; j < 16; j++) {
          const q = buf.readUInt8(o + 2 + j);
          y[b + j] = ((q & 0x0f) - 8) * d;
          y[b + 16 + j] = ((q >>> 4) - 8) * d;
        }
      }
      return y;
    default:
      throw new Error(`cannot decode ggml type ${ggml}`);
  }
}
