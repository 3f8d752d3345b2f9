/**
 * `installStrategy: Placements`: which ManagedClusterAddOns the hub-manager must create,
 * update or delete so that exactly the clusters the referenced Placements decide have one.
 * Only MCAs carrying INSTALLED_BY_LABEL are ever updated or deleted: an addon a user enabled
 * by hand (clusteradm) is left alone. Pure.
 */
import type {
  AddOnConfig,
  ClusterManagementAddOn,
  ManagedClusterAddOn,
  PlacementDecision,
} from '@ocm-fl/common/api/ocm.js';
import { ADDON_API_VERSION } from '@ocm-fl/common/api/ocm.js';
import { ADDON_NAME, DEFAULT_INSTALL_NAMESPACE, PLACEMENT_LABEL } from '@ocm-fl/common/names.js';
import { goJson } from './config/resolve.js';

export const INSTALLED_BY_LABEL = 'federated-learning.open-cluster-management.io/installed-by';
export const INSTALLED_BY_VALUE = 'placement';
export const PLACEMENTS_ANNOTATION = 'federated-learning.open-cluster-management.io/placements';

export interface InstallPlan {
  create: ManagedClusterAddOn[];
  update: ManagedClusterAddOn[];
  /** Cluster namespaces whose MCA to delete. */
  delete: string[];
}

interface Wanted {
  placements: string[];
  configs: AddOnConfig[];
}

/** cluster → the placements that chose it and the configs they bring (first placement wins per group/resource). */
function addDecision(
  out: Map<string, Wanted>,
  clusterName: string,
  ref: string,
  configs: readonly AddOnConfig[],
): void {
  const w = out.get(clusterName) ?? { placements: [], configs: [] };
  if (!w.placements.includes(ref)) w.placements.push(ref);
  for (const c of configs) {
    if (!w.configs.some((x) => x.group === c.group && x.resource === c.resource)) w.configs.push({ ...c });
  }
  out.set(clusterName, w);
}

/** cluster → the placements that chose it and the configs they bring (first placement wins per group/resource). */
export function decidedClusters(
  cma: ClusterManagementAddOn,
  decisions: readonly PlacementDecision[],
): Map<string, Wanted> {
  const out = new Map<string, Wanted>();
  const strategy = cma.spec?.installStrategy;
  if (strategy?.type !== 'Placements') return out;
  for (const p of strategy.placements ?? []) {
    const mine = decisions.filter(
      (d) => d.metadata.namespace === p.namespace && d.metadata.labels?.[PLACEMENT_LABEL] === p.name,
    );
    for (const d of mine) {
      for (const { clusterName } of d.status?.decisions ?? []) {
        if (clusterName) addDecision(out, clusterName, `${p.namespace}/${p.name}`, p.configs ?? []);
      }
    }
  }
  return out;
}

function desiredAddon(cluster: string, w: Wanted, cma: ClusterManagementAddOn): ManagedClusterAddOn {
  const mca: ManagedClusterAddOn = {
    apiVersion: ADDON_API_VERSION,
    kind: 'ManagedClusterAddOn',
    metadata: {
      name: ADDON_NAME,
      namespace: cluster,
      labels: { [INSTALLED_BY_LABEL]: INSTALLED_BY_VALUE },
      annotations: { [PLACEMENTS_ANNOTATION]: [...w.placements].sort().join(',') },
    },
    spec: { installNamespace: DEFAULT_INSTALL_NAMESPACE },
  };
  if (w.configs.length) mca.spec!.configs = w.configs;
  if (cma.metadata.uid) {
    mca.metadata.ownerReferences = [
      {
        apiVersion: ADDON_API_VERSION,
        kind: 'ClusterManagementAddOn',
        name: ADDON_NAME,
        uid: cma.metadata.uid,
      },
    ];
  }
  return mca;
}

const isOurs = (m: ManagedClusterAddOn): boolean =>
  m.metadata.labels?.[INSTALLED_BY_LABEL] === INSTALLED_BY_VALUE && !m.metadata.deletionTimestamp;

/** The update for one of our addons when its configs or placements changed, else undefined. */
function updateFor(have: ManagedClusterAddOn, want: ManagedClusterAddOn): ManagedClusterAddOn | undefined {
  const sameConfigs = goJson(have.spec?.configs ?? []) === goJson(want.spec?.configs ?? []);
  const key = PLACEMENTS_ANNOTATION;
  if (sameConfigs && have.metadata.annotations?.[key] === want.metadata.annotations?.[key]) return undefined;
  const next = structuredClone(have);
  next.metadata.annotations = { ...next.metadata.annotations, ...want.metadata.annotations };
  next.spec = { ...next.spec };
  if (want.spec?.configs) next.spec.configs = want.spec.configs;
  else delete next.spec.configs;
  return next;
}

export function planPlacementInstall(
  cma: ClusterManagementAddOn,
  decisions: readonly PlacementDecision[],
  existing: readonly ManagedClusterAddOn[],
): InstallPlan {
  const wanted = decidedClusters(cma, decisions);
  const mine = existing.filter((m) => m.metadata.name === ADDON_NAME);
  const byCluster = new Map(mine.map((m) => [m.metadata.namespace!, m]));
  const plan: InstallPlan = { create: [], update: [], delete: [] };
  for (const [cluster, w] of [...wanted].sort(([a], [b]) => a.localeCompare(b))) {
    const want = desiredAddon(cluster, w, cma);
    const have = byCluster.get(cluster);
    if (!have) plan.create.push(want);
    else if (isOurs(have)) {
      const next = updateFor(have, want);
      if (next) plan.update.push(next);
    }
  }
  plan.delete = [...byCluster]
    .filter(([cluster, have]) => isOurs(have) && !wanted.has(cluster))
    .map(([cluster]) => cluster)
    .sort();
  return plan;
}
