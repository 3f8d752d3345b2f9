/** Informers the FL controller watches, and how their events map to FederatedLearning keys. */
import { FL_KIND, type FederatedLearning } from '@ocm-fl/common/api/federated-learning.js';
import type { KubeObject } from '@ocm-fl/common/api/meta.js';
import {
  ADDON_API_VERSION,
  CLUSTER_API_VERSION,
  PLACEMENT_API_VERSION,
  WORK_API_VERSION,
  type ManagedCluster,
  type ManagedClusterAddOn,
  type ManifestWork,
  type PlacementDecision,
} from '@ocm-fl/common/api/ocm.js';
import { Informer } from '@ocm-fl/common/kube/informer.js';
import type { KubeClient } from '@ocm-fl/common/kube/client.js';
import type { Logger } from '@ocm-fl/common/logger.js';
import { ADDON_NAME, FL_API_VERSION, PLACEMENT_LABEL } from '@ocm-fl/common/names.js';
import { FL_UID_LABEL } from './names.js';

export interface Sources {
  fls: Informer<FederatedLearning>;
  decisions: Informer<PlacementDecision>;
  addons: Informer<ManagedClusterAddOn>;
  clusters: Informer<ManagedCluster>;
  works: Informer<ManifestWork>;
  jobs: Informer<KubeObject>;
  services: Informer<KubeObject>;
  /** The jobs' ConfigMaps, among them the state each aggregator publishes its progress to. */
  configMaps: Informer<KubeObject>;
}

export function createSources(client: KubeClient, logger: Logger): Sources {
  const owned = { labelSelector: FL_UID_LABEL, logger };
  return {
    fls: new Informer<FederatedLearning>(client, FL_API_VERSION, FL_KIND, { logger }),
    decisions: new Informer<PlacementDecision>(client, PLACEMENT_API_VERSION, 'PlacementDecision', {
      labelSelector: PLACEMENT_LABEL,
      logger,
    }),
    addons: new Informer<ManagedClusterAddOn>(client, ADDON_API_VERSION, 'ManagedClusterAddOn', {
      fieldSelector: `metadata.name=${ADDON_NAME}`,
      logger,
    }),
    clusters: new Informer<ManagedCluster>(client, CLUSTER_API_VERSION, 'ManagedCluster', { logger }),
    works: new Informer<ManifestWork>(client, WORK_API_VERSION, 'ManifestWork', owned),
    jobs: new Informer<KubeObject>(client, 'batch/v1', 'Job', owned),
    services: new Informer<KubeObject>(client, 'v1', 'Service', owned),
    configMaps: new Informer<KubeObject>(client, 'v1', 'ConfigMap', owned),
  };
}

const keyOf = (o: KubeObject): string => `${o.metadata.namespace}/${o.metadata.name}`;

/** Wire every informer to `enqueue` with the FederatedLearning keys an event concerns. */
export function routeEvents(s: Sources, enqueue: (key: string) => void): void {
  const all = (): void => s.fls.list().forEach((fl) => enqueue(keyOf(fl)));
  const byUid = (o: KubeObject): void => {
    const uid = o.metadata.labels?.[FL_UID_LABEL];
    const fl = s.fls.list().find((f) => f.metadata.uid === uid);
    if (fl) enqueue(keyOf(fl));
  };
  s.fls.onChange((_t, fl) => enqueue(keyOf(fl)));
  s.decisions.onChange((_t, d) => {
    const placement = d.metadata.labels?.[PLACEMENT_LABEL];
    if (placement) enqueue(`${d.metadata.namespace}/${placement}`);
  });
  s.addons.onChange(all);
  s.clusters.onChange(all);
  s.works.onChange((_t, o) => byUid(o));
  s.jobs.onChange((_t, o) => byUid(o));
  s.services.onChange((_t, o) => byUid(o));
  // Progress arrives as state ConfigMap updates: a reconcile per change, no timed polling.
  s.configMaps.onChange((_t, o) => byUid(o));
}

export async function startSources(s: Sources): Promise<void> {
  await Promise.all(Object.values(s).map((i: Informer<KubeObject>) => i.start()));
}

export function stopSources(s: Sources): void {
  for (const i of Object.values(s) as Informer<KubeObject>[]) i.stop();
}
