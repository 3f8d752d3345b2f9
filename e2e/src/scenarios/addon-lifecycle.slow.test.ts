/**
 * Issue 4 item 6 and issue 3 "Done when", on the embedded control plane: `addon enable` for
 * three clusters → the real hub-manager (addon manager, CSR approver/signer) renders and signs,
 * the tier-1 stand-ins apply the ManifestWork, store the certificate and run the real agent
 * (spoke-agent/src/main.ts via tsx) → Available; short-lived certificates renew without an agent
 * restart; `addon disable` for one cluster removes everything there and nothing else.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { federatedLearningCrd } from '@ocm-fl/common/api/crds/federated-learning-crd.js';
import type { KubeObject } from '@ocm-fl/common/api/meta.js';
import {
  ADDON_API_VERSION,
  WORK_API_VERSION,
  type ManagedClusterAddOn,
  type ManifestWork,
} from '@ocm-fl/common/api/ocm.js';
import {
  ADDON_NAME,
  ADDON_NAME_LABEL,
  CLIENT_CERT_SECRET,
  CLUSTER_NAME_LABEL,
  DEFAULT_INSTALL_NAMESPACE,
  DEPLOY_WORK_NAME,
  LEASE_NAME,
  agentCommonName,
} from '@ocm-fl/common/names.js';
import { createLogger } from '@ocm-fl/common/logger.js';
import { CSR_API_VERSION, type CertificateSigningRequest } from '@ocm-fl/common/pki/csr-object.js';
import { defaultConfig } from '@ocm-fl/hub-manager/config.js';
import { startHubManager, type HubManager } from '@ocm-fl/hub-manager/main.js';
import { startFleet, type Fleet } from '../fleet/fleet.js';
import {
  agentPod as probeAgentPod,
  hasTrue,
  opensslVerify as probeOpensslVerify,
  readyz as probeReadyz,
  unb64,
  type AgentPod,
  type ReadyBody,
} from './agent-probes.js';
import { addonDisable, addonEnable } from '../standins/clusteradm.js';
import { allocatePodIp } from '../standins/podrunner/pod-ip.js';
import { waitFor } from '../standins/testing/wait.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const AGENT_MAIN = join(REPO, 'spoke-agent/src/main.ts');
const AGENT_IMAGE = 'quay.io/open-cluster-management/federated-learning-agent:latest';
const HUB_NS = 'open-cluster-management';
const CLUSTERS = ['c1', 'c2', 'c3'];
const NS = DEFAULT_INSTALL_NAMESPACE;
const CERT_SECONDS = 30;

type Obj = KubeObject & Record<string, unknown>;
type Secret = KubeObject & { data?: Record<string, string> };
type ConfigMap = KubeObject & { data?: Record<string, string> };
type Pod = AgentPod;
type Lease = KubeObject & { spec?: { renewTime?: string } };

let fleet: Fleet;
let hm: HubManager;
let dir: string;
const started = Date.now();
const timings: Record<string, number> = {};
const mark = (what: string): void => {
  timings[what] = Math.round((Date.now() - started) / 100) / 10;
};

const agentPod = (cluster: string): Promise<Pod | undefined> => probeAgentPod(fleet, cluster);

const readyz = (cluster: string): Promise<ReadyBody | undefined> => probeReadyz(fleet, cluster);

const opensslVerify = (bundlePem: string, certPem: string, name: string): Promise<string> =>
  probeOpensslVerify(dir, bundlePem, certPem, name);

/** Local processes whose environment names this pod's root (the pod runner sets POD_ROOT). */
async function processesOfPodRoot(root: string): Promise<number[]> {
  const out: number[] = [];
  for (const pid of (await readdir('/proc')).filter((p) => /^\d+$/.test(p))) {
    const env = await readFile(`/proc/${pid}/environ`).catch(() => undefined);
    if (env?.toString('utf8').split('\0').includes(`POD_ROOT=${root}`)) out.push(Number(pid));
  }
  return out;
}

beforeAll(async () => {
  // Workaround: pod IPs are allocated per process from 127.1.0.2 up, so pods of another
  // process (a running demo, another test file) may already hold ours. Skip a pid-derived
  // stretch until the pod runner allocates addresses that are unique across processes.
  for (let i = 0; i < (process.pid % 200) * 50; i++) allocatePodIp();
  dir = await mkdtemp(join(tmpdir(), 'addon-lifecycle-'));
  fleet = await startFleet({
    clusters: CLUSTERS.map((name) => ({ name })),
    podRunnerImages: {
      [AGENT_IMAGE]: {
        entrypoint: [process.execPath, '--import', 'tsx', AGENT_MAIN],
        cwd: REPO,
        // The image's ENV: a short Lease period so the lease checker's grace can be short too.
        env: { FL_LEASE_PERIOD_SECONDS: '1' },
      },
    },
    hubPods: false,
    hubCrds: [federatedLearningCrd()],
    leasePeriodMs: 500,
    leaseGraceMs: 5_000,
    workStatusSyncMs: 500,
    certCheckPeriodMs: 1_000,
    caBundle: { configMap: 'fl-agent-ca', key: 'ca.crt' },
    restartBackoffMs: 500,
  });
  await fleet.hubClient.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: HUB_NS } });
  hm = await startHubManager(
    {
      ...defaultConfig(),
      namespace: HUB_NS,
      identity: 'hub-manager-test',
      agentImage: AGENT_IMAGE,
      // Tier 1: the pod runner maps `node` to this Node; tsx runs the agent from source.
      agentCommand: ['node', '--import', 'tsx', AGENT_MAIN],
      // Trainer pods reach the agent at its pod address (a Service DNS name on real clusters).
      agentArgs: ['--handoff-url', 'http://$(POD_IP):8081'],
      leaseDurationSeconds: 4,
      renewPeriodSeconds: 1,
      httpHost: '127.0.0.1',
      httpPort: 0,
      maxCertValiditySeconds: CERT_SECONDS,
      storageRoot: join(dir, 'storage'),
      pollIntervalMs: 500,
      // Rendered into the agent config: the agent logs each certificate rotation at info.
      logLevel: 'info',
    },
    { client: fleet.hubClient, logger: createLogger('hub-manager', 'error') },
  );
  await hm.started();
  mark('hub-manager leading');
}, 60_000);

afterAll(async () => {
  await hm?.stop();
  await fleet?.stop();
  await rm(dir, { recursive: true, force: true });
  process.stdout.write(`addon-lifecycle timings (s since start): ${JSON.stringify(timings)}\n`);
}, 60_000);

/** ManifestWork applied; CSR approved and signed by the hub-manager CA; Secret verified by openssl. */
async function expectSigned(c: string): Promise<void> {
  const hub = fleet.hubClient;
  const spoke = fleet.cluster(c).client;
  const work = await waitFor(`${c}: ManifestWork applied`, async () => {
    const w = await hub.get<ManifestWork>(WORK_API_VERSION, 'ManifestWork', DEPLOY_WORK_NAME, c);
    return hasTrue(w, 'Applied') && w;
  });
  expect(work?.metadata.labels?.[ADDON_NAME_LABEL]).toBe(ADDON_NAME);

  // The CSR the registration stand-in made, approved and signed by the hub-manager.
  const csr = await waitFor(`${c}: CSR approved and signed`, async () => {
    const csrs = await hub.list<CertificateSigningRequest>(CSR_API_VERSION, 'CertificateSigningRequest', {
      labelSelector: `${CLUSTER_NAME_LABEL}=${c},${ADDON_NAME_LABEL}=${ADDON_NAME}`,
    });
    return csrs.find((r) => hasTrue(r, 'Approved') && r.status?.certificate);
  });
  const csrCert = new X509Certificate(unb64(csr.status?.certificate));
  expect(csrCert.subject).toContain(`CN=${agentCommonName(c)}`);
  const caSecret = await hub.get<Secret>('v1', 'Secret', 'federated-learning-addon-ca', HUB_NS);
  expect(csrCert.checkIssued(new X509Certificate(unb64(caSecret?.data?.['ca.crt'])))).toBe(true);

  // The Secret on the managed cluster, verified with openssl against the agent's bundle.
  const secret = await waitFor(`${c}: client-cert Secret`, () =>
    spoke.get<Secret>('v1', 'Secret', CLIENT_CERT_SECRET, NS),
  );
  const certPem = unb64(secret.data?.['tls.crt']);
  const cert = new X509Certificate(certPem);
  expect(cert.checkPrivateKey(createPrivateKey(unb64(secret.data?.['tls.key'])))).toBe(true);
  const cm = await spoke.get<ConfigMap>('v1', 'ConfigMap', 'fl-agent-ca', NS);
  const bundle = cm?.data?.['ca.crt'] ?? '';
  expect(bundle).toBe(unb64(caSecret?.data?.['ca-bundle.crt']));
  expect(await opensslVerify(bundle, certPem, c)).toMatch(/: OK$/);
}

/** Agent running and ready, Lease renewed, ManagedClusterAddOn Available; remembers restarts. */
async function expectRunning(c: string, restarts: Map<string, number>): Promise<void> {
  const hub = fleet.hubClient;
  const spoke = fleet.cluster(c).client;
  // The agent process runs (Deployment available, /readyz answers from the pod address).
  await waitFor(
    `${c}: agent Deployment available`,
    async () => {
      const d = await spoke.get<Obj & { status?: { availableReplicas?: number } }>(
        'apps/v1',
        'Deployment',
        'fl-agent',
        NS,
      );
      return (d?.status?.availableReplicas ?? 0) >= 1;
    },
    30_000,
  );
  const ready = await waitFor(`${c}: agent /readyz`, async () => {
    const r = await readyz(c);
    return r?.ready && r;
  });
  expect(ready.checks.certificate).toBe('ok');

  // Lease renewed (renewTime moves), ManagedClusterAddOn Available.
  const renewTime = async (): Promise<string | undefined> =>
    (await spoke.get<Lease>('coordination.k8s.io/v1', 'Lease', LEASE_NAME, NS))?.spec?.renewTime;
  const first = await waitFor(`${c}: Lease`, renewTime);
  await waitFor(`${c}: Lease renewed`, async () => (await renewTime()) !== first && true, 10_000);
  await waitFor(`${c}: Available=True`, async () =>
    hasTrue(
      await hub.get<ManagedClusterAddOn>(ADDON_API_VERSION, 'ManagedClusterAddOn', ADDON_NAME, c),
      'Available',
    ),
  );
  restarts.set(c, (await agentPod(c))?.status?.containerStatuses?.[0]?.restartCount ?? -1);
}

describe('addon lifecycle on the embedded control plane', () => {
  const restarts = new Map<string, number>();

  it('enable for three clusters: applied, signed, verified, running, Lease renewed, Available', async () => {
    await addonEnable({ hub: fleet.hubClient, names: [ADDON_NAME], clusters: CLUSTERS });
    await Promise.all(
      CLUSTERS.map(async (c) => {
        await expectSigned(c);
        await expectRunning(c, restarts);
      }),
    );
    // No agent restarted on the way (one that starts before the klusterlet wrote its certificate
    // waits for it, not ready; identity-watcher.test.ts covers that path deterministically).
    for (const c of CLUSTERS) expect([c, restarts.get(c)]).toEqual([c, 0]);
    mark('3 agents available');
  }, 60_000);

  it('short-lived certificates renew twice without an agent restart', async () => {
    // Each cluster: the agent reports ≥ 2 further notAfter values, each verified and adopted live.
    await Promise.all(
      CLUSTERS.map(async (c) => {
        const seen = new Set<string>();
        const first = (await readyz(c))?.details?.certificateNotAfter;
        expect(first).toBeDefined();
        seen.add(first ?? '');
        await waitFor(
          `${c}: two renewals`,
          async () => {
            const r = await readyz(c);
            const na = r?.details?.certificateNotAfter;
            if (na && r.ready) seen.add(na);
            return seen.size >= 3;
          },
          CERT_SECONDS * 2_000,
          250,
        );
        const pod = await agentPod(c);
        expect(pod?.status?.containerStatuses?.[0]?.restartCount).toBe(restarts.get(c));
        const log = await readFile(
          join(fleet.cluster(c).podRunner!.podDir(NS, pod!.metadata.name!), 'logs', 'agent.log'),
          'utf8',
        );
        expect(log.match(/client identity rotated/g)?.length ?? 0).toBeGreaterThanOrEqual(2);
        const secret = await fleet.cluster(c).client.get<Secret>('v1', 'Secret', CLIENT_CERT_SECRET, NS);
        const cm = await fleet.cluster(c).client.get<ConfigMap>('v1', 'ConfigMap', 'fl-agent-ca', NS);
        expect(
          await opensslVerify(cm?.data?.['ca.crt'] ?? '', unb64(secret?.data?.['tls.crt']), `${c}-r`),
        ).toMatch(/: OK$/);
      }),
    );
    mark('2 renewals each');
  }, 90_000);

  it('disable for one cluster removes everything there; the others stay Available', async () => {
    const gone = 'c3';
    const spoke = fleet.cluster(gone).client;
    const pod = await agentPod(gone);
    const root = join(fleet.cluster(gone).podRunner!.podDir(NS, pod!.metadata.name!), 'root');
    const podIp = pod?.status?.podIP;
    await addonDisable({ hub: fleet.hubClient, names: [ADDON_NAME], clusters: [gone] });
    await waitFor(`${gone}: addon and ManifestWork gone`, async () => {
      const a = await fleet.hubClient.get(ADDON_API_VERSION, 'ManagedClusterAddOn', ADDON_NAME, gone);
      const w = await fleet.hubClient.get(WORK_API_VERSION, 'ManifestWork', DEPLOY_WORK_NAME, gone);
      return !a && !w;
    });
    // The default install namespace is shared with other addons, so the work orphans it (as
    // upstream addons do); everything of ours in it and cluster-wide must go.
    const ours = async (): Promise<string[]> => {
      const left: string[] = [];
      const kinds: [string, string, (n: string) => boolean][] = [
        ['apps/v1', 'Deployment', () => true],
        ['v1', 'Pod', () => true],
        ['v1', 'Service', () => true],
        ['v1', 'Secret', () => true],
        ['v1', 'ConfigMap', (n) => n !== 'kube-root-ca.crt'],
        ['v1', 'ServiceAccount', (n) => n !== 'default'],
        ['rbac.authorization.k8s.io/v1', 'Role', () => true],
        ['rbac.authorization.k8s.io/v1', 'RoleBinding', () => true],
        ['coordination.k8s.io/v1', 'Lease', () => true],
      ];
      for (const [apiVersion, kind, counts] of kinds) {
        for (const o of await spoke.list(apiVersion, kind, { namespace: NS }))
          if (counts(o.metadata.name ?? '')) left.push(`${kind}/${o.metadata.name}`);
      }
      const cluster: [string, string, string][] = [
        [
          'apiextensions.k8s.io/v1',
          'CustomResourceDefinition',
          'federatedlearningtasks.federation-ai.open-cluster-management.io',
        ],
        ['rbac.authorization.k8s.io/v1', 'ClusterRole', 'open-cluster-management:federated-learning:agent'],
        [
          'rbac.authorization.k8s.io/v1',
          'ClusterRoleBinding',
          'open-cluster-management:federated-learning:agent',
        ],
      ];
      for (const [apiVersion, kind, name] of cluster)
        if (await spoke.get(apiVersion, kind, name)) left.push(`${kind}/${name}`);
      for (const l of await spoke.list<Lease>('coordination.k8s.io/v1', 'Lease'))
        if (l.metadata.name === LEASE_NAME) left.push(`Lease/${l.metadata.namespace}/${l.metadata.name}`);
      return left;
    };
    await waitFor(
      `${gone}: nothing of the addon left`,
      async () => (await ours()).length === 0 || (await ours()),
      30_000,
    );
    await waitFor(`${gone}: agent process gone`, async () => (await processesOfPodRoot(root)).length === 0);
    await expect(fetch(`http://${podIp}:8080/healthz`)).rejects.toThrow();

    for (const c of CLUSTERS.filter((x) => x !== gone)) {
      const a = await fleet.hubClient.get<ManagedClusterAddOn>(
        ADDON_API_VERSION,
        'ManagedClusterAddOn',
        ADDON_NAME,
        c,
      );
      expect(hasTrue(a, 'Available')).toBe(true);
      expect((await readyz(c))?.ready).toBe(true);
    }
    mark('disabled c3');
  }, 60_000);
});
