/**
 * Models and updates are stored and moved in the safetensors layout: an 8-byte little-endian
 * header length, a JSON header naming each tensor (dtype, shape, byte offsets into the data),
 * then the raw little-endian tensor bytes. Python (numpy) and TypeScript trainers can read and
 * write it without a library, and the header doubles as the model manifest.
 */
export type DType = 'F32' | 'F16';

export const DTYPE_BYTES: Record<DType, number> = { F32: 4, F16: 2 };

export interface TensorInfo {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  /** Byte range relative to the start of the data section. */
  readonly begin: number;
  readonly end: number;
}

export interface Manifest {
  readonly tensors: readonly TensorInfo[];
  readonly metadata: Readonly<Record<string, string>>;
  /** Bytes before the data section (8 + header JSON length). */
  readonly dataStart: number;
  /** Bytes of the data section. */
  readonly dataBytes: number;
}

export interface Tensor {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  /** Values as float32 whatever the stored dtype. */
  readonly values: Float32Array;
}

/** Largest header we accept; real headers are a few KiB. */
export const MAX_HEADER_BYTES = 16 * 1024 * 1024;

export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
}

function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Header length from the first 8 bytes; throws on a header larger than the limit. */
export function headerLength(prefix: Uint8Array): number {
  if (prefix.length < 8) throw new SafetensorsError('truncated: fewer than 8 bytes');
  const n = Buffer.from(prefix.buffer, prefix.byteOffset, 8).readBigUInt64LE(0);
  if (n > BigInt(MAX_HEADER_BYTES))
    throw new SafetensorsError(`header of ${n} bytes exceeds ${MAX_HEADER_BYTES}`);
  return Number(n);
}

/**
 * Parse and validate the manifest from the first `8 + headerLength` bytes (more is fine).
 * Tensors must be F32/F16, non-overlapping, contiguous from 0, and sized by their shape.
 */
export function parseManifest(buf: Uint8Array): Manifest {
  const n = headerLength(buf);
  if (buf.length < 8 + n)
    throw new SafetensorsError(`truncated: header needs ${8 + n} bytes, have ${buf.length}`);
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(buf.buffer, buf.byteOffset + 8, n).toString('utf8'));
  } catch (e) {
    throw new SafetensorsError('header is not JSON', { cause: e });
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new SafetensorsError('header is not an object');
  const metadata: Record<string, string> = {};
  const tensors: TensorInfo[] = [];
  for (const [name, v] of Object.entries(raw as Record<string, unknown>)) {
    if (name === '__metadata__') {
      for (const [k, mv] of Object.entries((v ?? {}) as Record<string, unknown>)) {
        if (typeof mv !== 'string') throw new SafetensorsError(`__metadata__.${k} is not a string`);
        metadata[k] = mv;
      }
      continue;
    }
    tensors.push(parseTensorInfo(name, v));
  }
  tensors.sort((a, b) => a.begin - b.begin || a.name.localeCompare(b.name));
  let expected = 0;
  for (const t of tensors) {
    if (t.begin !== expected)
      throw new SafetensorsError(`tensor ${t.name}: data starts at ${t.begin}, expected ${expected}`);
    expected = t.end;
  }
  return { tensors, metadata, dataStart: 8 + n, dataBytes: expected };
}

function parseTensorInfo(name: string, v: unknown): TensorInfo {
  const t = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
  if (t === null || typeof t !== 'object') throw new SafetensorsError(`tensor ${name}: not an object`);
  if (t.dtype !== 'F32' && t.dtype !== 'F16')
    throw new SafetensorsError(`tensor ${name}: dtype ${String(t.dtype)} not supported (F32, F16)`);
  if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0))
    throw new SafetensorsError(`tensor ${name}: shape must be a list of non-negative integers`);
  const off = t.data_offsets;
  if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isSafeInteger(d) && d >= 0))
    throw new SafetensorsError(`tensor ${name}: data_offsets must be [begin, end]`);
  const [begin, end] = off as [number, number];
  const shape = t.shape as number[];
  const want = elementCount(shape) * DTYPE_BYTES[t.dtype];
  if (end - begin !== want)
    throw new SafetensorsError(
      `tensor ${name}: ${end - begin} bytes for shape [${shape}] ${t.dtype} (want ${want})`,
    );
  return { name, dtype: t.dtype, shape, begin, end };
}

/** Serialise tensors (stored in the given dtype) with optional string metadata. */
export function encodeSafetensors(tensors: readonly Tensor[], metadata: Record<string, string> = {}): Buffer {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const t of tensors) {
    if (t.values.length !== elementCount(t.shape))
      throw new SafetensorsError(`tensor ${t.name}: ${t.values.length} values for shape [${t.shape}]`);
    const bytes = t.values.length * DTYPE_BYTES[t.dtype];
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const out = Buffer.alloc(8 + headerBytes.length + offset);
  out.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  headerBytes.copy(out, 8);
  let pos = 8 + headerBytes.length;
  for (const t of tensors) {
    pos += writeValues(out, pos, t.dtype, t.values);
  }
  return out;
}

function writeValues(out: Buffer, pos: number, dtype: DType, values: Float32Array): number {
  if (dtype === 'F32') {
    for (let i = 0; i < values.length; i++) out.writeFloatLE(values[i] as number, pos + 4 * i);
    return values.length * 4;
  }
  for (let i = 0; i < values.length; i++) out.writeUInt16LE(f32ToF16(values[i] as number), pos + 2 * i);
  return values.length * 2;
}

/** Decode a whole file into float32 tensors (for trainers and tests; the hub streams instead). */
export function decodeSafetensors(buf: Uint8Array): { tensors: Tensor[]; metadata: Record<string, string> } {
  const m = parseManifest(buf);
  if (buf.length !== m.dataStart + m.dataBytes)
    throw new SafetensorsError(`file has ${buf.length} bytes, manifest says ${m.dataStart + m.dataBytes}`);
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.length);
  const tensors = m.tensors.map((t) => {
    const n = (t.end - t.begin) / DTYPE_BYTES[t.dtype];
    const values = new Float32Array(n);
    const base = m.dataStart + t.begin;
    for (let i = 0; i < n; i++)
      values[i] = t.dtype === 'F32' ? b.readFloatLE(base + 4 * i) : f16ToF32(b.readUInt16LE(base + 2 * i));
    return { name: t.name, dtype: t.dtype, shape: t.shape, values };
  });
  return { tensors, metadata: { ...m.metadata } };
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE 754 half → single. */
export function f16ToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** IEEE 754 single → half, round to nearest even. */
export function f32ToF16(v: number): number {
  f32[0] = v;
  const x = u32[0] as number;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  // A carry out of the mantissa rounds up into the exponent (and to infinity), as IEEE wants.
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  return sign | half;
}
