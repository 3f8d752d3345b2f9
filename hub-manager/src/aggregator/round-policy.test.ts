import { describe, expect, it } from '@jest/globals';
import { closeDecision, type RoundTally } from './round-policy.js';

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
