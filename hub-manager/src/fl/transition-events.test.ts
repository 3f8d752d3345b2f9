import { describe, expect, it } from '@jest/globals';
import type { FederatedLearningStatus } from '@ocm-fl/common/api/federated-learning.js';
import { clientEvents, conditionEvents } from './transition-events.js';
import { jobState } from './testing/fixtures.js';

const cond = (
  type: string,
  status: 'True' | 'False',
  reason: string,
): NonNullable<FederatedLearningStatus['conditions']>[number] => ({
  type,
  status,
  reason,
  message: 'm',
});

describe('conditionEvents', () => {
  it('reports a condition that flipped, not one that stayed, nor the phase mirrors', () => {
    const prev: FederatedLearningStatus = {
      conditions: [cond('Training', 'True', 'RoundInProgress'), cond('Evaluated', 'False', 'Evaluating')],
    };
    const next: FederatedLearningStatus = {
      conditions: [
        cond('Training', 'False', 'RoundsCompleted'),
        cond('Evaluated', 'False', 'EvaluationFailed'),
        cond('Succeeded', 'True', 'Completed'),
      ],
    };
    expect(conditionEvents(prev, next)).toEqual([
      { type: 'Normal', reason: 'TrainingFalse', message: 'RoundsCompleted: m' },
      { type: 'Warning', reason: 'EvaluatedFalse', message: 'EvaluationFailed: m' },
    ]);
    expect(conditionEvents(next, next)).toEqual([]);
  });
});

describe('clientEvents', () => {
  it('reports a replacement, a re-admission and a newly rejected update once', () => {
    const prev: FederatedLearningStatus = {
      clients: [
        { cluster: 'cluster1', state: 'Training' },
        { cluster: 'cluster2', state: 'Lost', lastError: 'addon not available' },
      ],
    };
    const next: FederatedLearningStatus = {
      clients: [
        { cluster: 'cluster1', state: 'Training', lastError: 'digest mismatch' },
        { cluster: 'cluster2', state: 'Selected' },
        { cluster: 'cluster3', state: 'Selected' },
      ],
    };
    const base = jobState('running', 1);
    const agg = {
      ...base,
      clients: {
        cluster1: { state: 'rejected' as const, round: 2, lastSeen: '', message: 'digest mismatch' },
      },
    };
    expect(clientEvents(prev, next, agg)).toEqual([
      { type: 'Warning', reason: 'UpdateRejected', message: 'cluster cluster1, round 2: digest mismatch' },
      { type: 'Normal', reason: 'ClientReadmitted', message: 'cluster cluster2 is back in the job' },
      { type: 'Normal', reason: 'ClientAdded', message: 'cluster cluster3 joined the running job' },
    ]);
    // Same rejection on the next pass: already reported.
    expect(clientEvents(next, next, agg)).toEqual([]);
    // The first selection is not a replacement.
    expect(
      clientEvents(undefined, { clients: [{ cluster: 'cluster1', state: 'Selected' }] }, undefined),
    ).toEqual([]);
  });
});
