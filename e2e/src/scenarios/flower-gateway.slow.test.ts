/**
 * Issue 12 items 2 and 5 with the real flwr 1.42 (the pinned virtualenv): SuperNodes reach a
 * SuperLink only through the spoke-side forwarder (cluster client certificate) and the hub's
 * Flower gateway (mTLS with the addon CA), and the MNIST Flower app trains across two
 * clusters. Each refusal goes through real Flower processes: an unselected cluster, a client
 * certificate from a foreign CA, a Control API call (`flwr ls`) from a cluster, a SuperNode key
 * used over another cluster's connection. Mid-run, cluster1's certificate is renewed and the
 * addon CA rotated (hub trusts old + new, cluster2 re-issued from the new CA).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, generateKeyPairSync, createPublicKey } from 'node:crypto';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@ocm-fl/common/logger.js';
import { agentCommonName } from '@ocm-fl/common/names.js';
import {
  generateCa,
  issueCertificate,
  issueServerCertificate,
  loadCa,
  type LoadedCa,
} from '@ocm-fl/common/pki/index.js';
import { FlowerGateway } from '@ocm-fl/hub-manager/flower/gateway.js';
import { flowerJobState, parseRunOutcome } from '@ocm-fl/hub-manager/flower/run-state.js';
import { FlowerForwarder } from '@ocm-fl/spoke-agent/flower/forwarder.js';
import { NODE_FILE_NAMES, nodeFiles, writeNodeFiles } from '@ocm-fl/spoke-agent/flower/node-files.js';
import { flwr, flwrHome, freePort, startProcess, type Proc } from '../flower/processes.js';
import { FLOWER_APP_DIR, flowerInstalled } from '../flower/venv.js';
import { waitFor } from '../standins/testing/wait.js';

const GATEWAY_NAME = 'fl-flower-sample-server-listener.fl.svc';
let dir: string;
let ca: LoadedCa;
let gateway: FlowerGateway;
let gatewayPort: number;
const procs: Proc[] = [];
const forwarders: FlowerForwarder[] = [];
let superLinkPort: number;
let home: string;

async function clientCert(
  cluster: string,
  issuer: LoadedCa,
  sub: string,
): Promise<{ certFile: string; keyFile: string; caFile: string }> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const now = Date.now();
  const certPem = issueCertificate({
    ca: issuer,
    publicKey: createPublicKey(privateKey),
    subject: { cn: agentCommonName(cluster) },
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 3_600_000),
    usages: ['client'],
  });
  const certFile = join(dir, `${sub}.crt`);
  const keyFile = join(dir, `${sub}.key`);
  const caFile = join(dir, `${sub}-ca.crt`);
  await writeFile(`${certFile}.tmp`, certPem);
  await writeFile(`${keyFile}.tmp`, privateKey.export({ format: 'pem', type: 'pkcs8' }).toString());
  await writeFile(caFile, ca.certPem);
  // Replace atomically, as a Secret volume update does.
  await rename(`${keyFile}.tmp`, keyFile);
  await rename(`${certFile}.tmp`, certFile);
  return { certFile, keyFile, caFile };
}

/** A cluster's SuperNode pod: node files, forwarder with the cluster's identity, SuperNode. */
async function startSite(
  name: string,
  identity: { certFile: string; keyFile: string; caFile: string },
  o: { keyFrom?: string; location?: string } = {},
): Promise<{ forwarderPort: number; nodeDir: string }> {
  const nodeDir = join(dir, `node-${name}`);
  await writeNodeFiles(nodeDir, nodeFiles('127.0.0.1'));
  if (o.keyFrom) {
    for (const f of [NODE_FILE_NAMES.nodeKey, NODE_FILE_NAMES.nodePublicKeyPem])
      await writeFile(join(nodeDir, f), await readFile(join(dir, `node-${o.keyFrom}`, f)), { mode: 0o600 });
  }
  const fwd = new FlowerForwarder({
    host: '127.0.0.1',
    port: 0,
    local: {
      certFile: join(nodeDir, NODE_FILE_NAMES.localCert),
      keyFile: join(nodeDir, NODE_FILE_NAMES.localKey),
    },
    gateway: { host: '127.0.0.1', port: gatewayPort, serverName: GATEWAY_NAME },
    identity,
    reloadMs: 300,
    logger: silentLogger,
  });
  forwarders.push(fwd);
  const forwarderPort = await fwd.start();
  procs.push(
    startProcess(
      'flower-supernode',
      [
        '--root-certificates',
        join(nodeDir, NODE_FILE_NAMES.localCa),
        '--superlink',
        `127.0.0.1:${forwarderPort}`,
        '--auth-supernode-private-key',
        join(nodeDir, NODE_FILE_NAMES.nodeKey),
        '--node-config',
        `data-location="${o.location ?? `/data/private/${name}`}"`,
        '--host',
        '127.0.0.1',
        '--port',
        String(await freePort()),
      ],
      { log: join(dir, `supernode-${name}.log`), env: { FLWR_HOME: join(dir, `home-${name}`) } },
    ),
  );
  return { forwarderPort, nodeDir };
}

const refused = (reason: string, cluster: string): number =>
  gateway.refusals.get(`${reason}/${cluster}`) ?? 0;

async function events(): Promise<Record<string, unknown>[]> {
  const text = await readFile(join(dir, 'events.jsonl'), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

const describeFlower = flowerInstalled() ? describe : describe.skip;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flower-gateway-'));
  ca = loadCa(generateCa({ commonName: 'addon-ca' }));
  // The SuperLink's own certificate (pod-local hop), and the gateway's listener certificate.
  const link = issueServerCertificate({ ca, dnsNames: ['superlink.local'], ipAddresses: ['127.0.0.1'] });
  const gw = issueServerCertificate({ ca, dnsNames: [GATEWAY_NAME], ipAddresses: ['127.0.0.1'] });
  for (const [f, s] of Object.entries({
    'link.crt': link.certPem,
    'link.key': link.keyPem,
    'gw.crt': gw.certPem,
    'gw.key': gw.keyPem,
    'ca.crt': ca.certPem,
  }))
    await writeFile(join(dir, f), s);
  if (!flowerInstalled()) return;
  superLinkPort = await freePort();
  home = await flwrHome(join(dir, 'flwr-home'), `127.0.0.1:${superLinkPort}`, join(dir, 'ca.crt'));
  procs.push(
    startProcess(
      'flower-superlink',
      [
        '--ssl-ca-certfile',
        join(dir, 'ca.crt'),
        '--ssl-certfile',
        join(dir, 'link.crt'),
        '--ssl-keyfile',
        join(dir, 'link.key'),
        '--host',
        '127.0.0.1',
        '--port',
        String(superLinkPort),
        '--enable-supernode-auth',
        '--disable-runtime-dependency-installation',
      ],
      {
        log: join(dir, 'superlink.log'),
        env: {
          FLWR_HOME: home,
          FL_EVENTS_FILE: join(dir, 'events.jsonl'),
          FL_MODEL_OUT: join(dir, 'final.safetensors'),
        },
      },
    ),
  );
  gateway = new FlowerGateway({
    host: '127.0.0.1',
    port: 0,
    tls: { certFile: join(dir, 'gw.crt'), keyFile: join(dir, 'gw.key'), caFile: join(dir, 'ca.crt') },
    superLink: { host: '127.0.0.1', port: superLinkPort, serverName: 'superlink.local', ca: ca.certPem },
    admitted: ['cluster1', 'cluster2'],
    logger: silentLogger,
  });
  gatewayPort = await gateway.start();
  await waitFor(
    'SuperLink up',
    async () => (await flwr(['ls'], { FLWR_HOME: home }, join(dir, 'flwr.log'))).code === 0,
    120_000,
  );
}, 180_000);

afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop()));
  await Promise.all(forwarders.map((f) => f.stop()));
  await gateway?.stop();
  if (dir && !process.env.KEEP_FLOWER_TEST) await rm(dir, { recursive: true, force: true });
}, 60_000);

describeFlower('Flower behind the gateway, real flwr 1.42', () => {
  it('trains across the admitted clusters, refuses everything else, survives certificate renewal and CA rotation', async () => {
    const id1 = await clientCert('cluster1', ca, 'cluster1');
    const id2 = await clientCert('cluster2', ca, 'cluster2');
    const site1 = await startSite('cluster1', id1);
    await startSite('cluster2', id2);
    // Not selected for the job: a valid addon certificate of cluster3.
    await startSite('cluster3', await clientCert('cluster3', ca, 'cluster3'), {
      location: '/data/private/cluster3',
    });
    // A certificate for cluster2's name from a CA the hub does not trust.
    const foreign = loadCa(generateCa({ commonName: 'foreign-ca' }));
    await startSite('intruder', await clientCert('cluster2', foreign, 'intruder'));
    // cluster1's SuperNode key, used over cluster2's connection.
    await waitFor(
      'cluster1 key registered',
      async () => Object.values(gateway.keys.nodes()).includes('cluster1'),
      120_000,
    );
    await startSite('stolen', id2, { keyFrom: 'cluster1' });

    const run = flwr(
      [
        'run',
        FLOWER_APP_DIR,
        'local',
        '--run-config',
        'num-server-rounds=2 min-available-clients=2 max-examples=400 local-epochs=1',
      ],
      { FLWR_HOME: home },
      join(dir, 'flwr.log'),
    );
    expect((await run).code).toBe(0);
    // Renew cluster1's certificate once round 1 is in; the forwarder picks it up for round 2.
    await waitFor('round 1 reported', async () => (await events()).some((e) => e.event === 'round'), 300_000);
    await clientCert('cluster1', ca, 'cluster1');
    // And rotate the addon CA: the hub trusts old + new, cluster2 gets a certificate from the new one.
    const nextCa = loadCa(generateCa({ commonName: 'addon-ca-2' }));
    await writeFile(join(dir, 'ca.crt.tmp'), ca.certPem + nextCa.certPem);
    await rename(join(dir, 'ca.crt.tmp'), join(dir, 'ca.crt'));
    await waitFor('gateway trusts the new CA', async () => gateway.reloads > 0, 30_000);
    await clientCert('cluster2', nextCa, 'cluster2');
    await waitFor(
      'run completed',
      async () => (await events()).some((e) => e.event === 'completed'),
      300_000,
    );

    const ev = await events();
    const rounds = ev.filter((e) => e.event === 'round');
    expect(rounds.map((r) => r.round)).toEqual([1, 2]);
    const nodes = gateway.keys.nodes();
    for (const r of rounds)
      expect((r.nodeIds as string[]).map((n) => nodes[n]).sort()).toEqual(['cluster1', 'cluster2']);
    const done = ev.find((e) => e.event === 'completed');
    const model = await readFile(join(dir, 'final.safetensors'));
    expect(createHash('sha256').update(model).digest('hex')).toBe(done?.modelSha256);

    // Refusals, each caused by a real SuperNode or the real flwr CLI.
    expect(Object.values(nodes).sort()).toEqual(['cluster1', 'cluster2']);
    expect(refused('ClusterNotAdmitted', 'cluster3')).toBeGreaterThan(0);
    expect(gateway.handshakeRefusals).toBeGreaterThan(0);
    expect(refused('KeyOfAnotherCluster', 'cluster2')).toBeGreaterThan(0);
    const controlHome = await flwrHome(
      join(dir, 'home-control'),
      `127.0.0.1:${site1.forwarderPort}`,
      join(site1.nodeDir, NODE_FILE_NAMES.localCa),
    );
    const ls = await flwr(['ls'], { FLWR_HOME: controlHome }, join(dir, 'flwr-control.log'));
    expect(ls.code).not.toBe(0);
    expect(refused('PathNotAllowed', 'cluster1')).toBeGreaterThan(0);
    expect(forwarders[0]?.reloads).toBeGreaterThan(0);
    expect(forwarders[1]?.reloads).toBeGreaterThan(0);
  }, 600_000);

  it('a run whose ServerApp fails is Failed with Flower’s own status', async () => {
    // hidden=-1: the ServerApp raises while building the initial model.
    const submitted = await flwr(
      [
        'run',
        FLOWER_APP_DIR,
        'local',
        '--run-config',
        'hidden=-1 min-available-clients=2',
        '--format',
        'json',
      ],
      { FLWR_HOME: home },
      join(dir, 'flwr.log'),
    );
    const runId = /"run-id":\s*"?(\d+)/.exec(submitted.output)?.[1];
    expect(runId).toBeDefined();
    let outcome: ReturnType<typeof parseRunOutcome>;
    await waitFor(
      'failed run finished',
      async () => {
        const ls = await flwr(
          ['ls', '--run-id', runId ?? '', '--format', 'json'],
          { FLWR_HOME: home },
          join(dir, 'flwr.log'),
        );
        outcome = parseRunOutcome(ls.output);
        return outcome !== undefined;
      },
      300_000,
      2_000,
    );
    expect(outcome?.status).toBe('finished:failed');
    const state = flowerJobState({
      jobId: 'ns/failed',
      rounds: 3,
      events: [],
      nodes: {},
      run: outcome!,
      now: new Date(),
    });
    expect(state.phase).toBe('failed');
    expect(state.message).toMatch(
      /^Flower run finished:failed: ServerApp failed with exception: negative dimensions/,
    );
  }, 400_000);
});
