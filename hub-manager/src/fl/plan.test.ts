import { describe, expect, it } from '@jest/globals';
import { findCondition } from '@ocm-fl/common/api/meta.js';
import type { FederatedLearning } from '@ocm-fl/common/api/federated-learning.js';
import { planJob, planSpecProblem, type Plan } from './plan.js';
import { isSpecProblem, resolveSpec, type ResolvedJob } from './spec.js';
import { jobState, newAddon, newFl, observed, workWithFeedback } from './testing/fixtures.js';

const now = new Date('2025-01-01T00:00:00Z');
const opts = { pollMs: 1000, now };

function resolved(fl: FederatedLearning): ResolvedJob {
  const r = resolveSpec(fl, { hubManagerImage: 'hub:dev' });
  if (isSpecProblem(r)) throw new Error(r.message);
  return r;
}

/** Feed a plan's status back as the stored status (what the controller writes). */
const after = (fl: FederatedLearning, p: Plan): FederatedLearning => ({ ...fl, status: p.status });

describe('planJob', () => {
  it('stays Waiting with a clear message when too few clusters are selected', () => {
    const fl = newFl();
    const p = planJob(resolved(fl), observed(fl, ['cluster1']), opts);
    expect(p.status.phase).toBe('Waiting');
    expect(p.status.message).toContain('1 of 2 required clusters');
    expect(findCondition(p.status.conditions, 'ClientsSelected')).toMatchObject({
      status: 'False',
      reason: 'NotEnoughClients',
    });
    expect(p.aggregator).toBeUndefined();
    expect(p.works).toEqual([]);
    expect(p.placement).toBe(true);
  });

  it('does not count a decided cluster whose addon is unavailable, and says so', () => {
    const fl = newFl();
    const o = observed(fl, ['cluster1', 'cluster2']);
    (o.addons as Map<string, ReturnType<typeof newAddon>>).set('cluster2', newAddon('cluster2', false));
    const p = planJob(resolved(fl), o, opts);
    expect(p.status.phase).toBe('Waiting');
    expect(p.status.message).toContain('addon not available on: cluster2');
  });

  it('admits the clusters and starts the aggregator, waiting for its Job first', () => {
    const fl = newFl();
    const p = planJob(resolved(fl), observed(fl, ['cluster1', 'cluster2'], { aggregator: 'Absent' }), opts);
    expect(p.aggregator).toEqual({ admitted: ['cluster1', 'cluster2'] });
    expect(p.status.phase).toBe('Waiting');
    expect(p.works).toBeUndefined();
    expect(p.status.clients?.map((c) => c.cluster)).toEqual(['cluster1', 'cluster2']);
  });

  it('goes Running with one task work per cluster carrying the data location', () => {
    const fl = newFl();
    const p = planJob(resolved(fl), observed(fl, ['cluster1', 'cluster2']), opts);
    expect(p.status.phase).toBe('Running');
    expect(p.works).toEqual([
      expect.objectContaining({
        cluster: 'cluster1',
        dataLocation: '/data/private/cluster1',
        endpoint: '10.0.0.5:8080',
      }),
      expect.objectContaining({
        cluster: 'cluster2',
        dataLocation: '/data/private/cluster2',
        agentNamespace: 'open-cluster-management-agent-addon',
      }),
    ]);
    // One Event per transition: each condition that turned True, then the phase.
    expect(p.events.map((e) => [e.type, e.reason])).toEqual([
      ['Normal', 'AggregatorReady'],
      ['Normal', 'ClientsSelected'],
      ['Normal', 'Training'],
      ['Normal', 'Running'],
    ]);
    expect(p.requeueAfterMs).toBe(1000);
  });

  it('waits for a LoadBalancer address before creating works', () => {
    const fl = newFl();
    const o = observed(fl, ['cluster1', 'cluster2'], {
      listeners: [{ name: 'server-listener', type: 'LoadBalancer', port: 8080 }],
    });
    const p = planJob(resolved(fl), o, opts);
    expect(p.works).toBeUndefined();
    expect(findCondition(p.status.conditions, 'AggregatorReady')).toMatchObject({
      status: 'False',
      message: 'waiting for a listener address',
    });
  });

  it('reports rounds, progress, metric and per-client state from the aggregator and feedback', () => {
    const fl = newFl();
    const job = resolved(fl);
    const first = planJob(job, observed(fl, ['cluster1', 'cluster2']), opts);
    const works = new Map([['cluster1', workWithFeedback('cluster1', { phase: 'Training', round: 3 })]]);
    const p = planJob(
      job,
      observed(after(fl, first), ['cluster1', 'cluster2'], { works, state: jobState('running', 2) }),
      opts,
    );
    expect(p.status.roundProgress).toBe('2/3');
    expect(p.status.rounds?.map((r) => r.modelDigest)).toEqual(['digest-1', 'digest-2']);
    expect(p.status.rounds?.[0]?.participants).toEqual(['cluster1', 'cluster2']);
    expect(p.status.lastMetric).toBe('accuracy=0.6000');
    expect(p.status.clients?.[0]).toEqual({
      cluster: 'cluster1',
      state: 'Training',
      lastRound: 3,
      examples: 600,
    });
    expect(p.status.activeClients).toBe(2);
  });

  it('completes when the aggregator stored the final model, and deletes the works', () => {
    const fl = newFl();
    const job = resolved(fl);
    const first = planJob(job, observed(fl, ['cluster1', 'cluster2']), opts);
    const p = planJob(
      job,
      observed(after(fl, first), ['cluster1', 'cluster2'], { state: jobState('completed', 3) }),
      opts,
    );
    expect(p.status.phase).toBe('Completed');
    expect(p.status.model).toEqual({
      location: 'pvc://default/model-pvc/default-federated-learning-sample/final.safetensors',
      digest: 'abc123',
    });
    expect(findCondition(p.status.conditions, 'Succeeded')?.status).toBe('True');
    expect(p.works).toEqual([]);
    expect(p.requeueAfterMs).toBeUndefined();
  });

  it('completes from the stored state after the aggregator exited and its address went away', () => {
    const fl = newFl();
    const job = resolved(fl);
    const first = planJob(job, observed(fl, ['cluster1', 'cluster2']), opts);
    const p = planJob(
      job,
      observed(after(fl, first), ['cluster1', 'cluster2'], {
        state: jobState('completed', 3),
        aggregator: 'Succeeded',
        listeners: [{ name: 'server-listener', type: 'LoadBalancer', port: 8080 }],
      }),
      opts,
    );
    expect(p.status.phase).toBe('Completed');
    expect(p.works).toEqual([]);
  });

  it('runs the evaluation before completing when spec.evaluation is set, then reports accuracy', () => {
    const fl = newFl({ evaluation: { args: ['evaluate'] } });
    const job = resolved(fl);
    const first = planJob(job, observed(fl, ['cluster1', 'cluster2']), opts);
    const done = jobState('completed', 3);
    const evaluating = planJob(
      job,
      observed(after(fl, first), ['cluster1', 'cluster2'], { state: done }),
      opts,
    );
    expect(evaluating.status.phase).toBe('Running');
    expect(evaluating.evaluation).toBe(true);
    // Before the evaluation: the last round's training metric.
    expect(evaluating.status.lastMetric).toBe('accuracy=0.7000');
    const evaluation = { accuracy: 0.93, perClassAccuracy: { '0': 0.99 } };
    const p = planJob(
      job,
      observed(after(fl, evaluating), ['cluster1', 'cluster2'], { state: done, evaluation }),
      opts,
    );
    expect(p.status.phase).toBe('Completed');
    expect(p.status.evaluation).toEqual(evaluation);
    // After it: the held-out result, which is what the job is judged by.
    expect(p.status.lastMetric).toBe('heldOutAccuracy=0.9300');
  });

  it('completes without a result when the evaluation Job succeeded but its file is not visible', () => {
    const fl = newFl({ evaluation: { args: ['evaluate'] } });
    const job = resolved(fl);
    const first = planJob(job, observed(fl, ['cluster1', 'cluster2']), opts);
    const done = jobState('completed', 3);
    const running = planJob(
      job,
      observed(after(fl, first), ['cluster1', 'cluster2'], { state: done, evaluationJob: 'Active' }),
      opts,
    );
    expect(running.status.phase).toBe('Running');
    const p = planJob(
      job,
      observed(after(fl, running), ['cluster1', 'cluster2'], { state: done, evaluationJob: 'Succeeded' }),
      opts,
    );
    expect(p.status.phase).toBe('Completed');
    expect(p.status.evaluation).toBeUndefined();
    expect(p.status.conditions?.find((c) => c.type === 'Evaluated')).toMatchObject({
      status: 'False',
      reason: 'EvaluationUnreadable',
    });
  });

  it('fails with the aggregator reason when the job failed', () => {
    const fl = newFl();
    const job = resolved(fl);
    const first = planJob(job, observed(fl, ['cluster1', 'cluster2']), opts);
    const p = planJob(
      job,
      observed(after(fl, first), ['cluster1', 'cluster2'], { state: jobState('failed', 1) }),
      opts,
    );
    expect(p.status.phase).toBe('Failed');
    expect(findCondition(p.status.conditions, 'Failed')).toMatchObject({
      reason: 'AggregationFailed',
      message: expect.stringContaining('too few updates'),
    });
    expect(p.events).toEqual([expect.objectContaining({ type: 'Warning', reason: 'AggregationFailed' })]);
  });

  describe('a cluster lost mid-job', () => {
    const start = (
      policy: 'Replace' | 'Continue' | 'Fail',
      min = 1,
    ): { fl: FederatedLearning; job: ResolvedJob } => {
      const fl = newFl({ failurePolicy: { onClientLoss: policy }, minClientsPerRound: min });
      const job = resolved(fl);
      const first = planJob(job, observed(fl, ['cluster1', 'cluster2']), opts);
      return { fl: after(fl, first), job };
    };

    it('Replace: drops it, admits a newly decided cluster and creates its work', () => {
      const { fl, job } = start('Replace');
      const p = planJob(job, observed(fl, ['cluster1', 'cluster3']), opts);
      expect(p.status.phase).toBe('Running');
      expect(p.aggregator?.admitted).toEqual(['cluster1', 'cluster3']);
      expect(p.works?.map((w) => w.cluster)).toEqual(['cluster1', 'cluster3']);
      expect(p.status.clients?.find((c) => c.cluster === 'cluster2')).toMatchObject({
        state: 'Lost',
        lastError: 'no longer selected by the placement',
      });
      expect(p.events).toEqual([
        expect.objectContaining({ reason: 'ClientLost' }),
        { type: 'Normal', reason: 'ClientAdded', message: 'cluster cluster3 joined the running job' },
      ]);
    });

    it('Continue: keeps going with the rest while enough remain', () => {
      const { fl, job } = start('Continue');
      const p = planJob(job, observed(fl, ['cluster1', 'cluster3']), opts);
      expect(p.status.phase).toBe('Running');
      expect(p.aggregator?.admitted).toEqual(['cluster1']);
    });

    it('Continue: fails when fewer than minClientsPerRound remain', () => {
      const { fl, job } = start('Continue', 2);
      const p = planJob(job, observed(fl, ['cluster1']), opts);
      expect(p.status.phase).toBe('Failed');
      expect(findCondition(p.status.conditions, 'Failed')?.reason).toBe('NotEnoughClients');
    });

    it('Fail: fails the job naming the cluster', () => {
      const { fl, job } = start('Fail');
      const p = planJob(job, observed(fl, ['cluster1']), opts);
      expect(p.status.phase).toBe('Failed');
      expect(p.status.message).toContain('cluster cluster2');
      expect(p.works).toEqual([]);
    });
  });

  it('leaves a terminal job alone', () => {
    const fl = { ...newFl(), status: { phase: 'Completed' as const, message: 'done' } };
    const p = planJob(resolved(fl), observed(fl, []), opts);
    expect(p.status).toEqual(fl.status);
    expect(p.events).toEqual([]);
  });

  it('is stable: planning again over its own status changes nothing', () => {
    const fl = newFl();
    const job = resolved(fl);
    const o = observed(fl, ['cluster1', 'cluster2'], { state: jobState('running', 1) });
    const a = planJob(job, o, opts);
    const b = planJob(job, { ...o, fl: after(fl, a) }, opts);
    expect(b.status).toEqual(a.status);
    expect(b.events).toEqual([]);
  });
});

describe('spec problems', () => {
  it('flower fails with FrameworkNotSupported', () => {
    const fl = newFl({ framework: 'flower' });
    const r = resolveSpec(fl, { hubManagerImage: 'hub:dev' });
    expect(r).toMatchObject({ reason: 'FrameworkNotSupported' });
    const p = planSpecProblem(fl, r as never, now);
    expect(p.status.phase).toBe('Failed');
    expect(findCondition(p.status.conditions, 'Failed')?.reason).toBe('FrameworkNotSupported');
  });

  it('a missing trainer image and minClientsPerRound above minAvailableClients are InvalidSpec', () => {
    expect(resolveSpec(newFl({ client: {} }), { hubManagerImage: 'h' })).toMatchObject({
      reason: 'InvalidSpec',
      message: expect.stringContaining('spec.client.image'),
    });
    expect(resolveSpec(newFl({ minClientsPerRound: 5 }), { hubManagerImage: 'h' })).toMatchObject({
      reason: 'InvalidSpec',
    });
  });

  it('defaults the aggregator image to the hub-manager image and finds the data claim', () => {
    const job = resolved(newFl());
    expect(job.serverImage).toBe('hub:dev');
    expect(job.dataClaim).toBe('federated-learning-sample.client-data');
    expect(job.storage.jobDir).toBe('/data/models/default-federated-learning-sample');
  });
});
