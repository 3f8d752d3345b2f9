/** Placement and ManagedClusterSetBindings of a job. Pure. */
import {
  CLUSTER_SET_BINDING_API_VERSION,
  PLACEMENT_API_VERSION,
  type ManagedClusterSetBinding,
  type Placement,
} from '@ocm-fl/common/api/ocm.js';
import { flLabels, flNames } from '../names.js';
import type { ResolvedJob } from '../spec.js';
import { ownerRef } from './owner.js';

export function renderPlacement(job: ResolvedJob): Placement {
  return {
    apiVersion: PLACEMENT_API_VERSION,
    kind: 'Placement',
    metadata: {
      name: flNames.placement(job),
      namespace: job.namespace,
      labels: flLabels(job, 'placement'),
      ownerReferences: [ownerRef(job)],
    },
    spec: structuredClone(job.placement),
  };
}

/**
 * One binding per cluster set the placement names, as upstream does. Bindings are shared by
 * every placement in the namespace, so they carry no owner and are never deleted by a job.
 */
export function renderClusterSetBindings(job: ResolvedJob): ManagedClusterSetBinding[] {
  const sets = [...new Set(job.placement.clusterSets ?? [])].sort();
  return sets.map((set) => ({
    apiVersion: CLUSTER_SET_BINDING_API_VERSION,
    kind: 'ManagedClusterSetBinding',
    metadata: { name: set, namespace: job.namespace },
    spec: { clusterSet: set },
  }));
}
