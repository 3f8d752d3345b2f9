/** Cluster API shapes the shared types (common/src/api/ocm.ts) do not carry yet. */
import type { Condition, KubeObject } from '@ocm-fl/common/api/meta.js';
import type { LabelSelector } from '@ocm-fl/common/api/ocm.js';

export interface ManagedClusterSetSpec {
  clusterSelector?: {
    selectorType?: 'ExclusiveClusterSetLabel' | 'LabelSelector';
    labelSelector?: LabelSelector;
  };
}

export type ManagedClusterSet = KubeObject<ManagedClusterSetSpec, { conditions?: Condition[] }>;

/** ManagedCluster taint with the placement effects (NoSelect, PreferNoSelect, NoSelectIfNew). */
export interface PlacementTaint {
  key: string;
  value?: string;
  effect: 'NoSelect' | 'PreferNoSelect' | 'NoSelectIfNew';
  timeAdded?: string;
}

export type AddOnPlacementScore = KubeObject<
  never,
  { scores?: { name: string; value: number }[]; validUntil?: string }
>;
