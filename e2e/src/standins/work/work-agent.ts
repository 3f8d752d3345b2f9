/**
 * Tier-1 stand-in for the klusterlet work agent: applies the manifests of the ManifestWorks in
 * the cluster's namespace on the hub into the managed cluster's API server, records what it
 * applied in an AppliedManifestWork (owner of every applied object, as upstream), removes
 * objects dropped from a work, honours deleteOption on deletion, and writes status with
 * per-manifest conditions and status feedback. Level-triggered: a key is reconciled on any
 * change of the work or of an applied object, and every `statusSyncMs` for feedback.
 */
import type { KubeObject, OwnerReference } from '@ocm-fl/common/api/meta.js';
import type { ManifestWork } from '@ocm-fl/common/api/ocm.js';
import { WORK_API_VERSION } from '@ocm-fl/common/api/ocm.js';
import type { KubeClient } from '@ocm-fl/common/kube/client.js';
import { isNotFound } from '@ocm-fl/common/kube/errors.js';
import { Informer } from '@ocm-fl/common/kube/informer.js';
import { KeyedQueue } from '@ocm-fl/common/kube/keyed-queue.js';
import type { Logger } from '@ocm-fl/common/logger.js';
import { silentLogger } from '@ocm-fl/common/logger.js';
import { sameJson } from '../same-json.js';
import {
  comparable,
  configFor,
  isSubset,
  resourceMeta,
  workStatus,
  type ManifestOutcome,
} from './work-status.js';

export const MANIFEST_WORK_FINALIZER = 'cluster.open-cluster-management.io/manifest-work-cleanup';

export interface AppliedResource {
  group: string;
  version: string;
  resource: string;
  kind?: string;
  namespace?: string;
  name: string;
  uid?: string;
}

type AppliedManifestWork = KubeObject<
  { hubHash: string; agentID?: string; manifestWorkName: string },
  { appliedResources?: AppliedResource[] }
>;

export interface WorkAgentOptions {
  clusterName: string;
  /** Hub client allowed to read/update ManifestWorks (and their status) in the cluster namespace. */
  hub: KubeClient;
  /** Managed cluster client that applies the manifests. */
  spoke: KubeClient;
  /** Feedback re-sync period; upstream's status sync is 10 s. Default 3 s. */
  statusSyncMs?: number;
  /** Prefix of AppliedManifestWork names, upstream a hash of the hub URL. Default "hub". */
  hubHash?: string;
  logger?: Logger;
}

const apiVersionOf = (r: AppliedResource): string => (r.group ? `${r.group}/${r.version}` : r.version);
const sameResource = (a: AppliedResource, b: AppliedResource): boolean =>
  a.group === b.group &&
  a.resource === b.resource &&
  (a.namespace ?? '') === (b.namespace ?? '') &&
  a.name === b.name;

export class WorkAgent {
  private readonly works: Informer<ManifestWork>;
  private readonly queue: KeyedQueue;
  private readonly log: Logger;
  private readonly spokeWatches = new Map<string, Informer<KubeObject>>();
  private stopped = false;

  constructor(private readonly o: WorkAgentOptions) {
    this.log = (o.logger ?? silentLogger).child({ component: 'work-agent', cluster: o.clusterName });
    this.works = new Informer<ManifestWork>(o.hub, WORK_API_VERSION, 'ManifestWork', {
      namespace: o.clusterName,
      logger: this.log,
    });
    this.queue = new KeyedQueue((k) => this.reconcile(k), { logger: this.log, maxBackoffMs: 5_000 });
    this.works.onChange((_t, w) => this.queue.enqueue(w.metadata.name ?? ''));
  }

  async start(): Promise<void> {
    await this.works.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.works.stop();
    for (const i of this.spokeWatches.values()) i.stop();
    await this.queue.stop();
  }

  /** Resolves when no reconcile is queued or running (tests). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  private amwName(work: string): string {
    return `${this.o.hubHash ?? 'hub'}-${work}`;
  }

  private async reconcile(name: string): Promise<void | { requeueAfterMs: number }> {
    const work = this.works.get(name, this.o.clusterName);
    if (!work) return this.cleanupOrphanedAmw(name);
    if (work.metadata.deletionTimestamp) return this.finalize(work);
    if (!(work.metadata.finalizers ?? []).includes(MANIFEST_WORK_FINALIZER)) {
      // The update event brings the key back; apply then.
      await this.o.hub.update({
        ...work,
        metadata: {
          ...work.metadata,
          finalizers: [...(work.metadata.finalizers ?? []), MANIFEST_WORK_FINALIZER],
        },
      });
      return;
    }
    const amw = await this.ensureAmw(work);
    const owner: OwnerReference = {
      apiVersion: WORK_API_VERSION,
      kind: 'AppliedManifestWork',
      name: amw.metadata.name ?? '',
      uid: amw.metadata.uid ?? '',
    };
    const outcomes: ManifestOutcome[] = [];
    const applied: AppliedResource[] = [];
    for (const [i, m] of (work.spec?.workload.manifests ?? []).entries()) {
      const { outcome, resource } = await this.applyOne(work, m, i, owner);
      outcomes.push(outcome);
      if (resource) applied.push(resource);
    }
    await this.pruneRemoved(work, amw, applied);
    const status = workStatus(work, outcomes);
    if (!sameJson(status, work.status ?? {})) {
      await this.o.hub.updateStatus({ ...work, status });
    }
    return { requeueAfterMs: this.o.statusSyncMs ?? 3_000 };
  }

  private async ensureAmw(work: ManifestWork): Promise<AppliedManifestWork> {
    const name = this.amwName(work.metadata.name ?? '');
    const existing = await this.o.spoke.get<AppliedManifestWork>(
      WORK_API_VERSION,
      'AppliedManifestWork',
      name,
    );
    if (existing) return existing;
    return this.o.spoke.create<AppliedManifestWork>({
      apiVersion: WORK_API_VERSION,
      kind: 'AppliedManifestWork',
      metadata: { name },
      spec: {
        hubHash: this.o.hubHash ?? 'hub',
        agentID: this.o.clusterName,
        manifestWorkName: work.metadata.name ?? '',
      },
    });
  }

  private async applyOne(
    work: ManifestWork,
    m: KubeObject,
    ordinal: number,
    owner: OwnerReference,
  ): Promise<{ outcome: ManifestOutcome; resource?: AppliedResource }> {
    let meta = resourceMeta(m, ordinal, '');
    try {
      const info = await this.o.spoke.resource(m.apiVersion, m.kind);
      meta = resourceMeta(m, ordinal, info.plural);
      this.watchKind(m.apiVersion, m.kind);
      const strategy = configFor(work, meta)?.updateStrategy?.type ?? 'Update';
      let current = await this.o.spoke.get<KubeObject>(m.apiVersion, m.kind, meta.name, meta.namespace);
      if (strategy !== 'ReadOnly') {
        const refs = (current?.metadata.ownerReferences ?? m.metadata.ownerReferences ?? []).filter(
          (r) => r.uid !== owner.uid,
        );
        const desired: KubeObject = { ...m, metadata: { ...m.metadata, ownerReferences: [...refs, owner] } };
        if (!current) current = await this.o.spoke.create(desired);
        else if (
          strategy !== 'CreateOnly' &&
          !(
            isSubset(comparable(m), current) &&
            current.metadata.ownerReferences?.some((r) => r.uid === owner.uid)
          )
        ) {
          current = await this.o.spoke.update(mergeInto(current, desired));
        }
      }
      const resource: AppliedResource = {
        group: meta.group,
        version: meta.version,
        resource: meta.resource,
        kind: meta.kind,
        name: meta.name,
        ...(meta.namespace ? { namespace: meta.namespace } : {}),
        ...(current?.metadata.uid ? { uid: current.metadata.uid } : {}),
      };
      return { outcome: { meta, ...(current ? { current } : {}) }, resource };
    } catch (e) {
      this.log.warn('apply failed', {
        work: work.metadata.name,
        kind: m.kind,
        name: m.metadata.name,
        error: e,
      });
      return { outcome: { meta, error: (e as Error).message } };
    }
  }

  /** Delete objects a work no longer lists, then record what is applied now. */
  private async pruneRemoved(
    work: ManifestWork,
    amw: AppliedManifestWork,
    applied: AppliedResource[],
  ): Promise<void> {
    const before = amw.status?.appliedResources ?? [];
    for (const r of before) {
      if (applied.some((a) => sameResource(a, r)) || this.isOrphaned(work, r)) continue;
      await this.deleteApplied(r);
    }
    if (!sameJson(before, applied)) {
      await this.o.spoke.updateStatus({ ...amw, status: { appliedResources: applied } });
    }
  }

  private isOrphaned(work: ManifestWork, r: AppliedResource): boolean {
    const opt = work.spec?.deleteOption;
    if (opt?.propagationPolicy === 'Orphan') return true;
    if (opt?.propagationPolicy !== 'SelectivelyOrphan') return false;
    const rules =
      (opt.selectivelyOrphans as { orphaningRules?: AppliedResource[] } | undefined)?.orphaningRules ?? [];
    return rules.some(
      (x) =>
        (x.group ?? '') === r.group &&
        x.resource === r.resource &&
        x.name === r.name &&
        (x.namespace ?? '') === (r.namespace ?? ''),
    );
  }

  private async deleteApplied(r: AppliedResource): Promise<void> {
    const kind = r.kind ?? (await this.kindOf(r));
    if (!kind) return;
    await this.o.spoke.delete(apiVersionOf(r), kind, r.name, r.namespace, {
      propagationPolicy: 'Background',
    });
  }

  /** undefined when the group/version is no longer served (its CRD was deleted, and its objects with it). */
  private async kindOf(r: AppliedResource): Promise<string | undefined> {
    try {
      const list = await this.o.spoke.transport.request<{ resources: { name: string; kind: string }[] }>(
        'GET',
        r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`,
      );
      return list.resources.find((x) => x.name === r.resource)?.kind;
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  /** Work deleted on the hub: delete (or orphan) what it applied, wait until gone, drop the finalizer. */
  private async finalize(work: ManifestWork): Promise<void | { requeueAfterMs: number }> {
    if (!(work.metadata.finalizers ?? []).includes(MANIFEST_WORK_FINALIZER)) return;
    const amw = await this.o.spoke.get<AppliedManifestWork>(
      WORK_API_VERSION,
      'AppliedManifestWork',
      this.amwName(work.metadata.name ?? ''),
    );
    let pending = 0;
    for (const r of amw?.status?.appliedResources ?? []) {
      if (this.isOrphaned(work, r)) {
        await this.dropOwner(r, amw?.metadata.uid ?? '');
        continue;
      }
      const kind = r.kind ?? (await this.kindOf(r));
      if (!kind) continue;
      const still = await this.o.spoke.get<KubeObject>(apiVersionOf(r), kind, r.name, r.namespace);
      if (!still || (r.uid && still.metadata.uid !== r.uid)) continue;
      pending++;
      if (!still.metadata.deletionTimestamp) await this.deleteApplied({ ...r, kind });
    }
    if (pending > 0) return { requeueAfterMs: 250 };
    if (amw)
      await this.o.spoke.delete(WORK_API_VERSION, 'AppliedManifestWork', amw.metadata.name ?? '', undefined, {
        propagationPolicy: 'Orphan',
      });
    const fresh = await this.o.hub.get<ManifestWork>(
      WORK_API_VERSION,
      'ManifestWork',
      work.metadata.name ?? '',
      this.o.clusterName,
    );
    if (!fresh) return;
    const finalizers = (fresh.metadata.finalizers ?? []).filter((f) => f !== MANIFEST_WORK_FINALIZER);
    await this.o.hub.update({ ...fresh, metadata: { ...fresh.metadata, finalizers } });
    this.log.info('manifest work cleaned up', { work: work.metadata.name });
  }

  private async dropOwner(r: AppliedResource, ownerUid: string): Promise<void> {
    const kind = r.kind ?? (await this.kindOf(r));
    if (!kind) return;
    const obj = await this.o.spoke.get<KubeObject>(apiVersionOf(r), kind, r.name, r.namespace);
    const refs = obj?.metadata.ownerReferences ?? [];
    if (!obj || !refs.some((x) => x.uid === ownerUid)) return;
    await this.o.spoke.update({
      ...obj,
      metadata: { ...obj.metadata, ownerReferences: refs.filter((x) => x.uid !== ownerUid) },
    });
  }

  /** A work that vanished without our finalizer running: evict what it applied. */
  private async cleanupOrphanedAmw(name: string): Promise<void> {
    const amw = await this.o.spoke.get<AppliedManifestWork>(
      WORK_API_VERSION,
      'AppliedManifestWork',
      this.amwName(name),
    );
    if (!amw) return;
    for (const r of amw.status?.appliedResources ?? []) await this.deleteApplied(r);
    await this.o.spoke.delete(WORK_API_VERSION, 'AppliedManifestWork', this.amwName(name));
  }

  /** Watch each applied kind on the managed cluster so feedback and re-apply follow changes. */
  private watchKind(apiVersion: string, kind: string): void {
    const key = `${apiVersion}/${kind}`;
    if (this.stopped || this.spokeWatches.has(key)) return;
    const inf = new Informer<KubeObject>(this.o.spoke, apiVersion, kind, { logger: this.log });
    this.spokeWatches.set(key, inf);
    inf.onChange((_t, obj) => {
      for (const w of this.works.list()) {
        const hit = (w.spec?.workload.manifests ?? []).some(
          (m) =>
            m.kind === kind &&
            m.apiVersion === apiVersion &&
            m.metadata.name === obj.metadata.name &&
            (m.metadata.namespace ?? '') === (obj.metadata.namespace ?? ''),
        );
        if (hit) this.queue.enqueue(w.metadata.name ?? '');
      }
    });
    inf.start().catch((e: unknown) => {
      this.spokeWatches.delete(key);
      if (!isNotFound(e)) this.log.warn('cannot watch applied kind', { kind: key, error: e });
    });
  }
}

/** Desired manifest over the stored object: manifest fields replace, server fields (status, uid, rv) stay. */
function mergeInto(current: KubeObject, desired: KubeObject): KubeObject {
  const { status: _s, metadata, ...rest } = desired as KubeObject & Record<string, unknown>;
  return {
    ...(current as KubeObject & Record<string, unknown>),
    ...rest,
    metadata: {
      ...current.metadata,
      labels: { ...current.metadata.labels, ...metadata.labels },
      annotations: { ...current.metadata.annotations, ...metadata.annotations },
      ownerReferences: metadata.ownerReferences,
    },
  };
}
