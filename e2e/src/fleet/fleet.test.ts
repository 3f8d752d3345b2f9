import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '@ocm-fl/common/api/meta.js';
import {
  ADDON_API_VERSION,
  CLUSTER_API_VERSION,
  PLACEMENT_API_VERSION,
  WORK_API_VERSION,
  type ManagedCluster,
  type ManagedClusterAddOn,
  type ManifestWork,
  type Placement,
  type PlacementDecision,
} from '@ocm-fl/common/api/ocm.js';
import { parseCsr } from '@ocm-fl/common/pki/csr-parse.js';
import { CSR_API_VERSION, type CertificateSigningRequest } from '@ocm-fl/common/pki/csr-object.js';
import { MANIFEST_WORK_FINALIZER } from '../standins/work/work-agent.js';
import { CsrSignerDouble } from '../standins/testing/csr-signer-double.js';
import { waitFor } from '../standins/testing/wait.js';
import { klusterletUser, startFleet, type Fleet } from './fleet.js';

const SIGNER = 'open-cluster-management.io/federated-learning';
let fleet: Fleet;
let dir: string;
let signer: CsrSignerDouble;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleet-test-'));
  await writeFile(join(dir, 'app.cjs'), 'setInterval(() => {}, 1000);');
  fleet = await startFleet({
    clusters: [
      {
        name: 'c1',
        labels: { env: 'prod' },
        claims: { 'fl.data': '/data/c1' },
        allocatable: { cpu: '4', memory: '8Gi' },
      },
      {
        name: 'c2',
        labels: { env: 'dev' },
        claims: { 'fl.data': '/data/c2' },
        allocatable: { cpu: '16', memory: '8Gi' },
      },
    ],
    podRunnerImages: { 'test/app': { entrypoint: [process.execPath, join(dir, 'app.cjs')] } },
    hubPods: false,
    workStatusSyncMs: 300,
    leasePeriodMs: 100,
    leaseGraceMs: 1_500,
    certCheckPeriodMs: 200,
    restartBackoffMs: 100,
  });
  signer = new CsrSignerDouble(fleet.hubClient, SIGNER, 6_000);
  await signer.start();
});

afterAll(async () => {
  await signer.stop();
  await fleet.stop();
  await rm(dir, { recursive: true, force: true });
});

const hub = (): Fleet['hubClient'] => fleet.hubClient;

describe('tier-1 fleet', () => {
  it('joins clusters with claims copied from ClusterClaims and cluster sets', async () => {
    const mc = await waitFor('claims synced', async () => {
      const x = await hub().get<ManagedCluster>(CLUSTER_API_VERSION, 'ManagedCluster', 'c1');
      return x?.status?.clusterClaims?.length ? x : undefined;
    });
    expect(mc.status?.clusterClaims).toEqual([{ name: 'fl.data', value: '/data/c1' }]);
    expect(mc.status?.conditions?.find((c) => c.type === 'ManagedClusterConditionAvailable')?.status).toBe(
      'True',
    );
    expect(
      await hub().get('cluster.open-cluster-management.io/v1beta2', 'ManagedClusterSet', 'global'),
    ).toBeDefined();
  });

  it('schedules a Placement into a PlacementDecision', async () => {
    await hub().apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'jobs' } });
    await hub().create({
      apiVersion: 'cluster.open-cluster-management.io/v1beta2',
      kind: 'ManagedClusterSetBinding',
      metadata: { name: 'global', namespace: 'jobs' },
      spec: { clusterSet: 'global' },
    } as KubeObject);
    await hub().create<Placement>({
      apiVersion: PLACEMENT_API_VERSION,
      kind: 'Placement',
      metadata: { name: 'p', namespace: 'jobs' },
      spec: {
        numberOfClusters: 1,
        predicates: [
          {
            requiredClusterSelector: {
              claimSelector: { matchExpressions: [{ key: 'fl.data', operator: 'Exists' }] },
            },
          },
        ],
        prioritizerPolicy: {
          mode: 'Exact',
          configurations: [
            { scoreCoordinate: { type: 'BuiltIn', builtIn: 'ResourceAllocatableCPU' }, weight: 1 },
          ],
        },
      },
    });
    const d = await waitFor('decision', async () => {
      const x = await hub().get<PlacementDecision>(
        PLACEMENT_API_VERSION,
        'PlacementDecision',
        'p-decision-1',
        'jobs',
      );
      return x?.status?.decisions?.length ? x : undefined;
    });
    expect(d.status?.decisions).toEqual([{ clusterName: 'c2', reason: '' }]);
    expect(d.metadata.labels?.['cluster.open-cluster-management.io/placement']).toBe('p');
    const p = await waitFor('placement status', async () => {
      const x = await hub().get<Placement>(PLACEMENT_API_VERSION, 'Placement', 'p', 'jobs');
      return x?.status?.numberOfSelectedClusters === 1 ? x : undefined;
    });
    expect(p.status?.conditions?.find((c) => c.type === 'PlacementSatisfied')?.reason).toBe(
      'AllDecisionsScheduled',
    );
  });

  it('applies a ManifestWork, reports status feedback, prunes removed manifests and cleans up on delete', async () => {
    const cm = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cfg', namespace: 'default' },
      data: { phase: 'Training' },
    };
    const deploy = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'app', namespace: 'default' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'a' } },
        template: {
          metadata: { labels: { app: 'a' } },
          spec: { containers: [{ name: 'm', image: 'test/app:1' }] },
        },
      },
    };
    await hub().create<ManifestWork>({
      apiVersion: WORK_API_VERSION,
      kind: 'ManifestWork',
      metadata: { name: 'w', namespace: 'c1' },
      spec: {
        workload: { manifests: [cm, deploy] as KubeObject[] },
        manifestConfigs: [
          {
            resourceIdentifier: { group: '', resource: 'configmaps', name: 'cfg', namespace: 'default' },
            feedbackRules: [{ type: 'JSONPaths', jsonPaths: [{ name: 'phase', path: '.data.phase' }] }],
          },
          {
            resourceIdentifier: { group: 'apps', resource: 'deployments', name: 'app', namespace: 'default' },
            feedbackRules: [{ type: 'WellKnownStatus' }],
          },
        ],
      },
    });
    const w = await waitFor('work available with feedback', async () => {
      const x = await hub().get<ManifestWork>(WORK_API_VERSION, 'ManifestWork', 'w', 'c1');
      const ready = x?.status?.resourceStatus?.manifests?.[1]?.statusFeedback?.values?.find(
        (v) => v.name === 'ReadyReplicas',
      );
      return ready?.fieldValue.integer === 1 ? x : undefined;
    });
    expect(w.metadata.finalizers).toContain(MANIFEST_WORK_FINALIZER);
    expect(w.status?.conditions?.find((c) => c.type === 'Applied')?.status).toBe('True');
    expect(w.status?.conditions?.find((c) => c.type === 'Available')?.reason).toBe('ResourcesAvailable');
    expect(w.status?.resourceStatus?.manifests?.[0]?.resourceMeta).toEqual({
      ordinal: 0,
      group: '',
      version: 'v1',
      kind: 'ConfigMap',
      resource: 'configmaps',
      name: 'cfg',
      namespace: 'default',
    });
    expect(w.status?.resourceStatus?.manifests?.[0]?.statusFeedback?.values).toEqual([
      { name: 'phase', fieldValue: { type: 'String', string: 'Training' } },
    ]);
    const c1 = fleet.cluster('c1').client;
    expect(await c1.get('v1', 'ConfigMap', 'cfg', 'default')).toBeDefined();

    // Feedback follows changes of the applied object.
    const live = await c1.get<KubeObject & { data: Record<string, string> }>(
      'v1',
      'ConfigMap',
      'cfg',
      'default',
    );
    await c1.update({ ...live!, data: { phase: 'Done' } } as KubeObject);
    await waitFor('work re-applies its manifest', async () => {
      const x = await c1.get<KubeObject & { data: Record<string, string> }>(
        'v1',
        'ConfigMap',
        'cfg',
        'default',
      );
      return x?.data.phase === 'Training';
    });

    // Dropping a manifest deletes it from the cluster.
    const cur = await hub().get<ManifestWork>(WORK_API_VERSION, 'ManifestWork', 'w', 'c1');
    await hub().update<ManifestWork>({
      ...cur!,
      spec: { ...cur!.spec!, workload: { manifests: [deploy as KubeObject] } },
    });
    await waitFor(
      'configmap pruned',
      async () => (await c1.get('v1', 'ConfigMap', 'cfg', 'default')) === undefined,
    );

    await hub().delete(WORK_API_VERSION, 'ManifestWork', 'w', 'c1');
    await waitFor(
      'work gone',
      async () => (await hub().get(WORK_API_VERSION, 'ManifestWork', 'w', 'c1')) === undefined,
    );
    expect(await c1.get('apps/v1', 'Deployment', 'app', 'default')).toBeUndefined();
  });

  it('sets the addon Available condition from the agent Lease', async () => {
    const c2 = fleet.cluster('c2').client;
    await hub().create<ManagedClusterAddOn>({
      apiVersion: ADDON_API_VERSION,
      kind: 'ManagedClusterAddOn',
      metadata: { name: 'health-test', namespace: 'c2' },
      spec: { installNamespace: 'agent-ns' },
    });
    const available = async (): Promise<string | undefined> => {
      const a = await hub().get<ManagedClusterAddOn>(
        ADDON_API_VERSION,
        'ManagedClusterAddOn',
        'health-test',
        'c2',
      );
      return a?.status?.conditions?.find((c) => c.type === 'Available')?.reason;
    };
    await waitFor('lease not found', async () => (await available()) === 'ManagedClusterAddOnLeaseNotFound');
    await c2.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'agent-ns' } });
    await c2.create({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'health-test', namespace: 'agent-ns' },
      spec: { renewTime: new Date().toISOString().replace('Z', '000Z') },
    } as KubeObject);
    await waitFor('lease updated', async () => (await available()) === 'ManagedClusterAddOnLeaseUpdated');
    await waitFor('lease stale', async () => (await available()) === 'ManagedClusterAddOnLeaseUpdateStopped');
  });

  it('registers an addon: CSR as the klusterlet makes it, certificate in the agent Secret, renewed before expiry', async () => {
    const c1 = fleet.cluster('c1').client;
    await c1.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'fl-agent' } });
    const mca = await hub().create<ManagedClusterAddOn>({
      apiVersion: ADDON_API_VERSION,
      kind: 'ManagedClusterAddOn',
      metadata: { name: 'federated-learning', namespace: 'c1' },
      spec: { installNamespace: 'fl-agent' },
    });
    const cn = 'system:open-cluster-management:cluster:c1:addon:federated-learning:agent:fl-agent';
    const groups = [
      'system:open-cluster-management:cluster:c1:addon:federated-learning',
      'system:open-cluster-management:addon:federated-learning',
    ];
    await hub().updateStatus<ManagedClusterAddOn>({
      ...mca,
      status: {
        namespace: 'fl-agent',
        registrations: [{ signerName: SIGNER, subject: { user: cn, groups } }],
      },
    });
    const secretName = 'federated-learning-open-cluster-management.io-federated-learning-client-cert';
    type Secret = KubeObject & { type: string; data: Record<string, string> };
    const first = await waitFor('client cert secret', async () =>
      c1.get<Secret>('v1', 'Secret', secretName, 'fl-agent'),
    );
    expect(first.type).toBe('kubernetes.io/tls');
    const cert = new X509Certificate(Buffer.from(first.data['tls.crt'] ?? '', 'base64'));
    expect(cert.checkPrivateKey(createPrivateKey(Buffer.from(first.data['tls.key'] ?? '', 'base64')))).toBe(
      true,
    );
    expect(cert.subject).toContain(`CN=${cn}`);

    const csrs = await hub().list<CertificateSigningRequest>(CSR_API_VERSION, 'CertificateSigningRequest', {
      labelSelector: 'open-cluster-management.io/addon-name=federated-learning',
    });
    const csr = csrs[0];
    expect(csr?.metadata.name).toMatch(/^addon-c1-federated-learning-/);
    expect(csr?.metadata.labels?.['open-cluster-management.io/cluster-name']).toBe('c1');
    expect(csr?.spec?.username).toBe(klusterletUser('c1'));
    expect(csr?.spec?.usages).toEqual(['digital signature', 'key encipherment', 'client auth']);
    const req = parseCsr(Buffer.from(csr?.spec?.request ?? '', 'base64').toString());
    expect(req.dnsNames).toEqual(['federated-learning.addon.open-cluster-management.io']);
    expect(req.curve).toBe('P-256');
    expect([...req.subject.o].sort()).toEqual([...groups].sort());

    // 6 s certificates renew at 20-25 % left: a new one arrives within the lifetime.
    await waitFor(
      'renewed certificate',
      async () => {
        const s = await c1.get<Secret>('v1', 'Secret', secretName, 'fl-agent');
        return s && s.data['tls.crt'] !== first.data['tls.crt'];
      },
      10_000,
    );
    expect(signer.signed).toBeGreaterThanOrEqual(2);
  });
});
