/**
 * The FL controller against the embedded API server: schema validation and defaults of the
 * CRD, then Waiting → aggregator objects once clusters are decided and available → cleanup
 * on deletion. The placement decisions and addon health are written by the test itself,
 * standing in for the scheduler and the addon manager.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { federatedLearningCrd } from '@ocm-fl/common/api/crds/federated-learning-crd.js';
import type { FederatedLearning } from '@ocm-fl/common/api/federated-learning.js';
import type { KubeObject } from '@ocm-fl/common/api/meta.js';
import { PLACEMENT_API_VERSION } from '@ocm-fl/common/api/ocm.js';
import { KubeClient } from '@ocm-fl/common/kube/client.js';
import { silentLogger } from '@ocm-fl/common/logger.js';
import { FL_API_VERSION, PLACEMENT_LABEL } from '@ocm-fl/common/names.js';
import { generateCa, loadCa } from '@ocm-fl/common/pki/ca.js';
import { issueServerCertificate } from '@ocm-fl/common/pki/issue.js';
import { startApiServer, type ApiServer } from '@ocm-fl/e2e/apiserver/index.js';
import { HUB_CRDS } from '@ocm-fl/e2e/standins/ocm-crds.js';
import { startFederatedLearningController, type FlController } from './controller.js';
import { localJobFiles } from './deps.js';
import { newAddon, newCluster, newFl } from './testing/fixtures.js';

let server: ApiServer;
let client: KubeClient;
let controller: FlController;

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const getFl = (name: string): Promise<FederatedLearning | undefined> =>
  client.get<FederatedLearning>(FL_API_VERSION, 'FederatedLearning', name, 'default');

beforeAll(async () => {
  server = await startApiServer({ logger: silentLogger });
  client = KubeClient.fromKubeConfig(server.kubeConfig());
  for (const crd of [...HUB_CRDS, federatedLearningCrd()]) await client.create(crd);
  const ca = loadCa(generateCa());
  controller = await startFederatedLearningController({
    client,
    logger: silentLogger,
    settings: {
      hubManagerImage: 'hub:dev',
      // Long: progress must arrive through the state ConfigMap informer, not a timed requeue.
      pollIntervalMs: 600_000,
      // No files: progress is covered by the planner tests; here the aggregator never runs.
      files: localJobFiles(() => undefined),
      certificates: {
        issue: (req) =>
          Promise.resolve({ ...issueServerCertificate({ ca, ...req }), caBundlePem: ca.certPem }),
        bundle: () => ca.certPem,
        issuedByCurrentCa: () => true,
      },
    },
  });
});

afterAll(async () => {
  await controller?.stop();
  await server?.close();
});

describe('FederatedLearning CRD on the embedded API server', () => {
  it('rejects invalid CRs and defaults the rest', async () => {
    const bad = newFl();
    bad.metadata = { name: 'bad', namespace: 'default' };
    (bad.spec as Record<string, unknown>).server = { rounds: 0 };
    await expect(client.create(bad)).rejects.toMatchObject({ status: 422 });
    const badFramework = { ...newFl(), metadata: { name: 'bad2', namespace: 'default' } };
    (badFramework.spec as Record<string, unknown>).framework = 'tensorflow';
    await expect(client.create(badFramework)).rejects.toMatchObject({ status: 422 });

    const minimal = { ...newFl(), metadata: { name: 'defaults', namespace: 'default' } };
    delete minimal.spec?.framework;
    const created = await client.create(minimal);
    expect(created.spec).toMatchObject({
      framework: 'native',
      strategy: { name: 'FedAvg' },
      failurePolicy: { onClientLoss: 'Replace', maxRoundRetries: 3 },
      roundTimeoutSeconds: 600,
    });
    await client.delete(FL_API_VERSION, 'FederatedLearning', 'defaults', 'default');
  });

  it('fails a flower CR with FrameworkNotSupported', async () => {
    await client.create({
      ...newFl({ framework: 'flower' }),
      metadata: { name: 'flower', namespace: 'default' },
    });
    const fl = await until('Failed', async () =>
      (await getFl('flower'))?.status?.phase === 'Failed' ? getFl('flower') : undefined,
    );
    expect(fl?.status?.conditions?.find((c) => c.type === 'Failed')?.reason).toBe('FrameworkNotSupported');
  });
});

describe('FL controller', () => {
  it('waits for clients, starts the aggregator when two are ready, and cleans up on deletion', async () => {
    await client.create({ ...newFl(), metadata: { name: 'sample', namespace: 'default' } });
    const waiting = await until('Waiting', async () => {
      const fl = await getFl('sample');
      return fl?.status?.phase === 'Waiting' ? fl : undefined;
    });
    expect(waiting.status?.message).toContain('0 of 2 required clusters');
    expect(waiting.metadata.finalizers).toContain('federation-ai.open-cluster-management.io/cleanup');
    const placement = await client.get(PLACEMENT_API_VERSION, 'Placement', 'sample', 'default');
    expect(placement?.spec).toMatchObject({ clusterSets: ['global'] });
    expect(
      await client.get(
        'cluster.open-cluster-management.io/v1beta2',
        'ManagedClusterSetBinding',
        'global',
        'default',
      ),
    ).toBeDefined();

    // Stand in for the scheduler and the addon manager.
    for (const c of ['cluster1', 'cluster2']) {
      await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: c } });
      const mc = await client.create(newCluster(c));
      await client.updateStatus({ ...mc, status: newCluster(c).status });
      const addon = await client.create(newAddon(c));
      await client.updateStatus({ ...addon, status: newAddon(c).status });
    }
    const decision = await client.create<KubeObject>({
      apiVersion: PLACEMENT_API_VERSION,
      kind: 'PlacementDecision',
      metadata: { name: 'sample-decision-1', namespace: 'default', labels: { [PLACEMENT_LABEL]: 'sample' } },
    });
    await client.updateStatus({
      ...decision,
      status: { decisions: ['cluster1', 'cluster2'].map((clusterName) => ({ clusterName, reason: '' })) },
    });

    const job = await until('aggregator Job', () =>
      client.get('batch/v1', 'Job', 'sample-aggregator', 'default'),
    );
    expect(JSON.stringify(job)).toContain('"aggregate","--config"');
    const cm = await client.get<KubeObject & { data: Record<string, string> }>(
      'v1',
      'ConfigMap',
      'sample-aggregator-config',
      'default',
    );
    expect(JSON.parse(cm?.data['config.json'] ?? '{}')).toMatchObject({
      admittedClusters: ['cluster1', 'cluster2'],
    });
    expect(await client.get('v1', 'Secret', 'sample-aggregator-tls', 'default')).toBeDefined();
    expect(await client.get('v1', 'Service', 'fl-sample-server-listener', 'default')).toBeDefined();
    const fl = await getFl('sample');
    expect(fl?.status?.clients?.map((c) => c.cluster)).toEqual(['cluster1', 'cluster2']);

    // The load balancer gives the listener an address (its Service informer wakes the controller).
    const svc = await client.get<KubeObject>('v1', 'Service', 'fl-sample-server-listener', 'default');
    await client.updateStatus({
      ...svc,
      status: { loadBalancer: { ingress: [{ ip: '192.0.2.10' }] } },
    } as KubeObject);
    // The aggregator publishes progress to its state ConfigMap; the status follows at once.
    const stateCm = await until('state ConfigMap', () =>
      client.get<KubeObject>('v1', 'ConfigMap', 'sample-aggregator-state', 'default'),
    );
    const state = {
      jobId: 'default/sample',
      phase: 'running',
      message: '',
      rounds: 3,
      completedRounds: 1,
      modelSha256: 'ab'.repeat(32),
      modelSize: 10,
      history: [
        {
          round: 1,
          attempt: 0,
          participants: ['cluster1', 'cluster2'],
          failed: [],
          stragglers: [],
          examples: 40,
          metrics: { accuracy: 0.5 },
          durationMs: 1000,
          sha256: 'ab'.repeat(32),
          outcome: 'aggregated',
          closedAt: new Date().toISOString(),
        },
      ],
      clients: {},
      updatedAt: new Date().toISOString(),
    };
    await client.update({ ...stateCm, data: { 'state.json': JSON.stringify(state) } } as KubeObject);
    const progressed = await until('round progress from the state ConfigMap', async () => {
      const f = await getFl('sample');
      return f?.status?.roundProgress?.startsWith('1/') ? f : undefined;
    });
    expect(progressed.status?.lastMetric).toBe('accuracy=0.5000');

    await client.delete(FL_API_VERSION, 'FederatedLearning', 'sample', 'default');
    await until('CR gone', async () => ((await getFl('sample')) ? undefined : true));
    expect(await client.get('batch/v1', 'Job', 'sample-aggregator', 'default')).toBeUndefined();
    expect(await client.get(PLACEMENT_API_VERSION, 'Placement', 'sample', 'default')).toBeUndefined();
  });
});
