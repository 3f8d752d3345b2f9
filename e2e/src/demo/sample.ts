/**
 * The FederatedLearning resource of the demo: the upstream OCM sample's shape (same fields,
 * ClusterClaim and listener), with this project's framework and images.
 */
import type { FederatedLearning } from '@ocm-fl/common/api/federated-learning.js';
import { FL_API_VERSION } from '@ocm-fl/common/names.js';
import { IMAGES } from '../scenarios/images.js';

export const DATA_CLAIM = 'federated-learning-sample.client-data';

export interface SampleOptions {
  name?: string;
  namespace?: string;
  rounds?: number;
  minAvailableClients?: number;
  trainerImage?: string;
  parameters?: Record<string, string | number | boolean>;
  roundTimeoutSeconds?: number;
}

export function sampleFederatedLearning(o: SampleOptions = {}): FederatedLearning {
  return {
    apiVersion: FL_API_VERSION,
    kind: 'FederatedLearning',
    metadata: { name: o.name ?? 'federated-learning-sample', namespace: o.namespace ?? 'default' },
    spec: {
      framework: 'native',
      server: {
        image: IMAGES.hubManager,
        rounds: o.rounds ?? 10,
        minAvailableClients: o.minAvailableClients ?? 2,
        listeners: [{ name: 'server-listener', port: 8080, type: 'LoadBalancer' }],
        storage: { type: 'PersistentVolumeClaim', name: 'model-pvc', path: '/data/models', size: '2Gi' },
      },
      client: {
        image: o.trainerImage ?? IMAGES.mnistTrainer,
        placement: {
          predicates: [
            {
              requiredClusterSelector: {
                claimSelector: { matchExpressions: [{ key: DATA_CLAIM, operator: 'Exists' }] },
              },
            },
          ],
        },
      },
      training: { parameters: o.parameters ?? { epochs: 1, lr: 0.2, batchSize: 32 } },
      ...(o.roundTimeoutSeconds ? { roundTimeoutSeconds: o.roundTimeoutSeconds } : {}),
      evaluation: { image: o.trainerImage ?? IMAGES.mnistTrainer },
    },
  };
}
