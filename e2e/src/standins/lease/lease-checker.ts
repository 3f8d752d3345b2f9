/**
 * Tier-1 stand-in for the klusterlet's addon lease controller: for each ManagedClusterAddOn of
 * the cluster (health check mode Lease), reads Lease `<addon>` in the addon's install namespace
 * on the managed cluster and sets the hub ManagedClusterAddOn's Available condition.
 * Upstream checks every 30 s with a 5-minute grace (5 × 60 s); both are options here.
 */
import { findCondition, setCondition, type Condition } from '@ocm-fl/common/api/meta.js';
import { ADDON_API_VERSION, type ManagedClusterAddOn } from '@ocm-fl/common/api/ocm.js';
import type { KubeClient } from '@ocm-fl/common/kube/client.js';
import { Informer } from '@ocm-fl/common/kube/informer.js';
import { KeyedQueue } from '@ocm-fl/common/kube/keyed-queue.js';
import type { Logger } from '@ocm-fl/common/logger.js';
import { silentLogger } from '@ocm-fl/common/logger.js';
import { addonInstallNamespace } from '../addon-namespace.js';
import { leaseAvailableCondition, type Lease } from './lease-condition.js';

export interface LeaseCheckerOptions {
  clusterName: string;
  hub: KubeClient;
  spoke: KubeClient;
  /** Check period; upstream 30 s. */
  periodMs?: number;
  /** Renewal older than this is stale; upstream 5 min. */
  graceMs?: number;
  logger?: Logger;
}

export class LeaseChecker {
  private readonly addons: Informer<ManagedClusterAddOn>;
  private readonly leases: Informer<Lease>;
  private readonly queue: KeyedQueue;

  constructor(private readonly o: LeaseCheckerOptions) {
    const log = (o.logger ?? silentLogger).child({ component: 'lease-checker', cluster: o.clusterName });
    this.addons = new Informer(o.hub, ADDON_API_VERSION, 'ManagedClusterAddOn', {
      namespace: o.clusterName,
      logger: log,
    });
    this.leases = new Informer(o.spoke, 'coordination.k8s.io/v1', 'Lease', { logger: log });
    this.queue = new KeyedQueue((k) => this.reconcile(k), { logger: log, maxBackoffMs: 5_000 });
    this.addons.onChange((t, a) => {
      if (t !== 'DELETED') this.queue.enqueue(a.metadata.name ?? '');
    });
    this.leases.onChange((_t, l) => {
      const a = this.addons.get(l.metadata.name ?? '', o.clusterName);
      if (a && addonInstallNamespace(a) === l.metadata.namespace) this.queue.enqueue(a.metadata.name ?? '');
    });
  }

  async start(): Promise<void> {
    await this.leases.start();
    await this.addons.start();
  }

  async stop(): Promise<void> {
    this.addons.stop();
    this.leases.stop();
    await this.queue.stop();
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }

  private async reconcile(name: string): Promise<void | { requeueAfterMs: number }> {
    const addon = this.addons.get(name, this.o.clusterName);
    if (!addon || addon.metadata.deletionTimestamp) return;
    if (addon.status?.healthCheck?.mode === 'Customized') return;
    const lease = this.leases.get(name, addonInstallNamespace(addon));
    const c = leaseAvailableCondition(name, lease, new Date(), this.o.graceMs ?? 300_000);
    const prev = findCondition(addon.status?.conditions, 'Available');
    if (!prev || prev.status !== c.status || prev.reason !== c.reason || prev.message !== c.message) {
      const fresh = await this.o.hub.get<ManagedClusterAddOn>(
        ADDON_API_VERSION,
        'ManagedClusterAddOn',
        name,
        this.o.clusterName,
      );
      if (!fresh) return;
      await this.o.hub.updateStatus({
        ...fresh,
        status: { ...fresh.status, conditions: setCondition(fresh.status?.conditions, c as Condition) },
      });
    }
    return { requeueAfterMs: this.o.periodMs ?? 30_000 };
  }
}
