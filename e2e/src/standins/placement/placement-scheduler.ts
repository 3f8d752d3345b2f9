/**
 * Tier-1 stand-in for OCM's placement controller: re-runs `selectClusters` for every Placement
 * when it or any ManagedCluster, ManagedClusterSet, binding or AddOnPlacementScore changes,
 * writes PlacementDecision `<placement>-decision-1` (label, controller owner reference,
 * `status.decisions`) and the Placement status (numberOfSelectedClusters, decisionGroups,
 * PlacementSatisfied and PlacementMisconfigured conditions). One decision object is enough
 * here (upstream splits at 100 clusters).
 */
import { setCondition, type Condition, type KubeObject } from '@ocm-fl/common/api/meta.js';
import {
  CLUSTER_API_VERSION,
  CLUSTER_SET_BINDING_API_VERSION,
  PLACEMENT_API_VERSION,
  type ManagedCluster,
  type ManagedClusterSetBinding,
  type Placement,
  type PlacementDecision,
} from '@ocm-fl/common/api/ocm.js';
import type { KubeClient } from '@ocm-fl/common/kube/client.js';
import { Informer } from '@ocm-fl/common/kube/informer.js';
import { KeyedQueue } from '@ocm-fl/common/kube/keyed-queue.js';
import { objectKey, parseKey } from '@ocm-fl/common/kube/paths.js';
import type { Logger } from '@ocm-fl/common/logger.js';
import { silentLogger } from '@ocm-fl/common/logger.js';
import { PLACEMENT_LABEL } from '@ocm-fl/common/names.js';
import { sameJson } from '../same-json.js';
import { selectClusters } from './select.js';
import type { AddOnPlacementScore, ManagedClusterSet } from './types.js';

export const DECISION_GROUP_NAME_LABEL = 'cluster.open-cluster-management.io/decision-group-name';
export const DECISION_GROUP_INDEX_LABEL = 'cluster.open-cluster-management.io/decision-group-index';

export interface PlacementSchedulerOptions {
  hub: KubeClient;
  logger?: Logger;
}

export class PlacementScheduler {
  private readonly placements: Informer<Placement>;
  private readonly decisions: Informer<PlacementDecision>;
  private readonly clusters: Informer<ManagedCluster>;
  private readonly sets: Informer<ManagedClusterSet>;
  private readonly bindings: Informer<ManagedClusterSetBinding>;
  private readonly scores: Informer<AddOnPlacementScore>;
  private readonly queue: KeyedQueue;
  private started = false;

  constructor(private readonly o: PlacementSchedulerOptions) {
    const log = (o.logger ?? silentLogger).child({ component: 'placement-scheduler' });
    this.placements = new Informer(o.hub, PLACEMENT_API_VERSION, 'Placement', { logger: log });
    this.decisions = new Informer(o.hub, PLACEMENT_API_VERSION, 'PlacementDecision', { logger: log });
    this.clusters = new Informer(o.hub, CLUSTER_API_VERSION, 'ManagedCluster', { logger: log });
    this.sets = new Informer(o.hub, CLUSTER_SET_BINDING_API_VERSION, 'ManagedClusterSet', { logger: log });
    this.bindings = new Informer(o.hub, CLUSTER_SET_BINDING_API_VERSION, 'ManagedClusterSetBinding', {
      logger: log,
    });
    this.scores = new Informer(o.hub, 'cluster.open-cluster-management.io/v1alpha1', 'AddOnPlacementScore', {
      logger: log,
    });
    this.queue = new KeyedQueue((k) => this.reconcile(k), { logger: log, maxBackoffMs: 5_000 });
    this.placements.onChange((t, p) => {
      if (t !== 'DELETED') this.queue.enqueue(objectKey(p));
    });
    const all = (): void => {
      if (this.started) for (const p of this.placements.list()) this.queue.enqueue(objectKey(p));
    };
    for (const inf of [this.clusters, this.sets, this.bindings, this.scores] as Informer<KubeObject>[])
      inf.onChange(all);
    this.decisions.onChange((t, d) => {
      // A decision edited or deleted by someone else is rewritten.
      const p = d.metadata.labels?.[PLACEMENT_LABEL];
      if (p && t !== 'ADDED') this.queue.enqueue(`${d.metadata.namespace}/${p}`);
    });
  }

  async start(): Promise<void> {
    await Promise.all(
      [this.clusters, this.sets, this.bindings, this.scores, this.decisions].map((i) => i.start()),
    );
    this.started = true;
    await this.placements.start();
  }

  async stop(): Promise<void> {
    for (const i of [this.placements, this.decisions, this.clusters, this.sets, this.bindings, this.scores])
      i.stop();
    await this.queue.stop();
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }

  private async reconcile(key: string): Promise<void | { requeueAfterMs: number }> {
    const { namespace, name } = parseKey(key);
    const placement = this.placements.get(name, namespace);
    if (!placement || placement.metadata.deletionTimestamp || !namespace) return;
    if (
      placement.metadata.annotations?.[
        'cluster.open-cluster-management.io/experimental-scheduling-disable'
      ] === 'true'
    )
      return;
    const mine = this.decisions
      .list()
      .filter((d) => d.metadata.namespace === namespace && d.metadata.labels?.[PLACEMENT_LABEL] === name);
    const others = new Map<string, number>();
    for (const d of this.decisions.list()) {
      if (d.metadata.namespace === namespace && d.metadata.labels?.[PLACEMENT_LABEL] === name) continue;
      for (const x of d.status?.decisions ?? [])
        others.set(x.clusterName, (others.get(x.clusterName) ?? 0) + 1);
    }
    const r = selectClusters({
      placement,
      clusters: this.clusters.list(),
      clusterSets: this.sets.list(),
      bindings: this.bindings
        .list()
        .filter((b) => b.metadata.namespace === namespace)
        .map((b) => b.metadata.name ?? ''),
      previousDecisions: mine.flatMap((d) => (d.status?.decisions ?? []).map((x) => x.clusterName)),
      otherDecisionCounts: others,
      addOnScore: (cluster, resource, score) =>
        this.scores.get(resource, cluster)?.status?.scores?.find((s) => s.name === score)?.value,
    });
    const decisionName = `${name}-decision-1`;
    await this.writeDecision(placement, decisionName, r.decisions);
    for (const d of mine)
      if (d.metadata.name !== decisionName)
        await this.o.hub.delete(PLACEMENT_API_VERSION, 'PlacementDecision', d.metadata.name ?? '', namespace);
    await this.writeStatus(placement, decisionName, r.decisions.length, [
      r.misconfigured as Condition,
      r.satisfied as Condition,
    ]);
    if (r.requeueAt) return { requeueAfterMs: Math.max(r.requeueAt.getTime() - Date.now(), 100) };
  }

  private async writeDecision(placement: Placement, name: string, clusters: string[]): Promise<void> {
    const ns = placement.metadata.namespace ?? '';
    const decisions = clusters.map((clusterName) => ({ clusterName, reason: '' }));
    let d =
      this.decisions.get(name, ns) ??
      (await this.o.hub.get<PlacementDecision>(PLACEMENT_API_VERSION, 'PlacementDecision', name, ns));
    if (!d) {
      d = await this.o.hub.create<PlacementDecision>({
        apiVersion: PLACEMENT_API_VERSION,
        kind: 'PlacementDecision',
        metadata: {
          name,
          namespace: ns,
          labels: {
            [PLACEMENT_LABEL]: placement.metadata.name ?? '',
            [DECISION_GROUP_NAME_LABEL]: '',
            [DECISION_GROUP_INDEX_LABEL]: '0',
          },
          ownerReferences: [
            {
              apiVersion: PLACEMENT_API_VERSION,
              kind: 'Placement',
              name: placement.metadata.name ?? '',
              uid: placement.metadata.uid ?? '',
              controller: true,
              blockOwnerDeletion: true,
            },
          ],
        },
      });
    }
    if (!sameJson(d.status?.decisions ?? [], decisions)) {
      await this.o.hub.updateStatus({ ...d, status: { decisions } });
    }
  }

  private async writeStatus(
    placement: Placement,
    decisionName: string,
    selected: number,
    conds: Condition[],
  ): Promise<void> {
    let conditions = placement.status?.conditions;
    for (const c of conds)
      conditions = setCondition(conditions, {
        ...c,
        observedGeneration: placement.metadata.generation,
      } as Condition);
    const status = {
      ...placement.status,
      numberOfSelectedClusters: selected,
      decisionGroups: [
        { decisionGroupIndex: 0, decisionGroupName: '', decisions: [decisionName], clusterCount: selected },
      ],
      conditions,
    };
    if (sameJson(status, placement.status ?? {})) return;
    await this.o.hub.updateStatus({ ...placement, status });
  }
}
