import { describe, expect, it } from '@jest/globals';
import {
  decodeSafetensors,
  encodeSafetensors,
  f16ToF32,
  f32ToF16,
  parseManifest,
  SafetensorsError,
} from './safetensors.js';

describe('safetensors', () => {
  it('round-trips F32 and F16 tensors with metadata', () => {
    const w = Float32Array.from({ length: 12 }, (_, i) => i / 3 - 2);
    const b = Float32Array.from([0.5, -1.25, 1024]);
    const buf = encodeSafetensors(
      [
        { name: 'w', dtype: 'F32', shape: [3, 4], values: w },
        { name: 'b', dtype: 'F16', shape: [3], values: b },
      ],
      { round: '2' },
    );
    const m = parseManifest(buf);
    expect(m.dataStart % 8).toBe(0);
    expect(m.dataBytes).toBe(12 * 4 + 3 * 2);
    const out = decodeSafetensors(buf);
    expect(out.metadata).toEqual({ round: '2' });
    expect(Array.from(out.tensors.find((t) => t.name === 'w')!.values)).toEqual(Array.from(w));
    expect(Array.from(out.tensors.find((t) => t.name === 'b')!.values)).toEqual([0.5, -1.25, 1024]);
  });

  it('converts half precision both ways', () => {
    for (const v of [0, 1, -2, 65504, 6.103515625e-5, 5.960464477539063e-8])
      expect(f16ToF32(f32ToF16(v))).toBe(v);
    expect(f16ToF32(f32ToF16(1e6))).toBe(Infinity);
    expect(Number.isNaN(f16ToF32(f32ToF16(NaN)))).toBe(true);
  });

  it('rejects malformed headers with a clear error', () => {
    const header = (obj: unknown): Buffer => {
      const j = Buffer.from(JSON.stringify(obj));
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(j.length));
      return Buffer.concat([len, j]);
    };
    expect(() => parseManifest(header({ w: { dtype: 'I8', shape: [1], data_offsets: [0, 1] } }))).toThrow(
      /dtype I8/,
    );
    expect(() => parseManifest(header({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }))).toThrow(
      /want 8/,
    );
    expect(() => parseManifest(header({ w: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }))).toThrow(
      /expected 0/,
    );
    expect(() => parseManifest(Buffer.from([1, 2, 3]))).toThrow(SafetensorsError);
    const huge = Buffer.alloc(8);
    huge.writeBigUInt64LE(1n << 40n);
    expect(() => parseManifest(huge)).toThrow(/exceeds/);
  });
});
