/** Watch streams: replay from a resourceVersion (or synthetic ADDED), live events, bookmarks, 410 Gone, timeout. */
import { badRequest, gone } from './errors.js';
import { asVersion } from './meta.js';
import { matchesSelector } from './selectors.js';
import type { Selector } from './selectors.js';
import type { StoreEvent } from './store.js';
import type { KubeObject } from './types.js';
import { apiVersionOf, resourceKey } from './types.js';
import type { Deps, Target } from './writes.js';

export type WatchType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchSink {
  send(type: WatchType, object: unknown): void;
  end(): void;
}

export interface WatchRequest {
  t: Target;
  sel: Selector;
  resourceVersion?: string;
  bookmarks: boolean;
  sendInitialEvents: boolean;
  timeoutMs: number;
  bookmarkIntervalMs: number;
  /** Renders objects for the wire (plain or as a Table row). */
  render: (o: KubeObject, type: WatchType) => unknown;
}

const CRD_KEY = 'apiextensions.k8s.io/customresourcedefinitions';

/** Map one store event to what this watcher sees: selector changes turn MODIFIED into ADDED/DELETED. */
function visibleType(e: StoreEvent, w: WatchRequest): WatchType | undefined {
  const match = (o: KubeObject | undefined): boolean =>
    o !== undefined &&
    (!w.t.namespace || o.metadata.namespace === w.t.namespace) &&
    matchesSelector(w.sel, o);
  const now = match(e.obj);
  if (e.type !== 'MODIFIED') return now ? e.type : undefined;
  const before = match(e.prev);
  if (now && before) return 'MODIFIED';
  if (now) return 'ADDED';
  if (before) return 'DELETED';
  return undefined;
}

/** Validate the request before any header is written (errors become a plain Status response). */
export function checkWatchStart(d: Deps, w: WatchRequest): number | undefined {
  const rv = w.resourceVersion;
  if (rv === undefined || rv === '' || rv === '0') return undefined;
  const n = Number(rv);
  if (!Number.isInteger(n) || n < 0) throw badRequest(`invalid resource version: "${rv}"`);
  return n;
}

/** Start streaming; returns a stop function (also called on timeout or when the CRD goes away). */
export function startWatch(d: Deps, w: WatchRequest, sink: WatchSink): () => void {
  const rkey = resourceKey(w.t.r);
  const version = w.t.version;
  let lastRv = 0;
  let stopped = false;
  const emit = (type: WatchType, o: KubeObject): void =>
    sink.send(type, w.render(asVersion(w.t.r, o, version), type));
  const bookmark = (annotations?: Record<string, string>): void =>
    sink.send('BOOKMARK', {
      kind: w.t.r.kind,
      apiVersion: apiVersionOf(w.t.r.group, version),
      metadata: {
        resourceVersion: String(Math.max(lastRv, d.store.revision)),
        ...(annotations ? { annotations } : {}),
      },
    });

  const from = checkWatchStart(d, w);
  if (from === undefined || w.sendInitialEvents) {
    for (const o of d.store.list(rkey, w.t.namespace)) if (matchesSelector(w.sel, o)) emit('ADDED', o);
    lastRv = d.store.revision;
    if (w.sendInitialEvents && w.bookmarks) bookmark({ 'k8s.io/initial-events-end': 'true' });
  } else {
    const events = d.store.eventsSince(from);
    if (events === 'gone') {
      sink.send('ERROR', gone(`too old resource version: ${from} (${d.store.oldestRevision})`).toStatus());
      sink.end();
      return () => undefined;
    }
    lastRv = from;
    for (const e of events) if (e.rkey === rkey) handle(e);
  }

  function handle(e: StoreEvent): void {
    if (e.rkey === CRD_KEY && e.type === 'DELETED' && e.obj.metadata.name === w.t.r.crd) return stop();
    if (e.rkey !== rkey || e.rv <= lastRv) return;
    lastRv = e.rv;
    const type = visibleType(e, w);
    if (type) emit(type, e.obj);
  }

  const unsubscribe = d.store.subscribe(handle);
  const timer = setTimeout(stop, w.timeoutMs);
  const ticker = w.bookmarks ? setInterval(() => bookmark(), w.bookmarkIntervalMs) : undefined;

  function stop(): void {
    if (stopped) return;
    stopped = true;
    unsubscribe();
    clearTimeout(timer);
    if (ticker) clearInterval(ticker);
    sink.end();
  }
  return stop;
}
