/**
 * Issue 3 "CA rotation end to end", on the embedded control plane: two clusters run the real
 * hub-manager and agents (as in addon-lifecycle.slow.test.ts); an operator sets the rotate-ca
 * annotation on the CA Secret → the agents' CA ConfigMap holds old + new CA → the registration
 * stand-in (re-requesting on a bundle change) gets certificates issued by the new CA, which the
 * agents adopt without a restart → once nothing issued by the old CA can still be valid, settle
 * drops it and the agents' bundle holds the new CA only. Agents stay Available throughout.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { federatedLearningCrd } from '@ocm-fl/common/api/crds/federated-learning-crd.js';
import type { KubeObject } from '@ocm-fl/common/api/meta.js';
import { ADDON_API_VERSION, type ManagedClusterAddOn } from '@ocm-fl/common/api/ocm.js';
import { createLogger } from '@ocm-fl/common/logger.js';
import { ADDON_NAME, CLIENT_CERT_SECRET, DEFAULT_INSTALL_NAMESPACE } from '@ocm-fl/common/names.js';
import { splitPemBundle } from '@ocm-fl/common/pki/index.js';
import { defaultConfig } from '@ocm-fl/hub-manager/config.js';
import { startHubManager, type HubManager } from '@ocm-fl/hub-manager/main.js';
import {
  ROTATE_CA_ANNOTATION,
  ROTATE_CA_HANDLED_ANNOTATION,
} from '@ocm-fl/hub-manager/registration/ca-rotation-policy.js';
import { DEFAULT_CA_SECRET } from '@ocm-fl/hub-manager/registration/ca-secret.js';
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
import { addonEnable } from '../standins/clusteradm.js';
import { allocatePodIp } from '../standins/podrunner/pod-ip.js';
import { waitFor } from '../standins/testing/wait.js';

const run = promisify(execFile);
const REPO = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const AGENT_MAIN = join(REPO, 'spoke-agent/src/main.ts');
const AGENT_IMAGE = 'quay.io/open-cluster-management/federated-learning-agent:latest';
const HUB_NS = 'open-cluster-management';
const CLUSTERS = ['c1', 'c2'];
const NS = DEFAULT_INSTALL_NAMESPACE;
/**
 * Client certificate lifetime: also the longest the old CA can stay in the bundle after
 * rotation. The signer backdates notBefore by 60 s, so a much shorter one makes the stand-in
 * (renewing at 20–25 % of the whole life left) renew right after every issue.
 */
const CERT_SECONDS = 30;
const CA_CONFIGMAP = 'fl-agent-ca';

type Secret = KubeObject & { data?: Record<string, string> };
type ConfigMap = KubeObject & { data?: Record<string, string> };
type Pod = AgentPod;

const fingerprints = (bundle: string): string[] =>
  splitPemBundle(bundle).map((p) => new X509Certificate(p).fingerprint256);

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

async function available(cluster: string): Promise<boolean> {
  return hasTrue(
    await fleet.hubClient.get<ManagedClusterAddOn>(
      ADDON_API_VERSION,
      'ManagedClusterAddOn',
      ADDON_NAME,
      cluster,
    ),
    'Available',
  );
}

const caSecret = async (): Promise<Secret | undefined> =>
  fleet.hubClient.get<Secret>('v1', 'Secret', DEFAULT_CA_SECRET, HUB_NS);
const agentBundle = async (c: string): Promise<string> =>
  (await fleet.cluster(c).client.get<ConfigMap>('v1', 'ConfigMap', CA_CONFIGMAP, NS))?.data?.['ca.crt'] ?? '';
const agentCert = async (c: string): Promise<string> =>
  unb64(
    (await fleet.cluster(c).client.get<Secret>('v1', 'Secret', CLIENT_CERT_SECRET, NS))?.data?.['tls.crt'],
  );

const opensslVerify = (bundlePem: string, certPem: string, name: string): Promise<string> =>
  probeOpensslVerify(dir, bundlePem, certPem, name);

/** Issuer as openssl prints it (`openssl x509 -noout -issuer`). */
async function opensslIssuer(certPem: string, name: string): Promise<string> {
  const cert = join(dir, `${name}-issuer.pem`);
  await writeFile(cert, certPem);
  const { stdout } = await run('openssl', ['x509', '-noout', '-issuer', '-in', cert]);
  return stdout.trim();
}

/** The real hub-manager in-process; settles every second. */
async function startHm(identity: string): Promise<HubManager> {
  return startHubManager(
    {
      ...defaultConfig(),
      namespace: HUB_NS,
      identity,
      agentImage: AGENT_IMAGE,
      agentCommand: ['node', '--import', 'tsx', AGENT_MAIN],
      agentArgs: ['--handoff-url', 'http://$(POD_IP):8081'],
      leaseDurationSeconds: 4,
      renewPeriodSeconds: 1,
      httpHost: '127.0.0.1',
      httpPort: 0,
      maxCertValiditySeconds: CERT_SECONDS,
      caSettleIntervalSeconds: 1,
      storageRoot: join(dir, 'storage'),
      pollIntervalMs: 500,
      logLevel: 'info',
    },
    { client: fleet.hubClient, logger: createLogger('hub-manager', process.env.HM_LOG ?? 'error') },
  );
}

beforeAll(async () => {
  // Pod IPs are allocated per process from 127.1.0.2 up: skip a pid-derived stretch (as addon-lifecycle does).
  for (let i = 0; i < (process.pid % 200) * 50; i++) allocatePodIp();
  dir = await mkdtemp(join(tmpdir(), 'ca-rotation-'));
  fleet = await startFleet({
    clusters: CLUSTERS.map((name) => ({ name })),
    workDir: join(dir, 'fleet'),
    podRunnerImages: {
      [AGENT_IMAGE]: {
        entrypoint: [process.execPath, '--import', 'tsx', AGENT_MAIN],
        cwd: REPO,
        env: { FL_LEASE_PERIOD_SECONDS: '1' },
      },
    },
    hubPods: false,
    hubCrds: [federatedLearningCrd()],
    leasePeriodMs: 500,
    leaseGraceMs: 5_000,
    workStatusSyncMs: 500,
    certCheckPeriodMs: 1_000,
    // The stand-in re-requests the certificate when the agent's CA bundle changes.
    caBundle: { configMap: CA_CONFIGMAP, key: 'ca.crt' },
    restartBackoffMs: 500,
  });
  await fleet.hubClient.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: HUB_NS } });
  hm = await startHm('hub-manager-ca-rotation');
  await hm.started();
  mark('hub-manager leading');
}, 60_000);

afterAll(async () => {
  await hm?.stop();
  await fleet?.stop();
  // Debugging: KEEP_DIR=1 keeps the work directory, HM_LOG=info shows the hub-manager's log.
  if (!process.env.KEEP_DIR) await rm(dir, { recursive: true, force: true });
  process.stdout.write(`ca-rotation timings (s since start): ${JSON.stringify(timings)}\n`);
}, 60_000);

describe('CA rotation end to end on the embedded control plane', () => {
  const restarts = new Map<string, number>();
  let oldCa: X509Certificate;
  let newCa: X509Certificate;
  /** Every Available sample during rotation, per cluster (false = a lapse). */
  const lapses: string[] = [];
  let sampling = false;
  let sampler: Promise<void> | undefined;

  it('enable for two clusters: signed by the CA, agents ready and Available', async () => {
    await addonEnable({ hub: fleet.hubClient, names: [ADDON_NAME], clusters: CLUSTERS });
    const secret = await waitFor('CA Secret', caSecret);
    oldCa = new X509Certificate(unb64(secret.data?.['ca.crt']));
    await Promise.all(
      CLUSTERS.map(async (c) => {
        const cert = await waitFor(
          `${c}: client certificate`,
          async () => (await agentCert(c)) || undefined,
          30_000,
        );
        expect(new X509Certificate(cert).checkIssued(oldCa)).toBe(true);
        // The bundle arrives with the ManifestWork, independently of the certificate.
        await waitFor(`${c}: agent bundle`, async () => (await agentBundle(c)) !== '', 30_000);
        expect(fingerprints(await agentBundle(c))).toEqual([oldCa.fingerprint256]);
        await waitFor(`${c}: agent ready`, async () => (await readyz(c))?.ready, 30_000);
        await waitFor(`${c}: Available`, () => available(c), 30_000);
        restarts.set(c, (await agentPod(c))?.status?.containerStatuses?.[0]?.restartCount ?? -1);
      }),
    );
    mark('2 agents available');
    sampling = true;
    sampler = (async (): Promise<void> => {
      while (sampling) {
        for (const c of CLUSTERS) if (!(await available(c))) lapses.push(`${c}@${Date.now() - started}ms`);
        await new Promise((r) => setTimeout(r, 250));
      }
    })();
  }, 90_000);

  it('rotate-ca annotation: the bundle carries old + new CA to every agent', async () => {
    await fleet.hubClient.patch(
      'v1',
      'Secret',
      DEFAULT_CA_SECRET,
      HUB_NS,
      { metadata: { annotations: { [ROTATE_CA_ANNOTATION]: 'e2e-1' } } },
      'merge',
    );
    const secret = await waitFor('CA rotated', async () => {
      const s = await caSecret();
      return s?.metadata.annotations?.[ROTATE_CA_HANDLED_ANNOTATION] === 'e2e-1' && s;
    });
    newCa = new X509Certificate(unb64(secret.data?.['ca.crt']));
    expect(newCa.fingerprint256).not.toBe(oldCa.fingerprint256);
    const hubBundle = unb64(secret.data?.['ca-bundle.crt']);
    expect(fingerprints(hubBundle)).toEqual([newCa.fingerprint256, oldCa.fingerprint256]);
    mark('CA rotated');
    await Promise.all(
      CLUSTERS.map((c) =>
        waitFor(`${c}: agent bundle old + new`, async () => (await agentBundle(c)) === hubBundle, 15_000),
      ),
    );
    mark('bundle old+new on agents');
  }, 30_000);

  it('new client certificates come from the new CA and are adopted without a restart', async () => {
    await Promise.all(
      CLUSTERS.map(async (c) => {
        const cert = await waitFor(
          `${c}: certificate from the new CA`,
          async () => {
            const pem = await agentCert(c);
            return pem && new X509Certificate(pem).checkIssued(newCa) && pem;
          },
          20_000,
          250,
        );
        const x = new X509Certificate(cert);
        expect(x.issuer).toBe(newCa.subject);
        expect(await opensslIssuer(cert, c)).toContain(newCa.subject.replace(/^CN=/, ''));
        expect(await opensslVerify(await agentBundle(c), cert, `${c}-both`)).toMatch(/: OK$/);
        expect(await opensslVerify(newCa.toString(), cert, `${c}-new`)).toMatch(/: OK$/);
        // The agent serves with it: /readyz reports this certificate's expiry, no restart happened.
        await waitFor(`${c}: agent adopted the new certificate`, async () => {
          const r = await readyz(c);
          return r?.ready && r.details?.certificateNotAfter === new Date(x.validTo).toISOString();
        });
        const pod = await agentPod(c);
        expect(pod?.status?.containerStatuses?.[0]?.restartCount).toBe(restarts.get(c));
        const log = await readFile(
          join(fleet.cluster(c).podRunner!.podDir(NS, pod!.metadata.name!), 'logs', 'agent.log'),
          'utf8',
        );
        expect(log).toContain(newCa.fingerprint256);
      }),
    );
    mark('new-CA certificates adopted');
  }, 30_000);

  it(
    'settle drops the old CA once nothing it issued can be valid; agents stay Available',
    async () => {
      const secret = await waitFor(
        'old CA dropped from the hub bundle',
        async () => {
          const s = await caSecret();
          return fingerprints(unb64(s?.data?.['ca-bundle.crt'])).length === 1 && s;
        },
        CERT_SECONDS * 1000 + 15_000,
        250,
      );
      const hubBundle = unb64(secret.data?.['ca-bundle.crt']);
      expect(fingerprints(hubBundle)).toEqual([newCa.fingerprint256]);
      mark('old CA dropped');
      await Promise.all(
        CLUSTERS.map(async (c) => {
          await waitFor(
            `${c}: agent bundle new only`,
            async () => (await agentBundle(c)) === hubBundle,
            15_000,
          );
          // The certificate in use (possibly renewed again after the bundle change) verifies against the new CA alone.
          const cert = await waitFor(`${c}: current certificate verifies`, async () => {
            const pem = await agentCert(c);
            return pem && new X509Certificate(pem).checkIssued(newCa) && pem;
          });
          expect(await opensslVerify(hubBundle, cert, `${c}-final`)).toMatch(/: OK$/);
          await waitFor(`${c}: agent ready`, async () => (await readyz(c))?.ready);
          const pod = await agentPod(c);
          expect(pod?.status?.containerStatuses?.[0]?.restartCount).toBe(restarts.get(c));
          expect(await available(c)).toBe(true);
        }),
      );
      sampling = false;
      await sampler;
      expect(lapses).toEqual([]);
      mark('settled');
    },
    CERT_SECONDS * 1000 + 45_000,
  );

  it('a hub-manager restart does not rotate again for the same request', async () => {
    await hm.stop();
    hm = await startHm('hub-manager-ca-rotation-2');
    await hm.started();
    // A few settle passes of the new leader: the handled request and a young CA mean no rotation.
    await new Promise((r) => setTimeout(r, 3_000));
    const s = await caSecret();
    expect(new X509Certificate(unb64(s?.data?.['ca.crt'])).fingerprint256).toBe(newCa.fingerprint256);
    expect(fingerprints(unb64(s?.data?.['ca-bundle.crt']))).toEqual([newCa.fingerprint256]);
    for (const c of CLUSTERS) expect(fingerprints(await agentBundle(c))).toEqual([newCa.fingerprint256]);
    mark('restarted without rotation');
  }, 30_000);
});
