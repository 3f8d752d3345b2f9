/** Small helpers on object metadata shared by the verbs, GC and watch code. */
import { randomUUID } from 'node:crypto';
import type { KubeObject, ResourceInfo } from './types.js';
import { apiVersionOf } from './types.js';

/** RFC 3339 with second precision, as Kubernetes serializes metav1.Time. */
export function now(offsetSeconds = 0): string {
  return new Date(Date.now() + offsetSeconds * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
}

export function newUid(): string {
  return randomUUID();
}

const ALNUM = 'bcdfghjklmnpqrstvwxz2456789';

/** The 5-character suffix kube-apiserver appends for generateName. */
export function randomSuffix(): string {
  let s = '';
  for (let i = 0; i < 5; i++) s += ALNUM[Math.floor(Math.random() * ALNUM.length)];
  return s;
}

/** The object as served at `version` (storage is shared; no field conversion between versions). */
export function asVersion(r: ResourceInfo, o: KubeObject, version: string): KubeObject {
  return { ...o, apiVersion: apiVersionOf(r.group, version), kind: r.kind };
}

/** Everything but metadata (and status when it is a subresource): what bumps generation. */
export function specPart(r: ResourceInfo, o: KubeObject): string {
  const { metadata: _m, status, apiVersion: _a, kind: _k, ...rest } = o;
  return JSON.stringify(r.statusSubresource ? rest : { ...rest, status });
}

/** Compare ignoring resourceVersion, managedFields and apiVersion: equal means the update is a no-op. */
export function sameContent(a: KubeObject, b: KubeObject): boolean {
  const strip = (o: KubeObject): string => {
    const { resourceVersion: _rv, managedFields: _mf, ...meta } = o.metadata;
    return canonical({ ...o, apiVersion: '', metadata: meta });
  };
  return strip(a) === strip(b);
}

function sortKeys(_k: string, v: unknown): unknown {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : 1)),
    );
  }
  return v;
}

/** Deterministic JSON (sorted keys) for content comparisons. */
export function canonical(v: unknown): string {
  return JSON.stringify(v, sortKeys);
}
