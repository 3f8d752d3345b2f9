/**
 * CaStore against the embedded API server: the issued-certificate index is read once and then
 * kept from our own merge patches (signing stays O(1) in API bytes per certificate at fleet
 * scale), while what lands in the ConfigMap is exactly what a fresh read returns.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { KubeClient } from '@ocm-fl/common/kube/client.js';
import { startApiServer, type ApiServer } from '@ocm-fl/e2e/apiserver/index.js';
import { CaStore } from './ca-store.js';

const NS = 'open-cluster-management';
const USER = 'ca-store-test';
let server: ApiServer;
let store: CaStore;

const record = (serial: string): { serial: string; issuer: string; notAfter: string; issuedAt: string } => ({
  serial,
  issuer: 'AA:BB',
  notAfter: '2027-01-01T00:00:00.000Z',
  issuedAt: '2026-12-03T00:00:00.000Z',
});

beforeAll(async () => {
  server = await startApiServer({ name: 'ca-store' });
  const admin = KubeClient.fromKubeConfig(server.kubeConfig());
  await admin.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  store = new CaStore(KubeClient.fromKubeConfig(server.kubeConfig(USER)), { namespace: NS, keyType: 'ec' });
  await store.load();
});

afterAll(async () => {
  await server?.close();
});

describe('CaStore issued index', () => {
  it('reads the index once, then records each certificate with one patch', async () => {
    const requests = (): number => server.requestStats()[USER]?.requests ?? 0;
    await store.recordIssued('c0', record('00'));
    const before = requests();
    for (let i = 1; i <= 20; i++) await store.recordIssued(`c${i}`, record(String(i)));
    expect(requests() - before).toBe(20);
    const fresh = await store.issuedIndex();
    expect(Object.keys(fresh?.clusters ?? {})).toHaveLength(21);
    expect(fresh?.clusters.c7?.serial).toBe('7');
  });

  it('a renewal keeps the replaced certificate as previous, as a fresh read would', async () => {
    await store.recordIssued('c3', { ...record('33'), issuer: 'CC:DD' });
    const fresh = await store.issuedIndex();
    expect(fresh?.clusters.c3).toMatchObject({ serial: '33', previous: { issuer: 'AA:BB' } });
  });

  it('an index deleted behind its back is recreated on the next record', async () => {
    const admin = KubeClient.fromKubeConfig(server.kubeConfig());
    const cms = await admin.list<{ metadata: { name?: string } } & { apiVersion: string; kind: string }>(
      'v1',
      'ConfigMap',
      {
        namespace: NS,
      },
    );
    for (const cm of cms) await admin.delete('v1', 'ConfigMap', cm.metadata.name ?? '', NS);
    await store.recordIssued('c99', record('99'));
    const fresh = await store.issuedIndex();
    expect(fresh?.clusters.c99?.serial).toBe('99');
  });
});
