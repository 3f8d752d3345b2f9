/**
 * BENCH BASELINE ONLY: the fold as it was before the typed-array rework (commit 4b12720), kept
 * verbatim apart from names so aggregation.bench.ts can measure before and after in one run:
 * every chunk copied into a scratch buffer, read through createReadStream, folded by a closure.
 */
import { createReadStream } from 'node:fs';
import { DTYPE_BYTES, f16ToF32, type Manifest, type TensorInfo } from '@ocm-fl/common/model/safetensors.js';

type ElementVisitor = (index: number, values: Float32Array, tensor: TensorInfo) => void;

let f16Table: Float32Array | undefined;
function f16Lookup(): Float32Array {
  if (!f16Table) {
    f16Table = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) f16Table[h] = f16ToF32(h);
  }
  return f16Table;
}

class LegacyTensorStream {
  private pos = 0;
  private tensorIdx = 0;
  private readonly firstElement: number[] = [];
  private readonly carry = new Uint8Array(4);
  private carryLen = 0;
  private scratchBytes = new Uint8Array(0);

  constructor(
    private readonly manifest: Manifest,
    private readonly visit: ElementVisitor,
  ) {
    let n = 0;
    for (const t of manifest.tensors) {
      this.firstElement.push(n);
      n += (t.end - t.begin) / DTYPE_BYTES[t.dtype];
    }
  }

  /** Bytes consumed so far (file offset of the next byte expected). */
  get offset(): number {
    return this.pos;
  }

  /** Feed the next bytes of the file (header bytes are skipped). */
  push(bytes: Uint8Array): void {
    let b = bytes;
    const { dataStart } = this.manifest;
    if (this.pos < dataStart) {
      const skip = Math.min(dataStart - this.pos, b.length);
      this.pos += skip;
      b = b.subarray(skip);
    }
    while (b.length > 0) {
      const t = this.manifest.tensors[this.tensorIdx];
      if (!t) throw new RangeError(`${b.length} bytes past the end of the tensor data`);
      const tensorEnd = dataStart + t.end;
      const take = Math.min(tensorEnd - this.pos, b.length);
      this.consume(t, b.subarray(0, take));
      this.pos += take;
      b = b.subarray(take);
      if (this.pos === tensorEnd) this.tensorIdx++;
    }
  }

  /** True when every tensor byte has been seen. */
  get done(): boolean {
    return this.pos === this.manifest.dataStart + this.manifest.dataBytes;
  }

  private consume(t: TensorInfo, part: Uint8Array): void {
    const width = DTYPE_BYTES[t.dtype];
    // Byte index within the tensor where `part` starts, minus any carried partial element.
    const startInTensor = this.pos - this.manifest.dataStart - t.begin - this.carryLen;
    const total = this.carryLen + part.length;
    const whole = total - (total % width);
    if (whole > 0) {
      if (this.scratchBytes.length < whole + 4)
        this.scratchBytes = new Uint8Array(Math.max(whole + 4, 1 << 20));
      // Copy into an aligned scratch buffer so a typed-array view is always legal.
      this.scratchBytes.set(this.carry.subarray(0, this.carryLen), 0);
      this.scratchBytes.set(part.subarray(0, whole - this.carryLen), this.carryLen);
      const index = (this.firstElement[this.tensorIdx] as number) + startInTensor / width;
      this.visit(index, this.decode(t, whole), t);
    }
    const rest = part.subarray(Math.max(0, whole - this.carryLen));
    if (whole === 0) {
      this.carry.set(part, this.carryLen);
      this.carryLen += part.length;
    } else {
      this.carry.set(rest, 0);
      this.carryLen = rest.length;
    }
  }

  private decode(t: TensorInfo, bytes: number): Float32Array {
    const buf = this.scratchBytes.buffer;
    if (t.dtype === 'F32') return new Float32Array(buf, 0, bytes / 4);
    const halves = new Uint16Array(buf, 0, bytes / 2);
    const out = this.f16Out(halves.length);
    const table = f16Lookup();
    for (let i = 0; i < halves.length; i++) out[i] = table[halves[i] as number] as number;
    return out;
  }

  private f16Scratch = new Float32Array(0);
  private f16Out(n: number): Float32Array {
    if (this.f16Scratch.length < n) this.f16Scratch = new Float32Array(Math.max(n, 1 << 18));
    return this.f16Scratch.subarray(0, n);
  }
}

/** The previous RoundAccumulator.foldFile, on a caller-owned mean. */
export async function legacyFoldFile(
  mean: Float32Array,
  file: string,
  manifest: Manifest,
  w: number,
): Promise<void> {
  const walker = new LegacyTensorStream(manifest, (index, values) => {
    for (let i = 0; i < values.length; i++) {
      const m = mean[index + i] as number;
      mean[index + i] = m + ((values[i] as number) - m) * w;
    }
  });
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) walker.push(chunk as Buffer);
  if (!walker.done) throw new Error(`update ${file} ended before its tensor data did`);
}
