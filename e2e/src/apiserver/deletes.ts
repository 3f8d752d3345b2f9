/** DELETE semantics: preconditions, propagation policy finalizers, graceful pods, finalizers and deletionTimestamp. */
import { badRequest, conflict, notFound, successStatus } from './errors.js';
import { now } from './meta.js';
import type { KubeObject } from './types.js';
import { resourceKey } from './types.js';
import type { Deps, Target, WriteCtx } from './writes.js';

export interface DeleteOptions {
  propagationPolicy?: string;
  gracePeriodSeconds?: number;
  orphanDependents?: boolean;
  preconditions?: { uid?: string; resourceVersion?: string };
}

export const ORPHAN = 'orphan';
export const FOREGROUND = 'foregroundDeletion';

function policyOf(t: Target, opts: DeleteOptions): string {
  if (opts.propagationPolicy) {
    if (!['Orphan', 'Background', 'Foreground'].includes(opts.propagationPolicy)) {
      throw badRequest(
        `propagationPolicy: Unsupported value: "${opts.propagationPolicy}": supported values: "Foreground", "Background", "Orphan"`,
      );
    }
    return opts.propagationPolicy;
  }
  if (opts.orphanDependents !== undefined) return opts.orphanDependents ? 'Orphan' : 'Background';
  return t.r.orphanByDefault ? 'Orphan' : 'Background';
}

/** Result is the object (deletion pending) or a Success Status (gone). */
export function deleteObject(
  d: Deps,
  t: Target,
  opts: DeleteOptions,
  ctx: WriteCtx,
): KubeObject | Record<string, unknown> {
  const name = t.name ?? '';
  const rkey = resourceKey(t.r);
  const cur = d.store.get(rkey, t.namespace, name);
  if (!cur) throw notFound(t.r, name);
  const pre = opts.preconditions ?? {};
  if (pre.uid && pre.uid !== cur.metadata.uid) {
    throw conflict(
      t.r,
      name,
      `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${cur.metadata.uid ?? ''}`,
    );
  }
  if (pre.resourceVersion && pre.resourceVersion !== cur.metadata.resourceVersion) {
    throw conflict(
      t.r,
      name,
      `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${cur.metadata.resourceVersion ?? ''}`,
    );
  }
  const next: KubeObject = structuredClone(cur);
  const fins = new Set(next.metadata.finalizers ?? []);
  const policy = policyOf(t, opts);
  // The propagation finalizers are only added when deletion starts (kube-apiserver's behaviour).
  if (!cur.metadata.deletionTimestamp || policy !== 'Background') {
    if (policy === 'Orphan') fins.add(ORPHAN);
    if (policy === 'Foreground') fins.add(FOREGROUND);
    if (policy !== 'Orphan') fins.delete(ORPHAN);
    if (policy !== 'Foreground') fins.delete(FOREGROUND);
  }
  next.metadata.finalizers = [...fins];
  if (!next.metadata.finalizers.length) delete next.metadata.finalizers;
  if (t.r.kind === 'Namespace' && t.r.group === '') {
    next.metadata.deletionTimestamp ??= now();
    next.metadata.deletionGracePeriodSeconds ??= 0;
    next.status = { ...((next.status as object | undefined) ?? {}), phase: 'Terminating' };
    return ctx.dryRun ? next : d.store.put(rkey, next);
  }
  const grace = gracePeriod(t, cur, opts);
  if (fins.size > 0 || grace > 0) {
    if (!cur.metadata.deletionTimestamp || grace < (cur.metadata.deletionGracePeriodSeconds ?? 0)) {
      next.metadata.deletionTimestamp = now(grace);
      next.metadata.deletionGracePeriodSeconds = grace;
    }
    if (JSON.stringify(next) === JSON.stringify(cur)) return cur;
    return ctx.dryRun ? next : d.store.put(rkey, next);
  }
  if (ctx.dryRun) return cur;
  d.store.remove(rkey, cur.metadata.namespace, name);
  return successStatus({ name, group: t.r.group, kind: t.r.plural, uid: cur.metadata.uid ?? '' });
}

/** Pods bound to a node are deleted gracefully: the node's agent removes them with grace 0. */
function gracePeriod(t: Target, cur: KubeObject, opts: DeleteOptions): number {
  if (t.r.kind !== 'Pod' || t.r.group !== '') return 0;
  const spec = (cur.spec ?? {}) as { nodeName?: string; terminationGracePeriodSeconds?: number };
  if (!spec.nodeName) return 0;
  const status = (cur.status ?? {}) as { phase?: string };
  if (status.phase === 'Succeeded' || status.phase === 'Failed') return 0;
  return opts.gracePeriodSeconds ?? spec.terminationGracePeriodSeconds ?? 30;
}
