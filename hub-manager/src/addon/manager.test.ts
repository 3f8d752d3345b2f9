/**
 * The addon manager against the embedded API server (real HTTP, watch, finalizers). No work
 * agent runs here: the test plays it by writing the ManifestWork's Applied condition.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { findCondition, type KubeObject } from '@ocm-fl/common/api/meta.js';
import {
  ADDON_API_VERSION,
  WORK_API_VERSION,
  type ClusterManagementAddOn,
  type ManagedClusterAddOn,
  type ManifestWork,
  type PlacementDecision,
} from '@ocm-fl/common/api/ocm.js';
import { KubeClient } from '@ocm-fl/common/kube/client.js';
import { silentLogger } from '@ocm-fl/common/logger.js';
import { ADDON_NAME, DEPLOY_WORK_NAME, SIGNER_NAME } from '@ocm-fl/common/names.js';
import { startApiServer, type ApiServer } from '@ocm-fl/e2e/apiserver/index.js';
import { HUB_CRDS } from '@ocm-fl/e2e/standins/ocm-crds.js';
import { startAddonManager, type AddonManager } from './manager.js';
import { INSTALLED_BY_LABEL } from './placement-install.js';
import { CLEANUP_FINALIZER } from './reconcile-addon.js';
import { CONTENT_HASH_ANNOTATION } from './render/manifest-work.js';
import {
  FAKE_CA_PEM,
  newAddon,
  newDecision,
  newDeploymentConfig,
  newManagedCluster,
} from './testing/fixtures.js';

let api: ApiServer;
let client: KubeClient;
let manager: AddonManager;

/** Poll until `fn` returns a value (not a timing assertion: the bound only stops a hang). */
async function eventually<T>(what: string, fn: () => Promise<T | undefined | false>): Promise<T> {
  const until = Date.now() + 15_000;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const getMca = (ns: string): Promise<ManagedClusterAddOn | undefined> =>
  client.get<ManagedClusterAddOn>(ADDON_API_VERSION, 'ManagedClusterAddOn', ADDON_NAME, ns);
const getWork = (ns: string): Promise<ManifestWork | undefined> =>
  client.get<ManifestWork>(WORK_API_VERSION, 'ManifestWork', DEPLOY_WORK_NAME, ns);
const strip = <T extends KubeObject>(o: T): T => {
  const { uid: _u, resourceVersion: _r, ...metadata } = o.metadata;
  return { ...o, metadata } as T;
};
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = Record<string, any>;
const deploymentOf = (w: ManifestWork): Loose =>
  w.spec!.workload.manifests.find((m) => m.kind === 'Deployment') as Loose;

beforeAll(async () => {
  api = await startApiServer({ port: 0 });
  client = KubeClient.fromKubeConfig(api.kubeConfig());
  for (const crd of HUB_CRDS) await client.create(crd);
  for (const ns of ['cluster1', 'cluster2', 'fl-system', 'fl']) {
    await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  }
  for (const c of ['cluster1', 'cluster2'])
    await eventually('CRDs served', async () => client.create(newManagedCluster(c)));
  await client.create(
    strip(newDeploymentConfig('fl-system', 'default', { nodePlacement: { nodeSelector: { pool: 'fl' } } })),
  );
  manager = await startAddonManager({
    client,
    logger: silentLogger,
    settings: {
      agent: { agentImage: 'quay.io/ocm-fl/spoke-agent:test', logLevel: 'info' },
      caBundle: () => FAKE_CA_PEM,
      cma: { defaultConfig: { namespace: 'fl-system', name: 'default' } },
    },
  });
});

afterAll(async () => {
  await manager?.stop();
  await api?.close();
});

describe('addon manager on the embedded API server', () => {
  it('created the ClusterManagementAddOn on start', async () => {
    const cma = await client.get<ClusterManagementAddOn>(
      ADDON_API_VERSION,
      'ClusterManagementAddOn',
      ADDON_NAME,
    );
    expect(cma?.spec?.supportedConfigs?.[0]?.defaultConfig).toEqual({
      namespace: 'fl-system',
      name: 'default',
    });
  });

  it('enable → ManifestWork, finalizer and status; Applied flows into ManifestApplied', async () => {
    await client.create(
      strip(newAddon('cluster1', { installNamespace: 'open-cluster-management-agent-addon' })),
    );
    const work = await eventually('work', () => getWork('cluster1'));
    expect(work.metadata.ownerReferences?.[0]).toEqual(
      expect.objectContaining({ kind: 'ManagedClusterAddOn', name: ADDON_NAME }),
    );
    expect(deploymentOf(work).spec.template.spec.nodeSelector).toEqual({ pool: 'fl' });

    const mca = await eventually('status', async () => {
      const m = await getMca('cluster1');
      return m?.status?.registrations ? m : undefined;
    });
    expect(mca.metadata.finalizers).toContain(CLEANUP_FINALIZER);
    expect(mca.status?.namespace).toBe('open-cluster-management-agent-addon');
    expect(mca.status?.registrations?.[0]?.signerName).toBe(SIGNER_NAME);
    expect(mca.status?.configReferences?.[0]?.desiredConfig?.specHash).toMatch(/^[0-9a-f]{64}$/);
    expect(findCondition(mca.status?.conditions, 'Configured')?.status).toBe('True');
    expect(findCondition(mca.status?.conditions, 'ManifestApplied')?.status).toBe('False');

    // Play the work agent.
    const current = (await getWork('cluster1'))!;
    const cond = {
      type: 'Applied',
      status: 'True' as const,
      reason: 'AppliedManifestWorkComplete',
      message: 'ok',
      lastTransitionTime: new Date().toISOString(),
    };
    await client.updateStatus({ ...current, status: { conditions: [cond] } });
    await eventually('ManifestApplied=True', async () => {
      const m = await getMca('cluster1');
      return findCondition(m?.status?.conditions, 'ManifestApplied')?.status === 'True';
    });
  });

  it('writes the work only when the rendered content changed', async () => {
    await manager.idle();
    const before = (await getWork('cluster1'))!;
    manager.resync();
    await manager.idle();
    expect((await getWork('cluster1'))!.metadata.resourceVersion).toBe(before.metadata.resourceVersion);

    const adc = (await client.get<KubeObject>(
      ADDON_API_VERSION,
      'AddOnDeploymentConfig',
      'default',
      'fl-system',
    ))!;
    await client.update({ ...adc, spec: { nodePlacement: { nodeSelector: { pool: 'gpu' } } } });
    const changed = await eventually('work updated', async () => {
      const w = await getWork('cluster1');
      return w &&
        w.metadata.annotations?.[CONTENT_HASH_ANNOTATION] !==
          before.metadata.annotations?.[CONTENT_HASH_ANNOTATION]
        ? w
        : undefined;
    });
    expect(deploymentOf(changed).spec.template.spec.nodeSelector).toEqual({ pool: 'gpu' });
  });

  it('a missing per-cluster config sets Configured=False and keeps the last work', async () => {
    const before = (await getWork('cluster1'))!;
    const mca = (await getMca('cluster1'))!;
    await client.update({
      ...mca,
      spec: {
        ...mca.spec,
        configs: [
          {
            group: 'addon.open-cluster-management.io',
            resource: 'addondeploymentconfigs',
            namespace: 'cluster1',
            name: 'nope',
          },
        ],
      },
    });
    const c = await eventually('Configured=False', async () => {
      const cond = findCondition((await getMca('cluster1'))?.status?.conditions, 'Configured');
      return cond?.status === 'False' ? cond : undefined;
    });
    expect(c.message).toContain('cluster1/nope not found');
    await manager.idle();
    expect((await getWork('cluster1'))!.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
  });

  it('disable → work deleted, finalizer released, addon gone', async () => {
    await client.delete(ADDON_API_VERSION, 'ManagedClusterAddOn', ADDON_NAME, 'cluster1');
    await eventually('addon gone', async () => !(await getMca('cluster1')));
    expect(await getWork('cluster1')).toBeUndefined();
  });

  it('installStrategy Placements creates and removes addons as decisions change', async () => {
    const cma = (await client.get<ClusterManagementAddOn>(
      ADDON_API_VERSION,
      'ClusterManagementAddOn',
      ADDON_NAME,
    ))!;
    await client.update({
      ...cma,
      spec: {
        ...cma.spec,
        installStrategy: { type: 'Placements', placements: [{ namespace: 'fl', name: 'all' }] },
      },
    });
    const d = strip(newDecision('fl', 'all', ['cluster2']));
    const { status, ...noStatus } = d;
    const created = await client.create<PlacementDecision>(noStatus as PlacementDecision);
    await client.updateStatus({ ...created, status });
    const mca = await eventually('placement addon', () => getMca('cluster2'));
    expect(mca.metadata.labels?.[INSTALLED_BY_LABEL]).toBe('placement');
    await eventually('its work', () => getWork('cluster2'));

    const latest = (await client.get<PlacementDecision>(
      created.apiVersion,
      'PlacementDecision',
      created.metadata.name!,
      'fl',
    ))!;
    await client.updateStatus({ ...latest, status: { decisions: [] } });
    await eventually('placement addon removed', async () => !(await getMca('cluster2')));
    expect(await getWork('cluster2')).toBeUndefined();
  });
});
