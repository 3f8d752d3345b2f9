import { describe, expect, it } from '@jest/globals';
import type { KubeObject } from '@ocm-fl/common/api/meta.js';
import { feedbackValues, fieldValueAt } from './feedback.js';
import { evalJsonPath, parseJsonPath } from './jsonpath.js';

const task = {
  apiVersion: 'federation-ai.open-cluster-management.io/v1alpha1',
  kind: 'FederatedLearningTask',
  metadata: { name: 't' },
  status: {
    phase: 'Training',
    round: 3,
    accuracy: 0.93,
    ready: true,
    lastUpdate: { examples: 1200, digest: 'sha256:abc' },
    metrics: { loss: 0.2, acc: 0.9 },
    conditions: [
      { type: 'Ready', status: 'True' },
      { type: 'Complete', status: 'False' },
    ],
  },
} as KubeObject;

describe('jsonpath', () => {
  it('selects fields, indexes, wildcards and filters', () => {
    expect(evalJsonPath(task, '.status.phase')).toEqual(['Training']);
    expect(evalJsonPath(task, '{.status.lastUpdate.examples}')).toEqual([1200]);
    expect(evalJsonPath(task, '.status.conditions[1].type')).toEqual(['Complete']);
    expect(evalJsonPath(task, '.status.conditions[-1].type')).toEqual(['Complete']);
    expect(evalJsonPath(task, '.status.conditions[*].type')).toEqual(['Ready', 'Complete']);
    expect(evalJsonPath(task, '.status.conditions[?(@.type=="Ready")].status')).toEqual(['True']);
    expect(evalJsonPath(task, ".status.conditions[?(@.type!='Ready')].type")).toEqual(['Complete']);
    expect(evalJsonPath(task, ".metadata['name']")).toEqual(['t']);
    expect(evalJsonPath(task, '.status.missing.deeper')).toEqual([]);
  });
  it('rejects syntax it does not support', () => {
    expect(() => parseJsonPath('.status..phase')).toThrow(/unsupported JSONPath/);
  });
});

describe('feedback values', () => {
  it('types values like the work agent', () => {
    expect(fieldValueAt(task, 'p', '.status.phase')).toEqual({ type: 'String', string: 'Training' });
    expect(fieldValueAt(task, 'r', '.status.round')).toEqual({ type: 'Integer', integer: 3 });
    expect(fieldValueAt(task, 'b', '.status.ready')).toEqual({ type: 'Boolean', boolean: true });
    expect(fieldValueAt(task, 'a', '.status.accuracy')).toEqual({ type: 'JsonRaw', jsonRaw: '0.93' });
    expect(fieldValueAt(task, 'm', '.status.metrics')).toEqual({
      type: 'JsonRaw',
      jsonRaw: '{"loss":0.2,"acc":0.9}',
    });
    expect(fieldValueAt(task, 'l', '.status.conditions[*].status')).toEqual({
      type: 'JsonRaw',
      jsonRaw: '["True","False"]',
    });
    expect(fieldValueAt(task, 'x', '.status.nothing')).toBeUndefined();
  });

  it('refuses JsonRaw values over 1024 bytes', () => {
    const big = { ...task, status: { blob: { s: 'x'.repeat(2000) } } };
    expect(() => fieldValueAt(big, 'blob', '.status.blob')).toThrow(/larger than the maximum length 1024/);
  });

  it('evaluates JSONPaths rules and reports errors without dropping the good values', () => {
    const r = feedbackValues(task, [
      {
        type: 'JSONPaths',
        jsonPaths: [
          { name: 'phase', path: '.status.phase' },
          { name: 'examples', path: '.status.lastUpdate.examples' },
          { name: 'wrongVersion', path: '.status.phase', version: 'v2' },
          { name: 'bad', path: '.status[' },
        ],
      },
    ]);
    expect(r.values.map((v) => v.name)).toEqual(['phase', 'examples']);
    expect(r.errors).toHaveLength(2);
  });

  it('knows the well-known status of Deployments, Jobs and Pods', () => {
    const deploy = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {},
      status: { replicas: 2, readyReplicas: 1, availableReplicas: 1 },
    } as KubeObject;
    expect(feedbackValues(deploy, [{ type: 'WellKnownStatus' }]).values).toEqual([
      { name: 'ReadyReplicas', fieldValue: { type: 'Integer', integer: 1 } },
      { name: 'Replicas', fieldValue: { type: 'Integer', integer: 2 } },
      { name: 'AvailableReplicas', fieldValue: { type: 'Integer', integer: 1 } },
    ]);
    const job = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {},
      status: { succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] },
    } as KubeObject;
    expect(feedbackValues(job, [{ type: 'WellKnownStatus' }]).values).toEqual([
      { name: 'JobComplete', fieldValue: { type: 'String', string: 'True' } },
      { name: 'JobSucceeded', fieldValue: { type: 'Integer', integer: 1 } },
    ]);
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: {}, status: { phase: 'Running' } } as KubeObject;
    expect(feedbackValues(pod, [{ type: 'WellKnownStatus' }]).values).toEqual([
      { name: 'PodPhase', fieldValue: { type: 'String', string: 'Running' } },
    ]);
    expect(feedbackValues(task, [{ type: 'WellKnownStatus' }]).errors[0]).toMatch(
      /cannot find the wellknown statuses/,
    );
  });
});
