import { describe, expect, it } from '@jest/globals';
import type { Condition } from '@ocm-fl/common/api/meta.js';
import type { ManagedCluster } from '@ocm-fl/common/api/ocm.js';
import {
  addonConditionForCluster,
  clusterLeaseVerdict,
  gracePeriodMs,
  leaseStoppedCondition,
} from './cluster-lease.js';
import type { Lease } from './lease-condition.js';

const T0 = Date.parse('2026-12-03T10:00:00Z');
const accepted: Condition = {
  type: 'HubAcceptedManagedCluster',
  status: 'True',
  reason: 'HubClusterAdminAccepted',
  message: '',
  lastTransitionTime: '2026-12-03T09:00:00Z',
};

function newCluster(
  o: { leaseSeconds?: number; conditions?: Condition[]; deleting?: boolean } = {},
): ManagedCluster {
  return {
    apiVersion: 'cluster.open-cluster-management.io/v1',
    kind: 'ManagedCluster',
    metadata: { name: 'c1', ...(o.deleting ? { deletionTimestamp: '2026-12-03T10:00:00Z' } : {}) },
    spec: {
      hubAcceptsClient: true,
      ...(o.leaseSeconds !== undefined ? { leaseDurationSeconds: o.leaseSeconds } : {}),
    },
    status: { conditions: o.conditions ?? [accepted] },
  };
}

const leaseRenewedAt = (ms: number): Lease => ({
  apiVersion: 'coordination.k8s.io/v1',
  kind: 'Lease',
  metadata: { name: 'managed-cluster-lease', namespace: 'c1' },
  spec: { renewTime: new Date(ms).toISOString() },
});

describe('clusterLeaseVerdict', () => {
  it('grace is 5 × leaseDurationSeconds, 60 s when unset or zero (upstream #183)', () => {
    expect(gracePeriodMs(newCluster({ leaseSeconds: 2 }))).toBe(10_000);
    expect(gracePeriodMs(newCluster())).toBe(300_000);
    expect(gracePeriodMs(newCluster({ leaseSeconds: 0 }))).toBe(300_000);
  });

  it('skips a cluster that was never accepted', () => {
    expect(clusterLeaseVerdict(newCluster({ conditions: [] }), undefined, T0)).toMatchObject({
      kind: 'skip',
    });
  });

  it('creates the lease of an accepted cluster that has none; a deleting one is expired at once', () => {
    expect(clusterLeaseVerdict(newCluster(), undefined, T0)).toEqual({ kind: 'create-lease' });
    expect(clusterLeaseVerdict(newCluster({ deleting: true }), undefined, T0).kind).toBe('expired');
  });

  it('is fresh until renewTime + grace, rechecking exactly then, and expired from that instant', () => {
    const c = newCluster({ leaseSeconds: 2 });
    expect(clusterLeaseVerdict(c, leaseRenewedAt(T0), T0 + 9_000)).toEqual({
      kind: 'fresh',
      recheckAfterMs: 1_000,
    });
    expect(clusterLeaseVerdict(c, leaseRenewedAt(T0), T0 + 10_000)).toEqual({
      kind: 'expired',
      recheckAfterMs: 10_000,
    });
  });

  it('treats a lease without a readable renewTime as expired', () => {
    const bad: Lease = { ...leaseRenewedAt(T0), spec: {} };
    expect(clusterLeaseVerdict(newCluster(), bad, T0).kind).toBe('expired');
  });
});

describe('addonConditionForCluster', () => {
  const withAvailable = (status: 'True' | 'False' | 'Unknown'): ManagedCluster =>
    newCluster({
      conditions: [
        accepted,
        { ...leaseStoppedCondition(), status, lastTransitionTime: '2026-12-03T10:00:00Z' },
      ],
    });

  it('copies an Unknown cluster onto its addons with the same reason and message', () => {
    expect(addonConditionForCluster(withAvailable('Unknown'))).toEqual({
      type: 'Available',
      status: 'Unknown',
      reason: 'ManagedClusterLeaseUpdateStopped',
      message: 'Registration agent stopped updating its lease.',
    });
  });

  it('leaves addons alone for True, False (each addon reports an unhealthy API server) and no condition', () => {
    expect(addonConditionForCluster(withAvailable('True'))).toBeUndefined();
    expect(addonConditionForCluster(withAvailable('False'))).toBeUndefined();
    expect(addonConditionForCluster(newCluster())).toBeUndefined();
  });
});
