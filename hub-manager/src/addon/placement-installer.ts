/** Executes the Placements install plan (./placement-install.ts) against the hub. */
import {
  ADDON_API_VERSION,
  type ClusterManagementAddOn,
  type ManagedClusterAddOn,
  type PlacementDecision,
} from '@ocm-fl/common/api/ocm.js';
import type { KubeClient } from '@ocm-fl/common/kube/client.js';
import { isAlreadyExists, isNotFound } from '@ocm-fl/common/kube/errors.js';
import type { Logger } from '@ocm-fl/common/logger.js';
import { ADDON_NAME } from '@ocm-fl/common/names.js';
import { planPlacementInstall } from './placement-install.js';

export interface PlacementInstallerDeps {
  client: KubeClient;
  logger: Logger;
  cache: {
    cma(): ClusterManagementAddOn | undefined;
    decisions(): PlacementDecision[];
    addons(): ManagedClusterAddOn[];
  };
}

export async function reconcilePlacements(deps: PlacementInstallerDeps): Promise<void> {
  const cma = deps.cache.cma();
  if (!cma) return;
  const plan = planPlacementInstall(cma, deps.cache.decisions(), deps.cache.addons());
  const errors: unknown[] = [];
  const step = async (what: string, cluster: string, fn: () => Promise<unknown>): Promise<void> => {
    try {
      await fn();
      deps.logger.info(`placement install: ${what}`, { cluster });
    } catch (e) {
      if (what === 'create' && isAlreadyExists(e)) return;
      if (what === 'delete' && isNotFound(e)) return;
      deps.logger.error(`placement install: ${what} failed`, { cluster, error: e });
      errors.push(e);
    }
  };
  for (const m of plan.create) await step('create', m.metadata.namespace!, () => deps.client.create(m));
  for (const m of plan.update) await step('update', m.metadata.namespace!, () => deps.client.update(m));
  for (const ns of plan.delete) {
    await step('delete', ns, () =>
      deps.client.delete(ADDON_API_VERSION, 'ManagedClusterAddOn', ADDON_NAME, ns),
    );
  }
  if (errors.length)
    throw new Error(`placement install: ${errors.length} step(s) failed`, { cause: errors[0] });
}
