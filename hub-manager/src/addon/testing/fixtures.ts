/** Fixture builders for addon tests (upstream style: newAddon, newManagedCluster, ...). */
import type {
  AddOnDeploymentConfig,
  AddOnDeploymentConfigSpec,
  ClusterManagementAddOn,
  ManagedCluster,
  ManagedClusterAddOn,
  ManifestWork,
  PlacementDecision,
} from '@ocm-fl/common/api/ocm.js';
import { ADDON_API_VERSION, WORK_API_VERSION } from '@ocm-fl/common/api/ocm.js';
import { ADDON_NAME, DEPLOY_WORK_NAME, PLACEMENT_LABEL } from '@ocm-fl/common/names.js';
import { renderClusterManagementAddOn, type CmaOptions } from '../cluster-management-addon.js';
import type { AgentRenderSettings } from '../render/types.js';

/** Not a real certificate: the renderer only carries the bundle through. */
export const FAKE_CA_PEM = '-----BEGIN CERTIFICATE-----\nTUlJQmZha2U=\n-----END CERTIFICATE-----\n';

export function newManagedCluster(name: string, annotations?: Record<string, string>): ManagedCluster {
  return {
    apiVersion: 'cluster.open-cluster-management.io/v1',
    kind: 'ManagedCluster',
    metadata: { name, ...(annotations ? { annotations } : {}) },
    spec: { hubAcceptsClient: true },
  };
}

export function newAddon(cluster: string, spec: ManagedClusterAddOn['spec'] = {}): ManagedClusterAddOn {
  return {
    apiVersion: ADDON_API_VERSION,
    kind: 'ManagedClusterAddOn',
    metadata: { name: ADDON_NAME, namespace: cluster, uid: `uid-${cluster}`, resourceVersion: '1' },
    spec,
  };
}

export function newCma(opts: CmaOptions = {}, uid = 'cma-uid'): ClusterManagementAddOn {
  const cma = renderClusterManagementAddOn(opts);
  cma.metadata.uid = uid;
  return cma;
}

export function newDeploymentConfig(
  namespace: string,
  name: string,
  spec: AddOnDeploymentConfigSpec,
): AddOnDeploymentConfig {
  return {
    apiVersion: ADDON_API_VERSION,
    kind: 'AddOnDeploymentConfig',
    metadata: { name, namespace, generation: 1 },
    spec,
  };
}

export function newDecision(
  namespace: string,
  placement: string,
  clusters: string[],
  index = 0,
): PlacementDecision {
  return {
    apiVersion: 'cluster.open-cluster-management.io/v1beta1',
    kind: 'PlacementDecision',
    metadata: { name: `${placement}-decision-${index}`, namespace, labels: { [PLACEMENT_LABEL]: placement } },
    status: { decisions: clusters.map((clusterName) => ({ clusterName, reason: '' })) },
  };
}

export function newWork(
  cluster: string,
  applied?: 'True' | 'False',
  extra: Partial<ManifestWork['metadata']> = {},
): ManifestWork {
  return {
    apiVersion: WORK_API_VERSION,
    kind: 'ManifestWork',
    metadata: { name: DEPLOY_WORK_NAME, namespace: cluster, generation: 1, ...extra },
    spec: { workload: { manifests: [] } },
    status: applied
      ? {
          conditions: [
            {
              type: 'Applied',
              status: applied,
              reason: 'AppliedManifestWorkComplete',
              message: 'm',
              observedGeneration: 1,
            },
          ],
        }
      : {},
  };
}

export function testSettings(over: Partial<AgentRenderSettings> = {}): AgentRenderSettings {
  return {
    agentImage: 'quay.io/ocm-fl/spoke-agent:v0.1.0',
    caBundlePem: FAKE_CA_PEM,
    logLevel: 'info',
    ...over,
  };
}
