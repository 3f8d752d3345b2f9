import { describe, expect, it } from '@jest/globals';
import { encodeSafetensors, parseManifest, type Tensor } from '@ocm-fl/common/model/safetensors.js';
import { FiniteCheck, manifestMismatch } from './manifest-match.js';

const t = (name: string, dtype: 'F32' | 'F16', shape: number[], fill = 0.5): Tensor => ({
  name,
  dtype,
  shape,
  values: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(fill),
});
const manifest = (ts: Tensor[]) => parseManifest(encodeSafetensors(ts));

describe('manifestMismatch', () => {
  const base = [t('b', 'F32', [3]), t('w', 'F16', [2, 3])];
  it.each([
    ['identical layout, other metadata', [t('b', 'F32', [3]), t('w', 'F16', [2, 3])], undefined],
    ['other dtype', [t('b', 'F32', [3]), t('w', 'F32', [2, 3])], /w: dtype F32, the global model has F16/],
    ['other shape', [t('b', 'F32', [3]), t('w', 'F16', [3, 2])], /w: shape \[3,2\]/],
    ['other order', [t('w', 'F16', [2, 3]), t('b', 'F32', [3])], /data_offsets .* global model's order/],
    ['extra tensor', [...base, t('x', 'F32', [1])], /unexpected tensor x/],
    ['missing tensor', [t('b', 'F32', [3])], /missing tensor w/],
  ])('%s', (_name, got, want) => {
    const why = manifestMismatch(manifest(base), manifest(got as Tensor[]));
    if (want === undefined) expect(why).toBeUndefined();
    else expect(why).toMatch(want as RegExp);
  });
});

describe('FiniteCheck', () => {
  const tensors = [t('h', 'F16', [5]), t('f', 'F32', [7])];
  const file = encodeSafetensors(tensors);
  const m = parseManifest(file);
  const data = file.subarray(m.dataStart);

  function scan(bytes: Buffer, split: number[]): string | undefined {
    const check = new FiniteCheck(m.tensors);
    let from = 0;
    for (const at of [...split, bytes.length]) {
      const why = check.feed(bytes.subarray(from, at));
      if (why) return why;
      from = at;
    }
    return undefined;
  }

  it('accepts finite values however the stream is split', () => {
    for (let a = 0; a <= data.length; a++) expect(scan(data, [a])).toBeUndefined();
  });

  it('finds NaN and Inf split across chunks, in F16 and F32 tensors', () => {
    const badF32 = Buffer.from(data);
    badF32.writeFloatLE(Infinity, 10 + 4 * 6);
    const badF16 = Buffer.from(data);
    badF16.writeUInt16LE(0x7e00, 2 * 3); // F16 NaN
    for (let a = 0; a <= data.length; a++) {
      expect(scan(badF32, [a])).toMatch(/tensor f: non-finite value .* element 6/);
      expect(scan(badF16, [a, Math.min(a + 3, data.length)])).toMatch(
        /tensor h: non-finite value .* element 3/,
      );
    }
  });
});
