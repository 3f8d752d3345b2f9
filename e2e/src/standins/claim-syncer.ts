/**
 * Tier-1 stand-in for the registration agent's claim controller: copies the managed cluster's
 * ClusterClaims into `ManagedCluster.status.clusterClaims` on the hub (sorted by name; upstream
 * keeps at most 20 custom claims, as here).
 */
import {
  CLAIM_API_VERSION,
  CLUSTER_API_VERSION,
  type ClusterClaim,
  type ManagedCluster,
} from '@ocm-fl/common/api/ocm.js';
import type { KubeClient } from '@ocm-fl/common/kube/client.js';
import { Informer } from '@ocm-fl/common/kube/informer.js';
import { KeyedQueue } from '@ocm-fl/common/kube/keyed-queue.js';
import type { Logger } from '@ocm-fl/common/logger.js';
import { silentLogger } from '@ocm-fl/common/logger.js';
import { sameJson } from './same-json.js';

export const MAX_CUSTOM_CLAIMS = 20;

export interface ClaimSyncerOptions {
  clusterName: string;
  hub: KubeClient;
  spoke: KubeClient;
  logger?: Logger;
}

export class ClaimSyncer {
  private readonly claims: Informer<ClusterClaim>;
  private readonly queue: KeyedQueue;

  constructor(private readonly o: ClaimSyncerOptions) {
    const log = (o.logger ?? silentLogger).child({ component: 'claim-syncer', cluster: o.clusterName });
    this.claims = new Informer(o.spoke, CLAIM_API_VERSION, 'ClusterClaim', { logger: log });
    this.queue = new KeyedQueue(() => this.sync(), { logger: log, maxBackoffMs: 5_000 });
    this.claims.onChange(() => this.queue.enqueue('claims'));
  }

  async start(): Promise<void> {
    await this.claims.start();
    this.queue.enqueue('claims');
  }

  async stop(): Promise<void> {
    this.claims.stop();
    await this.queue.stop();
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }

  private async sync(): Promise<void> {
    const claims = this.claims
      .list()
      .map((c) => ({ name: c.metadata.name ?? '', value: c.spec?.value ?? '' }))
      .sort((a, b) => a.name.localeCompare(b.name))
      .slice(0, MAX_CUSTOM_CLAIMS);
    const mc = await this.o.hub.get<ManagedCluster>(
      CLUSTER_API_VERSION,
      'ManagedCluster',
      this.o.clusterName,
    );
    if (!mc || sameJson(mc.status?.clusterClaims ?? [], claims)) return;
    await this.o.hub.updateStatus({ ...mc, status: { ...mc.status, clusterClaims: claims } });
  }
}
