import { describe, expect, it } from '@jest/globals';
import { parseManifest } from '@ocm-fl/common/model/safetensors.js';
import { trainingSet } from './dataset.js';
import { evaluate } from './evaluate.js';
import { initialModel } from './init-model.js';
import { mlpFromSafetensors, mlpToSafetensors, train } from './mlp.js';

describe('MNIST MLP', () => {
  it('writes a deterministic initial model in the documented layout', () => {
    const a = initialModel({ seed: 7 });
    expect(initialModel({ seed: 7 }).equals(a)).toBe(true);
    expect(initialModel({ seed: 8 }).equals(a)).toBe(false);
    const m = parseManifest(a);
    expect(m.tensors.map((t) => [t.name, t.dtype, t.shape.join('x')])).toEqual([
      ['fc1.bias', 'F32', '64'],
      ['fc1.weight', 'F32', '64x784'],
      ['fc2.bias', 'F32', '10'],
      ['fc2.weight', 'F32', '10x64'],
    ]);
    expect(parseManifest(initialModel({ dtype: 'F16', hidden: 32 })).tensors[1]).toMatchObject({
      dtype: 'F16',
      shape: [32, 784],
    });
  });

  it('learns: held-out accuracy goes from chance to well above it after two local epochs', () => {
    const init = initialModel({ seed: 1 });
    const before = evaluate(init);
    expect(before.accuracy).toBeLessThan(0.3);
    expect(before.perClassAccuracy).toHaveLength(10);
    const m = mlpFromSafetensors(init);
    const r = train(m, trainingSet('mnist:digits=0-9;major=0.25', 1500), {
      epochs: 2,
      lr: 0.3,
      batchSize: 32,
      seed: 1,
    });
    expect(r.loss).toBeLessThan(0.6); // measured 0.39
    expect(r.accuracy).toBeGreaterThan(0.8); // measured 0.88 (training set, last epoch)
    const after = evaluate(mlpToSafetensors(m));
    expect(after.accuracy).toBeGreaterThan(0.82); // measured 0.869
    expect(after.examples).toBeGreaterThan(1900);
    const mean = after.perClassAccuracy.reduce((a, b) => a + b, 0) / 10;
    expect(Math.abs(mean - after.accuracy)).toBeLessThan(0.05);
  });
});
