import { describe, expect, it } from '@jest/globals';
import { weightedMetrics } from './round-policy.js';

describe('weightedMetrics', () => {
  it('weights model metrics by examples, takes the slowest timing, and leaves example counts out', () => {
    const m = weightedMetrics([
      { examples: 100, metrics: { accuracy: 0.9, loss: 0.2, examples: 100, trainSeconds: 3 } },
      { examples: 300, metrics: { accuracy: 0.5, loss: 0.6, examples: 300, trainSeconds: 7.5 } },
    ]);
    expect(Object.keys(m).sort()).toEqual(['accuracy', 'loss', 'trainSeconds']);
    expect(m.accuracy).toBeCloseTo(0.6, 10);
    expect(m.loss).toBeCloseTo(0.5, 10);
    expect(m.trainSeconds).toBe(7.5);
  });

  it('averages a metric over only the clients that sent it', () => {
    expect(
      weightedMetrics([
        { examples: 10, metrics: { f1: 0.4 } },
        { examples: 30, metrics: {} },
      ]),
    ).toEqual({ f1: 0.4 });
  });
});
