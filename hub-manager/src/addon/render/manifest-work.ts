/**
 * Wraps the agent manifests in ManifestWork `addon-federated-learning-deploy-0` in the cluster
 * namespace, owned by the ManagedClusterAddOn, with a content hash so the reconciler writes
 * only when the rendered content changed.
 */
import { createHash } from 'node:crypto';
import type { KubeObject } from '@ocm-fl/common/api/meta.js';
import {
  ADDON_API_VERSION,
  WORK_API_VERSION,
  type ConfigReference,
  type ManagedClusterAddOn,
  type ManifestWork,
  type ManifestWorkSpec,
} from '@ocm-fl/common/api/ocm.js';
import {
  ADDON_NAME,
  ADDON_NAME_LABEL,
  DEFAULT_INSTALL_NAMESPACE,
  DEPLOY_WORK_NAME,
} from '@ocm-fl/common/names.js';
import { goJson } from '../config/resolve.js';
import { AGENT_OBJECTS } from './types.js';

export const CONTENT_HASH_ANNOTATION = 'federated-learning.open-cluster-management.io/content-hash';
/** work/v1 ManifestConfigSpecHashAnnotationKey: OCM's addon manager decides Progressing from it. */
export const CONFIG_SPEC_HASH_ANNOTATION = 'open-cluster-management.io/config-spec-hash';

/**
 * The annotation value addon-framework's agentdeploy writes: JSON (Go map key order) of
 * `<resource>.<group>/<namespace>/<name>` → spec hash of each desired config.
 */
export function configSpecHashValue(refs: readonly ConfigReference[]): string {
  const m: Record<string, string> = {};
  for (const r of refs) {
    if (!r.desiredConfig) continue;
    const res = r.group ? `${r.resource}.${r.group}` : r.resource;
    m[`${res}/${r.desiredConfig.namespace ?? ''}/${r.desiredConfig.name}`] = r.desiredConfig.specHash;
  }
  return goJson(m);
}

export function contentHash(spec: ManifestWorkSpec): string {
  return createHash('sha256').update(goJson(spec)).digest('hex');
}

/**
 * Foreground deletion so the agent (and, through the CRD, its tasks and their Jobs) is gone
 * before the work is. The shared default namespace also hosts other addons' agents, so it is
 * orphaned instead of deleted; a dedicated install namespace is deleted with the rest.
 */
function deleteOption(namespace: string): ManifestWorkSpec['deleteOption'] {
  if (namespace !== DEFAULT_INSTALL_NAMESPACE) return { propagationPolicy: 'Foreground' };
  return {
    propagationPolicy: 'SelectivelyOrphan',
    selectivelyOrphans: { orphaningRules: [{ group: '', resource: 'namespaces', name: namespace }] },
  };
}

export function renderManifestWork(
  addon: ManagedClusterAddOn,
  manifests: readonly KubeObject[],
  installNamespace: string,
  configRefs: readonly ConfigReference[] = [],
): ManifestWork {
  const { name, namespace, uid } = addon.metadata;
  if (!namespace || !name || !uid) throw new Error('addon.metadata: name, namespace and uid are required');
  const spec: ManifestWorkSpec = {
    workload: { manifests: structuredClone([...manifests]) },
    deleteOption: deleteOption(installNamespace),
    manifestConfigs: [
      {
        resourceIdentifier: {
          group: 'apps',
          resource: 'deployments',
          name: AGENT_OBJECTS.deployment,
          namespace: installNamespace,
        },
        feedbackRules: [{ type: 'WellKnownStatus' }],
      },
    ],
  };
  return {
    apiVersion: WORK_API_VERSION,
    kind: 'ManifestWork',
    metadata: {
      name: DEPLOY_WORK_NAME,
      namespace,
      labels: { [ADDON_NAME_LABEL]: ADDON_NAME },
      annotations: {
        [CONTENT_HASH_ANNOTATION]: contentHash(spec),
        ...(configRefs.length ? { [CONFIG_SPEC_HASH_ANNOTATION]: configSpecHashValue(configRefs) } : {}),
      },
      ownerReferences: [
        {
          apiVersion: ADDON_API_VERSION,
          kind: 'ManagedClusterAddOn',
          name,
          uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec,
  };
}
