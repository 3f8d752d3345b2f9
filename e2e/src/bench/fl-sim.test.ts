import { describe, expect, it } from '@jest/globals';
import { simulate } from './fl-sim.js';

const base = {
  locations: ['/data/private/cluster1', '/data/private/cluster2', '/data/private/cluster3'],
  rounds: 1,
  training: { epochs: 1, lr: 0.2, batchSize: 32 },
  maxExamples: 150,
};

describe('in-process federation for the strategy benches', () => {
  it('a NaN hidden in a valid update file is refused by screen, naming the element', async () => {
    const r = await simulate({ ...base, strategy: { name: 'FedAvg' }, attack: 'hiddenNaN' });
    // fc1.bias has 64 elements before fc1.weight; the NaN is fc1.weight element 12345.
    expect(r.refused).toEqual([['cluster3: element 12409 is not finite (NaN or Inf)']]);
    expect(r.accuracy).toBeGreaterThan(0.2);
  });

  it('scale ×100 wrecks plain FedAvg; the norm bound refuses it', async () => {
    const plain = await simulate({ ...base, strategy: { name: 'FedAvg' }, attack: 'scale100' });
    const bounded = await simulate({
      ...base,
      strategy: { name: 'FedAvg', parameters: { normBound: 4 } },
      attack: 'scale100',
    });
    expect(bounded.refused[0]).toEqual([
      expect.stringMatching(/^cluster3: delta L2 norm .* exceeds normBound 4\.000$/),
    ]);
    expect(bounded.accuracy).toBeGreaterThan(plain.accuracy + 0.1);
  });
});
