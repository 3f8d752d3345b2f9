import { describe, expect, it } from '@jest/globals';
import { closeDecision, weightedMetrics, type RoundTally } from './round-policy.js';

const tally = (o: {
  admitted: string[];
  submitted?: string[];
  failed?: string[];
  min: number;
  deadline?: boolean;
}): RoundTally => ({
  admitted: new Set(o.admitted),
  submitted: new Set(o.submitted ?? []),
  failed: new Set(o.failed ?? []),
  minClients: o.min,
  deadlinePassed: o.deadline ?? false,
});

describe('closeDecision', () => {
  it('waits while an admitted cluster has not reported, before the deadline', () => {
    expect(closeDecision(tally({ admitted: ['a', 'b'], submitted: ['a'], min: 1 }))).toBe('wait');
  });

  it('aggregates once every admitted cluster reported and enough updates are in', () => {
    expect(closeDecision(tally({ admitted: ['a', 'b'], submitted: ['a'], failed: ['b'], min: 1 }))).toBe(
      'aggregate',
    );
  });

  it('closes too-few at once when enough clusters are admitted but their updates failed', () => {
    expect(closeDecision(tally({ admitted: ['a', 'b'], submitted: ['a'], failed: ['b'], min: 2 }))).toBe(
      'too-few',
    );
  });

  it('waits for a replacement when fewer clusters are admitted than a round needs (client lost)', () => {
    // cluster c was lost after a and b submitted: a replacement may still be admitted.
    expect(closeDecision(tally({ admitted: ['a', 'b'], submitted: ['a', 'b'], min: 3 }))).toBe('wait');
    // ...until the deadline.
    expect(
      closeDecision(tally({ admitted: ['a', 'b'], submitted: ['a', 'b'], min: 3, deadline: true })),
    ).toBe('too-few');
  });

  it('counts an update received from a cluster since dropped from the admitted set', () => {
    expect(closeDecision(tally({ admitted: ['a', 'b'], submitted: ['a', 'b', 'c'], min: 3 }))).toBe(
      'aggregate',
    );
  });

  it('only the deadline closes a round with nobody admitted', () => {
    expect(closeDecision(tally({ admitted: [], min: 1 }))).toBe('wait');
    expect(closeDecision(tally({ admitted: [], min: 1, deadline: true }))).toBe('too-few');
  });
});

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
