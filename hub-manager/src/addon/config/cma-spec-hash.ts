/**
 * What an addon's own manager owes OCM's addon manager (addon-framework's `cmaconfig`
 * controller does it upstream): the spec hash of each config named in the
 * ClusterManagementAddOn's `status.defaultconfigReferences` and `status.installProgressions[]
 * .configReferences`. OCM's addon manager copies these into every ManagedClusterAddOn's
 * `status.configReferences`; left empty, it writes `specHash: ""` there and disagrees with the
 * hash the hub-manager writes (e2e/real/DIFFERENCES.md 8). Only entries OCM created are filled.
 */
import type { AddOnDeploymentConfig, ClusterManagementAddOnStatus } from '@ocm-fl/common/api/ocm.js';
import { ADDON_GROUP } from '@ocm-fl/common/api/ocm.js';
import { DEPLOYMENT_CONFIG_RESOURCE, specHash } from './resolve.js';

interface Ref {
  group?: string;
  resource?: string;
  desiredConfig?: { name?: string; namespace?: string; specHash?: string };
}

type Lookup = (namespace: string, name: string) => AddOnDeploymentConfig | undefined;

function filled(ref: Ref, lookup: Lookup): Ref {
  const d = ref.desiredConfig;
  if (ref.group !== ADDON_GROUP || ref.resource !== DEPLOYMENT_CONFIG_RESOURCE || !d?.name) return ref;
  const adc = lookup(d.namespace ?? '', d.name);
  if (!adc) return ref;
  return { ...ref, desiredConfig: { ...d, specHash: specHash(adc) } };
}

/** The CMA status with every AddOnDeploymentConfig spec hash filled in. Pure. */
export function cmaStatusWithSpecHashes(
  status: ClusterManagementAddOnStatus | undefined,
  lookup: Lookup,
): ClusterManagementAddOnStatus {
  const out: ClusterManagementAddOnStatus = { ...(status ?? {}) };
  if (status?.defaultconfigReferences)
    out.defaultconfigReferences = (status.defaultconfigReferences as Ref[]).map((r) => filled(r, lookup));
  if (status?.installProgressions)
    out.installProgressions = (status.installProgressions as { configReferences?: Ref[] }[]).map((p) =>
      p.configReferences ? { ...p, configReferences: p.configReferences.map((r) => filled(r, lookup)) } : p,
    );
  return out;
}
