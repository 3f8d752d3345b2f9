import { describe, it, expect } from '@jest/globals';
import type { FederatedLearningTask } from '../task.js';
import type { JsonSchemaProps } from './crd.js';
import { federatedLearningTaskCrd } from './federated-learning-task.js';

/** A task with every typed field set, so the walk below covers the whole type. */
const full: FederatedLearningTask = {
  apiVersion: 'federation-ai.open-cluster-management.io/v1alpha1',
  kind: 'FederatedLearningTask',
  metadata: { name: 't', namespace: 'ns' },
  spec: {
    job: { namespace: 'fl', name: 'mnist', uid: 'u' },
    cluster: 'c1',
    aggregator: { endpoint: 'agg.hub:443', serverName: 'agg' },
    trainer: {
      image: 'trainer:1',
      command: ['python'],
      args: ['train.py'],
      env: [{ name: 'A', value: 'b' }],
      resources: { requests: { cpu: '1' }, limits: { memory: '1Gi' } },
      nodeSelector: { a: 'b' },
      tolerations: [{ key: 'k' }],
    },
    data: {
      location: '/data',
      claim: 'c',
      volume: { hostPath: '/d', persistentVolumeClaim: 'p', mountPath: '/m' },
    },
    parameters: { epochs: 1, lr: 0.1, shuffle: true, name: 'x' },
    rounds: 3,
    roundTimeoutSeconds: 600,
  },
  status: {
    phase: 'Training',
    round: 1,
    message: 'm',
    lastError: 'e',
    lastUpdate: { round: 1, digest: 'd', bytes: 10, examples: 5 },
    metrics: { loss: 0.5 },
    certificateExpiry: '2026-01-01T00:00:00Z',
    conditions: [
      {
        type: 'Ready',
        status: 'True',
        reason: 'r',
        message: 'm',
        lastTransitionTime: '2026-01-01T00:00:00Z',
        observedGeneration: 1,
      },
    ],
    observedGeneration: 1,
  },
};

function typeOf(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

/** Every field of `value` must be allowed by `schema` with a compatible type. */
function check(schema: JsonSchemaProps, value: unknown, path: string, errors: string[]): void {
  if (schema['x-kubernetes-preserve-unknown-fields'] || schema['x-kubernetes-int-or-string']) return;
  const t = typeOf(value);
  if (schema.type && !(schema.type === t || (schema.type === 'number' && t === 'integer'))) {
    errors.push(`${path}: ${t} vs schema ${schema.type}`);
    return;
  }
  if (schema.enum && !schema.enum.includes(value as string)) errors.push(`${path}: not in enum`);
  if (Array.isArray(value)) value.forEach((v, i) => check(schema.items ?? {}, v, `${path}[${i}]`, errors));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const sub =
        schema.properties?.[k] ??
        (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
      if (!sub) {
        if (!(path === '.metadata')) errors.push(`${path}.${k}: not in schema`);
        continue;
      }
      check(sub, v, `${path}.${k}`, errors);
    }
  }
}

describe('FederatedLearningTask CRD', () => {
  const crd = federatedLearningTaskCrd();
  const v = crd.spec!.versions[0]!;

  it('names, scope, status subresource and printer columns', () => {
    expect(crd.metadata.name).toBe('federatedlearningtasks.federation-ai.open-cluster-management.io');
    expect(crd.spec?.scope).toBe('Namespaced');
    expect(v.subresources).toEqual({ status: {} });
    expect(v.additionalPrinterColumns?.map((c) => c.name)).toEqual(['PHASE', 'ROUND', 'AGE']);
  });

  it('the schema accepts every typed field', () => {
    const errors: string[] = [];
    check(v.schema.openAPIV3Schema, full, '', errors);
    expect(errors).toEqual([]);
  });

  it('the schema rejects a field the type does not have', () => {
    const errors: string[] = [];
    check(v.schema.openAPIV3Schema, { ...full, spec: { ...full.spec, bogus: 1 } }, '', errors);
    expect(errors).toEqual(['.spec.bogus: not in schema']);
  });

  it('requires the spec fields the type requires', () => {
    expect(v.schema.openAPIV3Schema.properties?.spec?.required).toEqual([
      'job',
      'cluster',
      'aggregator',
      'trainer',
      'data',
      'rounds',
    ]);
  });
});
