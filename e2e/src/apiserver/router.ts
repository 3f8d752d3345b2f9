/** Parse API paths into a target resource: `/api/v1/namespaces/{ns}/{plural}/{name}/{sub}` and `/apis/{g}/{v}/...`. */
import type { Registry } from './registry.js';
import type { ResourceInfo } from './types.js';

export type Route =
  | {
      kind: 'resource';
      r: ResourceInfo;
      version: string;
      namespace?: string;
      name?: string;
      subresource?: string;
      legacyWatch: boolean;
    }
  | { kind: 'discovery'; group: string; version?: string }
  | { kind: 'unknown-resource'; group: string; version: string; plural: string }
  | { kind: 'none' };

function splitGroupVersion(
  segs: string[],
): { group: string; version: string; rest: string[] } | { group: string; rest?: undefined } | undefined {
  if (segs[0] === 'api') {
    if (segs.length === 1) return { group: '' };
    return { group: '', version: segs[1] ?? '', rest: segs.slice(2) };
  }
  if (segs[0] === 'apis') {
    if (segs.length === 2) return { group: segs[1] ?? '' };
    if (segs.length >= 3) return { group: segs[1] ?? '', version: segs[2] ?? '', rest: segs.slice(3) };
  }
  return undefined;
}

export function route(reg: Registry, pathname: string): Route {
  const segs = pathname
    .split('/')
    .filter((s) => s !== '')
    .map(decodeURIComponent);
  const gv = splitGroupVersion(segs);
  if (!gv) return { kind: 'none' };
  if (gv.rest === undefined) return { kind: 'discovery', group: gv.group };
  const { group, version } = gv;
  let rest = gv.rest;
  if (rest.length === 0) return { kind: 'discovery', group, version };
  const legacyWatch = rest[0] === 'watch';
  if (legacyWatch) rest = rest.slice(1);
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    const nsr = reg.lookup(group, version, rest[2] ?? '');
    if (nsr?.namespaced) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
  }
  const plural = rest[0] ?? '';
  const r = reg.lookup(group, version, plural);
  if (!r) return { kind: 'unknown-resource', group, version, plural };
  if (rest.length > 3) return { kind: 'none' };
  return { kind: 'resource', r, version, namespace, name: rest[1], subresource: rest[2], legacyWatch };
}
