/**
 * Weighted FedAvg into one float32 accumulator, as a running weighted mean:
 *   mean ← mean + (x − mean) · n_i / (Σ n so far)
 * which keeps values in range whatever the example counts and makes a single update exact.
 * Updates are folded one at a time from their verified spill files (see upload-session.ts),
 * so memory is one accumulator whatever the number of clients.
 */
import { createHash } from 'node:crypto';
import { open, rm } from 'node:fs/promises';
import { DTYPE_BYTES, f32ToF16, type Manifest } from '@ocm-fl/common/model/safetensors.js';
import { commitFile, tempPathFor } from '@ocm-fl/common/dataplane/file-io.js';
import { elementTotal, f16Lookup, TensorStream } from '@ocm-fl/common/dataplane/tensor-stream.js';

export class RoundAccumulator {
  readonly mean: Float32Array;
  private examples = 0;
  private updates = 0;

  constructor(private readonly manifest: Manifest) {
    this.mean = new Float32Array(elementTotal(manifest));
  }

  /** Start a new round with the same manifest, reusing the buffer. */
  reset(): void {
    this.mean.fill(0);
    this.examples = 0;
    this.updates = 0;
  }

  get totalExamples(): number {
    return this.examples;
  }
  get count(): number {
    return this.updates;
  }

  /** Fold a verified update file (same tensors as the global model) with weight `examples`. */
  async foldFile(file: string, updateManifest: Manifest, examples: number): Promise<void> {
    const w = examples / (this.examples + examples);
    const mean = this.mean;
    const table = f16Lookup();
    const walker = TensorStream.raw(updateManifest, (index, values) =>
      values instanceof Float32Array
        ? foldRun(mean, index, values, w)
        : foldRunF16(mean, index, values, table, w),
    );
    for await (const chunk of readChunks(file, FOLD_READ_BYTES)) walker.push(chunk);
    if (!walker.done) throw new Error(`update ${file} ended before its tensor data did`);
    this.examples += examples;
    this.updates++;
  }

  /**
   * Write the averaged model with the global model's header (same manifest) to `dest`
   * atomically; returns its digest and size.
   */
  async writeModel(headerBytes: Uint8Array, dest: string): Promise<{ sha256: string; size: number }> {
    return writeModelFile(this.manifest, headerBytes, this.mean, dest);
  }
}

/**
 * Write flattened float32 `values` as a model with the global model's header (same manifest,
 * each tensor encoded to its dtype) to `dest` atomically; returns its digest and size.
 */
export async function writeModelFile(
  manifest: Manifest,
  headerBytes: Uint8Array,
  values: Float32Array,
  dest: string,
): Promise<{ sha256: string; size: number }> {
  const tmp = tempPathFor(dest);
  const fh = await open(tmp, 'w');
  const hash = createHash('sha256');
  let pos = 0;
  const put = async (b: Uint8Array): Promise<void> => {
    hash.update(b);
    await fh.write(b, 0, b.length, pos);
    pos += b.length;
  };
  try {
    await put(headerBytes);
    let index = 0;
    for (const t of manifest.tensors) {
      const n = (t.end - t.begin) / DTYPE_BYTES[t.dtype];
      for (let done = 0; done < n;) {
        const k = Math.min(n - done, 1 << 18);
        await put(encodeRun(values.subarray(index + done, index + done + k), t.dtype));
        done += k;
      }
      index += n;
    }
  } catch (e) {
    await fh.close();
    await rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  await commitFile(tmp, dest);
  return { sha256: hash.digest('hex'), size: pos };
}

const FOLD_READ_BYTES = 4 << 20;

/** mean[index..] += (values − mean) · w, as one tight typed-array loop (w = 1: a plain copy). */
export function foldRun(mean: Float32Array, index: number, values: Float32Array, w: number): void {
  if (w === 1) {
    mean.set(values, index);
    return;
  }
  const n = values.length;
  const m = mean.subarray(index, index + n);
  for (let i = 0; i < n; i++) {
    const x = m[i] as number;
    m[i] = x + ((values[i] as number) - x) * w;
  }
}

/** foldRun for float16 bits, decoded through the lookup table in the same loop. */
export function foldRunF16(
  mean: Float32Array,
  index: number,
  halves: Uint16Array,
  table: Float32Array,
  w: number,
): void {
  const n = halves.length;
  const m = mean.subarray(index, index + n);
  if (w === 1) {
    for (let i = 0; i < n; i++) m[i] = table[halves[i] as number] as number;
    return;
  }
  for (let i = 0; i < n; i++) {
    const x = m[i] as number;
    m[i] = x + ((table[halves[i] as number] as number) - x) * w;
  }
}

/**
 * The file in `size`-byte reads into two reused buffers (each chunk is valid until the next one
 * is requested), reading the next while the caller works on the current. Buffers come from
 * their own ArrayBuffer at offset 0, so float views over them are aligned.
 */
export async function* readChunks(file: string, size: number): AsyncGenerator<Uint8Array> {
  const fh = await open(file, 'r');
  const bufs = [new Uint8Array(size), new Uint8Array(size)];
  let pos = 0;
  let k = 0;
  let pending = fh.read(bufs[0] as Uint8Array, 0, size, pos);
  try {
    for (;;) {
      const { bytesRead } = await pending;
      if (bytesRead === 0) return;
      const cur = bufs[k] as Uint8Array;
      pos += bytesRead;
      k ^= 1;
      pending = fh.read(bufs[k] as Uint8Array, 0, size, pos);
      yield cur.subarray(0, bytesRead);
    }
  } finally {
    await pending.catch(() => undefined); // never close under a read in flight
    await fh.close();
  }
}

function encodeRun(values: Float32Array, dtype: 'F32' | 'F16'): Uint8Array {
  if (dtype === 'F32') return new Uint8Array(values.slice().buffer);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = f32ToF16(values[i] as number);
  return new Uint8Array(out.buffer);
}
