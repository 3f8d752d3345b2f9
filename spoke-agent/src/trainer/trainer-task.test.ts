import { describe, expect, it } from '@jest/globals';
import type { FederatedLearningTask } from '@ocm-fl/common/api/task.js';
import type { Task } from '@ocm-fl/common/dataplane/client.js';
import { toRoundTask } from '../round/runner.js';
import { trainerTask } from './trainer-driver.js';

const task: FederatedLearningTask = {
  apiVersion: 'federation-ai.open-cluster-management.io/v1alpha1',
  kind: 'FederatedLearningTask',
  metadata: { name: 'mnist', namespace: 'open-cluster-management-agent-addon' },
  spec: {
    job: { namespace: 'default', name: 'mnist' },
    cluster: 'cluster1',
    aggregator: { endpoint: 'hub.example.com:9443' },
    trainer: { image: 'quay.io/example/mnist-trainer:v1' },
    data: { location: '/data/private/cluster1' },
    parameters: { epochs: 2 },
    rounds: 3,
  },
};

function grpcTask(over: Partial<Task> = {}): Task {
  return {
    round: 2,
    rounds: 3,
    config: { lr: '0.1' },
    deadlineUnixMs: '0',
    finished: false,
    failed: false,
    model: null,
    submitted: false,
    phase: 'running',
    message: '',
    strategyConfig: {},
    ...over,
  } as Task;
}

describe('strategy config from the aggregator to the trainer', () => {
  it('GetTask strategy_config → RoundTask.strategyConfig → the trainer task document', () => {
    const roundTask = toRoundTask(grpcTask({ strategyConfig: { proximalMu: '0.01' } }));
    expect(roundTask.strategyConfig).toEqual({ proximalMu: '0.01' });
    const doc = trainerTask({ task, round: 2, roundTask, modelPath: '/m', roundDir: '/r' }, '/data');
    expect(doc).toMatchObject({
      round: 2,
      parameters: { lr: '0.1', epochs: 2 },
      strategy: { proximalMu: '0.01' },
    });
  });

  it('an aggregator that predates the field (no strategy_config) gives an empty strategy', () => {
    const old = grpcTask();
    delete (old as Partial<Task>).strategyConfig;
    const roundTask = toRoundTask(old);
    expect(roundTask.strategyConfig).toEqual({});
    expect(
      trainerTask({ task, round: 2, roundTask, modelPath: '/m', roundDir: '/r' }, '/data').strategy,
    ).toEqual({});
  });
});
