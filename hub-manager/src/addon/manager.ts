/**
 * The addon manager: ensures the ClusterManagementAddOn exists, watches everything an agent
 * ManifestWork depends on, and reconciles one cluster namespace at a time.
 */
import type { KubeObject } from '@ocm-fl/common/api/meta.js';
import {
  ADDON_API_VERSION,
  PLACEMENT_API_VERSION,
  WORK_API_VERSION,
  CLUSTER_API_VERSION,
  type AddOnDeploymentConfig,
  type ClusterManagementAddOn,
  type ManagedCluster,
  type ManagedClusterAddOn,
  type ManifestWork,
  type PlacementDecision,
} from '@ocm-fl/common/api/ocm.js';
import type { KubeClient } from '@ocm-fl/common/kube/client.js';
import { isAlreadyExists } from '@ocm-fl/common/kube/errors.js';
import { Informer } from '@ocm-fl/common/kube/informer.js';
import { KeyedQueue, type QueueMetrics } from '@ocm-fl/common/kube/keyed-queue.js';
import type { Logger } from '@ocm-fl/common/logger.js';
import { ADDON_NAME, ADDON_NAME_LABEL, DEPLOY_WORK_NAME, PLACEMENT_LABEL } from '@ocm-fl/common/names.js';
import { renderClusterManagementAddOn, type CmaOptions } from './cluster-management-addon.js';
import { cmaStatusWithSpecHashes } from './config/cma-spec-hash.js';
import { goJson } from './config/resolve.js';
import { reconcilePlacements } from './placement-installer.js';
import { reconcileAddon, type AddonReconcileDeps } from './reconcile-addon.js';
import type { AgentRenderSettings } from './render/types.js';

export interface AddonManagerSettings {
  /** Agent render settings except the CA bundle. */
  agent: Omit<AgentRenderSettings, 'caBundlePem'>;
  /** The CA bundle agents trust, read at every reconcile; undefined while the CA is not ready. */
  caBundle: () => string | undefined;
  /** Used when the ClusterManagementAddOn has to be created (the chart normally ships it). */
  cma?: CmaOptions;
  /** Create the ClusterManagementAddOn when missing (default true). */
  createCmaIfMissing?: boolean;
  /** Run the Placements installer (default true); see placement-install.ts. */
  placementInstaller?: boolean;
}

export interface AddonManagerDeps {
  client: KubeClient;
  logger: Logger;
  settings: AddonManagerSettings;
  /** Reconcile counts, durations and queue depth. */
  metrics?: QueueMetrics;
}

export interface AddonManager {
  /** This addon's ManagedClusterAddOns as the informer holds them (metrics, dashboard). */
  addons(): ManagedClusterAddOn[];
  /** Re-reconcile every addon (e.g. after a CA rotation changed the bundle). */
  resync(): void;
  /** Resolves when no reconcile is queued or running (tests). */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

const PLACEMENTS_KEY = 'placements';
const CMA_KEY = 'cma';
const addonKey = (ns: string): string => `addon/${ns}`;

async function ensureCma(deps: AddonManagerDeps): Promise<void> {
  const existing = await deps.client.get(ADDON_API_VERSION, 'ClusterManagementAddOn', ADDON_NAME);
  if (existing) return;
  try {
    await deps.client.create(renderClusterManagementAddOn(deps.settings.cma));
    deps.logger.info('created ClusterManagementAddOn', { name: ADDON_NAME });
  } catch (e) {
    if (!isAlreadyExists(e)) throw new Error('creating the ClusterManagementAddOn failed', { cause: e });
  }
}

export async function startAddonManager(deps: AddonManagerDeps): Promise<AddonManager> {
  const { client, logger, settings } = deps;
  if (settings.createCmaIfMissing ?? true) await ensureCma(deps);

  const inf = <T extends KubeObject>(apiVersion: string, kind: string, labelSelector?: string): Informer<T> =>
    new Informer<T>(client, apiVersion, kind, { logger, ...(labelSelector ? { labelSelector } : {}) });
  const addons = inf<ManagedClusterAddOn>(ADDON_API_VERSION, 'ManagedClusterAddOn');
  const works = inf<ManifestWork>(WORK_API_VERSION, 'ManifestWork', `${ADDON_NAME_LABEL}=${ADDON_NAME}`);
  const clusters = inf<ManagedCluster>(CLUSTER_API_VERSION, 'ManagedCluster');
  const configs = inf<AddOnDeploymentConfig>(ADDON_API_VERSION, 'AddOnDeploymentConfig');
  const cmas = inf<ClusterManagementAddOn>(ADDON_API_VERSION, 'ClusterManagementAddOn');
  const withPlacements = settings.placementInstaller ?? true;
  const decisions = withPlacements
    ? inf<PlacementDecision>(PLACEMENT_API_VERSION, 'PlacementDecision', PLACEMENT_LABEL)
    : undefined;

  const ours = (): ManagedClusterAddOn[] => addons.list().filter((a) => a.metadata.name === ADDON_NAME);
  const cache: AddonReconcileDeps['cache'] = {
    cma: () => cmas.get(ADDON_NAME),
    cluster: (name) => clusters.get(name),
    deploymentConfig: (ns, name) => configs.get(name, ns || undefined),
  };
  const reconcileDeps: AddonReconcileDeps = {
    client,
    logger,
    agent: settings.agent,
    caBundle: settings.caBundle,
    cache,
  };

  const queue = new KeyedQueue(
    async (key) => {
      if (key === CMA_KEY) {
        // OCM's addon manager reads the config spec hashes from here (config/cma-spec-hash.ts).
        const cma = cache.cma();
        if (!cma) return;
        const status = cmaStatusWithSpecHashes(cma.status, cache.deploymentConfig);
        if (goJson(status) !== goJson(cma.status ?? {})) await client.updateStatus({ ...cma, status });
        return;
      }
      if (key === PLACEMENTS_KEY) {
        return reconcilePlacements({
          client,
          logger,
          cache: { cma: cache.cma, decisions: () => decisions?.list() ?? [], addons: ours },
        });
      }
      return reconcileAddon(reconcileDeps, key.slice('addon/'.length));
    },
    // Reconciles are API round trips: 16 at a time keeps a 1,000-cluster enable from queueing
    // behind 4 (fleet.bench.ts measures it).
    { logger, name: 'addon-manager', concurrency: 16, ...(deps.metrics ? { metrics: deps.metrics } : {}) },
  );
  const enqueueAll = (): void => {
    for (const a of ours()) queue.enqueue(addonKey(a.metadata.namespace!));
  };

  addons.onChange((_t, a) => {
    if (a.metadata.name !== ADDON_NAME) return;
    queue.enqueue(addonKey(a.metadata.namespace!));
    if (withPlacements) queue.enqueue(PLACEMENTS_KEY);
  });
  works.onChange((_t, w) => {
    if (w.metadata.name === DEPLOY_WORK_NAME) queue.enqueue(addonKey(w.metadata.namespace!));
  });
  clusters.onChange((_t, c) => {
    if (addons.get(ADDON_NAME, c.metadata.name)) queue.enqueue(addonKey(c.metadata.name!));
  });
  configs.onChange(() => {
    enqueueAll();
    queue.enqueue(CMA_KEY);
  });
  cmas.onChange((_t, c) => {
    if (c.metadata.name !== ADDON_NAME) return;
    enqueueAll();
    queue.enqueue(CMA_KEY);
    if (withPlacements) queue.enqueue(PLACEMENTS_KEY);
  });
  decisions?.onChange(() => queue.enqueue(PLACEMENTS_KEY));

  const informers = [
    cmas,
    clusters,
    configs,
    works,
    addons,
    ...(decisions ? [decisions] : []),
  ] as Informer<KubeObject>[];
  try {
    await Promise.all(informers.map((i) => i.start()));
  } catch (e) {
    for (const i of informers) i.stop();
    throw new Error('addon manager: starting informers failed', { cause: e });
  }
  logger.info('addon manager started', { addons: ours().length });

  return {
    addons: ours,
    resync: enqueueAll,
    idle: () => queue.idle(),
    stop: async () => {
      for (const i of informers) i.stop();
      await queue.stop();
      await Promise.all(informers.map((i) => i.stopped()));
    },
  };
}
