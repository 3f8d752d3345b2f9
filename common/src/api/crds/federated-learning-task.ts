/**
 * CRD of FederatedLearningTask (../task.ts), installed on each managed cluster by the agent
 * ManifestWork. The schema mirrors the TypeScript types; keep the two in step
 * (federated-learning-task.test.ts checks every typed field has a schema).
 */
import { FL_GROUP, FL_VERSION } from '../../names.js';
import { TASK_KIND, TASK_PLURAL } from '../task.js';
import { CRD_API_VERSION, type CustomResourceDefinition, type JsonSchemaProps } from './crd.js';

const str: JsonSchemaProps = { type: 'string' };
const int: JsonSchemaProps = { type: 'integer' };
const stringMap: JsonSchemaProps = { type: 'object', additionalProperties: { type: 'string' } };
const quantityMap: JsonSchemaProps = {
  type: 'object',
  additionalProperties: { 'x-kubernetes-int-or-string': true },
};

const condition: JsonSchemaProps = {
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

const trainer: JsonSchemaProps = {
  type: 'object',
  required: ['image'],
  properties: {
    image: { type: 'string', minLength: 1 },
    command: { type: 'array', items: str },
    args: { type: 'array', items: str },
    env: {
      type: 'array',
      items: { type: 'object', required: ['name'], properties: { name: str, value: str } },
    },
    resources: { type: 'object', properties: { requests: quantityMap, limits: quantityMap } },
    nodeSelector: stringMap,
    tolerations: { type: 'array', items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
  },
};

const spec: JsonSchemaProps = {
  type: 'object',
  required: ['job', 'cluster', 'aggregator', 'trainer', 'data', 'rounds'],
  properties: {
    job: {
      type: 'object',
      required: ['namespace', 'name'],
      properties: { namespace: str, name: str, uid: str },
    },
    cluster: { type: 'string', minLength: 1 },
    aggregator: {
      type: 'object',
      required: ['endpoint'],
      properties: {
        endpoint: { type: 'string', minLength: 1, description: 'host:port of the aggregator gRPC endpoint' },
        serverName: str,
      },
    },
    trainer,
    data: {
      type: 'object',
      required: ['location'],
      properties: {
        location: str,
        claim: str,
        volume: {
          type: 'object',
          properties: { hostPath: str, persistentVolumeClaim: str, mountPath: str },
        },
      },
    },
    parameters: {
      type: 'object',
      additionalProperties: { 'x-kubernetes-preserve-unknown-fields': true },
    },
    rounds: { type: 'integer', minimum: 1 },
    roundTimeoutSeconds: { type: 'integer', minimum: 1 },
  },
};

const status: JsonSchemaProps = {
  type: 'object',
  properties: {
    phase: {
      type: 'string',
      enum: ['Pending', 'Downloading', 'Training', 'Uploading', 'Waiting', 'Completed', 'Failed'],
    },
    round: int,
    message: str,
    lastError: str,
    lastUpdate: {
      type: 'object',
      properties: { round: int, digest: str, bytes: int, examples: int },
    },
    metrics: { type: 'object', additionalProperties: { type: 'number' } },
    certificateExpiry: { type: 'string', format: 'date-time' },
    conditions: {
      type: 'array',
      items: condition,
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['type'],
    },
    observedGeneration: int,
  },
};

/** The CRD object; a fresh copy per call so callers may mutate it. */
export function federatedLearningTaskCrd(): CustomResourceDefinition {
  return {
    apiVersion: CRD_API_VERSION,
    kind: 'CustomResourceDefinition',
    metadata: { name: `${TASK_PLURAL}.${FL_GROUP}` },
    spec: {
      group: FL_GROUP,
      scope: 'Namespaced',
      names: {
        plural: TASK_PLURAL,
        singular: 'federatedlearningtask',
        kind: TASK_KIND,
        listKind: `${TASK_KIND}List`,
        shortNames: ['flt'],
        categories: ['federated-learning'],
      },
      versions: [
        {
          name: FL_VERSION,
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              required: ['spec'],
              properties: {
                apiVersion: str,
                kind: str,
                metadata: { type: 'object' },
                spec,
                status,
              },
            },
          },
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: 'PHASE', type: 'string', jsonPath: '.status.phase' },
            { name: 'ROUND', type: 'integer', jsonPath: '.status.round' },
            { name: 'AGE', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
        },
      ],
    },
  };
}
