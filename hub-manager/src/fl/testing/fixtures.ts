/** Fixture builders for FL controller tests. */
import type { FederatedLearning } from '@ocm-fl/common/api/federated-learning.js';
import type { ManagedCluster, ManagedClusterAddOn, ManifestWork } from '@ocm-fl/common/api/ocm.js';
import { ADDON_API_VERSION, CLUSTER_API_VERSION } from '@ocm-fl/common/api/ocm.js';
import { ADDON_NAME, FL_API_VERSION } from '@ocm-fl/common/names.js';
import type { JobState } from '../progress.js';
import type { Observed } from '../plan.js';

/** The upstream sample's shape, with this project's framework and trainer image. */
export function newFl(spec: Partial<NonNullable<FederatedLearning['spec']>> = {}): FederatedLearning {
  return {
    apiVersion: FL_API_VERSION,
    kind: 'FederatedLearning',
    metadata: { name: 'federated-learning-sample', namespace: 'default', uid: '1111-2222', generation: 1 },
    spec: {
      framework: 'native',
      server: {
        rounds: 3,
        minAvailableClients: 2,
        listeners: [{ name: 'server-listener', port: 8080, type: 'LoadBalancer' }],
        storage: { type: 'PersistentVolumeClaim', name: 'model-pvc', path: '/data/models', size: '2Gi' },
      },
      client: {
        image: 'ocm-fl/mnist-trainer:dev',
        placement: {
          clusterSets: ['global'],
          predicates: [
            {
              requiredClusterSelector: {
                claimSelector: {
                  matchExpressions: [{ key: 'federated-learning-sample.client-data', operator: 'Exists' }],
                },
              },
            },
          ],
        },
      },
      ...spec,
    },
  };
}

export function newCluster(name: string, dataPath = `/data/private/${name}`): ManagedCluster {
  return {
    apiVersion: CLUSTER_API_VERSION,
    kind: 'ManagedCluster',
    metadata: { name },
    status: { clusterClaims: [{ name: 'federated-learning-sample.client-data', value: dataPath }] },
  };
}

export function newAddon(cluster: string, available = true): ManagedClusterAddOn {
  return {
    apiVersion: ADDON_API_VERSION,
    kind: 'ManagedClusterAddOn',
    metadata: { name: ADDON_NAME, namespace: cluster },
    spec: { installNamespace: 'open-cluster-management-agent-addon' },
    status: {
      conditions: [{ type: 'Available', status: available ? 'True' : 'False', reason: 'x', message: '' }],
    },
  };
}

export function workWithFeedback(cluster: string, values: Record<string, string | number>): ManifestWork {
  return {
    apiVersion: 'work.open-cluster-management.io/v1',
    kind: 'ManifestWork',
    metadata: { name: 'w', namespace: cluster },
    status: {
      resourceStatus: {
        manifests: [
          {
            resourceMeta: { ordinal: 0, group: '', version: '', kind: '', resource: '', name: '' },
            statusFeedback: {
              values: Object.entries(values).map(([name, v]) => ({
                name,
                fieldValue:
                  typeof v === 'number'
                    ? { type: 'Integer' as const, integer: v }
                    : { type: 'String' as const, string: v },
              })),
            },
          },
        ],
      },
    },
  };
}

export function jobState(phase: JobState['phase'], completedRounds: number, rounds = 3): JobState {
  return {
    jobId: 'default/federated-learning-sample',
    phase,
    message: phase === 'failed' ? 'round 2 failed 3 times: too few updates' : '',
    rounds,
    completedRounds,
    modelSha256: 'abc123',
    modelSize: 100,
    history: Array.from({ length: completedRounds }, (_, i) => ({
      round: i + 1,
      attempt: 0,
      participants: ['cluster2', 'cluster1'],
      failed: [],
      stragglers: [],
      examples: 1200,
      metrics: { accuracy: 0.5 + i * 0.1, loss: 1 / (i + 1) },
      durationMs: 1500,
      sha256: `digest-${i + 1}`,
      outcome: 'aggregated' as const,
      closedAt: '2025-01-01T00:00:00Z',
    })),
    clients: { cluster1: { state: 'submitted', round: completedRounds, lastSeen: '', examples: 600 } },
    updatedAt: '2025-01-01T00:00:00Z',
  };
}

/** Observed world with `clusters` decided and available, aggregator running with a LB address. */
export function observed(fl: FederatedLearning, clusters: string[], over: Partial<Observed> = {}): Observed {
  return {
    fl,
    decided: clusters,
    clusters: new Map(clusters.map((c) => [c, newCluster(c)])),
    addons: new Map(clusters.map((c) => [c, newAddon(c)])),
    works: new Map(),
    listeners: [{ name: 'server-listener', type: 'LoadBalancer', address: '10.0.0.5', port: 8080 }],
    serverName: 'fl-federated-learning-sample-server-listener.default.svc',
    aggregator: 'Active',
    evaluationJob: 'Absent',
    modelLocation: 'pvc://default/model-pvc/default-federated-learning-sample/final.safetensors',
    ...over,
  };
}
