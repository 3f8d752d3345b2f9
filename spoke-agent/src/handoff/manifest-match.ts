import { DTYPE_BYTES, type Manifest, type TensorInfo } from '@ocm-fl/common/model/safetensors.js';

/**
 * Why an update's manifest does not match the global model's, or undefined when it does.
 * Same tensors, dtypes, shapes and data_offsets: the aggregator averages byte ranges as they
 * stream in, so the layout must be identical. Metadata may differ.
 */
export function manifestMismatch(expected: Manifest, got: Manifest): string | undefined {
  const want = new Map(expected.tensors.map((t) => [t.name, t]));
  for (const t of got.tensors) {
    const e = want.get(t.name);
    if (!e) return `unexpected tensor ${t.name}`;
    if (e.dtype !== t.dtype) return `tensor ${t.name}: dtype ${t.dtype}, the global model has ${e.dtype}`;
    if (!sameShape(e.shape, t.shape))
      return `tensor ${t.name}: shape [${t.shape.join(',')}], the global model has [${e.shape.join(',')}]`;
    if (e.begin !== t.begin)
      return `tensor ${t.name}: data_offsets [${t.begin},${t.end}], the global model has [${e.begin},${e.end}] (write tensors in the global model's order)`;
    want.delete(t.name);
  }
  const missing = [...want.keys()];
  if (missing.length > 0)
    return `missing tensor${missing.length > 1 ? 's' : ''} ${missing.slice(0, 5).join(', ')}`;
  return undefined;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * Checks tensor values for NaN/Inf as the data section streams past, chunk by chunk; elements
 * split across chunks are carried over. One poisoned update would poison the global model.
 */
export class FiniteCheck {
  private pos = 0;
  private carry: Buffer = Buffer.alloc(0);
  private idx = 0;

  constructor(private readonly tensors: readonly TensorInfo[]) {}

  /** Feed the next bytes of the data section; returns a reason on the first non-finite value. */
  feed(slice: Buffer): string | undefined {
    const buf = this.carry.length > 0 ? Buffer.concat([this.carry, slice]) : slice;
    const base = this.pos - this.carry.length;
    let i = 0;
    while (i < buf.length) {
      while (this.idx < this.tensors.length && (this.tensors[this.idx] as TensorInfo).end <= base + i)
        this.idx++;
      const t = this.tensors[this.idx];
      if (!t) break;
      const size = DTYPE_BYTES[t.dtype];
      const segEnd = Math.min(buf.length, t.end - base);
      const stop = i + Math.floor((segEnd - i) / size) * size;
      const bad = firstNonFinite(buf, i, stop, t.dtype === 'F32');
      if (bad !== undefined) {
        return `tensor ${t.name}: non-finite value (NaN or Inf) at element ${(base + bad - t.begin) / size}`;
      }
      i = stop;
      if (i < segEnd) break;
    }
    this.carry = Buffer.from(buf.subarray(i));
    this.pos += slice.length;
    return undefined;
  }
}

/** Index (in `buf`) of the first NaN/Inf element in [from, to), or undefined. */
function firstNonFinite(buf: Buffer, from: number, to: number, f32: boolean): number | undefined {
  const size = f32 ? 4 : 2;
  const count = (to - from) / size;
  if (count === 0) return undefined;
  // Typed-array views are ~10x faster than readUInt32LE; they need an aligned offset, so an
  // unaligned segment is copied (into a fresh, aligned ArrayBuffer) first.
  const aligned = (buf.byteOffset + from) % size === 0;
  const src = aligned ? buf : new Uint8Array(buf.subarray(from, to));
  const base = aligned ? buf.byteOffset + from : 0;
  if (f32) {
    const v = new Uint32Array(src.buffer, base, count);
    for (let j = 0; j < count; j++) if (((v[j] as number) & 0x7f800000) === 0x7f800000) return from + 4 * j;
  } else {
    const v = new Uint16Array(src.buffer, base, count);
    for (let j = 0; j < count; j++) if (((v[j] as number) & 0x7c00) === 0x7c00) return from + 2 * j;
  }
  return undefined;
}
