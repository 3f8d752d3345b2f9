import { describe, it, expect } from '@jest/globals';
import { encodeSafetensors, f16ToF32, f32ToF16, parseManifest } from '../model/safetensors.js';
import { elementTotal, f16Lookup, firstNonFinite, TensorStream } from './tensor-stream.js';

// An F16 tensor of odd length first, so the F32 tensor after it starts 2 bytes off alignment.
const h = Float32Array.from({ length: 7 }, (_, i) => f16ToF32(f32ToF16(i * 0.25 - 1)));
const w = Float32Array.from({ length: 50 }, (_, i) => Math.fround(Math.sin(i)));
const file = encodeSafetensors([
  { name: 'h', dtype: 'F16', shape: [7], values: h },
  { name: 'w', dtype: 'F32', shape: [5, 10], values: w },
]);
const manifest = parseManifest(file);
const expected = [...h, ...w];

/** Push `bytes` in pieces of the given sizes, each copied to a buffer at byte offset `shift`. */
function pushIn(s: TensorStream, bytes: Uint8Array, sizes: number[], shift: number): void {
  let at = 0;
  for (let k = 0; at < bytes.length; k++) {
    const n = Math.min(sizes[k % sizes.length] as number, bytes.length - at);
    const backing = new Uint8Array(n + shift);
    backing.set(bytes.subarray(at, at + n), shift);
    s.push(backing.subarray(shift));
    at += n;
  }
}

describe('TensorStream', () => {
  it.each([
    ['whole file at once, aligned', [1 << 20], 0],
    ['odd pieces at odd offsets (floats straddle pushes)', [3, 7, 1, 13], 1],
    ['4-byte pieces at 2-byte offsets', [4], 2],
  ])('decodes every element in order: %s', (_n, sizes, shift) => {
    const got = new Float32Array(elementTotal(manifest));
    const s = new TensorStream(manifest, (index, values) => got.set(values, index));
    pushIn(s, file, sizes, shift);
    expect(s.done).toBe(true);
    expect([...got]).toEqual(expected);
  });

  it('raw mode hands F16 runs over as half bits that the lookup table decodes', () => {
    const got = new Float32Array(elementTotal(manifest));
    const table = f16Lookup();
    const s = TensorStream.raw(manifest, (index, values) => {
      if (values instanceof Float32Array) got.set(values, index);
      else values.forEach((bits, i) => (got[index + i] = table[bits] as number));
    });
    pushIn(s, file, [5, 9], 3);
    expect([...got]).toEqual(expected);
  });

  it('firstNonFinite finds NaN and infinities only', () => {
    expect(firstNonFinite(Float32Array.of(0, -1, 3.4e38))).toBe(-1);
    expect(firstNonFinite(Float32Array.of(0, NaN))).toBe(1);
    expect(firstNonFinite(Float32Array.of(-Infinity))).toBe(0);
  });

  it('firstNonFinite finds the first bad value anywhere in long arrays (blocks, remainders)', () => {
    const n = 3 * 4096 + 7; // three full blocks and a remainder shorter than the unrolled step
    const v = new Float32Array(n).map((_, i) => (i % 2 ? 3.4e38 : -1e-30));
    expect(firstNonFinite(v)).toBe(-1);
    for (const at of [0, 4095, 4096, 2 * 4096 + 1, n - 3, n - 1]) {
      const w = v.slice();
      w[at] = at % 3 === 0 ? NaN : at % 3 === 1 ? Infinity : -Infinity;
      w[n - 1] = NaN; // a later bad value does not hide the first one
      expect(firstNonFinite(w)).toBe(at);
    }
  });
});
