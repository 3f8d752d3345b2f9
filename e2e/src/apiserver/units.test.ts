import { describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { evalJsonPath } from './jsonpath.js';
import { mergePatch, strategicMergePatch } from './patch.js';
import { checkCustomResource } from './schema.js';
import { matchesLabels, parseLabelSelector } from './selectors.js';
import { startApiServer } from './index.js';

describe('label selectors', () => {
  it.each([
    ['a=1', { a: '1' }, true],
    ['a=1', { a: '2' }, false],
    ['a!=1', {}, true],
    ['a in (1, 2),b', { a: '2', b: '' }, true],
    ['a notin (1)', { a: '1' }, false],
    ['!a', { b: '1' }, true],
    ['a,!b', { a: 'x', b: 'y' }, false],
  ])('%s on %j is %s', (sel, labels, want) => {
    expect(matchesLabels(parseLabelSelector(sel), labels)).toBe(want);
  });

  it('rejects garbage', () => {
    expect(() => parseLabelSelector('a in 1')).toThrow('unable to parse requirement');
  });
});

describe('patches', () => {
  it('merge patch removes nulls and replaces lists', () => {
    expect(mergePatch({ a: { b: 1, c: 2 }, l: [1, 2] }, { a: { b: null }, l: [3] })).toEqual({
      a: { c: 2 },
      l: [3],
    });
  });

  it('strategic merge honours $patch: delete, finalizer sets and Service ports by port', () => {
    const svc = {
      spec: {
        ports: [
          { port: 80, name: 'http' },
          { port: 443, name: 'https' },
        ],
      },
      metadata: { finalizers: ['a'] },
    };
    const out = strategicMergePatch(
      svc,
      { spec: { ports: [{ port: 443, $patch: 'delete' }, { port: 8080 }] }, metadata: { finalizers: ['b'] } },
      'Service',
    );
    expect(out).toEqual({
      spec: { ports: [{ port: 80, name: 'http' }, { port: 8080 }] },
      metadata: { finalizers: ['a', 'b'] },
    });
  });
});

describe('CRD schemas', () => {
  const schema = {
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        properties: {
          n: { type: 'integer', minimum: 0, exclusiveMinimum: true },
          s: { type: 'string', pattern: '^[a-z]+$', maxLength: 3 },
          l: { type: 'array', maxItems: 1, items: { type: 'string' } },
          free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
          ios: { 'x-kubernetes-int-or-string': true },
        },
      },
    },
  };

  it('reports each violation at its field path', () => {
    const obj = { spec: { n: 0, s: 'ABCD', l: ['a', 'b'], ios: 'x', free: { any: 1 } } };
    const causes = checkCustomResource(obj, schema);
    expect(causes.map((c) => c.field).sort()).toEqual(['spec.l', 'spec.n', 'spec.s', 'spec.s']);
  });

  it('prunes unknown fields except under preserve-unknown-fields', () => {
    const obj = { spec: { n: 1, junk: 1, free: { keep: true } }, top: 1 };
    const pruned: string[] = [];
    expect(checkCustomResource(obj, schema, pruned)).toEqual([]);
    expect(obj).toEqual({ spec: { n: 1, free: { keep: true } } });
    expect(pruned.sort()).toEqual(['spec.junk', 'top']);
  });
});

describe('printer-column JSONPath', () => {
  it('follows fields, indexes and filters', () => {
    const o = {
      status: {
        conditions: [
          { type: 'A', status: 'False' },
          { type: 'Ready', status: 'True' },
        ],
      },
    };
    expect(evalJsonPath(o, '.status.conditions[?(@.type=="Ready")].status')).toEqual(['True']);
    expect(evalJsonPath(o, '.status.conditions[0].type')).toEqual(['A']);
    expect(evalJsonPath(o, '.status.missing')).toEqual([]);
  });
});

describe('persistence', () => {
  it('keeps objects, resourceVersions and credentials across a restart with the same data dir', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'apiserver-state-'));
    try {
      const first = await startApiServer({ dataDir });
      const kubeconfig = first.kubeconfig();
      const made = await first
        .kubeConfig()
        .makeApiClient(CoreV1Api)
        .createNamespacedConfigMap({
          namespace: 'default',
          body: { metadata: { name: 'kept' }, data: { a: 'b' } },
        });
      await first.close();
      const second = await startApiServer({ dataDir });
      try {
        expect(second.kubeconfig().replace(/server: .*/, '')).toBe(kubeconfig.replace(/server: .*/, ''));
        const core = second.kubeConfig().makeApiClient(CoreV1Api);
        const got = await core.readNamespacedConfigMap({ namespace: 'default', name: 'kept' });
        expect(got.metadata?.uid).toBe(made.metadata?.uid);
        const next = await core.createNamespacedConfigMap({
          namespace: 'default',
          body: { metadata: { name: 'after' } },
        });
        expect(Number(next.metadata?.resourceVersion)).toBeGreaterThan(
          Number(made.metadata?.resourceVersion),
        );
      } finally {
        await second.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
