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

/** The cluster set OCM creates with every cluster in it (clusterset label selector `{}`). */
export const GLOBAL_CLUSTER_SET = 'global';

/**
 * One binding per cluster set the placement names, as upstream does; a placement naming none
 * (the upstream sample) selects from every set bound to its namespace, so it gets `global`
 * bound, otherwise a fresh namespace selects nothing. Bindings are shared by every placement
 * in the namespace, so they carry no owner and are never deleted by a job.
 */
export function renderClusterSetBindings(job: ResolvedJob): ManagedClusterSetBinding[] {
  const named = job.placement.clusterSets ?? [];
  const sets = [...new Set(named.length > 0 ? named : [GLOBAL_CLUSTER_SET])].sort();
  return sets.map((set) => ({
    apiVersion: CLUSTER_SET_BINDING_API_VERSION,
    kind: 'ManagedClusterSetBinding',
    metadata: { name: set, namespace: job.namespace },
    spec: { clusterSet: set },
  }));
}
