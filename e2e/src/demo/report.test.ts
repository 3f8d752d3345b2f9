import { describe, expect, it } from '@jest/globals';
import type { FederatedLearning } from '@ocm-fl/common/api/federated-learning.js';
import { formatProgress, formatSummary, summarize } from './report.js';

const fl = (status: FederatedLearning['status']): FederatedLearning => ({
  apiVersion: 'federation-ai.open-cluster-management.io/v1alpha1',
  kind: 'FederatedLearning',
  metadata: { name: 'x', namespace: 'default' },
  status,
});

describe('demo report', () => {
  it('summarises rounds and per-digit accuracy from the status', () => {
    const d = summarize(
      fl({
        phase: 'Completed',
        rounds: [
          {
            round: 1,
            participants: ['a', 'b'],
            examples: 900,
            metrics: { loss: 1.2, accuracy: 0.6 },
            durationSeconds: 4.123,
          },
          { round: 2, participants: ['a', 'b'], examples: 900, metrics: { loss: 0.5 }, durationSeconds: 3.5 },
        ],
        evaluation: { accuracy: 0.93, perClassAccuracy: { '0': 0.99, '7': 0.85 } },
        model: { location: 'pvc://default/model-pvc/x/final.safetensors', digest: 'abc' },
      }),
      ['a', 'b'],
      61.234,
    );
    expect(d.rounds).toBe(2);
    expect(d.roundSeconds).toEqual([4.12, 3.5]);
    expect(d.accuracy).toBe(0.93);
    expect(d.perClassAccuracy[0]).toBe(0.99);
    expect(d.perClassAccuracy[7]).toBe(0.85);
    expect(d.perClassAccuracy[3]).toBeNull();
    expect(d.totalSeconds).toBe(61.2);
    const text = formatSummary(d);
    expect(text).toContain('held-out accuracy: 0.930');
    expect(text).toContain('7:0.85');
  });

  it('shows the waiting reason in the progress line', () => {
    expect(formatProgress(fl({ phase: 'Waiting', message: '1 of 2 clusters available' }))).toContain(
      '1 of 2 clusters available',
    );
  });
});
