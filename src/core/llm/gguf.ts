/**
 * GGUF files, read and written with their exact value types (a vocab's int32 token types must stay int32). Enough
 * of the format (v3) for Squill's own files: metadata of any type, tensors written from F32 values in F32, F16, BF16,
 * Q8_0 or Q4_0 (quant.ts), the alignment rules.
 * Spec: ggml's docs/gguf.md.
 */
import fs from 'node:fs';
import { SquillError } from '../../shared/errors.ts';
import { encode, GGML_TYPE, tensorBytes, typeInfo } from './quant.ts';

export const GGUF_MAGIC = 0x46554747; // "GGUF", little-endian
const DEFAULT_ALIGNMENT = 32;

/** GGUF metadata value types */
export const GT = { U8: 0, I8: 1, U16: 2, I16: 3, U32: 4, I32: 5, F32: 6, BOOL: 7, STRING: 8, ARRAY: 9, U64: 10, I64: 11, F64: 12 } as const;
export type GgufType = (typeof GT)[keyof typeof GT];

export type GgufValue =
  | { type: Exclude<GgufType, 9 | 8 | 10 | 11>; value: number | boolean }
  | { type: 10 | 11; value: bigint }
  | { type: 8; value: string }
  | { type: 9; itemType: GgufType; value: (number | bigint | string | boolean)[] };

export interface GgufTensorInfo {
  name: string;
  /** ne0 first: a weight used as mul_mat(W, x) is [n_in, n_out] */
  dims: number[];
  /** ggml type: 0 = F32 */
  ggmlType: number;
  offset: bigint;
}

export interface GgufHeader {
  version: number;
  metadata: Map<string, GgufValue>;
  tensors: GgufTensorInfo[];
  /** where tensor data begins */
  dataOffset: number;
}

class Reader {
  pos = 0;
  private readonly buf: Buffer;
  constructor(buf: Buffer) {
    this.buf = buf;
  }
  u32() { const v = this.buf.readUInt32LE(this.pos); this.pos += 4; return v; }
  u64() { const v = this.buf.readBigUInt64LE(this.pos); this.pos += 8; return v; }
  string() {
    const n = Number(this.u64());
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
  scalar(type: GgufType): number | bigint | string | boolean {
    const b = this.buf;
    const at = this.pos;
    switch (type) {
      case GT.U8: this.pos += 1; return b.readUInt8(at);
      case GT.I8: this.pos += 1; return b.readInt8(at);
      case GT.U16: this.pos += 2; return b.readUInt16LE(at);
      case GT.I16: this.pos += 2; return b.readInt16LE(at);
      case GT.U32: this.pos += 4; return b.readUInt32LE(at);
      case GT.I32: this.pos += 4; return b.readInt32LE(at);
      case GT.F32: this.pos += 4; return b.readFloatLE(at);
      case GT.BOOL: this.pos += 1; return b.readUInt8(at) !== 0;
      case GT.STRING: return this.string();
      case GT.U64: this.pos += 8; return b.readBigUInt64LE(at);
      case GT.I64: this.pos += 8; return b.readBigInt64LE(at);
      case GT.F64: this.pos += 8; return b.readDoubleLE(at);
      default: throw new SquillError('VALIDATION', `Unknown GGUF value type ${type}`);
    }
  }
}

/** The metadata and tensor table of a GGUF file (its tensor data is left on disk). */
export function readGgufHeader(file: string): GgufHeader {
  const buf = fs.readFileSync(file);
  const r = new Reader(buf);
  if (buf.length < 24 || r.u32() !== GGUF_MAGIC) throw new SquillError('VALIDATION', `${file} is not a GGUF file`);
  const version = r.u32();
  if (version < 2) throw new SquillError('VALIDATION', `${file} is GGUF version ${version}; 2 or later is needed`);
  const tensorCount = Number(r.u64());
  const kvCount = Number(r.u64());
  const metadata = new Map<string, GgufValue>();
  for (let i = 0; i < kvCount; i++) {
    const key = r.string();
    const type = r.u32() as GgufType;
    if (type === GT.ARRAY) {
      const itemType = r.u32() as GgufType;
      const n = Number(r.u64());
      const value: (number | bigint | string | boolean)[] = new Array(n);
      for (let j = 0; j < n; j++) value[j] = r.scalar(itemType);
      metadata.set(key, { type, itemType, value });
    } else {
      metadata.set(key, { type, value: r.scalar(type) } as GgufValue);
    }
  }
  const tensors: GgufTensorInfo[] = [];
  for (let i = 0; i < tensorCount; i++) {
    const name = r.string();
    const nDims = r.u32();
    const dims = Array.from({ length: nDims }, () => Number(r.u64()));
    tensors.push({ name, dims, ggmlType: r.u32(), offset: r.u64() });
  }
  const alignment = Number((metadata.get('general.alignment')?.value as number | undefined) ?? DEFAULT_ALIGNMENT);
  return { version, metadata, tensors, dataOffset: Math.ceil(r.pos / alignment) * alignment };
}

/**
 * A tensor to write: F32 values produced in chunks, so multi-GB models never sit in memory whole, stored as `type`
 * (a ggml type id, default F32; block types need ne0 to be a multiple of their block size).
 */
export interface F32Tensor {
  name: string;
  dims: number[];
  type?: number;
  fill(write: (chunk: Float32Array) => void): void;
}

class Writer {
  private parts: Buffer[] = [];
  length = 0;
  push(b: Buffer) { this.parts.push(b); this.length += b.length; }
  u32(v: number) { const b = Buffer.alloc(4); b.writeUInt32LE(v); this.push(b); }
  u64(v: bigint | number) { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(v)); this.push(b); }
  string(s: string) { const b = Buffer.from(s, 'utf8'); this.u64(b.length); this.push(b); }
  scalar(type: GgufType, v: number | bigint | string | boolean) {
    const b = Buffer.alloc(8);
    switch (type) {
      case GT.U8: b.writeUInt8(v as number); return this.push(b.subarray(0, 1));
      case GT.I8: b.writeInt8(v as number); return this.push(b.subarray(0, 1));
      case GT.U16: b.writeUInt16LE(v as number); return this.push(b.subarray(0, 2));
      case GT.I16: b.writeInt16LE(v as number); return this.push(b.subarray(0, 2));
      case GT.U32: b.writeUInt32LE(v as number); return this.push(b.subarray(0, 4));
      case GT.I32: b.writeInt32LE(v as number); return this.push(b.subarray(0, 4));
      case GT.F32: b.writeFloatLE(v as number); return this.push(b.subarray(0, 4));
      case GT.BOOL: b.writeUInt8(v ? 1 : 0); return this.push(b.subarray(0, 1));
      case GT.STRING: return this.string(v as string);
      case GT.U64: b.writeBigUInt64LE(BigInt(v as bigint)); return this.push(b);
      case GT.I64: b.writeBigInt64LE(BigInt(v as bigint)); return this.push(b);
      case GT.F64: b.writeDoubleLE(v as number); return this.push(b);
      default: throw new Error(`unknown GGUF type ${type}`);
    }
  }
  toBuffer() { return Buffer.concat(this.parts); }
}

/** Writes a GGUF v3 file atomically (temp file + rename). */
export function writeGguf(file: string, metadata: Map<string, GgufValue>, tensors: F32Tensor[]): void {
  const alignment = DEFAULT_ALIGNMENT;
  const w = new Writer();
  w.u32(GGUF_MAGIC);
  w.u32(3);
  w.u64(tensors.length);
  w.u64(metadata.size);
  for (const [key, v] of metadata) {
    w.string(key);
    w.u32(v.type);
    if (v.type === GT.ARRAY) {
      w.u32(v.itemType);
      w.u64(v.value.length);
      for (const item of v.value) w.scalar(v.itemType, item);
    } else w.scalar(v.type, v.value);
  }
  let offset = 0;
  const types = tensors.map((t) => t.type ?? GGML_TYPE.F32);
  tensors.forEach((t, i) => {
    const block = typeInfo(types[i]!).blockSize;
    if (block > 1 && t.dims[0]! % block !== 0) throw new Error(`tensor ${t.name}: ne0 ${t.dims[0]} is not a multiple of ${block}`);
  });
  const sizes = tensors.map((t, i) => tensorBytes(types[i]!, t.dims.reduce((a, b) => a * b, 1)));
  tensors.forEach((t, i) => {
    w.string(t.name);
    w.u32(t.dims.length);
    for (const d of t.dims) w.u64(d);
    w.u32(types[i]!);
    w.u64(offset);
    offset += Math.ceil(sizes[i]! / alignment) * alignment;
  });
  const header = w.toBuffer();
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, header);
    const pad = (n: number) => n % alignment === 0 ? 0 : alignment - (n % alignment);
    fs.writeSync(fd, Buffer.alloc(pad(header.length)));
    tensors.forEach((t, i) => {
      const type = types[i]!;
      const block = typeInfo(type).blockSize;
      let written = 0;
      let rest = new Float32Array(0); // values short of a whole block, carried to the next chunk
      const put = (values: Float32Array) => {
        if (type === GGML_TYPE.F32) {
          fs.writeSync(fd, Buffer.from(values.buffer, values.byteOffset, values.byteLength));
          written += values.byteLength;
          return;
        }
        const out = Buffer.alloc(tensorBytes(type, values.length));
        written += encode(type, values, out);
        fs.writeSync(fd, out);
      };
      t.fill((chunk) => {
        if (rest.length > 0) {
          const joined = new Float32Array(rest.length + chunk.length);
          joined.set(rest);
          joined.set(chunk, rest.length);
          chunk = joined;
        }
        const whole = chunk.length - (chunk.length % block);
        if (whole > 0) put(chunk.subarray(0, whole));
        rest = chunk.slice(whole);
      });
      if (rest.length > 0) throw new Error(`tensor ${t.name}: ${rest.length} values short of a whole block`);
      if (written !== sizes[i]) throw new Error(`tensor ${t.name}: wrote ${written} bytes, expected ${sizes[i]}`);
      fs.writeSync(fd, Buffer.alloc(pad(sizes[i]!)));
    });
    fs.closeSync(fd);
    fs.renameSync(tmp, file);
  } catch (err) {
    try {
      fs.closeSync(fd);
    } catch {
      // already closed
    }
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}
