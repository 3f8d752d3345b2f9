/**
 * The agent's /metrics on its health server, fed one round's steps as the runner reports them,
 * scraped over HTTP and read with the Prometheus project's exposition-format parser.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  expectConventionalNames,
  family,
  sample,
  scrape,
} from '@ocm-fl/common/metrics/exposition.test-helpers.js';
import { HealthServer } from './health/health-server.js';
import { AgentMetrics } from './metrics.js';
import type { RoundTask, RunnerState, TrainedUpdate } from './round/state.js';

const t0 = Date.parse('2030-01-01T00:00:00Z');
let metrics: AgentMetrics;
let hs: HealthServer;
beforeAll(async () => {
  metrics = new AgentMetrics(
    () => new Date(t0 + 3600_000),
    () => t0,
  );
  hs = await HealthServer.start({ host: '127.0.0.1', port: 0, checks: [], metrics: metrics.registry });
});
afterAll(async () => {
  await hs.close();
});

describe('agent /metrics', () => {
  it('reports step durations, bytes, trainer exits, certificate expiry and lease renewals', async () => {
    const task = { round: 1, model: { round: 0, size: 5000, sha256: 'x' } } as unknown as RoundTask;
    const update: TrainedUpdate = { path: '/u', digest: 'sha256:x', bytes: 4000, examples: 10, metrics: {} };
    const s = (st: RunnerState): RunnerState => st;
    metrics.stepDone('download', 1, 1500, {
      state: s({ step: 'download', round: 1, task }),
      event: { type: 'downloaded', path: '/m' },
    });
    metrics.stepDone('train', 1, 20_000, {
      state: s({ step: 'train', round: 1, task, modelPath: '/m' }),
      event: { type: 'trained', update },
    });
    metrics.stepDone('upload', 1, 800, {
      state: s({ step: 'upload', round: 1, task, update }),
      event: { type: 'uploaded' },
    });
    metrics.stepDone('train', 2, 100, {
      state: s({ step: 'train', round: 2, task, modelPath: '/m' }),
      event: { type: 'trainer-failed', reason: 'TRAINER_CRASHED', message: 'exit 1' },
    });
    metrics.stepDone('poll', 0, 5, { state: s({ step: 'poll', after: 0 }), event: { type: 'waited' } });
    metrics.leaseRenewed(true);
    metrics.leaseRenewed(true);
    metrics.leaseRenewed(false);

    const m = await scrape(`http://127.0.0.1:${hs.port}/metrics`);
    const steps = family(m, 'fl_agent_step_duration_seconds', 'HISTOGRAM', ['step']);
    expect(steps.metrics.map((x) => x.labels.step).sort()).toEqual(['download', 'train', 'upload']);
    expect(sample(steps, { step: 'train' })).toBe(2);
    const bytes = family(m, 'fl_agent_transferred_bytes_total', 'COUNTER', ['direction']);
    expect(sample(bytes, { direction: 'download' })).toBe(5000);
    expect(sample(bytes, { direction: 'upload' })).toBe(4000);
    const exits = family(m, 'fl_agent_trainer_exits_total', 'COUNTER', ['reason']);
    expect(sample(exits, { reason: 'SUCCEEDED' })).toBe(1);
    expect(sample(exits, { reason: 'TRAINER_CRASHED' })).toBe(1);
    expect(sample(family(m, 'fl_agent_certificate_expiry_seconds', 'GAUGE'))).toBe(3600);
    const leases = family(m, 'fl_agent_lease_renewals_total', 'COUNTER', ['result']);
    expect(sample(leases, { result: 'success' })).toBe(2);
    expect(sample(leases, { result: 'error' })).toBe(1);
    family(m, 'process_cpu_seconds_total', 'COUNTER');
    expectConventionalNames(m, 'fl_agent_');
  });
});
