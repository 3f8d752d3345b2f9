/**
 * The agent's Prometheus instruments, served on its health port at `/metrics`: round step
 * durations, bytes moved, trainer exit reasons, certificate expiry and Lease renewals.
 * Labels are fixed small sets (step, direction, reason, result); never rounds or task names.
 */
import {
  Counter,
  Gauge,
  Histogram,
  newMetricsRegistry,
  STEP_SECONDS_BUCKETS,
  type Registry,
} from '@ocm-fl/common/metrics/registry.js';
import type { RunnerDeps } from './round/runner.js';

type StepDone = NonNullable<RunnerDeps['onStepDone']>;
const TIMED_STEPS = new Set(['download', 'train', 'upload']);

export class AgentMetrics {
  readonly registry: Registry = newMetricsRegistry();
  private readonly r = { registers: [this.registry] };
  private readonly stepSeconds = new Histogram({
    ...this.r,
    name: 'fl_agent_step_duration_seconds',
    help: 'Time one round step took (download, train, upload), retries included',
    labelNames: ['step'],
    buckets: STEP_SECONDS_BUCKETS,
  });
  private readonly bytes = new Counter({
    ...this.r,
    name: 'fl_agent_transferred_bytes_total',
    help: 'Model bytes downloaded from and update bytes uploaded to the aggregator',
    labelNames: ['direction'],
  });
  private readonly trainerExits = new Counter({
    ...this.r,
    name: 'fl_agent_trainer_exits_total',
    help: 'Trainer Jobs ended, by reason (SUCCEEDED or the failure reason reported to the aggregator)',
    labelNames: ['reason'],
  });
  private readonly renewals = new Counter({
    ...this.r,
    name: 'fl_agent_lease_renewals_total',
    help: 'Lease renewal attempts, by result',
    labelNames: ['result'],
  });

  constructor(certificateExpiry: () => Date | undefined, now: () => number = Date.now) {
    new Gauge({
      ...this.r,
      name: 'fl_agent_certificate_expiry_seconds',
      help: "Seconds until the agent's client certificate expires (absent until one is loaded)",
      collect(): void {
        this.reset();
        const at = certificateExpiry();
        if (at) this.set((at.getTime() - now()) / 1000);
      },
    });
  }

  readonly stepDone: StepDone = (step, _round, ms, { state, event }) => {
    if (TIMED_STEPS.has(step)) this.stepSeconds.observe({ step }, ms / 1000);
    if (event.type === 'downloaded' && state.step === 'download' && state.task.model)
      this.bytes.inc({ direction: 'download' }, state.task.model.size);
    if (event.type === 'uploaded' && state.step === 'upload')
      this.bytes.inc({ direction: 'upload' }, state.update.bytes);
    if (event.type === 'trained') this.trainerExits.inc({ reason: 'SUCCEEDED' });
    if (event.type === 'trainer-failed') this.trainerExits.inc({ reason: event.reason });
  };

  readonly leaseRenewed = (ok: boolean): void => this.renewals.inc({ result: ok ? 'success' : 'error' });
}
