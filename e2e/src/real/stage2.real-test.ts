/**
 * Stage 2 of the real tier: the real OCM registration hub controller and klusterlet agent
 * (registration + work, `registration-operator agent`) joined to the real API server the way
 * OCM's own CI runs hub and managed cluster on one cluster, the real `clusteradm accept` and
 * `addon enable`. The registration and work stand-ins are replaced by the real ones; only the
 * spoke agent runs in-process (no kubelet). Needs the stage-2 binaries (prepare.sh with
 * REAL_STAGE2=1); run by e2e/real/run.sh on a fresh control plane.
 */
import { copyFile, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
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
  CLIENT_CERT_SECRET,
  CLUSTER_NAME_LABEL,
  DEFAULT_INSTALL_NAMESPACE,
  DEPLOY_WORK_NAME,
} from '@ocm-fl/common/names.js';
import {
  CSR_API_VERSION,
  isApproved,
  type CertificateSigningRequest,
} from '@ocm-fl/common/pki/csr-object.js';
import { defaultConfig } from '@ocm-fl/hub-manager/config.js';
import { startHubManager, type HubManager } from '@ocm-fl/hub-manager/main.js';
import { DEFAULT_CA_SECRET } from '@ocm-fl/hub-manager/registration/ca-secret.js';
import { startAgent, type Agent } from '@ocm-fl/spoke-agent/agent.js';
import { loadConfig } from '@ocm-fl/spoke-agent/config.js';
import { IdentityWatcher } from '@ocm-fl/spoke-agent/identity/identity-watcher.js';
import {
  adminClient,
  eventually,
  freePort,
  loadRealEnv,
  run,
  serviceAccountClient,
  serviceAccountToken,
  startProcess,
  writeTokenKubeconfig,
  type Proc,
  type RealEnv,
} from './real-env.js';

const NS = 'open-cluster-management';
const AGENT_NS = 'open-cluster-management-agent';
const BOOTSTRAP_SA = 'agent-registration-bootstrap';
const CLUSTER = 'c2';
const log = createLogger('real-stage2', process.env.LOG_LEVEL ?? 'warn');

type Secret = KubeObject & { data?: Record<string, string> };
const unb64 = (s: string | undefined): string => Buffer.from(s ?? '', 'base64').toString();

let env: RealEnv;
let admin: KubeClient;
let scratch: string;
let hubManager: HubManager | undefined;
let agent: Agent | undefined;
let identity: IdentityWatcher | undefined;
const procs: Proc[] = [];

const bin = (name: string): string => path.join(env.bin, name);
const clusteradm = (...args: string[]): Promise<{ stdout: string }> =>
  run(bin('clusteradm'), [...args, '--kubeconfig', env.kubeconfig]);

/** The bootstrap identity OCM's cluster-manager creates (deploy/cluster-manager chart: bootstrap_*). */
function bootstrapRbac(): KubeObject[] {
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: BOOTSTRAP_SA, namespace: NS } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'open-cluster-management:bootstrap' },
      rules: [
        { apiGroups: [''], resources: ['configmaps'], verbs: ['get'] },
        {
          apiGroups: ['certificates.k8s.io'],
          resources: ['certificatesigningrequests'],
          verbs: ['create', 'get', 'list', 'watch'],
        },
        {
          apiGroups: ['cluster.open-cluster-management.io'],
          resources: ['managedclusters'],
          verbs: ['get', 'create', 'list', 'watch'],
        },
        {
          apiGroups: ['cluster.open-cluster-management.io'],
          resources: ['managedclustersets/join'],
          verbs: ['create'],
        },
      ],
    } as KubeObject,
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'open-cluster-management:bootstrap:agent-registration' },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: 'open-cluster-management:bootstrap',
      },
      subjects: [{ kind: 'ServiceAccount', name: BOOTSTRAP_SA, namespace: NS }],
    } as KubeObject,
  ];
}

/**
 * OCM >= 1.2 serves the addon kinds as v1alpha1 (stored) and v1beta1, converted by the addon
 * webhook (`addon webhook-server`); its controllers use v1beta1. Without the webhook, v1beta1
 * writes of objects stored as v1alpha1 fail validation (e.g. status.registrations[0].type).
 * The API server reaches the webhook by URL; its serving cert is the API server's (127.0.0.1).
 */
async function startAddonConversionWebhook(): Promise<void> {
  const certDir = path.join(scratch, 'webhook-certs');
  await mkdir(certDir, { recursive: true });
  await copyFile(path.join(env.pki, 'apiserver.crt'), path.join(certDir, 'tls.crt'));
  await copyFile(path.join(env.pki, 'apiserver.key'), path.join(certDir, 'tls.key'));
  const port = await freePort();
  procs.push(
    await startProcess(env, 'ocm-addon-webhook', {
      file: bin('addon'),
      env: { KUBECONFIG: env.kubeconfig }, // controller-runtime reads it for the webhook's client
      args: [
        'webhook-server',
        '--port',
        String(port),
        '--certdir',
        certDir,
        '--metrics-port',
        '0',
        '--health-probe-port',
        '0',
      ],
    }),
  );
  const caBundle = (await readFile(path.join(env.pki, 'ca.crt'))).toString('base64');
  const conversion = {
    spec: {
      conversion: {
        strategy: 'Webhook',
        webhook: {
          conversionReviewVersions: ['v1', 'v1beta1'],
          clientConfig: { url: `https://127.0.0.1:${port}/convert`, caBundle },
        },
      },
    },
  };
  for (const crd of ['clustermanagementaddons', 'managedclusteraddons', 'addondeploymentconfigs']) {
    await run('kubectl', [
      '--kubeconfig',
      env.kubeconfig,
      'patch',
      'crd',
      `${crd}.addon.open-cluster-management.io`,
      '--type',
      'merge',
      '-p',
      JSON.stringify(conversion),
    ]);
  }
  // Converting reads succeed once the webhook serves.
  await eventually('addon conversion webhook serving', async () => {
    await run('kubectl', [
      '--kubeconfig',
      env.kubeconfig,
      'get',
      'managedclusteraddons.v1beta1.addon.open-cluster-management.io',
      '-A',
    ]);
    return true;
  });
}

beforeAll(async () => {
  env = await loadRealEnv();
  admin = adminClient(env);
  scratch = await mkdtemp(path.join(tmpdir(), 'real-stage2-'));
  await startAddonConversionWebhook();
  await run(bin('helm'), [
    'install',
    'federated-learning',
    path.resolve('charts/federated-learning'),
    '-n',
    NS,
    '--create-namespace',
    '--kubeconfig',
    env.kubeconfig,
  ]);
  hubManager = await startHubManager(
    {
      ...defaultConfig(),
      namespace: NS,
      identity: 'real-tier-stage2',
      httpHost: '127.0.0.1',
      httpPort: 0,
      aggregatorListenHost: '127.0.0.1',
      storageRoot: scratch,
      pollIntervalMs: 500,
    },
    { client: await serviceAccountClient(env, NS, 'federated-learning-hub-manager'), logger: log },
  );
  await hubManager.started();
}, 180_000);

afterAll(async () => {
  await agent?.stop();
  identity?.stop();
  for (const p of procs.reverse()) await p.stop();
  await hubManager?.stop();
});

describe('real OCM registration and work agents', () => {
  it('a klusterlet joins with clusteradm accept: the real registration agent and hub controller', async () => {
    for (const o of bootstrapRbac()) await admin.create(o);
    await admin.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: AGENT_NS } });
    const bootstrap = path.join(scratch, 'bootstrap.kubeconfig');
    await writeTokenKubeconfig(env, bootstrap, await serviceAccountToken(env, NS, BOOTSTRAP_SA));
    const hubDir = path.join(scratch, 'hub-kubeconfig');
    await mkdir(hubDir, { recursive: true });
    procs.push(
      await startProcess(env, 'ocm-registration-hub', {
        file: bin('registration'),
        args: [
          'controller',
          '--kubeconfig',
          env.kubeconfig,
          '--disable-leader-election',
          '--listen',
          `127.0.0.1:${await freePort()}`,
        ],
      }),
    );
    procs.push(
      await startProcess(env, 'ocm-klusterlet-agent', {
        file: bin('registration-operator'),
        args: [
          'agent',
          '--spoke-cluster-name',
          CLUSTER,
          '--agent-id',
          'agent2',
          '--bootstrap-kubeconfig',
          bootstrap,
          '--hub-kubeconfig-dir',
          hubDir,
          '--hub-kubeconfig',
          path.join(hubDir, 'kubeconfig'),
          // the work agent reads the hub kubeconfig from its own flag (default /spoke/hub-kubeconfig/kubeconfig)
          '--workload-source-config',
          path.join(hubDir, 'kubeconfig'),
          '--kubeconfig',
          env.kubeconfig,
          '--disable-leader-election',
          '--listen',
          `127.0.0.1:${await freePort()}`,
          '--cluster-healthcheck-period',
          '10s',
        ],
      }),
    );
    await eventually(
      'the join CSR and ManagedCluster',
      async () => {
        const csrs = await admin.list<CertificateSigningRequest>(
          CSR_API_VERSION,
          'CertificateSigningRequest',
          {
            labelSelector: `${CLUSTER_NAME_LABEL}=${CLUSTER}`,
          },
        );
        return csrs.length > 0 && (await admin.get(CLUSTER_API_VERSION, 'ManagedCluster', CLUSTER));
      },
      120_000,
    );
    await clusteradm('accept', '--clusters', CLUSTER);
    const mc = await eventually(
      'ManagedCluster joined and available',
      async () => {
        const c = await admin.get<ManagedCluster>(CLUSTER_API_VERSION, 'ManagedCluster', CLUSTER);
        return findCondition(c?.status?.conditions, 'ManagedClusterConditionAvailable')?.status === 'True'
          ? c
          : undefined;
      },
      180_000,
    );
    expect(findCondition(mc.status?.conditions, 'ManagedClusterJoined')?.status).toBe('True');
  }, 300_000);

  it('clusteradm addon enable → real work agent applies the ManifestWork, real registration agent gets the addon cert', async () => {
    await clusteradm('addon', 'enable', '--names', ADDON_NAME, '--clusters', CLUSTER);
    await eventually(
      'ManifestWork Applied by the real work agent',
      async () => {
        const w = await admin.get<ManifestWork>(WORK_API_VERSION, 'ManifestWork', DEPLOY_WORK_NAME, CLUSTER);
        return findCondition(w?.status?.conditions, 'Applied')?.status === 'True';
      },
      180_000,
    );
    const secret = await eventually(
      'addon client cert Secret written by the real registration agent',
      async () => {
        const s = await admin.get<Secret>('v1', 'Secret', CLIENT_CERT_SECRET, DEFAULT_INSTALL_NAMESPACE);
        return s?.data?.['tls.crt'] ? s : undefined;
      },
      180_000,
    );
    const csrs = await admin.list<CertificateSigningRequest>(CSR_API_VERSION, 'CertificateSigningRequest', {
      labelSelector: `${CLUSTER_NAME_LABEL}=${CLUSTER},open-cluster-management.io/addon-name=${ADDON_NAME}`,
    });
    const signed = csrs.find((c) => c.status?.certificate);
    expect(signed && isApproved(signed)).toBe(true);
    expect(signed?.spec?.username).toMatch(new RegExp(`^system:open-cluster-management:${CLUSTER}:`));
    const ca = await admin.get<Secret>('v1', 'Secret', DEFAULT_CA_SECRET, NS);
    await writeFile(
      path.join(scratch, 'bundle.crt'),
      unb64(ca?.data?.['ca-bundle.crt'] ?? ca?.data?.['ca.crt']),
    );
    await writeFile(path.join(scratch, 'agent.crt'), unb64(secret.data?.['tls.crt']));
    const v = await run('openssl', [
      'verify',
      '-CAfile',
      path.join(scratch, 'bundle.crt'),
      path.join(scratch, 'agent.crt'),
    ]);
    expect(v.stdout).toContain(': OK');
  }, 400_000);

  it('the spoke agent renews its Lease and the real klusterlet marks the addon Available', async () => {
    const ns = DEFAULT_INSTALL_NAMESPACE;
    const mw = await admin.get<ManifestWork>(WORK_API_VERSION, 'ManifestWork', DEPLOY_WORK_NAME, CLUSTER);
    const dep = mw?.spec?.workload.manifests.find((m) => m.kind === 'Deployment') as
      (KubeObject & { spec?: { template?: { spec?: { serviceAccountName?: string } } } }) | undefined;
    const certDir = path.join(scratch, 'agent-cert');
    const configDir = path.join(scratch, 'agent-config');
    const caFile = path.join(scratch, 'agent-ca', 'ca-bundle.crt');
    for (const d of [certDir, configDir, path.dirname(caFile)]) await mkdir(d, { recursive: true });
    const secret = await admin.get<Secret>('v1', 'Secret', CLIENT_CERT_SECRET, ns);
    await writeFile(path.join(certDir, 'tls.crt'), unb64(secret?.data?.['tls.crt']));
    await writeFile(path.join(certDir, 'tls.key'), unb64(secret?.data?.['tls.key']), { mode: 0o600 });
    await writeFile(
      caFile,
      unb64((await admin.get<Secret>('v1', 'Secret', DEFAULT_CA_SECRET, NS))?.data?.['ca.crt']),
    );
    const kubeconfig = path.join(scratch, 'agent.kubeconfig');
    const sa = dep?.spec?.template?.spec?.serviceAccountName ?? 'default';
    await writeTokenKubeconfig(env, kubeconfig, await serviceAccountToken(env, ns, sa));
    const cfg = loadConfig(
      [
        '--cluster-name',
        CLUSTER,
        '--namespace',
        ns,
        '--kubeconfig',
        kubeconfig,
        '--work-dir',
        path.join(scratch, 'agent-work'),
        '--health-port',
        '0',
        '--handoff-port',
        '0',
        '--handoff-host',
        '127.0.0.1',
        '--lease-period-seconds',
        '5',
        '--cert-dir',
        certDir,
        '--ca-file',
        caFile,
        '--config-dir',
        configDir,
      ],
      {},
    );
    cfg.healthHost = '127.0.0.1';
    identity = new IdentityWatcher({ certDir, caFile, logger: log }).start();
    agent = await startAgent({ config: cfg, kube: KubeClient.fromFile(kubeconfig), identity, logger: log });
    const c = await eventually(
      'Available from the real lease controller',
      async () => {
        const a = await admin.get<ManagedClusterAddOn>(
          ADDON_API_VERSION,
          'ManagedClusterAddOn',
          ADDON_NAME,
          CLUSTER,
        );
        const av = findCondition(a?.status?.conditions, 'Available');
        return av?.status === 'True' ? av : undefined;
      },
      180_000,
    );
    expect(c.reason).toBe('ManagedClusterAddOnLeaseUpdated');
  }, 300_000);
});
