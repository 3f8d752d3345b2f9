import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import type { CoreV1Event, KubeConfig, V1ConfigMap } from '@kubernetes/client-node';
import { startApiServer } from './index.js';
import type { ApiServer } from './index.js';

let server: ApiServer;
let kc: KubeConfig;
let core: CoreV1Api;
let apps: AppsV1Api;
let custom: CustomObjectsApi;

async function status(p: Promise<unknown>): Promise<{ code: number; body: Record<string, unknown> }> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ApiException) {
      const raw: unknown = e.body;
      const body =
        typeof raw === 'string'
          ? (JSON.parse(raw) as Record<string, unknown>)
          : ((raw ?? {}) as Record<string, unknown>);
      return { code: e.code, body };
    }
    throw e;
  }
  throw new Error('expected the call to fail');
}

function cm(name: string, data: Record<string, string> = {}, labels?: Record<string, string>): V1ConfigMap {
  return { metadata: { name, ...(labels ? { labels } : {}) }, data };
}

beforeAll(async () => {
  server = await startApiServer({ name: 'crud' });
  kc = server.kubeConfig();
  core = kc.makeApiClient(CoreV1Api);
  apps = kc.makeApiClient(AppsV1Api);
  custom = kc.makeApiClient(CustomObjectsApi);
  await core.createNamespace({ body: { metadata: { name: 'crud' } } });
});

afterAll(async () => {
  await server.close();
});

describe('authentication', () => {
  it('rejects an unknown bearer token with 401 and accepts the kubeconfig token', async () => {
    const bad = server.kubeConfig();
    const user = bad.getCurrentUser();
    if (user) (user as { token?: string }).token = 'wrong';
    const r = await status(bad.makeApiClient(CoreV1Api).listNamespace());
    // client-node drops the Status body of a 401, so only the code is checked here.
    expect(r.code).toBe(401);
    const list = await core.listNamespace();
    expect(list.items.map((n) => n.metadata?.name)).toEqual(
      expect.arrayContaining(['default', 'kube-system', 'crud']),
    );
  });
});

describe('create, get, update', () => {
  it('stamps uid, creationTimestamp and a growing resourceVersion, and refuses duplicates with 409 AlreadyExists', async () => {
    const a = await core.createNamespacedConfigMap({ namespace: 'crud', body: cm('a', { k: 'v' }) });
    expect(a.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.metadata?.creationTimestamp).toBeDefined();
    const b = await core.createNamespacedConfigMap({ namespace: 'crud', body: cm('b') });
    expect(Number(b.metadata?.resourceVersion)).toBeGreaterThan(Number(a.metadata?.resourceVersion));
    const dup = await status(core.createNamespacedConfigMap({ namespace: 'crud', body: cm('a') }));
    expect(dup.code).toBe(409);
    expect(dup.body).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'AlreadyExists',
      details: { name: 'a', kind: 'configmaps' },
    });
  });

  it('returns 404 NotFound for missing objects and for a missing namespace', async () => {
    const r = await status(core.readNamespacedConfigMap({ namespace: 'crud', name: 'missing' }));
    expect(r.code).toBe(404);
    expect(r.body.message).toBe('configmaps "missing" not found');
    const ns = await status(core.createNamespacedConfigMap({ namespace: 'nowhere', body: cm('x') }));
    expect(ns.code).toBe(404);
    expect(ns.body.message).toBe('namespaces "nowhere" not found');
  });

  it('generates names from generateName', async () => {
    const o = await core.createNamespacedConfigMap({
      namespace: 'crud',
      body: { metadata: { generateName: 'gen-' } },
    });
    expect(o.metadata?.name).toMatch(/^gen-[a-z0-9]{5}$/);
  });

  it('answers a stale update with 409 Conflict and accepts one at the current resourceVersion', async () => {
    const cur = await core.createNamespacedConfigMap({ namespace: 'crud', body: cm('conflict', { n: '1' }) });
    const first = await core.replaceNamespacedConfigMap({
      namespace: 'crud',
      name: 'conflict',
      body: { ...cur, data: { n: '2' } },
    });
    const stale = await status(
      core.replaceNamespacedConfigMap({
        namespace: 'crud',
        name: 'conflict',
        body: { ...cur, data: { n: '3' } },
      }),
    );
    expect(stale.code).toBe(409);
    expect(stale.body.reason).toBe('Conflict');
    expect(String(stale.body.message)).toContain('the object has been modified');
    const ok = await core.replaceNamespacedConfigMap({
      namespace: 'crud',
      name: 'conflict',
      body: { ...first, data: { n: '3' } },
    });
    expect(ok.data).toEqual({ n: '3' });
    expect(ok.metadata?.uid).toBe(cur.metadata?.uid);
  });

  it('does not bump resourceVersion for a no-op update', async () => {
    const cur = await core.createNamespacedConfigMap({ namespace: 'crud', body: cm('noop', { a: '1' }) });
    const same = await core.replaceNamespacedConfigMap({ namespace: 'crud', name: 'noop', body: cur });
    expect(same.metadata?.resourceVersion).toBe(cur.metadata?.resourceVersion);
  });

  it('rejects invalid names with 422 and field causes', async () => {
    const r = await status(core.createNamespacedConfigMap({ namespace: 'crud', body: cm('Not_Valid') }));
    expect(r.code).toBe(422);
    expect(r.body.reason).toBe('Invalid');
    expect((r.body.details as { causes: { field: string }[] }).causes[0]?.field).toBe('metadata.name');
  });
});

describe('patch', () => {
  it('applies merge, JSON and strategic merge patches', async () => {
    await core.createNamespacedConfigMap({ namespace: 'crud', body: cm('p', { a: '1', b: '2' }) });
    const merged = await core.patchNamespacedConfigMap(
      { namespace: 'crud', name: 'p', body: { data: { a: null, c: '3' } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(merged.data).toEqual({ b: '2', c: '3' });
    const json = await core.patchNamespacedConfigMap(
      { namespace: 'crud', name: 'p', body: [{ op: 'replace', path: '/data/b', value: 'x' }] },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );
    expect(json.data).toEqual({ b: 'x', c: '3' });
    const failed = await status(
      core.patchNamespacedConfigMap(
        { namespace: 'crud', name: 'p', body: [{ op: 'test', path: '/data/b', value: 'nope' }] },
        setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
      ),
    );
    expect(failed.code).toBe(422);
  });

  it('merges container lists by name in a strategic merge patch of a Deployment', async () => {
    const labels = { app: 'd' };
    await apps.createNamespacedDeployment({
      namespace: 'crud',
      body: {
        metadata: { name: 'd' },
        spec: {
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              containers: [
                { name: 'main', image: 'img:1', env: [{ name: 'A', value: '1' }] },
                { name: 'side', image: 'side:1' },
              ],
            },
          },
        },
      },
    });
    const patched = await apps.patchNamespacedDeployment(
      {
        namespace: 'crud',
        name: 'd',
        body: {
          spec: { template: { spec: { containers: [{ name: 'main', env: [{ name: 'B', value: '2' }] }] } } },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    const containers = patched.spec?.template.spec?.containers ?? [];
    expect(containers.map((c) => c.name)).toEqual(['main', 'side']);
    expect(containers[0]?.image).toBe('img:1');
    expect(containers[0]?.env?.map((e) => e.name)).toEqual(['A', 'B']);
    expect(patched.metadata?.generation).toBe(2);
    expect(patched.spec?.replicas).toBe(1);
  });
});

describe('status subresource and generation', () => {
  it('keeps status out of main updates, spec out of status updates, and moves generation on spec changes only', async () => {
    const labels = { app: 's' };
    const d = await apps.createNamespacedDeployment({
      namespace: 'crud',
      body: {
        metadata: { name: 's' },
        spec: {
          selector: { matchLabels: labels },
          template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'i' }] } },
        },
        status: { replicas: 99 },
      },
    });
    expect(d.status?.replicas).toBeUndefined();
    expect(d.metadata?.generation).toBe(1);
    const st = await apps.replaceNamespacedDeploymentStatus({
      namespace: 'crud',
      name: 's',
      body: {
        ...d,
        spec: { ...d.spec!, replicas: 5 },
        status: { replicas: 1, readyReplicas: 1, observedGeneration: 1 },
      },
    });
    expect(st.status?.readyReplicas).toBe(1);
    expect(st.spec?.replicas).toBe(1);
    expect(st.metadata?.generation).toBe(1);
    const labelled = await apps.patchNamespacedDeployment(
      { namespace: 'crud', name: 's', body: { metadata: { labels: { x: 'y' } }, status: { replicas: 7 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(labelled.metadata?.generation).toBe(1);
    expect(labelled.status?.replicas).toBe(1);
    const scaled = await apps.patchNamespacedDeployment(
      { namespace: 'crud', name: 's', body: { spec: { replicas: 3 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(scaled.metadata?.generation).toBe(2);
  });
});

describe('list', () => {
  it('filters by label and field selectors and pages with limit/continue', async () => {
    for (const [i, tier] of ['web', 'web', 'db', 'cache'].entries()) {
      await core.createNamespacedConfigMap({
        namespace: 'crud',
        body: cm(`sel-${i}`, {}, { tier, group: 'sel' }),
      });
    }
    const names = async (labelSelector?: string, fieldSelector?: string): Promise<string[]> =>
      (await core.listNamespacedConfigMap({ namespace: 'crud', labelSelector, fieldSelector })).items.map(
        (o) => o.metadata?.name ?? '',
      );
    expect(await names('tier=web')).toEqual(['sel-0', 'sel-1']);
    expect(await names('group==sel,tier!=web')).toEqual(['sel-2', 'sel-3']);
    expect(await names('tier in (db, cache)')).toEqual(['sel-2', 'sel-3']);
    expect(await names('group=sel,tier notin (db,cache)')).toEqual(['sel-0', 'sel-1']);
    expect(await names('tier,!missing')).toHaveLength(4);
    expect(await names(undefined, 'metadata.name=sel-2')).toEqual(['sel-2']);
    expect(await names('group=sel', 'metadata.name!=sel-2')).toEqual(['sel-0', 'sel-1', 'sel-3']);
    const bad = await status(core.listNamespacedConfigMap({ namespace: 'crud', fieldSelector: 'data.x=1' }));
    expect(bad.code).toBe(400);

    const page1 = await core.listNamespacedConfigMap({
      namespace: 'crud',
      labelSelector: 'group=sel',
      limit: 3,
    });
    expect(page1.items).toHaveLength(3);
    expect(page1.metadata?.remainingItemCount).toBe(1);
    const page2 = await core.listNamespacedConfigMap({
      namespace: 'crud',
      labelSelector: 'group=sel',
      limit: 3,
      _continue: page1.metadata?._continue,
    });
    expect(page2.items.map((o) => o.metadata?.name)).toEqual(['sel-3']);
    expect(page2.metadata?._continue).toBeUndefined();
  });

  it('lists across namespaces and deletes a collection by selector', async () => {
    const all = await core.listConfigMapForAllNamespaces({ labelSelector: 'group=sel' });
    expect(all.items).toHaveLength(4);
    await core.deleteCollectionNamespacedConfigMap({ namespace: 'crud', labelSelector: 'tier=web' });
    const left = await core.listNamespacedConfigMap({ namespace: 'crud', labelSelector: 'group=sel' });
    expect(left.items.map((o) => o.metadata?.name)).toEqual(['sel-2', 'sel-3']);
  });
});

describe('custom resources through CustomObjectsApi', () => {
  it('serves a CRD, validates, defaults and prunes, and stops serving when the CRD is deleted', async () => {
    const ext = kc.makeApiClient((await import('@kubernetes/client-node')).ApiextensionsV1Api);
    await ext.createCustomResourceDefinition({
      body: {
        metadata: { name: 'gadgets.test.io' },
        spec: {
          group: 'test.io',
          scope: 'Cluster',
          names: { plural: 'gadgets', kind: 'Gadget', shortNames: ['gd'] },
          versions: [
            {
              name: 'v1',
              served: true,
              storage: true,
              subresources: { status: {} },
              schema: {
                openAPIV3Schema: {
                  type: 'object',
                  properties: {
                    spec: {
                      type: 'object',
                      required: ['size'],
                      properties: {
                        size: { type: 'integer', minimum: 1 }, // client-node's model spells `default`/`enum` as `_default`/`_enum`.
                        mode: { type: 'string', _enum: ['a', 'b'], _default: 'a' },
                      },
                    },
                    status: { type: 'object', properties: { phase: { type: 'string' } } },
                  },
                },
              },
            },
          ],
        },
      },
    });
    const base = { group: 'test.io', version: 'v1', plural: 'gadgets' };
    const g = (await custom.createClusterCustomObject({
      ...base,
      body: {
        apiVersion: 'test.io/v1',
        kind: 'Gadget',
        metadata: { name: 'g1' },
        spec: { size: 2, extra: true },
      },
    })) as {
      spec: Record<string, unknown>;
      metadata: { generation: number };
    };
    expect(g.spec).toEqual({ size: 2, mode: 'a' });
    expect(g.metadata.generation).toBe(1);
    const bad = await status(
      custom.createClusterCustomObject({
        ...base,
        body: {
          apiVersion: 'test.io/v1',
          kind: 'Gadget',
          metadata: { name: 'g2' },
          spec: { size: 0, mode: 'c' },
        },
      }),
    );
    expect(bad.code).toBe(422);
    const fields = (bad.body.details as { causes: { field: string }[] }).causes.map((c) => c.field).sort();
    expect(fields).toEqual(['spec.mode', 'spec.size']);
    const missing = await status(
      custom.createClusterCustomObject({
        ...base,
        body: { apiVersion: 'test.io/v1', kind: 'Gadget', metadata: { name: 'g3' }, spec: {} },
      }),
    );
    expect((missing.body.details as { causes: { field: string; reason: string }[] }).causes).toEqual([
      { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.size' },
    ]);

    const st = (await custom.patchClusterCustomObjectStatus(
      { ...base, name: 'g1', body: { status: { phase: 'Ready' }, spec: { size: 9 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    )) as {
      spec: { size: number };
      status: { phase: string };
      metadata: { generation: number };
    };
    expect(st.status.phase).toBe('Ready');
    expect(st.spec.size).toBe(2);
    expect(st.metadata.generation).toBe(1);

    await ext.deleteCustomResourceDefinition({ name: 'gadgets.test.io' });
    const gone = await status(custom.listClusterCustomObject(base));
    expect(gone.code).toBe(404);
  });
});

describe('core/v1 Events (found against the real kube-apiserver, e2e/real/DIFFERENCES.md)', () => {
  const ev = (ns: string, involvedNs?: string): CoreV1Event => ({
    metadata: { name: `ev-${ns}-${involvedNs ?? 'none'}`, namespace: ns },
    involvedObject: {
      apiVersion: 'certificates.k8s.io/v1',
      kind: 'CertificateSigningRequest',
      name: 'x',
      ...(involvedNs ? { namespace: involvedNs } : {}),
    },
    reason: 'R',
    message: 'm',
    type: 'Warning',
  });
  it('puts an Event about a cluster-scoped object only in "default", and one about a namespaced object only in its namespace', async () => {
    const wrong = await status(core.createNamespacedEvent({ namespace: 'crud', body: ev('crud') }));
    expect(wrong.code).toBe(422);
    expect(JSON.stringify(wrong.body)).toContain('involvedObject.namespace');
    await core.createNamespacedEvent({ namespace: 'default', body: ev('default') });
    await core.createNamespacedEvent({ namespace: 'crud', body: ev('crud', 'crud') });
    const mismatch = await status(
      core.createNamespacedEvent({ namespace: 'default', body: ev('default', 'crud') }),
    );
    expect(mismatch.code).toBe(422);
  });
});
