import type { KubeObject } from '../api/meta.js';

export interface ResourceInfo {
  /** Lower-case plural, e.g. `configmaps`. */
  plural: string;
  namespaced: boolean;
}

/** Split `group/version` (or `v1`) into its parts. */
export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.indexOf('/');
  return i < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

/** `/api/v1` or `/apis/<group>/<version>`. */
export function groupVersionPath(apiVersion: string): string {
  const { group, version } = splitApiVersion(apiVersion);
  return group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
}

export interface PathParts {
  apiVersion: string;
  resource: ResourceInfo;
  namespace?: string | undefined;
  name?: string | undefined;
  subresource?: string | undefined;
}

/** Build the REST path of a collection, an object or a subresource. */
export function resourcePath(p: PathParts): string {
  let path = groupVersionPath(p.apiVersion);
  if (p.resource.namespaced && p.namespace) path += `/namespaces/${encodeURIComponent(p.namespace)}`;
  path += `/${p.resource.plural}`;
  if (p.name) path += `/${encodeURIComponent(p.name)}`;
  if (p.subresource) path += `/${p.subresource}`;
  return path;
}

export function objectKey(obj: Pick<KubeObject, 'metadata'>): string {
  return obj.metadata.namespace
    ? `${obj.metadata.namespace}/${obj.metadata.name}`
    : (obj.metadata.name ?? '');
}

/** Parse a `namespace/name` (or `name`) key. */
export function parseKey(key: string): { namespace?: string; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}
