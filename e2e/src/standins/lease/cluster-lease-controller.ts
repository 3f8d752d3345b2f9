/**
 * Tier-1 stand-in for two hub controllers of OCM's registration hub: the cluster lease
 * controller (a `managed-cluster-lease` not renewed within 5 × leaseDurationSeconds turns the
 * ManagedCluster Available=Unknown, reason ManagedClusterLeaseUpdateStopped) and the addon health
 * check (an Unknown cluster turns each of its ManagedClusterAddOns Available=Unknown with the
 * same reason). With it, a managed cluster that stops entirely is seen as gone on the hub, as
 * on a real one. Decisions are in cluster-lease.ts; this file is the I/O.
 */
import { findCondition, type Condition } from '@ocm-fl/common/api/meta.js';
import {
  ADDON_API_VERSION,
  CLUSTER_API_VERSION,
  type ManagedCluster,
  type ManagedClusterAddOn,
} from '@ocm-fl/common/api/ocm.js';
import type { KubeClient } from '@ocm-fl/common/kube/client.js';
import { isAlreadyExists } from '@ocm-fl/common/kube/errors.js';
import { Informer } from '@ocm-fl/common/kube/informer.js';
import { KeyedQueue } from '@ocm-fl/common/kube/keyed-queue.js';
import { silentLogger, type Logger } from '@ocm-fl/common/logger.js';
import {
  addonConditionForCluster,
  CLUSTER_LEASE_NAME,
  clusterLeaseVerdict,
  leaseStoppedCondition,
} from './cluster-lease.js';
import type { Lease } from './lease-condition.js';
import { writeCondition } from './write-condition.js';

export interface ClusterLeaseControllerOptions {
  hub: KubeClient;
  logger?: Logger;
}

const sameCondition = (a: Condition | undefined, b: Omit<Condition, 'lastTransitionTime'>): boolean =>
  !!a && a.status === b.status && a.reason === b.reason && a.message === b.message;

export class ClusterLeaseController {
  private readonly clusters: Informer<ManagedCluster>;
  private readonly leases: Informer<Lease>;
  private readonly addons: Informer<ManagedClusterAddOn>;
  private readonly queue: KeyedQueue;
  private readonly log: Logger;

  constructor(private readonly o: ClusterLeaseControllerOptions) {
    this.log = (o.logger ?? silentLogger).child({ component: 'cluster-lease-controller' });
    this.clusters = new Informer(o.hub, CLUSTER_API_VERSION, 'ManagedCluster', { logger: this.log });
    this.leases = new Informer(o.hub, 'coordination.k8s.io/v1', 'Lease', { logger: this.log });
    this.addons = new Informer(o.hub, ADDON_API_VERSION, 'ManagedClusterAddOn', { logger: this.log });
    this.queue = new KeyedQueue((k) => this.reconcile(k), { logger: this.log, maxBackoffMs: 5_000 });
    this.clusters.onChange((t, c) => {
      if (t !== 'DELETED') this.queue.enqueue(c.metadata.name ?? '');
    });
    this.leases.onChange((t, l) => {
      if (t !== 'DELETED' && l.metadata.name === CLUSTER_LEASE_NAME)
        this.queue.enqueue(l.metadata.namespace ?? '');
    });
    // A new addon on an Unknown cluster gets Unknown too.
    this.addons.onChange((t, a) => {
      if (t === 'ADDED') this.queue.enqueue(a.metadata.namespace ?? '');
    });
  }

  async start(): Promise<void> {
    await this.leases.start();
    await this.addons.start();
    await this.clusters.start();
  }

  async stop(): Promise<void> {
    this.clusters.stop();
    this.leases.stop();
    this.addons.stop();
    await this.queue.stop();
  }

  private async reconcile(name: string): Promise<void | { requeueAfterMs: number }> {
    const cluster = this.clusters.get(name);
    if (!cluster) return;
    const verdict = clusterLeaseVerdict(cluster, this.leases.get(CLUSTER_LEASE_NAME, name), Date.now());
    switch (verdict.kind) {
      case 'skip':
        return;
      case 'create-lease':
        await this.createLease(name);
        return;
      case 'fresh':
        return { requeueAfterMs: verdict.recheckAfterMs };
      case 'expired':
        await this.markUnknown(cluster);
        await this.propagateToAddons(name);
        return { requeueAfterMs: verdict.recheckAfterMs };
    }
  }

  /** Upstream creates the lease for an accepted cluster that has none, renewed "now". */
  private async createLease(namespace: string): Promise<void> {
    try {
      await this.o.hub.create<Lease>({
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: {
          name: CLUSTER_LEASE_NAME,
          namespace,
          labels: { 'open-cluster-management.io/cluster-name': namespace },
        },
        spec: { holderIdentity: CLUSTER_LEASE_NAME, renewTime: new Date().toISOString() },
      });
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
    }
  }

  private async markUnknown(cluster: ManagedCluster): Promise<void> {
    const want = leaseStoppedCondition();
    if (sameCondition(findCondition(cluster.status?.conditions, want.type), want)) return;
    const ref = {
      apiVersion: CLUSTER_API_VERSION,
      kind: 'ManagedCluster',
      name: cluster.metadata.name ?? '',
    };
    if (await writeCondition(this.o.hub, ref, want))
      this.log.warn('managed cluster lease expired: Available=Unknown', { cluster: cluster.metadata.name });
  }

  private async propagateToAddons(clusterName: string): Promise<void> {
    const fresh = await this.o.hub.get<ManagedCluster>(CLUSTER_API_VERSION, 'ManagedCluster', clusterName);
    const want = fresh && addonConditionForCluster(fresh);
    if (!want) return;
    const errors: unknown[] = [];
    for (const a of this.addons.list().filter((x) => x.metadata.namespace === clusterName)) {
      if (sameCondition(findCondition(a.status?.conditions, 'Available'), want)) continue;
      try {
        await writeCondition(
          this.o.hub,
          {
            apiVersion: ADDON_API_VERSION,
            kind: 'ManagedClusterAddOn',
            name: a.metadata.name ?? '',
            namespace: clusterName,
          },
          want,
        );
      } catch (e) {
        errors.push(e);
      }
    }
    if (errors.length) throw new AggregateError(errors, `setting addons of ${clusterName} Unknown failed`);
  }
}
