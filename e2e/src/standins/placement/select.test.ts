import { describe, expect, it } from '@jest/globals';
import type { ManagedCluster, Placement } from '@ocm-fl/common/api/ocm.js';
import { CLUSTER_SET_LABEL, selectClusters, type SelectionInput } from './select.js';
import type { ManagedClusterSet } from './types.js';

function newCluster(
  name: string,
  o: {
    labels?: Record<string, string>;
    claims?: Record<string, string>;
    cpu?: string;
    memory?: string;
    taints?: unknown[];
  } = {},
): ManagedCluster {
  return {
    apiVersion: 'cluster.open-cluster-management.io/v1',
    kind: 'ManagedCluster',
    metadata: { name, labels: { [CLUSTER_SET_LABEL]: 'default', ...o.labels } },
    spec: { hubAcceptsClient: true, ...(o.taints ? { taints: o.taints as never } : {}) },
    status: {
      clusterClaims: Object.entries(o.claims ?? {}).map(([n, value]) => ({ name: n, value })),
      ...({
        allocatable: { ...(o.cpu ? { cpu: o.cpu } : {}), ...(o.memory ? { memory: o.memory } : {}) },
      } as object),
    },
  };
}

const newSet = (name: string, selector?: ManagedClusterSet['spec']): ManagedClusterSet => ({
  apiVersion: 'cluster.open-cluster-management.io/v1beta2',
  kind: 'ManagedClusterSet',
  metadata: { name },
  spec: selector ?? { clusterSelector: { selectorType: 'ExclusiveClusterSetLabel' } },
});
const GLOBAL = newSet('global', { clusterSelector: { selectorType: 'LabelSelector', labelSelector: {} } });

const newPlacement = (spec: Placement['spec']): Placement => ({
  apiVersion: 'cluster.open-cluster-management.io/v1beta1',
  kind: 'Placement',
  metadata: { name: 'p', namespace: 'ns' },
  spec,
});

const fleet = [
  newCluster('c1', { labels: { env: 'prod' }, claims: { 'fl.data': '/data/1' }, cpu: '4', memory: '8Gi' }),
  newCluster('c2', { labels: { env: 'dev' }, claims: { 'fl.data': '/data/2' }, cpu: '16', memory: '4Gi' }),
  newCluster('c3', { labels: { env: 'prod' }, cpu: '8', memory: '32Gi' }),
  newCluster('other', {
    labels: { [CLUSTER_SET_LABEL]: 'edge', env: 'prod' },
    claims: { 'fl.data': '/x' },
    cpu: '64',
  }),
];

function run(spec: Placement['spec'], o: Partial<SelectionInput> = {}): ReturnType<typeof selectClusters> {
  return selectClusters({
    placement: newPlacement(spec),
    clusters: fleet,
    clusterSets: [newSet('default'), newSet('edge'), GLOBAL],
    bindings: ['default'],
    previousDecisions: [],
    ...o,
  });
}

describe('selectClusters', () => {
  const cases: {
    name: string;
    spec: Placement['spec'];
    o?: Partial<SelectionInput>;
    want: string[];
    reason: string;
  }[] = [
    {
      name: 'all members of the bound set',
      spec: {},
      want: ['c1', 'c2', 'c3'],
      reason: 'AllDecisionsScheduled',
    },
    {
      name: 'global set binds every cluster',
      spec: {},
      o: { bindings: ['global'] },
      want: ['c1', 'c2', 'c3', 'other'],
      reason: 'AllDecisionsScheduled',
    },
    {
      name: 'no binding selects nothing',
      spec: {},
      o: { bindings: [] },
      want: [],
      reason: 'NoManagedClusterSetBindings',
    },
    {
      name: 'binding to a set that does not exist is invalid',
      spec: {},
      o: { bindings: ['nope'] },
      want: [],
      reason: 'NoManagedClusterSetBindings',
    },
    {
      name: 'clusterSets intersect with bindings',
      spec: { clusterSets: ['edge'] },
      want: [],
      reason: 'NoIntersection',
    },
    {
      name: 'clusterSets pick among bound sets',
      spec: { clusterSets: ['edge'] },
      o: { bindings: ['default', 'edge'] },
      want: ['other'],
      reason: 'AllDecisionsScheduled',
    },
    {
      name: 'label selector matchLabels',
      spec: {
        predicates: [{ requiredClusterSelector: { labelSelector: { matchLabels: { env: 'prod' } } } }],
      },
      want: ['c1', 'c3'],
      reason: 'AllDecisionsScheduled',
    },
    {
      name: 'claim selector Exists',
      spec: {
        predicates: [
          {
            requiredClusterSelector: {
              claimSelector: { matchExpressions: [{ key: 'fl.data', operator: 'Exists' }] },
            },
          },
        ],
      },
      want: ['c1', 'c2'],
      reason: 'AllDecisionsScheduled',
    },
    {
      name: 'label and claim selectors are ANDed within a predicate',
      spec: {
        predicates: [
          {
            requiredClusterSelector: {
              labelSelector: { matchExpressions: [{ key: 'env', operator: 'In', values: ['prod'] }] },
              claimSelector: { matchExpressions: [{ key: 'fl.data', operator: 'Exists' }] },
            },
          },
        ],
      },
      want: ['c1'],
      reason: 'AllDecisionsScheduled',
    },
    {
      name: 'predicates are ORed',
      spec: {
        predicates: [
          { requiredClusterSelector: { labelSelector: { matchLabels: { env: 'dev' } } } },
          {
            requiredClusterSelector: {
              claimSelector: { matchExpressions: [{ key: 'fl.data', operator: 'DoesNotExist' }] },
            },
          },
        ],
      },
      want: ['c2', 'c3'],
      reason: 'AllDecisionsScheduled',
    },
    {
      name: 'nothing matches',
      spec: { predicates: [{ requiredClusterSelector: { labelSelector: { matchLabels: { env: 'qa' } } } }] },
      want: [],
      reason: 'NoManagedClusterMatched',
    },
    {
      name: 'numberOfClusters larger than feasible',
      spec: { numberOfClusters: 5 },
      want: ['c1', 'c2', 'c3'],
      reason: 'NotAllDecisionsScheduled',
    },
    {
      name: 'ResourceAllocatableCPU picks the largest',
      spec: {
        numberOfClusters: 2,
        prioritizerPolicy: {
          mode: 'Exact',
          configurations: [
            { scoreCoordinate: { type: 'BuiltIn', builtIn: 'ResourceAllocatableCPU' }, weight: 1 },
          ],
        },
      },
      want: ['c2', 'c3'],
      reason: 'AllDecisionsScheduled',
    },
    {
      name: 'ResourceAllocatableMemory picks the largest',
      spec: {
        numberOfClusters: 1,
        prioritizerPolicy: {
          mode: 'Exact',
          configurations: [
            { scoreCoordinate: { type: 'BuiltIn', builtIn: 'ResourceAllocatableMemory' }, weight: 1 },
          ],
        },
      },
      want: ['c3'],
      reason: 'AllDecisionsScheduled',
    },
    {
      name: 'Steady keeps previous decisions over name order',
      spec: { numberOfClusters: 1 },
      o: { previousDecisions: ['c3'] },
      want: ['c3'],
      reason: 'AllDecisionsScheduled',
    },
    {
      name: 'Balance prefers clusters other placements use less',
      spec: { numberOfClusters: 1 },
      o: {
        otherDecisionCounts: new Map([
          ['c1', 2],
          ['c2', 1],
        ]),
      },
      want: ['c3'],
      reason: 'AllDecisionsScheduled',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = run(c.spec, c.o);
      expect(r.decisions).toEqual(c.want);
      expect(r.satisfied.reason).toBe(c.reason);
      expect(r.satisfied.status).toBe(c.reason === 'AllDecisionsScheduled' ? 'True' : 'False');
    });
  }

  it('NoSelect taints exclude a cluster unless tolerated', () => {
    const tainted = [
      newCluster('t1', {
        taints: [{ key: 'cluster.open-cluster-management.io/unreachable', effect: 'NoSelect' }],
      }),
      fleet[0] as ManagedCluster,
    ];
    expect(run({}, { clusters: tainted }).decisions).toEqual(['c1']);
    const tolerated = run(
      { tolerations: [{ key: 'cluster.open-cluster-management.io/unreachable', operator: 'Exists' }] },
      { clusters: tainted },
    );
    expect(tolerated.decisions).toEqual(['c1', 't1']);
  });

  it('NoSelectIfNew keeps a cluster already decided and tolerationSeconds expire', () => {
    const now = new Date('2024-01-01T00:00:10Z');
    const c = [newCluster('t1', { taints: [{ key: 'k', effect: 'NoSelectIfNew' }] })];
    expect(run({}, { clusters: c, now }).decisions).toEqual([]);
    expect(run({}, { clusters: c, now, previousDecisions: ['t1'] }).decisions).toEqual(['t1']);
    const timed = [
      newCluster('t2', { taints: [{ key: 'k', effect: 'NoSelect', timeAdded: '2024-01-01T00:00:00Z' }] }),
    ];
    const within = run(
      { tolerations: [{ key: 'k', operator: 'Exists', tolerationSeconds: 60 }] },
      { clusters: timed, now },
    );
    expect(within.decisions).toEqual(['t2']);
    expect(within.requeueAt?.toISOString()).toBe('2024-01-01T00:01:00.000Z');
    const after = run(
      { tolerations: [{ key: 'k', operator: 'Exists', tolerationSeconds: 5 }] },
      { clusters: timed, now },
    );
    expect(after.decisions).toEqual([]);
  });

  it('reports misconfiguration and selects nothing', () => {
    const r = run({ tolerations: [{ operator: 'Equal', value: 'x' }] });
    expect(r.misconfigured.status).toBe('True');
    expect(r.misconfigured.message).toContain('If the key is empty, operator must be Exists.');
    expect(r.decisions).toEqual([]);
    const bad = run({
      predicates: [
        { requiredClusterSelector: { labelSelector: { matchExpressions: [{ key: 'a', operator: 'Gt' }] } } },
      ],
    });
    expect(bad.misconfigured.status).toBe('True');
    expect(run({}).misconfigured.status).toBe('False');
  });
});
