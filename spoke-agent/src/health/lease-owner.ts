/**
 * The owner of the agent's Lease: its config ConfigMap, an object of the agent ManifestWork,
 * so garbage collection deletes the Lease when the addon is disabled. Looked up until found,
 * then remembered (its UID does not change while the ManifestWork keeps it).
 */
import type { KubeObject, OwnerReference } from '@ocm-fl/common/api/meta.js';
import type { KubeClient } from '@ocm-fl/common/kube/client.js';
import { AGENT_CONFIG_CONFIGMAP } from '@ocm-fl/common/names.js';

/** The owner reference for a ConfigMap as read from the API (undefined without a uid). Pure. */
export function configMapOwner(cm: KubeObject | undefined): OwnerReference | undefined {
  const { name, uid } = cm?.metadata ?? {};
  return name && uid ? { apiVersion: 'v1', kind: 'ConfigMap', name, uid } : undefined;
}

export function leaseOwner(kube: KubeClient, namespace: string): () => Promise<OwnerReference | undefined> {
  let found: OwnerReference | undefined;
  return async () => {
    // A lookup error (e.g. RBAC not there yet) leaves the Lease unowned for now, never unrenewed.
    found ??= configMapOwner(
      await kube.get<KubeObject>('v1', 'ConfigMap', AGENT_CONFIG_CONFIGMAP, namespace).catch(() => undefined),
    );
    return found;
  };
}
