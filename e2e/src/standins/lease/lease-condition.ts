/** The Available condition the klusterlet's addon lease controller derives from the agent's Lease. */
import type { Condition } from '@ocm-fl/common/api/meta.js';
import type { KubeObject } from '@ocm-fl/common/api/meta.js';

export type Lease = KubeObject<{
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  renewTime?: string;
  acquireTime?: string;
}>;

export function leaseAvailableCondition(
  addonName: string,
  lease: Lease | undefined,
  now: Date,
  graceMs: number,
): Omit<Condition, 'lastTransitionTime'> {
  if (!lease) {
    return {
      type: 'Available',
      status: 'Unknown',
      reason: 'ManagedClusterAddOnLeaseNotFound',
      message: `The status of ${addonName} add-on is unknown.`,
    };
  }
  const renewed = lease.spec?.renewTime ? Date.parse(lease.spec.renewTime) : NaN;
  if (!Number.isNaN(renewed) && now.getTime() < renewed + graceMs) {
    return {
      type: 'Available',
      status: 'True',
      reason: 'ManagedClusterAddOnLeaseUpdated',
      message: `${addonName} add-on is available.`,
    };
  }
  return {
    type: 'Available',
    status: 'False',
    reason: 'ManagedClusterAddOnLeaseUpdateStopped',
    message: `${addonName} add-on is not available.`,
  };
}
