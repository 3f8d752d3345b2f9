/**
 * Reactions kube-apiserver and kube-controller-manager perform on their own: CRDs start or stop serving
 * their resources, and every new namespace gets its `default` ServiceAccount and `kube-root-ca.crt`.
 */
import type { Logger } from '@ocm-fl/common/logger.js';
import { newUid, now } from './meta.js';
import type { StoreEvent } from './store.js';
import type { KubeObject } from './types.js';
import { resourceKey } from './types.js';
import type { Deps } from './writes.js';

const CRD_KEY = 'apiextensions.k8s.io/customresourcedefinitions';

function systemObject(
  apiVersion: string,
  kind: string,
  namespace: string,
  name: string,
  extra: Record<string, unknown>,
): KubeObject {
  return {
    apiVersion,
    kind,
    metadata: { name, namespace, uid: newUid(), creationTimestamp: now() },
    ...extra,
  };
}

export function onCrdEvent(d: Deps, e: StoreEvent, log: Logger): void {
  if (e.rkey !== CRD_KEY) return;
  if (e.type !== 'DELETED') {
    try {
      d.registry.addCrd(e.obj);
    } catch (err) {
      log.warn('CRD not served', { crd: e.obj.metadata.name, error: err });
    }
    return;
  }
  const r = d.registry.byGroupPlural(
    String((e.obj.spec as { group?: string }).group),
    String((e.obj.spec as { names?: { plural?: string } }).names?.plural),
  );
  if (!r || r.crd !== e.obj.metadata.name) return;
  // Instances go first (their watchers see DELETED), then the resource stops being served.
  for (const o of d.store.list(resourceKey(r)))
    d.store.remove(resourceKey(r), o.metadata.namespace, o.metadata.name ?? '');
  d.registry.removeCrd(e.obj.metadata.name ?? '');
}

export function onNamespaceAdded(d: Deps, e: StoreEvent, caPem: string): void {
  if (e.rkey !== '/namespaces' || e.type !== 'ADDED') return;
  const ns = e.obj.metadata.name ?? '';
  // Deferred so the namespace's own event reaches every watcher first.
  setImmediate(() => {
    const cur = d.store.get('/namespaces', undefined, ns);
    if (!cur || cur.metadata.deletionTimestamp) return;
    if (!d.store.get('/serviceaccounts', ns, 'default'))
      d.store.put('/serviceaccounts', systemObject('v1', 'ServiceAccount', ns, 'default', {}));
    if (!d.store.get('/configmaps', ns, 'kube-root-ca.crt')) {
      d.store.put(
        '/configmaps',
        systemObject('v1', 'ConfigMap', ns, 'kube-root-ca.crt', { data: { 'ca.crt': caPem } }),
      );
    }
  });
}
