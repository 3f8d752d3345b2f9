/**
 * The hub-manager's Prometheus instruments, on one registry per process. Counters are bumped
 * at the few places things happen (CSR approve/refuse/sign, reconciles); gauges about state
 * (CA and certificate expiry, jobs by phase, addon availability) are computed when scraped
 * from what the running components already hold in memory, so a scrape causes no API call.
 * Labels are bounded: controller names, refusal codes, phases and cluster names only.
 */
import type { FederatedLearning } from '@ocm-fl/common/api/federated-learning.js';
import type { ManagedClusterAddOn } from '@ocm-fl/common/api/ocm.js';
import type { QueueMetrics } from '@ocm-fl/common/kube/keyed-queue.js';
import {
  Counter,
  Gauge,
  Histogram,
  newMetricsRegistry,
  type Registry,
} from '@ocm-fl/common/metrics/registry.js';

/** What the scrape-time gauges read; set while this replica leads, cleared when it stops. */
export interface HubSources {
  caNotAfter: () => Date | undefined;
  jobs: () => readonly FederatedLearning[];
  addons: () => readonly ManagedClusterAddOn[];
}

const PHASES = ['Waiting', 'Running', 'Completed', 'Failed'] as const;

export class HubMetrics implements QueueMetrics {
  readonly registry: Registry;
  readonly leader: Gauge;
  readonly leaderTransitions: Counter;
  readonly startFailures: Counter;
  readonly csrApproved: Counter;
  readonly csrRefused: Counter<'reason'>;
  readonly certificatesSigned: Counter;
  private readonly reconciles: Counter<'controller' | 'result'>;
  private readonly reconcileSeconds: Histogram<'controller'>;
  private readonly depths = new Map<string, () => number>();
  /** Newest certificate's notAfter per cluster (a renewal replaces the previous one). */
  private readonly clientNotAfter = new Map<string, number>();
  private sources: HubSources | undefined;

  constructor(private readonly now: () => number = Date.now) {
    const registry = (this.registry = newMetricsRegistry());
    const r = { registers: [registry] };
    this.leader = new Gauge({
      ...r,
      name: 'fl_hub_leader',
      help: '1 while this replica holds the leader lease',
    });
    this.leaderTransitions = new Counter({
      ...r,
      name: 'fl_hub_leader_transitions_total',
      help: 'Times this replica became leader',
    });
    this.startFailures = new Counter({
      ...r,
      name: 'fl_hub_component_start_failures_total',
      help: 'Failed attempts to start the controllers after winning the lease',
    });
    this.csrApproved = new Counter({ ...r, name: 'fl_hub_csr_approved_total', help: 'Addon CSRs approved' });
    this.csrRefused = new Counter({
      ...r,
      name: 'fl_hub_csr_refused_total',
      help: 'Addon CSRs left unapproved, by refusal code (counted once per CSR and code)',
      labelNames: ['reason'],
    });
    this.certificatesSigned = new Counter({
      ...r,
      name: 'fl_hub_certificates_signed_total',
      help: 'Agent client certificates signed with the addon CA',
    });
    this.reconciles = new Counter({
      ...r,
      name: 'fl_hub_reconcile_total',
      help: 'Reconciles by controller and result (success or error)',
      labelNames: ['controller', 'result'],
    });
    this.reconcileSeconds = new Histogram({
      ...r,
      name: 'fl_hub_reconcile_duration_seconds',
      help: 'Time one reconcile took, by controller',
      labelNames: ['controller'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    });
    const depths = this.depths;
    new Gauge({
      ...r,
      name: 'fl_hub_queue_depth',
      help: 'Keys waiting to be reconciled, by controller',
      labelNames: ['controller'],
      collect(): void {
        this.reset();
        for (const [c, d] of depths) this.set({ controller: c }, d());
      },
    });
    const src = (): HubSources | undefined => this.sources;
    const clock = this.now;
    const clientNotAfter = this.clientNotAfter;
    new Gauge({
      ...r,
      name: 'fl_hub_ca_expiry_seconds',
      help: 'Seconds until the signing addon CA expires',
      collect(): void {
        this.reset();
        const at = src()?.caNotAfter();
        if (at) this.set((at.getTime() - clock()) / 1000);
      },
    });
    new Gauge({
      ...r,
      name: 'fl_hub_client_certificate_expiry_seconds',
      help: 'Seconds until the newest agent client certificate signed for a cluster expires',
      labelNames: ['cluster'],
      collect(): void {
        this.reset();
        for (const [c, at] of clientNotAfter) this.set({ cluster: c }, (at - clock()) / 1000);
      },
    });
    new Gauge({
      ...r,
      name: 'fl_hub_federated_learning_jobs',
      help: 'FederatedLearning objects by status phase',
      labelNames: ['phase'],
      collect(): void {
        this.reset();
        const sources = src();
        if (!sources) return;
        for (const p of PHASES) this.set({ phase: p }, 0);
        for (const fl of sources.jobs()) this.inc({ phase: fl.status?.phase ?? 'Waiting' });
      },
    });
    new Gauge({
      ...r,
      name: 'fl_hub_addon_available',
      help: "1 when a cluster's federated-learning ManagedClusterAddOn is Available, else 0",
      labelNames: ['cluster'],
      collect(): void {
        this.reset();
        for (const a of src()?.addons() ?? []) {
          const ok = a.status?.conditions?.find((c) => c.type === 'Available')?.status === 'True';
          this.set({ cluster: a.metadata.namespace ?? '' }, ok ? 1 : 0);
        }
      },
    });
  }

  bind(sources: HubSources | undefined): void {
    this.sources = sources;
  }

  clientCertificateIssued(cluster: string, notAfter: Date): void {
    const t = notAfter.getTime();
    if (t > (this.clientNotAfter.get(cluster) ?? 0)) this.clientNotAfter.set(cluster, t);
  }

  observe(queue: string, seconds: number, failed: boolean): void {
    this.reconciles.inc({ controller: queue, result: failed ? 'error' : 'success' });
    this.reconcileSeconds.observe({ controller: queue }, seconds);
  }

  track(queue: string, depth: () => number): void {
    this.depths.set(queue, depth);
  }
}
