/**
 * Deletion of a FederatedLearning: remove what it created, then its finalizer. Task works
 * live in cluster namespaces (no cross-namespace owner references), so they are deleted
 * explicitly; same-namespace objects are owned by the CR and deleted here too, so cleanup
 * does not depend on a garbage collector. Cluster-set bindings are shared and stay.
 */
import { FL_FINALIZER, type FederatedLearning } from '@ocm-fl/common/api/federated-learning.js';
import type { KubeObject } from '@ocm-fl/common/api/meta.js';
import { PLACEMENT_API_VERSION } from '@ocm-fl/common/api/ocm.js';
import type { FlControllerDeps } from './deps.js';
import { FL_UID_LABEL } from './names.js';
import type { Sources } from './sources.js';

const OWNED_KINDS: readonly [string, string][] = [
  [PLACEMENT_API_VERSION, 'Placement'],
  ['batch/v1', 'Job'],
  ['v1', 'Service'],
  ['v1', 'ConfigMap'],
  ['v1', 'Secret'],
  ['v1', 'PersistentVolumeClaim'],
];

const ownedBy = (o: KubeObject, uid: string | undefined): boolean =>
  o.metadata.labels?.[FL_UID_LABEL] === uid || !!o.metadata.ownerReferences?.some((r) => r.uid === uid);

export async function cleanup(deps: FlControllerDeps, s: Sources, fl: FederatedLearning): Promise<void> {
  const { client } = deps;
  const uid = fl.metadata.uid;
  if (!fl.metadata.finalizers?.includes(FL_FINALIZER)) return;
  for (const w of s.works.list())
    if (w.metadata.labels?.[FL_UID_LABEL] === uid)
      await client.delete(w.apiVersion, w.kind, w.metadata.name ?? '', w.metadata.namespace);
  for (const [apiVersion, kind] of OWNED_KINDS) {
    const items = await client.list<KubeObject>(apiVersion, kind, { namespace: fl.metadata.namespace });
    for (const o of items)
      if (ownedBy(o, uid))
        await client.delete(apiVersion, kind, o.metadata.name ?? '', o.metadata.namespace, {
          propagationPolicy: 'Background',
        });
  }
  const finalizers = (fl.metadata.finalizers ?? []).filter((f) => f !== FL_FINALIZER);
  await client.update({ ...fl, metadata: { ...fl.metadata, finalizers } });
  deps.logger.info('federated learning cleaned up', {
    namespace: fl.metadata.namespace,
    name: fl.metadata.name,
  });
}
