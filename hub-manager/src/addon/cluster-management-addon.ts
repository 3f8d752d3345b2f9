/**
 * The ClusterManagementAddOn `federated-learning`: shipped by the chart and created by the
 * hub-manager on start when missing (never overwritten: users edit its install strategy).
 */
import type { ClusterManagementAddOn, PlacementStrategy } from '@ocm-fl/common/api/ocm.js';
import { ADDON_API_VERSION, ADDON_GROUP } from '@ocm-fl/common/api/ocm.js';
import { ADDON_NAME, LIFECYCLE_ANNOTATION } from '@ocm-fl/common/names.js';
import { DEPLOYMENT_CONFIG_RESOURCE } from './config/resolve.js';

export interface CmaOptions {
  /** Default AddOnDeploymentConfig (namespace/name) for every cluster. */
  defaultConfig?: { namespace: string; name: string };
  /** With placements the install strategy is `Placements`, else `Manual`. */
  placements?: PlacementStrategy[];
  /**
   * `addon-manager` (default): OCM's hub addon-manager owns the install strategy on a real hub;
   * `self`: this hub-manager does. The hub-manager's own placement installer is harmless with
   * either (it touches only the MCAs it created), and required on the embedded control plane.
   */
  lifecycle?: 'addon-manager' | 'self';
}

export function renderClusterManagementAddOn(opts: CmaOptions = {}): ClusterManagementAddOn {
  const supported: NonNullable<ClusterManagementAddOn['spec']>['supportedConfigs'] = [
    { group: ADDON_GROUP, resource: DEPLOYMENT_CONFIG_RESOURCE },
  ];
  if (opts.defaultConfig) supported[0]!.defaultConfig = { ...opts.defaultConfig };
  const placements = opts.placements ?? [];
  return {
    apiVersion: ADDON_API_VERSION,
    kind: 'ClusterManagementAddOn',
    metadata: {
      name: ADDON_NAME,
      annotations: { [LIFECYCLE_ANNOTATION]: opts.lifecycle ?? 'addon-manager' },
    },
    spec: {
      addOnMeta: {
        displayName: 'Federated Learning',
        description: 'Runs federated-learning clients on managed clusters; models are aggregated on the hub.',
      },
      supportedConfigs: supported,
      installStrategy: placements.length
        ? { type: 'Placements', placements: structuredClone(placements) }
        : { type: 'Manual' },
    },
  };
}
