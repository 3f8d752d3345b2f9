/**
 * What `clusteradm` does for the tests and the demo until the real one arrives with the real
 * tier: `addon enable/disable` (checks the ManagedClusters and the ClusterManagementAddOn exist,
 * then creates/updates or deletes ManagedClusterAddOn `<addon>` in each cluster namespace) and a
 * cluster join that leaves the hub as an accepted, joined, available cluster would.
 */
import type { Condition } from '@ocm-fl/common/api/meta.js';
import {
  ADDON_API_VERSION,
  CLAIM_API_VERSION,
  CLUSTER_API_VERSION,
  CLUSTER_SET_BINDING_API_VERSION,
  type ClusterClaim,
  type ClusterManagementAddOn,
  type ManagedCluster,
  type ManagedClusterAddOn,
} from '@ocm-fl/common/api/ocm.js';
import type { KubeClient } from '@ocm-fl/common/kube/client.js';
import { isAlreadyExists, isConflict } from '@ocm-fl/common/kube/errors.js';
import { DEFAULT_INSTALL_NAMESPACE } from '@ocm-fl/common/names.js';
import { CLUSTER_SET_LABEL } from './placement/select.js';
import type { ManagedClusterSet } from './placement/types.js';

export interface AddonEnableOptions {
  hub: KubeClient;
  names: string[];
  clusters: string[];
  /** Agent install namespace; clusteradm's default is open-cluster-management-agent-addon. */
  namespace?: string;
}

export async function addonEnable(o: AddonEnableOptions): Promise<ManagedClusterAddOn[]> {
  for (const c of o.clusters) {
    if (!(await o.hub.get(CLUSTER_API_VERSION, 'ManagedCluster', c)))
      throw new Error(`managed cluster ${c} not found`);
  }
  for (const n of o.names) {
    if (!(await o.hub.get<ClusterManagementAddOn>(ADDON_API_VERSION, 'ClusterManagementAddOn', n))) {
      throw new Error(`ClusterManagementAddOn ${n} not found`);
    }
  }
  const out: ManagedClusterAddOn[] = [];
  for (const c of o.clusters) {
    for (const n of o.names) {
      const { object } = await o.hub.apply<ManagedClusterAddOn>({
        apiVersion: ADDON_API_VERSION,
        kind: 'ManagedClusterAddOn',
        metadata: { name: n, namespace: c },
        spec: { installNamespace: o.namespace ?? DEFAULT_INSTALL_NAMESPACE },
      });
      out.push(object);
    }
  }
  return out;
}

export async function addonDisable(o: Omit<AddonEnableOptions, 'namespace'>): Promise<void> {
  for (const c of o.clusters)
    for (const n of o.names) await o.hub.delete(ADDON_API_VERSION, 'ManagedClusterAddOn', n, c);
}

export interface JoinOptions {
  labels?: Record<string, string>;
  /** ClusterClaims: created on `spoke` when given (the claim syncer copies them), else written to status directly. */
  claims?: Record<string, string>;
  /** e.g. { cpu: '8', memory: '16Gi' }; also used as capacity. */
  allocatable?: Record<string, string>;
  spoke?: KubeClient;
  /** Cluster set label value; default "default" as OCM's DefaultClusterSet feature sets it. */
  clusterSet?: string;
  /** ManagedCluster spec.leaseDurationSeconds (klusterlet lease period; the hub's grace is 5×). */
  leaseDurationSeconds?: number;
}

async function createIfMissing<T extends { apiVersion: string; kind: string; metadata: { name?: string } }>(
  hub: KubeClient,
  obj: T,
): Promise<void> {
  try {
    await hub.create(obj as never);
  } catch (e) {
    if (!isAlreadyExists(e)) throw e;
  }
}

/** The ManagedClusterSets OCM's hub creates: `default` (label membership) and `global` (all clusters). */
export async function ensureDefaultClusterSets(hub: KubeClient): Promise<void> {
  const set = (name: string, spec: ManagedClusterSet['spec']): ManagedClusterSet => ({
    apiVersion: CLUSTER_SET_BINDING_API_VERSION,
    kind: 'ManagedClusterSet',
    metadata: { name },
    spec,
  });
  await createIfMissing(
    hub,
    set('default', { clusterSelector: { selectorType: 'ExclusiveClusterSetLabel' } }),
  );
  await createIfMissing(
    hub,
    set('global', { clusterSelector: { selectorType: 'LabelSelector', labelSelector: {} } }),
  );
}

const joinedConditions = (now: string): Condition[] => [
  {
    type: 'HubAcceptedManagedCluster',
    status: 'True',
    reason: 'HubClusterAdminAccepted',
    message: 'Accepted by hub cluster admin',
    lastTransitionTime: now,
  },
  {
    type: 'ManagedClusterConditionAvailable',
    status: 'True',
    reason: 'ManagedClusterAvailable',
    message: 'Managed cluster is available',
    lastTransitionTime: now,
  },
  {
    type: 'ManagedClusterJoined',
    status: 'True',
    reason: 'ManagedClusterJoined',
    message: 'Managed cluster joined',
    lastTransitionTime: now,
  },
];

/** Register and accept cluster `name` on the hub, with its namespace, set membership, claims and resources. */
export async function joinCluster(
  hub: KubeClient,
  name: string,
  o: JoinOptions = {},
): Promise<ManagedCluster> {
  await ensureDefaultClusterSets(hub);
  await createIfMissing(hub, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  const { object } = await hub.apply<ManagedCluster>({
    apiVersion: CLUSTER_API_VERSION,
    kind: 'ManagedCluster',
    metadata: { name, labels: { [CLUSTER_SET_LABEL]: o.clusterSet ?? 'default', ...o.labels } },
    spec: { hubAcceptsClient: true, leaseDurationSeconds: o.leaseDurationSeconds ?? 60 },
  });
  const claims = Object.entries(o.claims ?? {}).map(([n, value]) => ({ name: n, value }));
  if (o.spoke) {
    for (const c of claims) {
      await o.spoke.apply<ClusterClaim>({
        apiVersion: CLAIM_API_VERSION,
        kind: 'ClusterClaim',
        metadata: { name: c.name },
        spec: { value: c.value },
      });
    }
  }
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  for (let attempt = 0; ; attempt++) {
    const fresh = (await hub.get<ManagedCluster>(CLUSTER_API_VERSION, 'ManagedCluster', name)) ?? object;
    try {
      return await hub.updateStatus(joinedStatus(fresh, now, claims, o));
    } catch (e) {
      if (!isConflict(e) || attempt >= 5) throw e;
    }
  }
}

function joinedStatus(
  mc: ManagedCluster,
  now: string,
  claims: { name: string; value: string }[],
  o: JoinOptions,
): ManagedCluster {
  const status = {
    ...mc.status,
    conditions: joinedConditions(now),
    version: { kubernetes: 'v1.30.0-embedded' },
    ...(o.allocatable ? { allocatable: o.allocatable, capacity: o.allocatable } : {}),
    ...(o.spoke ? {} : { clusterClaims: claims.sort((a, b) => a.name.localeCompare(b.name)) }),
  };
  return { ...mc, status } as ManagedCluster;
}
