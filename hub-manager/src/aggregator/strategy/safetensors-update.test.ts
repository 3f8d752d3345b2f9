import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  decodeSafetensors,
  encodeSafetensors,
  f16ToF32,
  f32ToF16,
  parseManifest,
} from '@ocm-fl/common/model/safetensors.js';
import { createStrategy } from './index.js';
import { openSafetensorsUpdate, readSafetensorsFlat } from './safetensors-update.js';
import { runRound } from './test-updates.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'st-update-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const values = (n: number, k: number) => Float32Array.from({ length: n }, (_, i) => (i - n / 2) * 0.37 + k);

async function writeModel(name: string, k: number, dtype: 'F32' | 'F16' = 'F32'): Promise<string> {
  const file = join(dir, name);
  await writeFile(
    file,
    encodeSafetensors([
      { name: 'a.bias', dtype, shape: [3], values: values(3, k) },
      { name: 'a.weight', dtype, shape: [2, 5], values: values(10, k + 1) },
      { name: 'b.weight', dtype: 'F32', shape: [4], values: values(4, k + 2) },
    ]),
  );
  return file;
}

describe('safetensors ClientUpdate', () => {
  it.each(['F32', 'F16'] as const)(
    '%s: any element range, across tensor boundaries, decodes as written',
    async (dtype) => {
      const file = await writeModel(`m-${dtype}.safetensors`, 1, dtype);
      const u = await openSafetensorsUpdate(file, { cluster: 'c', examples: 3 });
      expect(u.elements).toBe(17);
      const round = (x: number) => (dtype === 'F16' ? f16ToF32(f32ToF16(x)) : Math.fround(x));
      const want = [...values(3, 1), ...values(10, 2)].map(round).concat([...values(4, 3)].map(Math.fround));
      for (const [off, len] of [
        [0, 17],
        [2, 3],
        [12, 5],
        [5, 1],
      ] as const) {
        const out = new Float32Array(len);
        await u.read(off, out);
        expect([...out]).toEqual(want.slice(off, off + len));
      }
      await expect(u.read(15, new Float32Array(3))).rejects.toThrow('outside the 17');
      expect([...(await readSafetensorsFlat(file)).values]).toEqual(want);
    },
  );

  it('refuses truncated files and a layout unlike the model', async () => {
    const file = await writeModel('good.safetensors', 0);
    const bytes = await readFile(file);
    const cut = join(dir, 'cut.safetensors');
    await writeFile(cut, bytes.subarray(0, bytes.length - 1));
    await expect(openSafetensorsUpdate(cut, { cluster: 'c', examples: 1 })).rejects.toThrow(
      'its header says',
    );
    const header = join(dir, 'header.safetensors');
    await writeFile(header, bytes.subarray(0, 20));
    await expect(openSafetensorsUpdate(header, { cluster: 'c', examples: 1 })).rejects.toThrow(
      'header runs past the end',
    );
    const other = join(dir, 'other.safetensors');
    await writeFile(
      other,
      encodeSafetensors([{ name: 'x', dtype: 'F32', shape: [17], values: values(17, 0) }]),
    );
    await expect(
      openSafetensorsUpdate(other, { cluster: 'c', examples: 1, expect: parseManifest(bytes) }),
    ).rejects.toThrow('update has 1 tensors, the model 3');
  });

  it('drives a strategy from files: FedAvg of F16 and F32 updates equals the float64 weighted mean', async () => {
    const global = await readSafetensorsFlat(await writeModel('g.safetensors', 0));
    const a = await openSafetensorsUpdate(await writeModel('a.safetensors', 1, 'F16'), {
      cluster: 'a',
      examples: 1,
      expect: global.manifest,
    });
    const b = await openSafetensorsUpdate(await writeModel('b.safetensors', 2), {
      cluster: 'b',
      examples: 3,
      expect: global.manifest,
    });
    const ctx = { round: 1, global: global.values, blockElements: 4 };
    const r = await runRound(createStrategy({ name: 'FedAvg' }, 17), ctx, [a, b]);
    // Decoded independently, by the whole-file decoder.
    const flat = async (f: string) =>
      decodeSafetensors(await readFile(f)).tensors.flatMap((t) => [...t.values]);
    const va = await flat(a.file);
    const vb = await flat(b.file);
    r.model.forEach((v, i) => expect(v).toBeCloseTo(((va[i] as number) + 3 * (vb[i] as number)) / 4, 5));
  });
});
