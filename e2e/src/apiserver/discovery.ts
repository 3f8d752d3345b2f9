/** Discovery documents (/api, /apis, /apis/g/v), /version, and the OpenAPI v3 index kubectl consults. */
import type { Registry } from './registry.js';
import type { ResourceInfo } from './types.js';
import { apiVersionOf } from './types.js';

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** Kubernetes version priority: GA > beta > alpha, higher numbers first. */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string): [number, number, number] => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return [0, 0, 0];
    const stage = m[2] === undefined ? 3 : m[2] === 'beta' ? 2 : 1;
    return [stage, Number(m[1]), Number(m[3] ?? 0)];
  };
  const [x, y] = [parse(a), parse(b)];
  for (let i = 0; i < 3; i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (y[i] ?? 0) - (x[i] ?? 0);
  return a < b ? -1 : 1;
}

export function versionInfo(): Record<string, string> {
  return {
    major: '1',
    minor: '32',
    gitVersion: 'v1.32.0-ocm-fl-embedded',
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2025-01-01T00:00:00Z',
    goVersion: 'go1.23.0',
    compiler: 'gc',
    platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
  };
}

export function coreVersions(address: string): Record<string, unknown> {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: address }],
  };
}

function groupEntry(name: string, versions: string[]): Record<string, unknown> {
  const sorted = [...versions].sort(compareVersions);
  const gvs = sorted.map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
  return { name, versions: gvs, preferredVersion: gvs[0] };
}

export function apiGroupList(reg: Registry): Record<string, unknown> {
  const groups = [...reg.groups()].filter(([g]) => g !== '').map(([g, vs]) => groupEntry(g, vs));
  return { kind: 'APIGroupList', apiVersion: 'v1', groups };
}

export function apiGroup(reg: Registry, group: string): Record<string, unknown> | undefined {
  const vs = reg.groups().get(group);
  return vs && group !== '' ? { kind: 'APIGroup', apiVersion: 'v1', ...groupEntry(group, vs) } : undefined;
}

function resourcesOf(reg: Registry, group: string, version: string): ResourceInfo[] {
  return reg.all().filter((r) => r.group === group && r.versions.includes(version));
}

export function apiResourceList(
  reg: Registry,
  group: string,
  version: string,
): Record<string, unknown> | undefined {
  const rs = resourcesOf(reg, group, version);
  if (!rs.length) return undefined;
  const resources: Record<string, unknown>[] = [];
  for (const r of rs.sort((a, b) => (a.plural < b.plural ? -1 : 1))) {
    resources.push({
      name: r.plural,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: VERBS,
      ...(r.shortNames.length ? { shortNames: r.shortNames } : {}),
      ...(r.categories.length ? { categories: r.categories } : {}),
    });
    const subs = [...(r.statusSubresource ? ['status'] : []), ...r.extraSubresources];
    for (const s of subs) {
      resources.push({
        name: `${r.plural}/${s}`,
        singularName: '',
        namespaced: r.namespaced,
        kind: r.kind,
        verbs: s === 'finalize' ? ['update'] : ['get', 'patch', 'update'],
      });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf(group, version), resources };
}

function gvPath(group: string, version: string): string {
  return group === '' ? `api/${version}` : `apis/${group}/${version}`;
}

/** `/openapi/v3`: one entry per group/version; the hash changes when the resources change. */
export function openApiV3Index(reg: Registry, hash: string): Record<string, unknown> {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const [g, vs] of reg.groups()) {
    for (const v of vs)
      paths[gvPath(g, v)] = { serverRelativeURL: `/openapi/v3/${gvPath(g, v)}?hash=${hash}` };
  }
  return { paths };
}

const QUERY_PARAMS = ['dryRun', 'fieldManager', 'fieldValidation', 'force'].map((name) => ({
  name,
  in: 'query',
  schema: { type: 'string' },
}));

/**
 * A minimal OpenAPI v3 document for one group/version: PATCH operations tagged with their GVK and the
 * query parameters they accept. kubectl reads exactly this to decide it may use server-side field
 * validation; it carries no schemas, so kubectl's apply falls back to its compiled-in patch metadata.
 */
export function openApiV3Doc(
  reg: Registry,
  group: string,
  version: string,
): Record<string, unknown> | undefined {
  const rs = resourcesOf(reg, group, version);
  if (!rs.length) return undefined;
  const paths: Record<string, unknown> = {};
  for (const r of rs) {
    const base = `/${gvPath(group, version)}${r.namespaced ? '/namespaces/{namespace}' : ''}/${r.plural}/{name}`;
    const gvk = { group, version, kind: r.kind };
    paths[base] = {
      patch: {
        operationId: `patch${r.kind}`,
        parameters: QUERY_PARAMS,
        responses: { '200': { description: 'OK' } },
        'x-kubernetes-action': 'patch',
        'x-kubernetes-group-version-kind': gvk,
      },
    };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32.0' },
    paths,
    components: { schemas: {} },
  };
}
