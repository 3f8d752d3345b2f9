/**
 * The hub-manager's /metrics scraped over HTTP and read with an independent exposition-format
 * parser: one CSR signed and one refused, an available addon and a FederatedLearning job on
 * the embedded API server, and the families, types and labels Prometheus would see.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { federatedLearningCrd } from '@ocm-fl/common/api/crds/federated-learning-crd.js';
import { KubeClient } from '@ocm-fl/common/kube/client.js';
import { silentLogger } from '@ocm-fl/common/logger.js';
import {
  expectConventionalNames,
  family,
  sample,
  scrape,
} from '@ocm-fl/common/metrics/exposition.test-helpers.js';
import { klusterletUsernamePrefix } from '@ocm-fl/common/names.js';
import { csrCertificatePem, type CertificateSigningRequest } from '@ocm-fl/common/pki/index.js';
import { startApiServer, type ApiServer } from '@ocm-fl/e2e/apiserver/index.js';
import { HUB_CRDS } from '@ocm-fl/e2e/standins/ocm-crds.js';
import { defaultConfig } from '../config.js';
import { newFl } from '../fl/testing/fixtures.js';
import { startHubManager, type HubManager } from '../main.js';
import { newAddon, newCsr, newManagedCluster } from '../registration/fixtures.test-helpers.js';

let server: ApiServer;
let admin: KubeClient;
let hm: HubManager;
let dir: string;

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hub-metrics-'));
  server = await startApiServer({ logger: silentLogger });
  admin = KubeClient.fromKubeConfig(server.kubeConfig());
  for (const crd of [...HUB_CRDS, federatedLearningCrd()]) await admin.create(crd);
  await admin.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'open-cluster-management' } });
  for (const c of ['c1', 'c2']) {
    await admin.create(newManagedCluster(c));
    await admin.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: c } });
    const mca = await admin.create(newAddon(c));
    const available = c === 'c1' ? 'True' : 'False';
    await admin.updateStatus({
      ...mca,
      status: {
        conditions: [
          {
            type: 'Available',
            status: available,
            reason: 'Test',
            message: '',
            lastTransitionTime: new Date().toISOString(),
          },
        ],
      },
    });
  }
  await admin.create(newFl());
  hm = await startHubManager(
    {
      ...defaultConfig(),
      leaderElect: false,
      httpHost: '127.0.0.1',
      httpPort: 0,
      storageRoot: dir,
      pollIntervalMs: 500,
    },
    { client: admin, logger: silentLogger },
  );
  await hm.started();
}, 60_000);

afterAll(async () => {
  await hm?.stop();
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('hub-manager /metrics', () => {
  it('exposes registration, reconcile, CA, job and addon families with bounded labels', async () => {
    // Signed: created by the klusterlet of c1. Refused: created by someone else.
    const klusterlet = KubeClient.fromKubeConfig(
      server.kubeConfig(`${klusterletUsernamePrefix('c1')}agent-1`),
    );
    const good = await klusterlet.create(newCsr('c1'));
    const bad = await admin.create(newCsr('c2'));
    await until('the c1 certificate', async () => {
      const c = await admin.get<CertificateSigningRequest>(
        'certificates.k8s.io/v1',
        'CertificateSigningRequest',
        good.metadata.name ?? '',
      );
      return c && csrCertificatePem(c) ? c : undefined;
    });
    const url = `http://127.0.0.1:${hm.httpPort}/metrics`;
    const m = await until('the refusal and job metrics', async () => {
      const s = await scrape(url);
      const refused = s.get('fl_hub_csr_refused_total');
      const jobs = s.get('fl_hub_federated_learning_jobs');
      const flReconciled = s
        .get('fl_hub_reconcile_total')
        ?.metrics.some((x) => x.labels.controller === 'federated-learning');
      return refused?.metrics.length && flReconciled && jobs && sample(jobs, { phase: 'Waiting' }) === 1
        ? s
        : undefined;
    });
    expect(bad.metadata.name).toBeDefined();

    expect(sample(family(m, 'fl_hub_leader', 'GAUGE'))).toBe(1);
    expect(sample(family(m, 'fl_hub_leader_transitions_total', 'COUNTER'))).toBe(1);
    family(m, 'fl_hub_component_start_failures_total', 'COUNTER');
    expect(sample(family(m, 'fl_hub_csr_approved_total', 'COUNTER'))).toBe(1);
    expect(sample(family(m, 'fl_hub_certificates_signed_total', 'COUNTER'))).toBe(1);
    expect(
      sample(family(m, 'fl_hub_csr_refused_total', 'COUNTER', ['reason']), { reason: 'BadRequester' }),
    ).toBe(1);

    const certs = family(m, 'fl_hub_client_certificate_expiry_seconds', 'GAUGE', ['cluster']);
    expect(certs.metrics.map((s) => s.labels.cluster)).toEqual(['c1']);
    expect(sample(certs, { cluster: 'c1' })).toBeGreaterThan(0);
    expect(sample(family(m, 'fl_hub_ca_expiry_seconds', 'GAUGE'))).toBeGreaterThan(86_400);

    const reconciles = family(m, 'fl_hub_reconcile_total', 'COUNTER', ['controller', 'result']);
    const controllers = new Set(reconciles.metrics.map((s) => s.labels.controller));
    expect([...controllers].sort()).toEqual(['addon-manager', 'csr', 'federated-learning']);
    family(m, 'fl_hub_reconcile_duration_seconds', 'HISTOGRAM', ['controller']);
    family(m, 'fl_hub_queue_depth', 'GAUGE', ['controller']);

    const jobs = family(m, 'fl_hub_federated_learning_jobs', 'GAUGE', ['phase']);
    expect(sample(jobs, { phase: 'Running' })).toBe(0);
    const addons = family(m, 'fl_hub_addon_available', 'GAUGE', ['cluster']);
    expect(sample(addons, { cluster: 'c1' })).toBe(1);
    expect(sample(addons, { cluster: 'c2' })).toBe(0);

    // Default process metrics are on.
    family(m, 'process_cpu_user_seconds_total', 'COUNTER');
    family(m, 'nodejs_eventloop_lag_seconds', 'GAUGE');
    expectConventionalNames(m, 'fl_hub_');
  }, 90_000);
});
