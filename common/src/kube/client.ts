import { KubeConfig } from '@kubernetes/client-node';
import type { KubeObject } from '../api/meta.js';
import { isNotFound, KubeError } from './errors.js';
import { groupVersionPath, resourcePath, type ResourceInfo } from './paths.js';
import { Transport } from './transport.js';
import { readWatchEvents, type WatchEventType } from './watch-stream.js';

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

export type PatchType = 'merge' | 'json' | 'strategic';
const PATCH_CONTENT: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
};

interface ListResponse<T> {
  items: T[];
  metadata: { resourceVersion?: string; continue?: string };
}

/**
 * The thin client layer: generic CRUD, status, patch, watch for any kind, with the REST path
 * found through API discovery (cached, refreshed on a miss so new CRDs are found).
 */
export class KubeClient {
  private readonly discovery = new Map<string, Map<string, ResourceInfo>>();

  constructor(readonly transport: Transport) {}

  static fromKubeConfig(kc: KubeConfig): KubeClient {
    return new KubeClient(new Transport(kc));
  }

  static fromFile(path: string): KubeClient {
    const kc = new KubeConfig();
    kc.loadFromFile(path);
    return KubeClient.fromKubeConfig(kc);
  }

  /** Resource info for a kind, from discovery. */
  async resource(apiVersion: string, kind: string): Promise<ResourceInfo> {
    let kinds = this.discovery.get(apiVersion);
    if (!kinds?.has(kind)) kinds = await this.discover(apiVersion);
    const info = kinds.get(kind);
    if (!info)
      throw new KubeError(404, 'NotFound', `the server does not serve kind ${kind} in ${apiVersion}`);
    return info;
  }

  private async discover(apiVersion: string): Promise<Map<string, ResourceInfo>> {
    const kinds = new Map<string, ResourceInfo>();
    try {
      const list = await this.transport.request<{
        resources: { name: string; kind: string; namespaced: boolean }[];
      }>('GET', groupVersionPath(apiVersion));
      for (const r of list.resources)
        if (!r.name.includes('/')) kinds.set(r.kind, { plural: r.name, namespaced: r.namespaced });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    this.discovery.set(apiVersion, kinds);
    return kinds;
  }

  private async path(
    apiVersion: string,
    kind: string,
    namespace?: string,
    name?: string,
    sub?: string,
  ): Promise<string> {
    const resource = await this.resource(apiVersion, kind);
    if (resource.namespaced && name && !namespace) throw new Error(`${kind} ${name}: namespace required`);
    return resourcePath({ apiVersion, resource, namespace, name, subresource: sub });
  }

  async get<T extends KubeObject>(
    apiVersion: string,
    kind: string,
    name: string,
    namespace?: string,
  ): Promise<T | undefined> {
    try {
      return await this.transport.request<T>('GET', await this.path(apiVersion, kind, namespace, name));
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  async listWithVersion<T extends KubeObject>(
    apiVersion: string,
    kind: string,
    opts: ListOptions = {},
  ): Promise<{ items: T[]; resourceVersion: string }> {
    const path = await this.path(apiVersion, kind, opts.namespace);
    const items: T[] = [];
    let cont: string | undefined;
    let resourceVersion = '';
    do {
      const query = {
        labelSelector: opts.labelSelector,
        fieldSelector: opts.fieldSelector,
        limit: 500,
        continue: cont,
      };
      const page = await this.transport.request<ListResponse<T>>('GET', path, { query });
      // Lists omit kind/apiVersion on items; restore them so objects can be written back.
      for (const item of page.items) items.push({ ...item, apiVersion, kind });
      cont = page.metadata.continue || undefined;
      resourceVersion = page.metadata.resourceVersion ?? resourceVersion;
    } while (cont);
    return { items, resourceVersion };
  }

  async list<T extends KubeObject>(apiVersion: string, kind: string, opts: ListOptions = {}): Promise<T[]> {
    return (await this.listWithVersion<T>(apiVersion, kind, opts)).items;
  }

  async create<T extends KubeObject>(obj: T): Promise<T> {
    const path = await this.path(obj.apiVersion, obj.kind, obj.metadata.namespace);
    return this.transport.request<T>('POST', path, { body: obj });
  }

  async update<T extends KubeObject>(obj: T): Promise<T> {
    const path = await this.path(obj.apiVersion, obj.kind, obj.metadata.namespace, obj.metadata.name);
    return this.transport.request<T>('PUT', path, { body: obj });
  }

  async updateStatus<T extends KubeObject>(obj: T): Promise<T> {
    return this.putSubresource(obj, 'status');
  }

  async putSubresource<T extends KubeObject>(obj: T, sub: string): Promise<T> {
    const path = await this.path(obj.apiVersion, obj.kind, obj.metadata.namespace, obj.metadata.name, sub);
    return this.transport.request<T>('PUT', path, { body: obj });
  }

  async patch<T extends KubeObject>(
    apiVersion: string,
    kind: string,
    name: string,
    namespace: string | undefined,
    patch: unknown,
    type: PatchType = 'merge',
    subresource?: string,
  ): Promise<T> {
    const path = await this.path(apiVersion, kind, namespace, name, subresource);
    return this.transport.request<T>('PATCH', path, { body: patch, contentType: PATCH_CONTENT[type] });
  }

  /** Delete; returns false when the object was already gone. */
  async delete(
    apiVersion: string,
    kind: string,
    name: string,
    namespace?: string,
    opts: { propagationPolicy?: 'Foreground' | 'Background' | 'Orphan' } = {},
  ): Promise<boolean> {
    const path = await this.path(apiVersion, kind, namespace, name);
    try {
      const body = opts.propagationPolicy
        ? { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: opts.propagationPolicy }
        : undefined;
      await this.transport.request('DELETE', path, { body });
      return true;
    } catch (e) {
      if (isNotFound(e)) return false;
      throw e;
    }
  }

  /**
   * Create the object, or update it when any desired field differs from what is stored.
   * Fields the caller does not set (status, server-filled metadata) are kept as stored.
   */
  async apply<T extends KubeObject>(obj: T): Promise<{ object: T; changed: boolean }> {
    const current = await this.get<T>(
      obj.apiVersion,
      obj.kind,
      obj.metadata.name ?? '',
      obj.metadata.namespace,
    );
    if (!current) return { object: await this.create(obj), changed: true };
    const merged = mergeDesired(current, obj);
    if (JSON.stringify(merged) === JSON.stringify(current)) return { object: current, changed: false };
    return { object: await this.update(merged), changed: true };
  }

  /**
   * Watch until the signal aborts or the server ends the stream; resolves then.
   * Throws KubeError 410 when `resourceVersion` is too old (callers relist).
   */
  async watch<T extends KubeObject>(
    apiVersion: string,
    kind: string,
    opts: ListOptions & { resourceVersion?: string; timeoutSeconds?: number },
    onEvent: (type: Exclude<WatchEventType, 'BOOKMARK' | 'ERROR'>, obj: T) => void,
    signal: AbortSignal,
    onBookmark?: (resourceVersion: string) => void,
  ): Promise<void> {
    const path = await this.path(apiVersion, kind, opts.namespace);
    const query = {
      watch: true,
      labelSelector: opts.labelSelector,
      fieldSelector: opts.fieldSelector,
      resourceVersion: opts.resourceVersion,
      allowWatchBookmarks: true,
      timeoutSeconds: opts.timeoutSeconds ?? 300,
    };
    let res;
    try {
      res = await this.transport.stream(path, { query, signal });
    } catch (e) {
      if (signal.aborted) return;
      throw e;
    }
    await readWatchEvents<T>(res, signal, (type, obj) => {
      if (type === 'BOOKMARK') onBookmark?.(obj.metadata.resourceVersion ?? '');
      else onEvent(type, { ...obj, apiVersion: obj.apiVersion ?? apiVersion, kind: obj.kind ?? kind });
    });
  }
}

/** Desired metadata/spec/data over the stored object, keeping server-owned fields. */
export function mergeDesired<T extends KubeObject>(current: T, desired: T): T {
  const out: Record<string, unknown> = { ...(current as unknown as Record<string, unknown>) };
  for (const [k, v] of Object.entries(desired)) {
    if (k === 'metadata' || k === 'status') continue;
    out[k] = v;
  }
  const meta = { ...current.metadata };
  for (const k of ['labels', 'annotations', 'ownerReferences', 'finalizers'] as const) {
    if (desired.metadata[k] !== undefined)
      (meta as unknown as Record<string, unknown>)[k] = desired.metadata[k];
  }
  out.metadata = meta;
  return out as T;
}
