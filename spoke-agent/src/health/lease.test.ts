import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { KubeObject } from '@ocm-fl/common/api/meta.js';
import { KubeClient } from '@ocm-fl/common/kube/client.js';
import { startApiServer, type ApiServer } from '@ocm-fl/e2e/apiserver/index.js';
import { jitteredPeriod, LeaseRenewer, microTime, renewedLease, type Lease } from './lease.js';
import { configMapOwner, leaseOwner } from './lease-owner.js';

describe('lease pure parts', () => {
  it('formats MicroTime with six fractional digits', () => {
    expect(microTime(new Date('2024-05-01T10:20:30.123Z'))).toBe('2024-05-01T10:20:30.123000Z');
    expect(microTime(new Date('2024-05-01T10:20:30.123Z'))).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/,
    );
  });

  it('jitters the period within ±10 %', () => {
    expect(jitteredPeriod(60_000, () => 0)).toBe(54_000);
    expect(jitteredPeriod(60_000, () => 0.999999)).toBeLessThanOrEqual(66_000);
    expect(jitteredPeriod(60_000, () => 0.5)).toBe(60_000);
  });

  it('keeps acquireTime while the holder is the same, resets it when the holder changes', () => {
    const first = renewedLease(undefined, {
      namespace: 'ns',
      holder: 'a',
      periodMs: 60_000,
      now: new Date('2024-01-01T00:00:00Z'),
    });
    expect(first.metadata).toEqual({ name: 'federated-learning', namespace: 'ns' });
    expect(first.spec).toEqual({
      holderIdentity: 'a',
      leaseDurationSeconds: 300,
      acquireTime: '2024-01-01T00:00:00.000000Z',
      renewTime: '2024-01-01T00:00:00.000000Z',
    });
    const again = renewedLease(first, {
      namespace: 'ns',
      holder: 'a',
      periodMs: 60_000,
      now: new Date('2024-01-01T00:01:00Z'),
    });
    expect(again.spec!.acquireTime).toBe('2024-01-01T00:00:00.000000Z');
    expect(again.spec!.renewTime).toBe('2024-01-01T00:01:00.000000Z');
    const other = renewedLease(again, {
      namespace: 'ns',
      holder: 'b',
      periodMs: 60_000,
      now: new Date('2024-01-01T00:02:00Z'),
    });
    expect(other.spec!.acquireTime).toBe('2024-01-01T00:02:00.000000Z');
  });

  it('adds the owner once, keeping other owners', () => {
    const owner = { apiVersion: 'v1', kind: 'ConfigMap', name: 'fl-agent-config', uid: 'u1' };
    const base = { namespace: 'ns', holder: 'a', periodMs: 60_000, now: new Date(0) };
    const first = renewedLease(undefined, { ...base, owner });
    expect(first.metadata.ownerReferences).toEqual([owner]);
    expect(renewedLease(first, { ...base, owner }).metadata.ownerReferences).toEqual([owner]);
    const other = { apiVersion: 'v1', kind: 'Pod', name: 'p', uid: 'u0' };
    const legacy = { ...first, metadata: { ...first.metadata, ownerReferences: [other] } };
    expect(renewedLease(legacy, { ...base, owner }).metadata.ownerReferences).toEqual([other, owner]);
    expect(renewedLease(undefined, base).metadata.ownerReferences).toBeUndefined();
  });

  it('owns the Lease by the config ConfigMap only when it has a uid', () => {
    expect(
      configMapOwner({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', uid: 'u' } }),
    ).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      name: 'c',
      uid: 'u',
    });
    expect(configMapOwner({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } })).toBeUndefined();
    expect(configMapOwner(undefined)).toBeUndefined();
  });
});

describe('LeaseRenewer against the embedded API server', () => {
  let api: ApiServer;
  let client: KubeClient;
  beforeAll(async () => {
    api = await startApiServer({ port: 0 });
    client = KubeClient.fromKubeConfig(api.kubeConfig());
    await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'agent-ns' } });
  });
  afterAll(async () => {
    await api.close();
  });

  it('creates the Lease when absent, then renews it with a later renewTime', async () => {
    const r = new LeaseRenewer({ client, namespace: 'agent-ns', holder: 'fl-agent-0', periodMs: 60_000 });
    const created = await r.renewOnce();
    expect(created.spec!.holderIdentity).toBe('fl-agent-0');
    await new Promise((res) => setTimeout(res, 5));
    const renewed = await r.renewOnce();
    expect(renewed.metadata.uid).toBe(created.metadata.uid);
    expect(Date.parse(renewed.spec!.renewTime!)).toBeGreaterThan(Date.parse(created.spec!.renewTime!));
    expect(renewed.spec!.acquireTime).toBe(created.spec!.acquireTime);
    expect(r.sinceLastRenewal()).toBeDefined();
  });

  it('keeps renewing on its period and writes nothing after stop()', async () => {
    const r = new LeaseRenewer({ client, namespace: 'agent-ns', holder: 'fl-agent-1', periodMs: 50 });
    const seen = new Set<string>();
    r.start();
    const until = Date.now() + 10_000;
    while (seen.size < 3 && Date.now() < until) {
      const l = await client.get<Lease>('coordination.k8s.io/v1', 'Lease', 'federated-learning', 'agent-ns');
      if (l?.spec?.holderIdentity === 'fl-agent-1') seen.add(l.spec.renewTime!);
      await new Promise((res) => setTimeout(res, 20));
    }
    await r.stop();
    expect(seen.size).toBeGreaterThanOrEqual(3);
    const after = await client.get<Lease>(
      'coordination.k8s.io/v1',
      'Lease',
      'federated-learning',
      'agent-ns',
    );
    await new Promise((res) => setTimeout(res, 200));
    const later = await client.get<Lease>(
      'coordination.k8s.io/v1',
      'Lease',
      'federated-learning',
      'agent-ns',
    );
    expect(later!.metadata.resourceVersion).toBe(after!.metadata.resourceVersion);
  });

  it('owns the Lease by the agent config ConfigMap once it exists', async () => {
    await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'owned-ns' } });
    const owner = leaseOwner(client, 'owned-ns');
    const r = new LeaseRenewer({ client, namespace: 'owned-ns', holder: 'h', periodMs: 60_000, owner });
    expect((await r.renewOnce()).metadata.ownerReferences).toBeUndefined();
    const cm: KubeObject = await client.create<KubeObject>({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'fl-agent-config', namespace: 'owned-ns' },
    });
    const renewed = await r.renewOnce();
    expect(renewed.metadata.ownerReferences).toEqual([
      { apiVersion: 'v1', kind: 'ConfigMap', name: 'fl-agent-config', uid: cm.metadata.uid },
    ]);
  });
});
