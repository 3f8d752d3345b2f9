/**
 * The controllers kube-controller-manager would run that object lifecycles depend on: the namespace
 * controller (empties a terminating namespace, then removes it) and the garbage collector
 * (ownerReferences with Background, Foreground and Orphan propagation).
 */
import type { Logger } from '@ocm-fl/common/logger.js';
import { deleteObject, FOREGROUND, ORPHAN } from './deletes.js';
import type { KubeObject, ResourceInfo, UserInfo } from './types.js';
import type { Deps, Target, WriteCtx } from './writes.js';
import { commitUpdate } from './writes.js';

const GC_USER: UserInfo = {
  username: 'system:serviceaccount:kube-system:generic-garbage-collector',
  groups: ['system:serviceaccounts'],
};
const CTX: WriteCtx = { user: GC_USER, dryRun: false };

interface Entry {
  rkey: string;
  r: ResourceInfo;
  obj: KubeObject;
}

function entries(d: Deps): Entry[] {
  const out: Entry[] = [];
  for (const { rkey, obj } of d.store.all()) {
    const slash = rkey.indexOf('/');
    const r = d.registry.byGroupPlural(rkey.slice(0, slash), rkey.slice(slash + 1));
    if (r) out.push({ rkey, r, obj });
  }
  return out;
}

function target(e: Entry): Target {
  return { r: e.r, version: e.r.version, namespace: e.obj.metadata.namespace, name: e.obj.metadata.name };
}

function del(d: Deps, e: Entry, policy: string): void {
  if (e.obj.metadata.deletionTimestamp && policy === 'Background') return;
  deleteObject(d, target(e), { propagationPolicy: policy }, CTX);
}

function update(d: Deps, e: Entry, mutate: (o: KubeObject) => void): void {
  const cur = d.store.get(e.rkey, e.obj.metadata.namespace, e.obj.metadata.name ?? '');
  if (!cur) return;
  const next = structuredClone(cur);
  mutate(next);
  commitUpdate(d, { ...target(e), subresource: 'gc' }, cur, next, CTX);
}

function removeFinalizer(d: Deps, e: Entry, f: string): void {
  update(d, e, (o) => {
    o.metadata.finalizers = (o.metadata.finalizers ?? []).filter((x) => x !== f);
  });
}

function syncNamespaces(d: Deps, all: Entry[]): void {
  for (const ns of all.filter(
    (e) => e.r.kind === 'Namespace' && e.r.group === '' && e.obj.metadata.deletionTimestamp,
  )) {
    const name = ns.obj.metadata.name;
    const contents = all.filter((e) => e.r.namespaced && e.obj.metadata.namespace === name);
    for (const e of contents) del(d, e, 'Background');
    if (contents.length > 0) continue;
    const specFins = ((ns.obj.spec as { finalizers?: string[] } | undefined)?.finalizers ?? []).filter(
      (f) => f !== 'kubernetes',
    );
    update(d, ns, (o) => {
      o.spec = { ...((o.spec as object | undefined) ?? {}), finalizers: specFins };
    });
    if (specFins.length === 0 && !(ns.obj.metadata.finalizers ?? []).length)
      d.store.remove(ns.rkey, undefined, name ?? '');
  }
}

function syncOwners(d: Deps, all: Entry[]): void {
  const byUid = new Map(all.map((e) => [e.obj.metadata.uid ?? '', e]));
  const dependents = new Map<string, Entry[]>();
  for (const e of all) {
    const refs = e.obj.metadata.ownerReferences ?? [];
    if (!refs.length) continue;
    for (const ref of refs) dependents.set(ref.uid, [...(dependents.get(ref.uid) ?? []), e]);
    const owners = refs.map((ref) => byUid.get(ref.uid));
    const waiting = owners.filter(
      (o) => o?.obj.metadata.deletionTimestamp && o.obj.metadata.finalizers?.includes(FOREGROUND),
    );
    const solid = owners.filter((o) => o !== undefined && !waiting.includes(o));
    const dangling = refs.filter((ref) => !byUid.has(ref.uid));
    if (solid.length === 0) del(d, e, waiting.length ? 'Foreground' : 'Background');
    else if (dangling.length > 0) {
      const goneUids = new Set(dangling.map((r) => r.uid));
      update(d, e, (o) => {
        o.metadata.ownerReferences = (o.metadata.ownerReferences ?? []).filter((r) => !goneUids.has(r.uid));
      });
    }
  }
  for (const owner of all.filter((e) => e.obj.metadata.deletionTimestamp)) {
    const uid = owner.obj.metadata.uid ?? '';
    const deps = dependents.get(uid) ?? [];
    const fins = owner.obj.metadata.finalizers ?? [];
    if (fins.includes(ORPHAN)) {
      for (const dep of deps) {
        update(d, dep, (o) => {
          o.metadata.ownerReferences = (o.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
          if (!o.metadata.ownerReferences.length) delete o.metadata.ownerReferences;
        });
      }
      removeFinalizer(d, owner, ORPHAN);
    } else if (fins.includes(FOREGROUND) && deps.length === 0) {
      removeFinalizer(d, owner, FOREGROUND);
    }
  }
}

/** Runs both controllers after every burst of changes until nothing changes. */
export class LifecycleControllers {
  private scheduled = false;
  private stopped = false;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly d: Deps,
    private readonly log: Logger,
  ) {
    this.unsubscribe = d.store.subscribe(() => this.schedule());
  }

  schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (!this.stopped) this.run();
    });
  }

  run(): void {
    try {
      syncNamespaces(this.d, entries(this.d));
      syncOwners(this.d, entries(this.d));
    } catch (e) {
      // A conflicting write lost the race; the next change reschedules us.
      this.log.warn('lifecycle controllers pass failed', { error: e });
      setTimeout(() => this.schedule(), 100).unref();
    }
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe();
  }
}
