/**
 * Stage 2 of the real tier: the real OCM hub controllers (registration, placement, addon
 * manager and its conversion webhook) on the real hub API server, and a real klusterlet agent
 * (registration + work) for two managed clusters: `c1` is the hub itself (self-managed, as in
 * OCM's own CI) and `c2` has its own kube-apiserver/etcd/kube-controller-manager, so the
 * agents' hub and spoke credentials really differ. Both join through the bootstrap flow and
 * real `clusteradm accept`; `clusteradm addon enable/disable` are real. The hub-manager runs
 * in-process with the chart's ServiceAccount; the spoke agents run in-process with the
 * ServiceAccount token their ManifestWork gives them (there is no kubelet). Run by
 * e2e/real/run.sh on fresh control planes (`$REAL_RUN` hub, `$REAL_RUN_C2` c2).
 */
import { X509Certificate } from 'node:crypto';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { FederatedLearning } from '@ocm-fl/common/api/federated-learning.js';
import { findCondition, type KubeObject } from '@ocm-fl/common/api/meta.js';
import {
  ADDON_API_VERSION,
  CLUSTER_API_VERSION,
  WORK_API_VERSION,
  type ManagedCluster,
  type ManagedClusterAddOn,
  type ManifestWork,
} from '@ocm-fl/common/api/ocm.js';
import { KubeClient } from '@ocm-fl/common/kube/client.js';
import { createLogger } from '@ocm-fl/common/logger.js';
import {
  ADDON_NAME,
  ADDON_NAME_LABEL,
  CLIENT_CERT_SECRET,
  CLUSTER_NAME_LABEL,
  DEFAULT_INSTALL_NAMESPACE,
  DEPLOY_WORK_NAME,
  LEASE_NAME,
  SIGNER_NAME,
} from '@ocm-fl/common/names.js';
import {
  CSR_API_VERSION,
  isApproved,
  type CertificateSigningRequest,
} from '@ocm-fl/common/pki/csr-object.js';
import { splitPemBundle } from '@ocm-fl/common/pki/bundle.js';
import { defaultConfig } from '@ocm-fl/hub-manager/config.js';
import { startHubManager, type HubManager } from '@ocm-fl/hub-manager/main.js';
import { DEFAULT_CA_SECRET } from '@ocm-fl/hub-manager/registration/ca-secret.js';
import {
  ROTATE_CA_ANNOTATION,
  ROTATE_CA_HANDLED_ANNOTATION,
} from '@ocm-fl/hub-manager/registration/ca-rotation-policy.js';
import { startAgent, type Agent } from '@ocm-fl/spoke-agent/agent.js';
import { loadConfig } from '@ocm-fl/spoke-agent/config.js';
import { IdentityWatcher } from '@ocm-fl/spoke-agent/identity/identity-watcher.js';
import { DATA_CLAIM, sampleFederatedLearning } from '../demo/sample.js';
import {
  HUB_NS,
  KLUSTERLET_NS,
  BOOTSTRAP_SA,
  bootstrapRbac,
  startAddonConversionWebhook,
  startHubControllers,
  startKlusterlet,
} from './ocm-processes.js';
import {
  adminClient,
  eventually,
  loadRealEnv,
  run,
  serviceAccountClient,
  serviceAccountToken,
  writeTokenKubeconfig,
  type Proc,
  type RealEnv,
} from './real-env.js';

const log = createLogger('real-stage2', process.env.LOG_LEVEL ?? 'warn');
const NS = DEFAULT_INSTALL_NAMESPACE;
/**
 * Addon client certificate lifetime the hub-manager signs (it backdates notBefore by 60 s).
 * OCM v1.2.0's registration agent checks its certificate only on Secret/CSR events and on a
 * 5-minute resync, renewing with 20–25 % of the whole life left: 360 s is the shortest life
 * that the first resync (≈300 s after issue) still finds valid and inside that window.
 */
const CERT_SECONDS = 360;
const RESYNC_MS = 300_000;

type Secret = KubeObject & { data?: Record<string, string> };
type ConfigMap = KubeObject & { data?: Record<string, string> };
const unb64 = (s: string | undefined): string => Buffer.from(s ?? '', 'base64').toString();
const fingerprints = (pem: string): string[] =>
  splitPemBundle(pem).map((p) => new X509Certificate(p).fingerprint256);

interface Cluster {
  name: string;
  agentId: string;
  env: RealEnv;
  admin: KubeClient;
  agent?: Agent;
  identity?: IdentityWatcher;
}

let hub: RealEnv;
let hubAdmin: KubeClient;
let clusters: Cluster[];
let scratch: string;
let hubManager: HubManager | undefined;
const procs: Proc[] = [];

const clusteradm = (...args: string[]): Promise<{ stdout: string }> =>
  run(path.join(hub.bin, 'clusteradm'), [...args, '--kubeconfig', hub.kubeconfig]);
const names = (): string => clusters.map((c) => c.name).join(',');

const addon = (c: Cluster): Promise<ManagedClusterAddOn | undefined> =>
  hubAdmin.get<ManagedClusterAddOn>(ADDON_API_VERSION, 'ManagedClusterAddOn', ADDON_NAME, c.name);
const certSecret = (c: Cluster): Promise<Secret | undefined> =>
  c.admin.get<Secret>('v1', 'Secret', CLIENT_CERT_SECRET, NS);
const agentBundle = async (c: Cluster): Promise<string> =>
  (await c.admin.get<ConfigMap>('v1', 'ConfigMap', 'fl-agent-ca', NS))?.data?.['ca.crt'] ?? '';
const caSecret = (): Promise<Secret | undefined> =>
  hubAdmin.get<Secret>('v1', 'Secret', DEFAULT_CA_SECRET, HUB_NS);

/** A WellKnownStatus feedback value the work agent reported for the agent Deployment. */
function deploymentFeedback(w: ManifestWork | undefined, name: string): number | undefined {
  const dep = w?.status?.resourceStatus?.manifests?.find((m) => m.resourceMeta?.kind === 'Deployment');
  return dep?.statusFeedback?.values?.find((v) => v.name === name)?.fieldValue?.integer;
}

/**
 * The hub-manager and OCM's addon manager both write the ManagedClusterAddOn status: it must
 * settle, with their shared fields (Progressing, configReferences) agreeing (DIFFERENCES.md 8).
 */
async function expectStatusSettled(c: Cluster): Promise<void> {
  const settled = await eventually(
    `${c.name}: ManagedClusterAddOn status unchanged for 5 s`,
    async () => {
      const before = await addon(c);
      await new Promise((r) => setTimeout(r, 5_000));
      const after = await addon(c);
      return before?.metadata.resourceVersion === after?.metadata.resourceVersion && after;
    },
    60_000,
  );
  expect(findCondition(settled.status?.conditions, 'Progressing')).toMatchObject({
    status: 'False',
    reason: 'Completed',
  });
  const ref = settled.status?.configReferences?.[0];
  expect(ref?.desiredConfig?.specHash).toMatch(/^[0-9a-f]{64}$/);
  expect(ref?.lastAppliedConfig).toEqual(ref?.desiredConfig);
}

async function opensslVerify(bundle: string, cert: string, name: string): Promise<string> {
  const b = path.join(scratch, `${name}-bundle.pem`);
  const c = path.join(scratch, `${name}.pem`);
  await writeFile(b, bundle);
  await writeFile(c, cert);
  return (await run('openssl', ['verify', '-CAfile', b, c])).stdout.trim();
}

beforeAll(async () => {
  hub = await loadRealEnv();
  const c2 = await loadRealEnv(process.env.REAL_RUN_C2 ?? path.resolve('.cache/real/run-c2'));
  hubAdmin = adminClient(hub);
  clusters = [
    { name: 'c1', agentId: 'agent1', env: hub, admin: hubAdmin },
    { name: 'c2', agentId: 'agent2', env: c2, admin: adminClient(c2) },
  ];
  scratch = await mkdtemp(path.join(tmpdir(), 'real-stage2-'));
  procs.push(await startAddonConversionWebhook(hub, scratch));
  await run(path.join(hub.bin, 'helm'), [
    'install',
    'federated-learning',
    path.resolve('charts/federated-learning'),
    '-n',
    HUB_NS,
    '--create-namespace',
    '--kubeconfig',
    hub.kubeconfig,
  ]);
  hubManager = await startHubManager(
    {
      ...defaultConfig(),
      namespace: HUB_NS,
      identity: 'real-tier-stage2',
      httpHost: '127.0.0.1',
      httpPort: 0,
      aggregatorListenHost: '127.0.0.1',
      storageRoot: scratch,
      pollIntervalMs: 500,
      maxCertValiditySeconds: CERT_SECONDS,
      caSettleIntervalSeconds: 2,
    },
    { client: await serviceAccountClient(hub, HUB_NS, 'federated-learning-hub-manager'), logger: log },
  );
  await hubManager.started();
}, 180_000);

afterAll(async () => {
  for (const c of clusters ?? []) {
    await c.agent?.stop();
    c.identity?.stop();
  }
  for (const p of procs.reverse()) await p.stop();
  await hubManager?.stop();
});

describe('real OCM hub controllers and klusterlets, two managed clusters', () => {
  it('two klusterlets join through the bootstrap flow and clusteradm accept', async () => {
    for (const o of bootstrapRbac()) await hubAdmin.create(o);
    procs.push(
      ...(await startHubControllers(hub, { addonManager: process.env.REAL_OCM_ADDON_MANAGER !== '0' })),
    );
    const bootstrap = path.join(scratch, 'bootstrap.kubeconfig');
    await writeTokenKubeconfig(hub, bootstrap, await serviceAccountToken(hub, HUB_NS, BOOTSTRAP_SA));
    for (const c of clusters) {
      await c.admin.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: KLUSTERLET_NS } });
      procs.push(
        await startKlusterlet(hub, c.env, {
          cluster: c.name,
          agentId: c.agentId,
          bootstrapKubeconfig: bootstrap,
          hubKubeconfigDir: path.join(scratch, `hub-kubeconfig-${c.name}`),
        }),
      );
    }
    for (const c of clusters) {
      const csr = await eventually(
        `${c.name}: the join CSR and ManagedCluster`,
        async () => {
          const csrs = await hubAdmin.list<CertificateSigningRequest>(
            CSR_API_VERSION,
            'CertificateSigningRequest',
            { labelSelector: `${CLUSTER_NAME_LABEL}=${c.name}` },
          );
          return (
            csrs.length > 0 && (await hubAdmin.get(CLUSTER_API_VERSION, 'ManagedCluster', c.name)) && csrs[0]
          );
        },
        120_000,
      );
      expect(csr.spec?.signerName).toBe('kubernetes.io/kube-apiserver-client');
    }
    await clusteradm('accept', '--clusters', names());
    for (const c of clusters) {
      const mc = await eventually(
        `${c.name}: ManagedCluster joined and available`,
        async () => {
          const m = await hubAdmin.get<ManagedCluster>(CLUSTER_API_VERSION, 'ManagedCluster', c.name);
          return findCondition(m?.status?.conditions, 'ManagedClusterConditionAvailable')?.status === 'True'
            ? m
            : undefined;
        },
        180_000,
      );
      expect(findCondition(mc.status?.conditions, 'ManagedClusterJoined')?.status).toBe('True');
      // the hub kubeconfig the registration agent wrote on its own cluster, signed by the hub's KCM
      const s = await c.admin.get<Secret>('v1', 'Secret', 'hub-kubeconfig-secret', KLUSTERLET_NS);
      expect(unb64(s?.data?.['tls.crt'])).toContain('BEGIN CERTIFICATE');
    }
  }, 400_000);

  it('clusteradm addon enable: each real registration agent sends an ECDSA addon CSR, the hub-manager signs it, the agent writes the Secret', async () => {
    const out = await clusteradm('addon', 'enable', '--names', ADDON_NAME, '--clusters', names());
    expect(out.stdout).toContain(ADDON_NAME);
    const ca = await eventually('CA Secret', caSecret);
    const bundle = unb64(ca.data?.['ca-bundle.crt'] ?? ca.data?.['ca.crt']);
    for (const c of clusters) {
      const secret = await eventually(
        `${c.name}: addon client cert Secret written by the real registration agent`,
        async () => {
          const s = await certSecret(c);
          return s?.data?.['tls.crt'] ? s : undefined;
        },
        240_000,
      );
      const csrs = await hubAdmin.list<CertificateSigningRequest>(
        CSR_API_VERSION,
        'CertificateSigningRequest',
        {
          labelSelector: `${CLUSTER_NAME_LABEL}=${c.name},${ADDON_NAME_LABEL}=${ADDON_NAME}`,
        },
      );
      const signed = csrs.find((x) => x.status?.certificate);
      expect(signed && isApproved(signed)).toBe(true);
      expect(signed?.spec?.signerName).toBe(SIGNER_NAME);
      expect(signed?.spec?.username).toBe(`system:open-cluster-management:${c.name}:${c.agentId}`);
      const req = path.join(scratch, `${c.name}-addon.csr`);
      await writeFile(req, unb64(signed?.spec?.request));
      const text = (await run('openssl', ['req', '-in', req, '-noout', '-text'])).stdout;
      expect(text).toContain('id-ecPublicKey');
      expect(text).toContain(
        `CN = system:open-cluster-management:cluster:${c.name}:addon:${ADDON_NAME}:agent:fl-agent`,
      );
      const cert = unb64(secret.data?.['tls.crt']);
      expect(await opensslVerify(bundle, cert, `${c.name}-first`)).toMatch(/: OK$/);
    }
  }, 600_000);

  it('the real work agent applies the addon ManifestWork and reports conditions and Deployment feedback', async () => {
    for (const c of clusters) {
      const w = await eventually(
        `${c.name}: ManifestWork Applied and Available with feedback`,
        async () => {
          const x = await hubAdmin.get<ManifestWork>(
            WORK_API_VERSION,
            'ManifestWork',
            DEPLOY_WORK_NAME,
            c.name,
          );
          const ok =
            findCondition(x?.status?.conditions, 'Applied')?.status === 'True' &&
            findCondition(x?.status?.conditions, 'Available')?.status === 'True' &&
            deploymentFeedback(x, 'Replicas') !== undefined;
          return ok ? x : undefined;
        },
        180_000,
      );
      expect(deploymentFeedback(w, 'Replicas')).toBe(1);
      const dep = w.status?.resourceStatus?.manifests?.find((m) => m.resourceMeta?.kind === 'Deployment');
      expect(findCondition(dep?.conditions, 'Applied')?.status).toBe('True');
      // the objects are on the managed cluster's own API server
      expect(await c.admin.get('apps/v1', 'Deployment', 'fl-agent', NS)).toBeDefined();
      expect(await agentBundle(c)).toContain('BEGIN CERTIFICATE');
    }
  }, 400_000);

  it('spoke agents renew their Leases and the real klusterlet lease controllers set Available', async () => {
    for (const c of clusters) {
      const mw = await hubAdmin.get<ManifestWork>(WORK_API_VERSION, 'ManifestWork', DEPLOY_WORK_NAME, c.name);
      const dep = mw?.spec?.workload.manifests.find((m) => m.kind === 'Deployment') as
        (KubeObject & { spec?: { template?: { spec?: { serviceAccountName?: string } } } }) | undefined;
      const dir = path.join(scratch, `agent-${c.name}`);
      const certDir = path.join(dir, 'cert');
      const configDir = path.join(dir, 'config');
      const caFile = path.join(dir, 'ca', 'ca-bundle.crt');
      for (const d of [certDir, configDir, path.dirname(caFile)]) await mkdir(d, { recursive: true });
      // what the kubelet would mount: the Secret the real agent wrote and the CA ConfigMap
      const secret = await certSecret(c);
      await writeFile(path.join(certDir, 'tls.crt'), unb64(secret?.data?.['tls.crt']));
      await writeFile(path.join(certDir, 'tls.key'), unb64(secret?.data?.['tls.key']), { mode: 0o600 });
      await writeFile(caFile, await agentBundle(c));
      const kubeconfig = path.join(dir, 'agent.kubeconfig');
      const sa = dep?.spec?.template?.spec?.serviceAccountName ?? 'default';
      await writeTokenKubeconfig(c.env, kubeconfig, await serviceAccountToken(c.env, NS, sa));
      const cfg = loadConfig(
        [
          ...['--cluster-name', c.name, '--namespace', NS, '--kubeconfig', kubeconfig],
          ...['--work-dir', path.join(dir, 'work'), '--health-port', '0', '--handoff-port', '0'],
          ...['--handoff-host', '127.0.0.1', '--lease-period-seconds', '5'],
          ...['--cert-dir', certDir, '--ca-file', caFile, '--config-dir', configDir],
        ],
        {},
      );
      cfg.healthHost = '127.0.0.1';
      c.identity = new IdentityWatcher({ certDir, caFile, logger: log }).start();
      c.agent = await startAgent({
        config: cfg,
        kube: KubeClient.fromFile(kubeconfig),
        identity: c.identity,
        logger: log,
      });
    }
    for (const c of clusters) {
      const av = await eventually(
        `${c.name}: Available from the real lease controller`,
        async () => {
          const a = findCondition((await addon(c))?.status?.conditions, 'Available');
          return a?.status === 'True' ? a : undefined;
        },
        180_000,
      );
      expect(av.reason).toBe('ManagedClusterAddOnLeaseUpdated');
    }
  }, 400_000);

  it("the hub-manager and OCM's addon manager agree: the addon status settles, Progressing Completed", async () => {
    for (const c of clusters) await expectStatusSettled(c);
  }, 180_000);

  it('a FederatedLearning placement with a claim predicate: the real placement controller selects only the cluster with the claim', async () => {
    const withClaim = clusters[1] as Cluster;
    await withClaim.admin.apply({
      apiVersion: 'cluster.open-cluster-management.io/v1alpha1',
      kind: 'ClusterClaim',
      metadata: { name: DATA_CLAIM },
      spec: { value: '/data/c2' },
    });
    await eventually(
      'the claim synced to the ManagedCluster by the real registration agent',
      async () => {
        const m = await hubAdmin.get<ManagedCluster & { status?: { clusterClaims?: { name: string }[] } }>(
          CLUSTER_API_VERSION,
          'ManagedCluster',
          withClaim.name,
        );
        return (m?.status?.clusterClaims ?? []).some((x) => x.name === DATA_CLAIM);
      },
      120_000,
    );
    const fl = sampleFederatedLearning({ name: 'real-placement', rounds: 2, minAvailableClients: 1 });
    await hubAdmin.create(fl);
    const decided = await eventually(
      'a PlacementDecision from the real placement controller',
      async () => {
        const ds = await hubAdmin.list<KubeObject & { status?: { decisions?: { clusterName: string }[] } }>(
          'cluster.open-cluster-management.io/v1beta1',
          'PlacementDecision',
          { namespace: 'default' },
        );
        const d = ds.flatMap((x) => x.status?.decisions ?? []).map((x) => x.clusterName);
        return d.length > 0 ? d : undefined;
      },
      120_000,
    );
    expect(decided).toEqual([withClaim.name]);
    const status = await eventually(
      'the FederatedLearning job admits the decided cluster',
      async () => {
        const f = await hubAdmin.get<FederatedLearning>(
          fl.apiVersion,
          'FederatedLearning',
          'real-placement',
          'default',
        );
        return (f?.status?.clients ?? []).length > 0 ? f?.status : undefined;
      },
      120_000,
    );
    expect((status.clients ?? []).map((x) => (x as { cluster?: string }).cluster)).toEqual([withClaim.name]);
    await hubAdmin.delete(fl.apiVersion, 'FederatedLearning', 'real-placement', 'default');
    await eventually(
      'the job and its Placement deleted',
      async () =>
        !(await hubAdmin.get(fl.apiVersion, 'FederatedLearning', 'real-placement', 'default')) &&
        (
          await hubAdmin.list('cluster.open-cluster-management.io/v1beta1', 'Placement', {
            namespace: 'default',
          })
        ).length === 0,
      120_000,
    );
  }, 400_000);

  it(
    'CA rotation and short-lived certificate renewal through the real registration agents',
    async () => {
      const before = await caSecret();
      const oldCa = new X509Certificate(unb64(before?.data?.['ca.crt']));
      await hubAdmin.patch(
        'v1',
        'Secret',
        DEFAULT_CA_SECRET,
        HUB_NS,
        { metadata: { annotations: { [ROTATE_CA_ANNOTATION]: 'real-1' } } },
        'merge',
      );
      const rotated = await eventually('CA rotated', async () => {
        const s = await caSecret();
        return s?.metadata.annotations?.[ROTATE_CA_HANDLED_ANNOTATION] === 'real-1' && s;
      });
      const newCa = new X509Certificate(unb64(rotated.data?.['ca.crt']));
      const both = unb64(rotated.data?.['ca-bundle.crt']);
      expect(fingerprints(both)).toEqual([newCa.fingerprint256, oldCa.fingerprint256]);
      // the real work agents deliver the bundle (old + new) in the agent ManifestWork
      for (const c of clusters)
        await eventually(
          `${c.name}: agent bundle old + new`,
          async () => (await agentBundle(c)) === both,
          120_000,
        );
      // No event makes the real agent look at its certificate: its 5-minute resync renews it.
      for (const c of clusters) {
        const pem = await eventually(
          `${c.name}: a certificate from the new CA, renewed by the real registration agent`,
          async () => {
            const p = unb64((await certSecret(c))?.data?.['tls.crt']);
            return p && new X509Certificate(p).checkIssued(newCa) && p;
          },
          RESYNC_MS + CERT_SECONDS * 1000,
        );
        expect(await opensslVerify(both, pem, `${c.name}-renewed`)).toMatch(/: OK$/);
        expect(await opensslVerify(newCa.toString(), pem, `${c.name}-new`)).toMatch(/: OK$/);
      }
      const settled = await eventually(
        'old CA dropped once nothing it issued can be valid',
        async () => {
          const s = await caSecret();
          return fingerprints(unb64(s?.data?.['ca-bundle.crt'])).length === 1 && s;
        },
        CERT_SECONDS * 1000 + 60_000,
      );
      const only = unb64(settled.data?.['ca-bundle.crt']);
      expect(fingerprints(only)).toEqual([newCa.fingerprint256]);
      for (const c of clusters) {
        await eventually(
          `${c.name}: agent bundle new only`,
          async () => (await agentBundle(c)) === only,
          120_000,
        );
        expect(findCondition((await addon(c))?.status?.conditions, 'Available')?.status).toBe('True');
      }
    },
    RESYNC_MS + 2 * CERT_SECONDS * 1000 + 300_000,
  );

  it('clusteradm addon disable removes the addon and everything it put on the managed clusters', async () => {
    const objects = new Map<
      string,
      { apiVersion: string; kind: string; name: string; namespace?: string }[]
    >();
    for (const c of clusters) {
      await c.agent?.stop();
      c.identity?.stop();
      c.agent = undefined;
      const w = await hubAdmin.get<ManifestWork>(WORK_API_VERSION, 'ManifestWork', DEPLOY_WORK_NAME, c.name);
      const applied = (w?.spec?.workload.manifests ?? [])
        // the shared default install namespace is orphaned on purpose (other addons use it)
        .filter((m) => !(m.kind === 'Namespace' && m.metadata.name === NS))
        .map((m) => ({
          apiVersion: m.apiVersion,
          kind: m.kind,
          name: m.metadata.name ?? '',
          ...(m.metadata.namespace ? { namespace: m.metadata.namespace } : {}),
        }));
      // written on the managed cluster by the real registration agent and by the spoke agent
      applied.push({ apiVersion: 'v1', kind: 'Secret', name: CLIENT_CERT_SECRET, namespace: NS });
      applied.push({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', name: LEASE_NAME, namespace: NS });
      objects.set(c.name, applied);
    }
    await clusteradm('addon', 'disable', '--names', ADDON_NAME, '--clusters', names());
    for (const c of clusters) {
      await eventually(
        `${c.name}: ManagedClusterAddOn and ManifestWork gone`,
        async () =>
          !(await addon(c)) &&
          !(await hubAdmin.get(WORK_API_VERSION, 'ManifestWork', DEPLOY_WORK_NAME, c.name)),
        180_000,
      );
      const left = async (): Promise<string[]> => {
        const out: string[] = [];
        for (const o of objects.get(c.name) ?? [])
          if (await c.admin.get(o.apiVersion, o.kind, o.name, o.namespace)) out.push(`${o.kind}/${o.name}`);
        return out;
      };
      await eventually(
        `${c.name}: nothing of the addon left on the managed cluster`,
        async () => (await left()).length === 0,
        180_000,
      ).catch(async (e: unknown) => {
        throw new Error(`${c.name}: still on the managed cluster: ${(await left()).join(', ')}`, {
          cause: e,
        });
      });
    }
  }, 600_000);
});
