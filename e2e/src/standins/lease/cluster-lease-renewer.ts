/**
 * Tier-1 stand-in for the klusterlet side of cluster health: renews `managed-cluster-lease` in
 * the cluster's namespace on the hub every `leaseDurationSeconds` (read from the ManagedCluster,
 * as the klusterlet does) and, like the klusterlet's status controller, puts the cluster back to
 * Available=True once it renews again after an outage. Stopping it (the cluster is gone) is what
 * lets the hub-side ClusterLeaseController notice.
 */
import { CLUSTER_API_VERSION, type ManagedCluster } from '@ocm-fl/common/api/ocm.js';
import type { KubeClient } from '@ocm-fl/common/kube/client.js';
import { isAlreadyExists } from '@ocm-fl/common/kube/errors.js';
import { sleep } from '@ocm-fl/common/kube/informer.js';
import { silentLogger, type Logger } from '@ocm-fl/common/logger.js';
import { CLUSTER_LEASE_NAME, clusterAvailableCondition } from './cluster-lease.js';
import type { Lease } from './lease-condition.js';
import { writeCondition } from './write-condition.js';

export interface ClusterLeaseRenewerOptions {
  clusterName: string;
  /** The hub, as this cluster's klusterlet. */
  hub: KubeClient;
  logger?: Logger;
}

export class ClusterLeaseRenewer {
  private readonly abort = new AbortController();
  private loop?: Promise<void>;
  private readonly log: Logger;

  constructor(private readonly o: ClusterLeaseRenewerOptions) {
    this.log = (o.logger ?? silentLogger).child({
      component: 'cluster-lease-renewer',
      cluster: o.clusterName,
    });
  }

  async start(): Promise<void> {
    await this.renewOnce();
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.abort.signal.aborted) {
      await sleep(await this.periodMs(), this.abort.signal);
      if (this.abort.signal.aborted) return;
      try {
        await this.renewOnce();
      } catch (e) {
        this.log.warn('cluster lease renewal failed', { error: e });
      }
    }
  }

  private async periodMs(): Promise<number> {
    const mc = await this.o.hub
      .get<ManagedCluster>(CLUSTER_API_VERSION, 'ManagedCluster', this.o.clusterName)
      .catch(() => undefined);
    const s = mc?.spec?.leaseDurationSeconds;
    return (s && s > 0 ? s : 60) * 1000;
  }

  /** Renew the lease (create it if missing), then make sure the cluster reads Available=True. */
  async renewOnce(): Promise<void> {
    const ns = this.o.clusterName;
    const now = new Date().toISOString();
    const lease = await this.o.hub.get<Lease>('coordination.k8s.io/v1', 'Lease', CLUSTER_LEASE_NAME, ns);
    if (lease) {
      await this.o.hub.update<Lease>({ ...lease, spec: { ...lease.spec, renewTime: now } });
    } else {
      try {
        await this.o.hub.create<Lease>({
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: {
            name: CLUSTER_LEASE_NAME,
            namespace: ns,
            labels: { 'open-cluster-management.io/cluster-name': ns },
          },
          spec: { holderIdentity: CLUSTER_LEASE_NAME, renewTime: now },
        });
      } catch (e) {
        if (!isAlreadyExists(e)) throw e;
      }
    }
    await this.markAvailable();
  }

  private async markAvailable(): Promise<void> {
    const ref = { apiVersion: CLUSTER_API_VERSION, kind: 'ManagedCluster', name: this.o.clusterName };
    if (await writeCondition(this.o.hub, ref, clusterAvailableCondition()))
      this.log.info('managed cluster lease renewed again: Available=True');
  }
}
