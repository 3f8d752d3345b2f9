/**
 * CRD of FederatedLearning (../federated-learning.ts), served on the hub. The chart copy
 * (charts/federated-learning/crds/federatedlearning.yaml) is generated from this by
 * hub-manager/src/fl/write-crd.ts; a test fails when the two drift.
 */
import { FL_GROUP, FL_VERSION } from '../../names.js';
import {
  CLIENT_LOSS_POLICIES,
  DEFAULT_FRAMEWORK,
  FL_KIND,
  FL_PLURAL,
  FL_SINGULAR,
  FRAMEWORKS,
  LISTENER_TYPES,
  STORAGE_TYPES,
  STRATEGIES,
} from '../federated-learning.js';
import { CRD_API_VERSION, type CustomResourceDefinition, type JsonSchemaProps } from './crd.js';

/** JsonSchemaProps plus `default`, which the shared type does not carry. */
export interface Schema extends Omit<JsonSchemaProps, 'properties' | 'items' | 'additionalProperties'> {
  default?: unknown;
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: Schema | boolean;
}

const str: Schema = { type: 'string' };
const int: Schema = { type: 'integer' };
const num: Schema = { type: 'number' };
const strings: Schema = { type: 'array', items: str };
const open: Schema = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
const quantityMap: Schema = { type: 'object', additionalProperties: { 'x-kubernetes-int-or-string': true } };
const resources: Schema = { type: 'object', properties: { requests: quantityMap, limits: quantityMap } };
const env: Schema = {
  type: 'array',
  items: {
    type: 'object',
    required: ['name'],
    properties: { name: { type: 'string', minLength: 1 }, value: str },
  },
};
/** Training/strategy parameters: string, number or boolean values, checked by the controller. */
const parameters: Schema = {
  type: 'object',
  additionalProperties: { 'x-kubernetes-preserve-unknown-fields': true },
};

const selectorRequirements: Schema = {
  type: 'array',
  items: {
    type: 'object',
    required: ['key', 'operator'],
    properties: { key: str, operator: str, values: strings },
  },
};
const labelSelector: Schema = {
  type: 'object',
  properties: {
    matchLabels: { type: 'object', additionalProperties: { type: 'string' } },
    matchExpressions: selectorRequirements,
  },
};

/** cluster.open-cluster-management.io/v1beta1 PlacementSpec, as far as FL uses it. */
const placement: Schema = {
  type: 'object',
  properties: {
    clusterSets: strings,
    numberOfClusters: { type: 'integer', minimum: 0 },
    predicates: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          requiredClusterSelector: {
            type: 'object',
            properties: {
              labelSelector,
              claimSelector: { type: 'object', properties: { matchExpressions: selectorRequirements } },
              celSelector: { type: 'object', properties: { celExpressions: strings } },
            },
          },
        },
      },
    },
    prioritizerPolicy: {
      type: 'object',
      properties: {
        mode: { type: 'string', enum: ['Additive', 'Exact'], default: 'Additive' },
        configurations: { type: 'array', items: open },
      },
    },
    tolerations: { type: 'array', items: open },
    decisionStrategy: open,
    spreadPolicy: open,
  },
};

const listener: Schema = {
  type: 'object',
  properties: {
    name: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 15 },
    port: { type: 'integer', minimum: 1, maximum: 65535, default: 8080 },
    type: { type: 'string', enum: [...LISTENER_TYPES] },
    ip: str,
  },
};

const storage: Schema = {
  type: 'object',
  properties: {
    type: { type: 'string', enum: [...STORAGE_TYPES], default: 'PersistentVolumeClaim' },
    name: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$', maxLength: 253 },
    path: { type: 'string', pattern: '^/', default: '/data/models' },
    size: { type: 'string', pattern: '^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$' },
    storageClassName: str,
    s3: {
      type: 'object',
      required: ['bucketName'],
      properties: { bucketName: str, region: str, prefix: str },
    },
  },
};

const spec: Schema = {
  type: 'object',
  properties: {
    framework: { type: 'string', enum: [...FRAMEWORKS], default: DEFAULT_FRAMEWORK },
    server: {
      type: 'object',
      default: {},
      properties: {
        image: str,
        rounds: { type: 'integer', minimum: 1, maximum: 100000, default: 1 },
        minAvailableClients: { type: 'integer', minimum: 1, default: 1 },
        listeners: { type: 'array', items: listener },
        storage,
        superlink: str,
        initialModel: str,
        resources,
      },
    },
    client: {
      type: 'object',
      properties: {
        image: str,
        placement,
        command: strings,
        args: strings,
        env,
        resources,
        supernode: str,
      },
    },
    strategy: {
      type: 'object',
      default: {},
      properties: { name: { type: 'string', enum: [...STRATEGIES], default: 'FedAvg' }, parameters },
    },
    roundTimeoutSeconds: { type: 'integer', minimum: 1, maximum: 604800, default: 600 },
    minClientsPerRound: { type: 'integer', minimum: 1 },
    failurePolicy: {
      type: 'object',
      default: {},
      properties: {
        onClientLoss: { type: 'string', enum: [...CLIENT_LOSS_POLICIES], default: 'Replace' },
        maxRoundRetries: { type: 'integer', minimum: 0, maximum: 100, default: 3 },
      },
    },
    training: { type: 'object', properties: { parameters } },
    evaluation: { type: 'object', properties: { image: str, command: strings, args: strings, env } },
  },
};

const condition: Schema = {
  type: 'object',
  required: ['type', 'status'],
  properties: {
    type: str,
    status: { type: 'string', enum: ['True', 'False', 'Unknown'] },
    reason: str,
    message: str,
    lastTransitionTime: { type: 'string', format: 'date-time' },
    observedGeneration: int,
  },
};
const numberMap: Schema = { type: 'object', additionalProperties: num };

const status: Schema = {
  type: 'object',
  properties: {
    phase: { type: 'string', enum: ['Waiting', 'Running', 'Completed', 'Failed', 'Start'] },
    message: str,
    conditions: {
      type: 'array',
      items: condition,
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['type'],
    },
    listeners: {
      type: 'array',
      items: { type: 'object', properties: { name: str, type: str, address: str, port: int } },
    },
    clients: {
      type: 'array',
      items: {
        type: 'object',
        required: ['cluster', 'state'],
        properties: { cluster: str, state: str, lastRound: int, examples: int, lastError: str },
      },
    },
    rounds: {
      type: 'array',
      items: {
        type: 'object',
        required: ['round'],
        properties: {
          round: int,
          participants: strings,
          examples: int,
          metrics: numberMap,
          durationSeconds: num,
          modelDigest: str,
        },
      },
    },
    roundProgress: str,
    activeClients: int,
    lastMetric: str,
    model: { type: 'object', properties: { location: str, digest: str } },
    evaluation: {
      type: 'object',
      properties: { accuracy: num, perClassAccuracy: numberMap, examples: int },
    },
    startTime: { type: 'string', format: 'date-time' },
    completionTime: { type: 'string', format: 'date-time' },
    observedGeneration: int,
  },
};

/** The CRD object; a fresh copy per call so callers may mutate it. */
export function federatedLearningCrd(): CustomResourceDefinition {
  return {
    apiVersion: CRD_API_VERSION,
    kind: 'CustomResourceDefinition',
    metadata: { name: `${FL_PLURAL}.${FL_GROUP}` },
    spec: {
      group: FL_GROUP,
      scope: 'Namespaced',
      names: {
        plural: FL_PLURAL,
        singular: FL_SINGULAR,
        kind: FL_KIND,
        listKind: `${FL_KIND}List`,
        shortNames: ['fl'],
        categories: ['federated-learning'],
      },
      versions: [
        {
          name: FL_VERSION,
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: JSON.parse(
              JSON.stringify({
                type: 'object',
                description: 'A federated training job across the clusters chosen by a Placement.',
                properties: { apiVersion: str, kind: str, metadata: { type: 'object' }, spec, status },
              }),
            ) as JsonSchemaProps,
          },
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: 'PHASE', type: 'string', jsonPath: '.status.phase' },
            { name: 'ROUND', type: 'string', jsonPath: '.status.roundProgress' },
            { name: 'CLIENTS', type: 'integer', jsonPath: '.status.activeClients' },
            { name: 'METRIC', type: 'string', jsonPath: '.status.lastMetric' },
            { name: 'AGE', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
        },
      ],
    },
  };
}
