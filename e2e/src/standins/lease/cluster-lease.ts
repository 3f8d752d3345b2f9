/**
 * What OCM's hub registration controller decides from a cluster's `managed-cluster-lease`
 * (cluster namespace on the hub, renewed by the klusterlet every `leaseDurationSeconds`):
 * a renewal older than 5 × leaseDurationSeconds makes the ManagedCluster Available=Unknown,
 * and the hub's addon health check copies that Unknown onto every addon of the cluster. Pure, so
 * the grace arithmetic and the condition texts are tested without a server.
 */
import { findCondition, type Condition } from '@ocm-fl/common/api/meta.js';
import type { ManagedCluster } from '@ocm-fl/common/api/ocm.js';
import type { Lease } from './lease-condition.js';

export const CLUSTER_LEASE_NAME = 'managed-cluster-lease';
export const CLUSTER_AVAILABLE = 'ManagedClusterConditionAvailable';
/** Upstream: grace = 5 × spec.leaseDurationSeconds (60 s when unset or 0). */
export const LEASE_DURATION_TIMES = 5;
const DEFAULT_LEASE_SECONDS = 60;

export const leaseStoppedCondition = (): Omit<Condition, 'lastTransitionTime'> => ({
  type: CLUSTER_AVAILABLE,
  status: 'Unknown',
  reason: 'ManagedClusterLeaseUpdateStopped',
  message: 'Registration agent stopped updating its lease.',
});

export const clusterAvailableCondition = (): Omit<Condition, 'lastTransitionTime'> => ({
  type: CLUSTER_AVAILABLE,
  status: 'True',
  reason: 'ManagedClusterAvailable',
  message: 'Managed cluster is available',
});

export type LeaseVerdict =
  | { readonly kind: 'skip'; readonly why: string }
  | { readonly kind: 'create-lease' }
  | { readonly kind: 'fresh'; readonly recheckAfterMs: number }
  | { readonly kind: 'expired'; readonly recheckAfterMs: number };

export function gracePeriodMs(cluster: ManagedCluster): number {
  const s = cluster.spec?.leaseDurationSeconds;
  return LEASE_DURATION_TIMES * (s && s > 0 ? s : DEFAULT_LEASE_SECONDS) * 1000;
}

/** The hub's view of one cluster's lease at `now`. */
export function clusterLeaseVerdict(
  cluster: ManagedCluster,
  lease: Lease | undefined,
  now: number,
): LeaseVerdict {
  if (!findCondition(cluster.status?.conditions, 'HubAcceptedManagedCluster'))
    return { kind: 'skip', why: 'never accepted' };
  const grace = gracePeriodMs(cluster);
  if (!lease)
    return cluster.metadata.deletionTimestamp
      ? { kind: 'expired', recheckAfterMs: grace }
      : { kind: 'create-lease' };
  const renewed = Date.parse(lease.spec?.renewTime ?? '');
  const expiresAt = Number.isNaN(renewed) ? now : renewed + grace;
  return now >= expiresAt
    ? { kind: 'expired', recheckAfterMs: grace }
    : { kind: 'fresh', recheckAfterMs: expiresAt - now };
}

/**
 * The Available condition each addon of a cluster gets from the hub's addon health check:
 * only an Unknown cluster overrides the addons (a False cluster means its API server is
 * unhealthy, which each addon reports itself); undefined = leave the addon alone.
 */
export function addonConditionForCluster(
  cluster: ManagedCluster,
): Omit<Condition, 'lastTransitionTime'> | undefined {
  const c = findCondition(cluster.status?.conditions, CLUSTER_AVAILABLE);
  if (!c || c.status !== 'Unknown') return undefined;
  return { type: 'Available', status: 'Unknown', reason: c.reason, message: c.message };
}
