import { describe, expect, it } from '@jest/globals';
import { parseManifest } from '@ocm-fl/common/model/safetensors.js';
import { trainingSet } from './dataset.js';
import { evaluate } from './evaluate.js';
import { initialModel } from './init-model.js';
import { mlpFromSafetensors, mlpToSafetensors, sgdStep, train, type Mlp } from './mlp.js';

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

  it('FedProx step: w − step·g − lr·μ·(w − w0), by hand', () => {
    const w = Float32Array.from([1, 2]);
    sgdStep(w, Float32Array.from([4, -2]), 0.5, { w0: Float32Array.from([0, 0]), lrMu: 0.1 });
    expect([...w]).toEqual([Math.fround(-1.1), Math.fround(2.8)]);
    const plain = Float32Array.from([1, 2]);
    sgdStep(plain, Float32Array.from([4, -2]), 0.5);
    expect([...plain]).toEqual([-1, 3]);
  });

  it('FedProx: μ = 0 is plain SGD bit for bit; μ > 0 keeps the weights nearer the start', () => {
    const data = trainingSet('mnist:digits=0-9;major=0.25', 600);
    const opts = { epochs: 1, lr: 0.1, batchSize: 32, seed: 3 };
    const start = () => mlpFromSafetensors(initialModel({ seed: 4 }));
    const drift = (m: Mlp, m0: Mlp) =>
      Math.sqrt(
        (['w1', 'b1', 'w2', 'b2'] as const).reduce(
          (s, k) => s + m[k].reduce((a, v, i) => a + (v - (m0[k][i] as number)) ** 2, 0),
          0,
        ),
      );
    const plain = start();
    train(plain, data, opts);
    const zero = start();
    train(zero, data, { ...opts, proximalMu: 0 });
    expect(mlpToSafetensors(zero).equals(mlpToSafetensors(plain))).toBe(true);
    const prox = start();
    train(prox, data, { ...opts, proximalMu: 1 });
    expect(drift(prox, start())).toBeLessThan(0.8 * drift(plain, start()));
  });
});
