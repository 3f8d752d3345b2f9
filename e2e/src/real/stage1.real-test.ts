/**
 * Stage 1 of the real tier: a real kube-apiserver (RBAC, etcd, certificates API) started by
 * e2e/real/start.sh, the real helm, the hub-manager in-process with the chart's ServiceAccount
 * token, and the tier-1 stand-ins for the klusterlet's registration and work agents pointed at
 * the real server, and the real clusteradm for `addon enable/disable`. Run by e2e/real/run.sh
 * only (suffix `.real-test.ts`).
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { findCondition, type KubeObject } from '@ocm-fl/common/api/meta.js';
import {
  ADDON_API_VERSION,
  CLUSTER_API_VERSION,
  WORK_API_VERSION,
  type ClusterManagementAddOn,
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
  SIGNER_NAME,
} from '@ocm-fl/common/names.js';
import { buildAddonCsr } from '@ocm-fl/common/pki/csr-build.js';
import {
  CSR_API_VERSION,
  isApproved,
  newAddonCsrObject,
  type CertificateSigningRequest,
} from '@ocm-fl/common/pki/csr-object.js';
import { defaultConfig } from '@ocm-fl/hub-manager/config.js';
import { startHubManager, type HubManager } from '@ocm-fl/hub-manager/main.js';
import { DEFAULT_CA_SECRET } from '@ocm-fl/hub-manager/registration/ca-secret.js';
import { LeaseChecker } from '@ocm-fl/e2e/standins/lease/lease-checker.js';
import { RegistrationAgent } from '@ocm-fl/e2e/standins/registration/registration-agent.js';
import { WorkAgent } from '@ocm-fl/e2e/standins/work/work-agent.js';
import { startAgent, type Agent } from '@ocm-fl/spoke-agent/agent.js';
import { loadConfig } from '@ocm-fl/spoke-agent/config.js';
import { IdentityWatcher } from '@ocm-fl/spoke-agent/identity/identity-watcher.js';
import { klusterletRbac } from './klusterlet-rbac.js';
import {
  adminClient,
  certClient,
  eventually,
  klusterletGroups,
  klusterletUser,
  loadRealEnv,
  run,
  serviceAccountClient,
  serviceAccountToken,
  writeTokenKubeconfig,
  type RealEnv,
} from './real-env.js';

const NS = 'open-cluster-management';
const RELEASE = 'federated-learning';
const CHART = path.resolve('charts/federated-learning');
const SA = 'federated-learning-hub-manager';
const CLUSTER = 'c1';
const log = createLogger('real-stage1', process.env.LOG_LEVEL ?? 'warn');

type Secret = KubeObject & { data?: Record<string, string> };
const unb64 = (s: string | undefined): string => Buffer.from(s ?? '', 'base64').toString();

let env: RealEnv;
let admin: KubeClient;
let hubManager: HubManager | undefined;
let registration: RegistrationAgent | undefined;
let work: WorkAgent | undefined;
let agent: Agent | undefined;
let identity: IdentityWatcher | undefined;
let leases: LeaseChecker | undefined;
let scratch: string;

const helm = (...args: string[]): Promise<{ stdout: string }> =>
  run(path.join(env.bin, 'helm'), [...args, '--kubeconfig', env.kubeconfig]);
const clusteradm = (...args: string[]): Promise<{ stdout: string }> =>
  run(path.join(env.bin, 'clusteradm'), [...args, '--kubeconfig', env.kubeconfig]);
const enableAddon = async (): Promise<string> =>
  (await clusteradm('addon', 'enable', '--names', ADDON_NAME, '--clusters', CLUSTER)).stdout;

beforeAll(async () => {
  env = await loadRealEnv();
  admin = adminClient(env);
  scratch = await mkdtemp(path.join(tmpdir(), 'real-stage1-'));
});

afterAll(async () => {
  await leases?.stop();
  await agent?.stop();
  identity?.stop();
  await registration?.stop();
  await work?.stop();
  await hubManager?.stop();
});

/** The files a kubelet would mount for the agent: client cert Secret, CA bundle, config dir. */
async function writeAgentMounts(ns: string): Promise<{ certDir: string; caFile: string; configDir: string }> {
  const certDir = path.join(scratch, 'agent-cert');
  const configDir = path.join(scratch, 'agent-config'); // empty: everything comes from flags
  const caFile = path.join(scratch, 'agent-ca', 'ca-bundle.crt');
  for (const d of [certDir, configDir, path.dirname(caFile)]) await mkdir(d, { recursive: true });
  const secret = await admin.get<Secret>('v1', 'Secret', CLIENT_CERT_SECRET, ns);
  await writeFile(path.join(certDir, 'tls.crt'), unb64(secret?.data?.['tls.crt']));
  await writeFile(path.join(certDir, 'tls.key'), unb64(secret?.data?.['tls.key']), { mode: 0o600 });
  const ca = await admin.get<Secret>('v1', 'Secret', DEFAULT_CA_SECRET, NS);
  await writeFile(caFile, unb64(ca?.data?.['ca-bundle.crt'] ?? ca?.data?.['ca.crt']));
  return { certDir, caFile, configDir };
}

describe('real kube-apiserver, helm and clusteradm', () => {
  it('helm lint and helm template pass on the chart', async () => {
    await helm('lint', CHART);
    const { stdout } = await helm('template', RELEASE, CHART, '-n', NS);
    const kinds = [...stdout.matchAll(/^kind: (\w+)$/gm)].map((m) => m[1]);
    expect(kinds).toEqual(expect.arrayContaining(['ClusterManagementAddOn', 'Deployment', 'ClusterRole']));
  });

  it('helm install into the real API server creates the CRD, the ClusterManagementAddOn and RBAC', async () => {
    await helm('install', RELEASE, CHART, '-n', NS, '--create-namespace');
    const cma = await admin.get<ClusterManagementAddOn>(
      ADDON_API_VERSION,
      'ClusterManagementAddOn',
      ADDON_NAME,
    );
    expect(cma?.spec?.supportedConfigs?.map((c) => c.resource)).toContain('addondeploymentconfigs');
    expect(await admin.get('apps/v1', 'Deployment', 'federated-learning-hub-manager', NS)).toBeDefined();
    const { stdout } = await run('kubectl', [
      '--kubeconfig',
      env.kubeconfig,
      'get',
      'crd',
      'federatedlearnings.federation-ai.open-cluster-management.io',
      '-o',
      'jsonpath={.status.conditions[?(@.type=="Established")].status}',
    ]);
    expect(stdout).toBe('True');
  });

  it('the hub-manager starts with the chart ServiceAccount token (its RBAC is enough)', async () => {
    const client = await serviceAccountClient(env, NS, SA);
    hubManager = await startHubManager(
      {
        ...defaultConfig(),
        namespace: NS,
        identity: 'real-tier',
        httpHost: '127.0.0.1',
        httpPort: 0,
        aggregatorListenHost: '127.0.0.1',
        storageRoot: scratch,
        pollIntervalMs: 500,
      },
      { client, logger: log },
    );
    await hubManager.started();
    expect(hubManager.isLeader()).toBe(true);
    const ca = await admin.get<Secret>('v1', 'Secret', DEFAULT_CA_SECRET, NS);
    expect(unb64(ca?.data?.['ca.crt'])).toContain('BEGIN CERTIFICATE');
  });

  it('real clusteradm addon enable creates the ManagedClusterAddOn', async () => {
    await expect(enableAddon()).rejects.toThrow(/not found/);
    await admin.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: CLUSTER } });
    await admin.create({
      apiVersion: CLUSTER_API_VERSION,
      kind: 'ManagedCluster',
      metadata: { name: CLUSTER },
      spec: { hubAcceptsClient: true },
    } as KubeObject);
    const stdout = await enableAddon();
    expect(stdout).toContain(`Deploying ${ADDON_NAME} add-on`);
    const mca = await admin.get<ManagedClusterAddOn>(
      ADDON_API_VERSION,
      'ManagedClusterAddOn',
      ADDON_NAME,
      CLUSTER,
    );
    expect(mca?.spec?.installNamespace).toBe(DEFAULT_INSTALL_NAMESPACE);
  });

  it('the addon manager writes the ManifestWork and the ManagedClusterAddOn status', async () => {
    const mw = await eventually('ManifestWork', () =>
      admin.get<ManifestWork>(WORK_API_VERSION, 'ManifestWork', DEPLOY_WORK_NAME, CLUSTER),
    );
    expect(mw.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'ManagedClusterAddOn', name: ADDON_NAME });
    expect(mw.spec?.workload.manifests.map((m) => m.kind)).toContain('Deployment');
    const mca = await eventually('registrations', async () => {
      const a = await admin.get<ManagedClusterAddOn>(
        ADDON_API_VERSION,
        'ManagedClusterAddOn',
        ADDON_NAME,
        CLUSTER,
      );
      return a?.status?.registrations?.length ? a : undefined;
    });
    expect(mca.status?.registrations?.[0]?.signerName).toBe(SIGNER_NAME);
    expect(findCondition(mca.status?.conditions, 'RegistrationApplied')?.status).toBe('True');
  });

  it('the ManifestWork applies on the real API server (work agent stand-in) and reports Applied', async () => {
    work = new WorkAgent({ clusterName: CLUSTER, hub: admin, spoke: admin, statusSyncMs: 500, logger: log });
    await work.start();
    const mw = await eventually('ManifestWork Applied', async () => {
      const w = await admin.get<ManifestWork>(WORK_API_VERSION, 'ManifestWork', DEPLOY_WORK_NAME, CLUSTER);
      return findCondition(w?.status?.conditions, 'Applied')?.status === 'True' ? w : undefined;
    });
    expect(mw.status?.resourceStatus?.manifests?.length).toBe(mw.spec?.workload.manifests.length);
    const deployments = await admin.list('apps/v1', 'Deployment', { namespace: DEFAULT_INSTALL_NAMESPACE });
    expect(deployments.length).toBeGreaterThan(0);
  });

  it('a CSR from the klusterlet identity is approved and signed; openssl verifies the certificate', async () => {
    for (const o of klusterletRbac(CLUSTER)) await admin.create(o);
    const klusterlet = await certClient(
      env,
      `klusterlet-${CLUSTER}`,
      klusterletUser(CLUSTER, 'agent1'),
      klusterletGroups(CLUSTER),
    );
    registration = new RegistrationAgent({
      clusterName: CLUSTER,
      hub: klusterlet.client,
      spoke: admin,
      checkPeriodMs: 2000,
      logger: log,
    });
    await registration.start();
    const secret = await eventually('client cert Secret', async () => {
      const s = await admin.get<Secret>('v1', 'Secret', CLIENT_CERT_SECRET, DEFAULT_INSTALL_NAMESPACE);
      return s?.data?.['tls.crt'] ? s : undefined;
    });
    const csrs = await admin.list<CertificateSigningRequest>(CSR_API_VERSION, 'CertificateSigningRequest', {
      labelSelector: `${CLUSTER_NAME_LABEL}=${CLUSTER}`,
    });
    const signed = csrs.filter((c) => c.status?.certificate);
    expect(signed).toHaveLength(1);
    // The real API server fills spec.username from the client certificate.
    expect(signed[0]?.spec?.username).toBe(klusterlet.user);
    expect(signed[0]?.spec?.groups).toEqual(expect.arrayContaining(klusterlet.groups));
    expect(isApproved(signed[0] as CertificateSigningRequest)).toBe(true);

    const ca = await admin.get<Secret>('v1', 'Secret', DEFAULT_CA_SECRET, NS);
    const bundle = path.join(scratch, 'ca-bundle.crt');
    const cert = path.join(scratch, 'agent.crt');
    await writeFile(bundle, unb64(ca?.data?.['ca-bundle.crt'] ?? ca?.data?.['ca.crt']));
    await writeFile(cert, unb64(secret.data?.['tls.crt']));
    const verify = await run('openssl', ['verify', '-purpose', 'sslclient', '-CAfile', bundle, cert]);
    expect(verify.stdout).toContain(': OK');
    const subject = await run('openssl', ['x509', '-in', cert, '-noout', '-subject', '-nameopt', 'RFC2253']);
    expect(subject.stdout).toContain(
      `CN=system:open-cluster-management:cluster:${CLUSTER}:addon:${ADDON_NAME}:agent:`,
    );
  });

  it('a CSR claiming the klusterlet but sent by another user is left unapproved, with an Event in default', async () => {
    const { csrPem } = buildAddonCsr({ cluster: CLUSTER });
    // spec.username in the body is ignored: the server writes the requester (admin) there.
    const created = await admin.create(newAddonCsrObject({ cluster: CLUSTER, csrPem, agentId: 'agent1' }));
    expect(created.spec?.username).toBe('admin');
    const name = created.metadata.name ?? '';
    const ev = await eventually('refusal Event', async () => {
      const evs = await admin.list<KubeObject & { reason?: string; involvedObject?: { name?: string } }>(
        'v1',
        'Event',
        { namespace: 'default' },
      );
      return evs.find((e) => e.involvedObject?.name === name);
    });
    expect(ev.reason).toBe('CSRNotApprovedBadRequester');
    const now = await admin.get<CertificateSigningRequest>(
      CSR_API_VERSION,
      'CertificateSigningRequest',
      name,
    );
    expect(now && isApproved(now)).toBe(false);
    expect(now?.status?.certificate).toBeUndefined();
  });
  it('the spoke agent, started with its ManifestWork ServiceAccount and issued certificate, makes the addon Available', async () => {
    const mw = await admin.get<ManifestWork>(WORK_API_VERSION, 'ManifestWork', DEPLOY_WORK_NAME, CLUSTER);
    const deployment = mw?.spec?.workload.manifests.find((m) => m.kind === 'Deployment') as
      (KubeObject & { spec?: { template?: { spec?: { serviceAccountName?: string } } } }) | undefined;
    const sa = deployment?.spec?.template?.spec?.serviceAccountName ?? 'default';
    const ns = DEFAULT_INSTALL_NAMESPACE;
    const { certDir, caFile, configDir } = await writeAgentMounts(ns);
    const kubeconfig = path.join(scratch, 'agent.kubeconfig');
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
        '1',
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
    leases = new LeaseChecker({ clusterName: CLUSTER, hub: admin, spoke: admin, periodMs: 500, logger: log });
    await leases.start();
    const available = await eventually('Available', async () => {
      const a = await admin.get<ManagedClusterAddOn>(
        ADDON_API_VERSION,
        'ManagedClusterAddOn',
        ADDON_NAME,
        CLUSTER,
      );
      const c = findCondition(a?.status?.conditions, 'Available');
      return c?.status === 'True' ? c : undefined;
    });
    expect(available.reason).toBe('ManagedClusterAddOnLeaseUpdated');
  });

  it('real clusteradm addon disable removes the ManagedClusterAddOn and its ManifestWork', async () => {
    await clusteradm('addon', 'disable', '--names', ADDON_NAME, '--clusters', CLUSTER);
    await eventually('ManagedClusterAddOn and ManifestWork gone', async () => {
      const [mca, mw] = await Promise.all([
        admin.get(ADDON_API_VERSION, 'ManagedClusterAddOn', ADDON_NAME, CLUSTER),
        admin.get(WORK_API_VERSION, 'ManifestWork', DEPLOY_WORK_NAME, CLUSTER),
      ]);
      return !mca && !mw;
    });
  });
});
