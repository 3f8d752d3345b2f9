/** In-memory object store: one global revision counter, a bounded event history, and change listeners. */
import type { KubeObject } from './types.js';
import { deepCopy } from './types.js';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: EventType;
  rv: number;
  /** Resource key `group/plural`. */
  rkey: string;
  obj: KubeObject;
  /** The object before this change (MODIFIED only): lets watches emit ADDED/DELETED when a selector match flips. */
  prev?: KubeObject;
}

export interface Snapshot {
  rev: number;
  objects: Record<string, KubeObject[]>;
}

function objKey(ns: string | undefined, name: string): string {
  return `${ns ?? ''}/${name}`;
}

export class ObjectStore {
  private rev = 0;
  private readonly data = new Map<string, Map<string, KubeObject>>();
  private readonly byUid = new Map<string, { rkey: string; obj: KubeObject }>();
  private history: StoreEvent[] = [];
  /** Events at or below this revision are no longer in the history. */
  private compactedRev = 0;
  private readonly listeners = new Set<(e: StoreEvent) => void>();

  constructor(private readonly historySize = 10_000) {}

  get revision(): number {
    return this.rev;
  }

  get oldestRevision(): number {
    return this.compactedRev;
  }

  get(rkey: string, ns: string | undefined, name: string): KubeObject | undefined {
    const o = this.data.get(rkey)?.get(objKey(ns, name));
    return o ? deepCopy(o) : undefined;
  }

  /** Objects of one resource sorted by namespace/name; all namespaces when ns is undefined. */
  list(rkey: string, ns?: string): KubeObject[] {
    const m = this.data.get(rkey);
    if (!m) return [];
    const keys = [...m.keys()].sort();
    const out: KubeObject[] = [];
    for (const k of keys) {
      const o = m.get(k);
      if (o && (ns === undefined || o.metadata.namespace === ns)) out.push(deepCopy(o));
    }
    return out;
  }

  /** Every object with its resource key (for GC and persistence). */
  all(): { rkey: string; obj: KubeObject }[] {
    const out: { rkey: string; obj: KubeObject }[] = [];
    for (const [rkey, m] of this.data) for (const o of m.values()) out.push({ rkey, obj: o });
    return out;
  }

  findUid(uid: string): { rkey: string; obj: KubeObject } | undefined {
    return this.byUid.get(uid);
  }

  /** Store a new object or a new version; stamps resourceVersion and emits an event. */
  put(rkey: string, obj: KubeObject): KubeObject {
    const m = this.data.get(rkey) ?? new Map<string, KubeObject>();
    this.data.set(rkey, m);
    const key = objKey(obj.metadata.namespace, obj.metadata.name ?? '');
    const prev = m.get(key);
    const stored = deepCopy(obj);
    stored.metadata.resourceVersion = String(++this.rev);
    m.set(key, stored);
    if (stored.metadata.uid) this.byUid.set(stored.metadata.uid, { rkey, obj: stored });
    this.emit({
      type: prev ? 'MODIFIED' : 'ADDED',
      rv: this.rev,
      rkey,
      obj: stored,
      ...(prev ? { prev } : {}),
    });
    return deepCopy(stored);
  }

  /** Remove an object; the DELETED event carries a fresh resourceVersion like etcd's delete revision. */
  remove(rkey: string, ns: string | undefined, name: string): KubeObject | undefined {
    const m = this.data.get(rkey);
    const key = objKey(ns, name);
    const prev = m?.get(key);
    if (!m || !prev) return undefined;
    m.delete(key);
    if (prev.metadata.uid) this.byUid.delete(prev.metadata.uid);
    const gone = deepCopy(prev);
    gone.metadata.resourceVersion = String(++this.rev);
    this.emit({ type: 'DELETED', rv: this.rev, rkey, obj: gone });
    return deepCopy(gone);
  }

  /** Events after `rv` for replay, or 'gone' when they have been compacted away. */
  eventsSince(rv: number): StoreEvent[] | 'gone' {
    if (rv < this.compactedRev) return 'gone';
    const i = this.history.findIndex((e) => e.rv > rv);
    return i < 0 ? [] : this.history.slice(i);
  }

  subscribe(fn: (e: StoreEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Drop all events at or below `rv` (tests use this to provoke 410 Gone). */
  compact(rv = this.rev): void {
    this.history = this.history.filter((e) => e.rv > rv);
    this.compactedRev = Math.max(this.compactedRev, rv);
  }

  snapshot(): Snapshot {
    const objects: Record<string, KubeObject[]> = {};
    for (const [rkey, m] of this.data) objects[rkey] = [...m.values()];
    return { rev: this.rev, objects };
  }

  restore(s: Snapshot): void {
    this.data.clear();
    this.byUid.clear();
    for (const [rkey, objs] of Object.entries(s.objects)) {
      const m = new Map<string, KubeObject>();
      for (const o of objs) {
        m.set(objKey(o.metadata.namespace, o.metadata.name ?? ''), o);
        if (o.metadata.uid) this.byUid.set(o.metadata.uid, { rkey, obj: o });
      }
      this.data.set(rkey, m);
    }
    this.rev = s.rev;
    this.history = [];
    this.compactedRev = s.rev;
  }

  private emit(e: StoreEvent): void {
    this.history.push(e);
    if (this.history.length > this.historySize) {
      const dropped = this.history.splice(0, this.history.length - this.historySize);
      this.compactedRev = dropped[dropped.length - 1]?.rv ?? this.compactedRev;
    }
    for (const fn of this.listeners) fn(e);
  }
}
