/**
 * A tier-1 fleet with the real hub-manager running against it: what the demo and the
 * end-to-end scenarios start. Everything but the OCM stand-ins and the pod runner is the
 * product code; agents, aggregators and trainers run as local processes.
 */
import { join } from 'node:path';
import { federatedLearningCrd } from '@ocm-fl/common/api/crds/federated-learning-crd.js';
import type { KubeObject } from '@ocm-fl/common/api/meta.js';
import { findCondition } from '@ocm-fl/common/api/meta.js';
import type { Logger } from '@ocm-fl/common/logger.js';
import { silentLogger } from '@ocm-fl/common/logger.js';
import { ADDON_NAME } from '@ocm-fl/common/names.js';
import { defaultConfig, type HubManagerConfig } from '@ocm-fl/hub-manager/config.js';
import { startHubManager, type HubManager } from '@ocm-fl/hub-manager/main.js';
import { startFleet, type Fleet, type FleetClusterSpec } from '../fleet/fleet.js';
import { addonEnable } from '../standins/clusteradm.js';
import { waitFor } from '../standins/testing/wait.js';
import { IMAGES, tier1Images } from './images.js';

export interface FlEnvironmentOptions {
  clusters: FleetClusterSpec[];
  logger?: Logger;
  workDir?: string;
  /** Lifetime of the agents' client certificates (short to exercise rotation). */
  certificateSeconds?: number;
  hubConfig?: Partial<HubManagerConfig>;
  /** ManagedCluster leaseDurationSeconds: the hub sees a stopped cluster as gone after 5×. */
  clusterLeaseSeconds?: number;
}

export interface FlEnvironment {
  fleet: Fleet;
  hub: HubManager;
  /** `clusteradm addon enable` for these clusters, then wait until the addon is Available on each. */
  enable(clusters: readonly string[], timeoutMs?: number): Promise<void>;
  /** Stop the hub-manager and start a new one with `over` applied to its configuration. */
  restartHub(over: Partial<HubManagerConfig>): Promise<void>;
  stop(): Promise<void>;
}

export const HUB_NAMESPACE = 'open-cluster-management';

export async function startFlEnvironment(o: FlEnvironmentOptions): Promise<FlEnvironment> {
  const logger = o.logger ?? silentLogger;
  const fleet = await startFleet({
    clusters: o.clusters,
    podRunnerImages: tier1Images({ agentLeasePeriodSeconds: 1 }),
    hubCrds: [federatedLearningCrd()],
    leasePeriodMs: 1_000,
    leaseGraceMs: 10_000,
    workStatusSyncMs: 1_000,
    certCheckPeriodMs: 2_000,
    restartBackoffMs: 500,
    ...(o.certificateSeconds ? { csrExpirationSeconds: o.certificateSeconds } : {}),
    ...(o.clusterLeaseSeconds ? { clusterLeaseSeconds: o.clusterLeaseSeconds } : {}),
    ...(o.workDir ? { workDir: o.workDir } : {}),
    logger,
  });
  let hub: HubManager;
  let config: HubManagerConfig;
  try {
    await fleet.hubClient.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: HUB_NAMESPACE } });
    config = {
      ...defaultConfig(),
      namespace: HUB_NAMESPACE,
      identity: 'hub-manager-0',
      image: IMAGES.hubManager,
      agentImage: IMAGES.agent,
      leaderElect: false,
      // Trainer pods reach their agent at its pod address (the agent Service on real clusters).
      agentArgs: ['--handoff-url', 'http://$(POD_IP):8081'],
      httpHost: '127.0.0.1',
      httpPort: 0,
      storageRoot: join(fleet.workDir, 'hub', 'pvc'),
      pollIntervalMs: 500,
      ...o.hubConfig,
    };
    hub = await startHubManager(config, { client: fleet.hubClient, logger });
    await hub.started();
  } catch (e) {
    await fleet.stop();
    throw e;
  }
  const env: FlEnvironment = {
    fleet,
    hub,
    async enable(clusters, timeoutMs = 60_000) {
      await addonEnable({ hub: fleet.hubClient, names: [ADDON_NAME], clusters: [...clusters] });
      for (const c of clusters) {
        await waitFor(
          `addon Available on ${c}`,
          async () => {
            const mca = await fleet.hubClient.get<KubeObject<unknown, { conditions?: [] }>>(
              'addon.open-cluster-management.io/v1alpha1',
              'ManagedClusterAddOn',
              ADDON_NAME,
              c,
            );
            return findCondition(mca?.status?.conditions, 'Available')?.status === 'True';
          },
          timeoutMs,
        );
      }
    },
    async restartHub(over) {
      await env.hub.stop();
      config = { ...config, ...over };
      env.hub = await startHubManager(config, { client: fleet.hubClient, logger });
      await env.hub.started();
    },
    async stop() {
      await env.hub.stop();
      await fleet.stop();
    },
  };
  return env;
}
