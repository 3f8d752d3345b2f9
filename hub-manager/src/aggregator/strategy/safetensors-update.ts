/**
 * A ClientUpdate over a safetensors file on disk (the aggregator's spilled, verified update),
 * read by element range: `read(offset, out)` maps elements of the flattened model to byte
 * ranges of the tensors it spans and decodes them (F32 as is, F16 through the lookup table).
 * Each read opens, reads and closes the file, so an adapter holds no descriptor between reads
 * and only `out` plus one block of bytes in memory.
 */
import { open, stat } from 'node:fs/promises';
import {
  DTYPE_BYTES,
  headerLength,
  parseManifest,
  SafetensorsError,
  type DType,
  type Manifest,
} from '@ocm-fl/common/model/safetensors.js';
import { elementTotal, f16Lookup } from '@ocm-fl/common/dataplane/tensor-stream.js';
import type { ClientUpdate } from './types.js';

export interface SafetensorsUpdate extends ClientUpdate {
  readonly file: string;
  readonly manifest: Manifest;
  /** Elements of the flattened model. */
  readonly elements: number;
}

interface Span {
  readonly first: number;
  readonly count: number;
  /** Absolute file offset of the tensor's first byte. */
  readonly byteStart: number;
  readonly dtype: DType;
}

/**
 * Opens `file`, parses and checks its header (and, with `expect`, that tensor names, shapes and
 * order match the global model's), checks the file size, and returns the adapter.
 */
export async function openSafetensorsUpdate(
  file: string,
  opts: { cluster: string; examples: number; expect?: Manifest },
): Promise<SafetensorsUpdate> {
  const manifest = await readManifest(file);
  if (opts.expect) checkSameLayout(manifest, opts.expect);
  const spans: Span[] = [];
  let first = 0;
  for (const t of manifest.tensors) {
    const count = (t.end - t.begin) / DTYPE_BYTES[t.dtype];
    spans.push({ first, count, byteStart: manifest.dataStart + t.begin, dtype: t.dtype });
    first += count;
  }
  const elements = first;
  let scratch = new Uint8Array(0);
  const read = async (offset: number, out: Float32Array): Promise<void> => {
    if (!Number.isSafeInteger(offset) || offset < 0 || offset + out.length > elements)
      throw new RangeError(`elements [${offset}, ${offset + out.length}) outside the ${elements} of ${file}`);
    const fh = await open(file, 'r');
    try {
      for (const s of spans) {
        const lo = Math.max(offset, s.first);
        const hi = Math.min(offset + out.length, s.first + s.count);
        if (lo >= hi) continue;
        const width = DTYPE_BYTES[s.dtype];
        const bytes = (hi - lo) * width;
        if (scratch.length < bytes) scratch = new Uint8Array(bytes);
        const { bytesRead } = await fh.read(scratch, 0, bytes, s.byteStart + (lo - s.first) * width);
        if (bytesRead !== bytes) throw new SafetensorsError(`${file} ended inside its tensor data`);
        decodeInto(scratch, s.dtype, hi - lo, out.subarray(lo - offset, hi - offset));
      }
    } finally {
      await fh.close();
    }
  };
  return { cluster: opts.cluster, examples: opts.examples, file, manifest, elements, read };
}

/** The whole file as one flattened float32 array (for the global model: one model of memory). */
export async function readSafetensorsFlat(
  file: string,
): Promise<{ manifest: Manifest; values: Float32Array }> {
  const u = await openSafetensorsUpdate(file, { cluster: '', examples: 1 });
  const values = new Float32Array(elementTotal(u.manifest));
  await u.read(0, values);
  return { manifest: u.manifest, values };
}

async function readManifest(file: string): Promise<Manifest> {
  const fh = await open(file, 'r');
  let head: Uint8Array;
  try {
    const prefix = new Uint8Array(8);
    await fh.read(prefix, 0, 8, 0);
    const n = headerLength(prefix);
    head = new Uint8Array(8 + n);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    if (bytesRead !== head.length)
      throw new SafetensorsError(`${file}: header runs past the end of the file`);
  } finally {
    await fh.close();
  }
  const manifest = parseManifest(head);
  const { size } = await stat(file);
  if (size !== manifest.dataStart + manifest.dataBytes)
    throw new SafetensorsError(
      `${file} has ${size} bytes, its header says ${manifest.dataStart + manifest.dataBytes}`,
    );
  return manifest;
}

function checkSameLayout(got: Manifest, want: Manifest): void {
  if (got.tensors.length !== want.tensors.length)
    throw new SafetensorsError(`update has ${got.tensors.length} tensors, the model ${want.tensors.length}`);
  got.tensors.forEach((t, i) => {
    const w = want.tensors[i];
    if (!w || w.name !== t.name || w.shape.join(',') !== t.shape.join(','))
      throw new SafetensorsError(
        `update tensor ${i} is ${t.name} [${t.shape}], the model has ${w?.name} [${w?.shape}]`,
      );
  });
}

function decodeInto(bytes: Uint8Array, dtype: DType, n: number, out: Float32Array): void {
  if (dtype === 'F32') {
    out.set(new Float32Array(bytes.buffer, bytes.byteOffset, n));
    return;
  }
  const halves = new Uint16Array(bytes.buffer, bytes.byteOffset, n);
  const table = f16Lookup();
  for (let i = 0; i < n; i++) out[i] = table[halves[i] as number] as number;
}
