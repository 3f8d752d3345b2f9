import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import {
  AppsV1Api,
  BatchV1Api,
  CertificatesV1Api,
  CoreV1Api,
  makeInformer,
  PatchStrategy,
  setHeaderOptions,
  Watch,
} from '@kubernetes/client-node';
import type { KubeConfig, V1ConfigMap, V1OwnerReference } from '@kubernetes/client-node';
import { startApiServer } from './index.js';
import type { ApiServer } from './index.js';

let server: ApiServer;
let kc: KubeConfig;
let core: CoreV1Api;

async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function exists(p: Promise<unknown>): Promise<boolean> {
  try {
    await p;
    return true;
  } catch (e) {
    if ((e as { code?: number }).code === 404) return false;
    throw e;
  }
}

interface Seen {
  type: string;
  name: string;
  rv: string;
  code?: number;
}

/** Start a client-node watch collecting events; returns the list and an abort function. */
async function collect(
  path: string,
  query: Record<string, string | boolean | number>,
): Promise<{ events: Seen[]; done: Promise<unknown>; stop: () => void }> {
  const events: Seen[] = [];
  let finish: (e: unknown) => void = () => undefined;
  const done = new Promise((r) => (finish = r));
  const ctl = await new Watch(kc).watch(
    path,
    query,
    (type, obj: { metadata?: { name?: string; resourceVersion?: string }; code?: number }) =>
      events.push({
        type,
        name: obj.metadata?.name ?? '',
        rv: obj.metadata?.resourceVersion ?? '',
        ...(obj.code ? { code: obj.code } : {}),
      }),
    (err) => finish(err),
  );
  return { events, done, stop: () => ctl.abort() };
}

beforeAll(async () => {
  server = await startApiServer({ name: 'watch', bookmarkIntervalMs: 100, historySize: 10_000 });
  kc = server.kubeConfig();
  core = kc.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: 'w' } } });
});

afterAll(async () => {
  await server.close();
});

describe('watch', () => {
  it('streams ADDED, MODIFIED and DELETED and honours label selectors', async () => {
    const w = await collect('/api/v1/namespaces/w/configmaps', { labelSelector: 'watched=yes' });
    await core.createNamespacedConfigMap({
      namespace: 'w',
      body: { metadata: { name: 'a', labels: { watched: 'yes' } } },
    });
    await core.createNamespacedConfigMap({ namespace: 'w', body: { metadata: { name: 'ignored' } } });
    const mod = await core.patchNamespacedConfigMap(
      { namespace: 'w', name: 'a', body: { data: { x: '1' } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    // Dropping the label makes the object leave the selector: the watcher sees DELETED.
    await core.patchNamespacedConfigMap(
      { namespace: 'w', name: 'a', body: { metadata: { labels: { watched: null } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await waitFor('3 events', () => w.events.length >= 3 || undefined);
    w.stop();
    expect(w.events.map((e) => `${e.type} ${e.name}`)).toEqual(['ADDED a', 'MODIFIED a', 'DELETED a']);
    expect(w.events[1]?.rv).toBe(mod.metadata?.resourceVersion);
  });

  it('resumes from a resourceVersion, and answers a compacted one with 410 Gone', async () => {
    const first = await core.createNamespacedConfigMap({
      namespace: 'w',
      body: { metadata: { name: 'r1' } },
    });
    await core.createNamespacedConfigMap({ namespace: 'w', body: { metadata: { name: 'r2' } } });
    await core.deleteNamespacedConfigMap({ namespace: 'w', name: 'r1' });
    const w = await collect('/api/v1/namespaces/w/configmaps', {
      resourceVersion: first.metadata?.resourceVersion ?? '',
    });
    await waitFor('replayed events', () => w.events.length >= 2 || undefined);
    w.stop();
    expect(w.events.map((e) => `${e.type} ${e.name}`)).toEqual(['ADDED r2', 'DELETED r1']);

    server.compactHistory();
    const old = await collect('/api/v1/namespaces/w/configmaps', {
      resourceVersion: first.metadata?.resourceVersion ?? '',
    });
    await old.done;
    expect(old.events).toEqual([{ type: 'ERROR', name: '', rv: '', code: 410 }]);
  });

  it('watches one object by field selector, sends bookmarks and ends at timeoutSeconds', async () => {
    const o = await core.createNamespacedConfigMap({
      namespace: 'w',
      body: { metadata: { name: 'single' } },
    });
    const w = await collect('/api/v1/namespaces/w/configmaps', {
      fieldSelector: 'metadata.name=single',
      resourceVersion: o.metadata?.resourceVersion ?? '',
      allowWatchBookmarks: true,
      timeoutSeconds: 1,
    });
    await core.createNamespacedConfigMap({ namespace: 'w', body: { metadata: { name: 'other' } } });
    await core.patchNamespacedConfigMap(
      { namespace: 'w', name: 'single', body: { data: { a: 'b' } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await w.done;
    const types = w.events.map((e) => e.type);
    expect(types.filter((t) => t !== 'BOOKMARK')).toEqual(['MODIFIED']);
    expect(types).toContain('BOOKMARK');
    expect(w.events.every((e) => e.type === 'BOOKMARK' || e.name === 'single')).toBe(true);
  });

  it('feeds a client-node informer (list, then watch) that sees adds, updates and deletes', async () => {
    await core.createNamespace({ body: { metadata: { name: 'inf' } } });
    await core.createNamespacedConfigMap({ namespace: 'inf', body: { metadata: { name: 'pre' } } });
    const informer = makeInformer<V1ConfigMap>(kc, '/api/v1/namespaces/inf/configmaps', () =>
      core.listNamespacedConfigMap({ namespace: 'inf' }),
    );
    const log: string[] = [];
    informer.on('add', (o) => log.push(`add ${o.metadata?.name ?? ''}`));
    informer.on('update', (o) => log.push(`update ${o.metadata?.name ?? ''}`));
    informer.on('delete', (o) => log.push(`delete ${o.metadata?.name ?? ''}`));
    await informer.start();
    await core.createNamespacedConfigMap({ namespace: 'inf', body: { metadata: { name: 'live' } } });
    await core.patchNamespacedConfigMap(
      { namespace: 'inf', name: 'live', body: { data: { k: 'v' } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await core.deleteNamespacedConfigMap({ namespace: 'inf', name: 'pre' });
    await waitFor(
      'informer events',
      () => (log.includes('delete pre') && log.includes('update live')) || undefined,
    );
    await informer.stop();
    expect(log).toEqual(expect.arrayContaining(['add pre', 'add live', 'update live', 'delete pre']));
    expect(informer.get('live', 'inf')?.data).toEqual({ k: 'v' });
  });
});

describe('finalizers and namespaces', () => {
  it('keeps an object with finalizers until they are removed, and forbids adding new ones meanwhile', async () => {
    await core.createNamespacedConfigMap({
      namespace: 'w',
      body: { metadata: { name: 'fin', finalizers: ['example.com/hold'] } },
    });
    // client-node types the DELETE answer as V1Status, so check the stored object instead.
    await core.deleteNamespacedConfigMap({ namespace: 'w', name: 'fin' });
    const cur = await core.readNamespacedConfigMap({ namespace: 'w', name: 'fin' });
    expect(cur.metadata?.deletionTimestamp).toBeDefined();
    const add = await core
      .replaceNamespacedConfigMap({
        namespace: 'w',
        name: 'fin',
        body: { ...cur, metadata: { ...cur.metadata, finalizers: ['example.com/hold', 'x.io/y'] } },
      })
      .catch((e: { code: number }) => e.code);
    expect(add).toBe(422);
    await core.replaceNamespacedConfigMap({
      namespace: 'w',
      name: 'fin',
      body: { ...cur, metadata: { ...cur.metadata, finalizers: [] } },
    });
    expect(await exists(core.readNamespacedConfigMap({ namespace: 'w', name: 'fin' }))).toBe(false);
  });

  it('empties a deleted namespace, refuses new content while terminating, then removes it', async () => {
    await core.createNamespace({ body: { metadata: { name: 'doomed' } } });
    await core.createNamespacedConfigMap({
      namespace: 'doomed',
      body: { metadata: { name: 'held', finalizers: ['example.com/hold'] } },
    });
    await core.createNamespacedSecret({
      namespace: 'doomed',
      body: { metadata: { name: 's' }, stringData: { a: 'b' } },
    });
    await core.deleteNamespace({ name: 'doomed' });
    const ns = await core.readNamespace({ name: 'doomed' });
    expect(ns.status?.phase).toBe('Terminating');
    const refused = await core
      .createNamespacedConfigMap({ namespace: 'doomed', body: { metadata: { name: 'late' } } })
      .catch((e: { code: number }) => e.code);
    expect(refused).toBe(403);
    await waitFor(
      'secret gone',
      async () => !(await exists(core.readNamespacedSecret({ namespace: 'doomed', name: 's' }))) || undefined,
    );
    expect(await exists(core.readNamespace({ name: 'doomed' }))).toBe(true);
    await core.patchNamespacedConfigMap(
      { namespace: 'doomed', name: 'held', body: { metadata: { finalizers: null } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await waitFor(
      'namespace gone',
      async () => !(await exists(core.readNamespace({ name: 'doomed' }))) || undefined,
    );
  });
});

describe('garbage collection', () => {
  async function owned(owner: V1ConfigMap, name: string): Promise<void> {
    const ref: V1OwnerReference = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      name: owner.metadata?.name ?? '',
      uid: owner.metadata?.uid ?? '',
      blockOwnerDeletion: true,
    };
    await core.createNamespacedConfigMap({
      namespace: 'w',
      body: { metadata: { name, ownerReferences: [ref] } },
    });
  }

  it('deletes dependents in the background once their only owner is gone, and keeps those with another owner', async () => {
    const a = await core.createNamespacedConfigMap({
      namespace: 'w',
      body: { metadata: { name: 'owner-a' } },
    });
    const b = await core.createNamespacedConfigMap({
      namespace: 'w',
      body: { metadata: { name: 'owner-b' } },
    });
    await owned(a, 'dep-1');
    await core.createNamespacedConfigMap({
      namespace: 'w',
      body: {
        metadata: {
          name: 'dep-2',
          ownerReferences: [a, b].map((o) => ({
            apiVersion: 'v1',
            kind: 'ConfigMap',
            name: o.metadata?.name ?? '',
            uid: o.metadata?.uid ?? '',
          })),
        },
      },
    });
    await core.deleteNamespacedConfigMap({ namespace: 'w', name: 'owner-a' });
    await waitFor(
      'dep-1 collected',
      async () =>
        !(await exists(core.readNamespacedConfigMap({ namespace: 'w', name: 'dep-1' }))) || undefined,
    );
    const dep2 = await waitFor('dangling ref removed', async () => {
      const o = await core.readNamespacedConfigMap({ namespace: 'w', name: 'dep-2' });
      return o.metadata?.ownerReferences?.length === 1 ? o : undefined;
    });
    expect(dep2.metadata?.ownerReferences?.[0]?.name).toBe('owner-b');
  });

  it('foreground deletion removes dependents before the owner; orphan deletion keeps them without the reference', async () => {
    const fg = await core.createNamespacedConfigMap({
      namespace: 'w',
      body: { metadata: { name: 'fg-owner' } },
    });
    await owned(fg, 'fg-dep');
    await core.deleteNamespacedConfigMap({
      namespace: 'w',
      name: 'fg-owner',
      propagationPolicy: 'Foreground',
    });
    await waitFor(
      'owner gone',
      async () =>
        !(await exists(core.readNamespacedConfigMap({ namespace: 'w', name: 'fg-owner' }))) || undefined,
    );
    expect(await exists(core.readNamespacedConfigMap({ namespace: 'w', name: 'fg-dep' }))).toBe(false);

    const orph = await core.createNamespacedConfigMap({
      namespace: 'w',
      body: { metadata: { name: 'orph-owner' } },
    });
    await owned(orph, 'orph-dep');
    await core.deleteNamespacedConfigMap({ namespace: 'w', name: 'orph-owner', propagationPolicy: 'Orphan' });
    await waitFor(
      'owner gone',
      async () =>
        !(await exists(core.readNamespacedConfigMap({ namespace: 'w', name: 'orph-owner' }))) || undefined,
    );
    const dep = await core.readNamespacedConfigMap({ namespace: 'w', name: 'orph-dep' });
    expect(dep.metadata?.ownerReferences).toBeUndefined();
  });

  it('collects a Deployment-owned object across kinds and lets a Job status be written through /status', async () => {
    const apps = kc.makeApiClient(AppsV1Api);
    const labels = { app: 'gc' };
    const d = await apps.createNamespacedDeployment({
      namespace: 'w',
      body: {
        metadata: { name: 'gc' },
        spec: {
          selector: { matchLabels: labels },
          template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'i' }] } },
        },
      },
    });
    await core.createNamespacedPod({
      namespace: 'w',
      body: {
        metadata: {
          name: 'gc-pod',
          ownerReferences: [
            {
              apiVersion: 'apps/v1',
              kind: 'Deployment',
              name: 'gc',
              uid: d.metadata?.uid ?? '',
              controller: true,
            },
          ],
        },
        spec: { containers: [{ name: 'c', image: 'i' }] },
      },
    });
    await apps.deleteNamespacedDeployment({ namespace: 'w', name: 'gc' });
    await waitFor(
      'pod collected',
      async () => !(await exists(core.readNamespacedPod({ namespace: 'w', name: 'gc-pod' }))) || undefined,
    );

    const batch = kc.makeApiClient(BatchV1Api);
    const job = await batch.createNamespacedJob({
      namespace: 'w',
      body: {
        metadata: { name: 'j' },
        spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'i' }] } } },
      },
    });
    expect(job.spec?.selector?.matchLabels?.['batch.kubernetes.io/controller-uid']).toBe(job.metadata?.uid);
    const st = await batch.patchNamespacedJobStatus(
      { namespace: 'w', name: 'j', body: { status: { succeeded: 1 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(st.status?.succeeded).toBe(1);
  });
});

describe('CertificateSigningRequest', () => {
  it('records the requester, takes approval only through /approval and the certificate through /status', async () => {
    const csrs = kc.makeApiClient(CertificatesV1Api);
    // Any PEM block of the right type passes this server's check; a real CSR is not needed for the flow.
    const key = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
      .publicKey.export({ type: 'spki', format: 'pem' })
      .toString();
    const request = Buffer.from(key.replace(/PUBLIC KEY/g, 'CERTIFICATE REQUEST')).toString('base64');
    const agent = server.kubeConfig('agent');
    server.addUser('agent', ['system:bootstrappers']);
    const created = await agent.makeApiClient(CertificatesV1Api).createCertificateSigningRequest({
      body: {
        metadata: { name: 'c1' },
        spec: { request, signerName: 'example.com/signer', usages: ['client auth'], username: 'spoofed' },
      },
    });
    expect(created.spec.username).toBe('agent');
    expect(created.spec.groups).toEqual(expect.arrayContaining(['system:authenticated']));
    const viaMain = await csrs.replaceCertificateSigningRequest({
      name: 'c1',
      body: {
        ...created,
        status: { conditions: [{ type: 'Approved', status: 'True', reason: 'x', message: 'y' }] },
      },
    });
    expect(viaMain.status?.conditions).toBeUndefined();
    const approved = await csrs.replaceCertificateSigningRequestApproval({
      name: 'c1',
      body: {
        ...viaMain,
        status: { conditions: [{ type: 'Approved', status: 'True', reason: 'ok', message: 'ok' }] },
      },
    });
    expect(approved.status?.conditions?.[0]?.type).toBe('Approved');
    const bySigner = await csrs.listCertificateSigningRequest({
      fieldSelector: 'spec.signerName=example.com/signer',
    });
    expect(bySigner.items.map((c) => c.metadata?.name)).toEqual(['c1']);
    const signed = await csrs.patchCertificateSigningRequestStatus(
      { name: 'c1', body: { status: { certificate: Buffer.from('cert').toString('base64') } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(signed.status?.certificate).toBe(Buffer.from('cert').toString('base64'));
    expect(signed.status?.conditions?.[0]?.type).toBe('Approved');
  });
});
