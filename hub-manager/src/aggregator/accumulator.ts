/**
 * Weighted FedAvg into one float32 accumulator, as a running weighted mean:
 *   mean ← mean + (x − mean) · n_i / (Σ n so far)
 * which keeps values in range whatever the example counts and makes a single update exact.
 * Updates are folded one at a time from their verified spill files (see upload-session.ts),
 * so memory is one accumulator whatever the number of clients.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { DTYPE_BYTES, f32ToF16, type Manifest } from '@ocm-fl/common/model/safetensors.js';
import { commitFile, tempPathFor } from '@ocm-fl/common/dataplane/file-io.js';
import { elementTotal, TensorStream } from '@ocm-fl/common/dataplane/tensor-stream.js';

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
    const walker = new TensorStream(updateManifest, (index, values) => {
      for (let i = 0; i < values.length; i++) {
        const m = mean[index + i] as number;
        mean[index + i] = m + ((values[i] as number) - m) * w;
      }
    });
    for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }))
      walker.push(chunk as Buffer);
    if (!walker.done) throw new Error(`update ${file} ended before its tensor data did`);
    this.examples += examples;
    this.updates++;
  }

  /**
   * Write the averaged model with the global model's header (same manifest) to `dest`
   * atomically; returns its digest and size.
   */
  async writeModel(headerBytes: Uint8Array, dest: string): Promise<{ sha256: string; size: number }> {
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
      for (const t of this.manifest.tensors) {
        const n = (t.end - t.begin) / DTYPE_BYTES[t.dtype];
        for (let done = 0; done < n;) {
          const k = Math.min(n - done, 1 << 18);
          await put(encodeRun(this.mean.subarray(index + done, index + done + k), t.dtype));
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
}

function encodeRun(values: Float32Array, dtype: 'F32' | 'F16'): Uint8Array {
  if (dtype === 'F32') return new Uint8Array(values.slice().buffer);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = f32ToF16(values[i] as number);
  return new Uint8Array(out.buffer);
}
