import { describe, expect, it } from '@jest/globals';
import { agentCommonName } from '@ocm-fl/common/names.js';
import { decide, type FleetRequest, type PolicyView } from './fleet-policy.js';
import type { KeyOwner } from './key-registry.js';

const owners: Record<string, KeyOwner> = { K1: { cluster: 'c1', nodeId: '1' } };
const view: PolicyView = {
  admitted: new Set(['c1', 'c2']),
  owner: (k) => owners[k],
  keysOf: (c) => Object.values(owners).filter((o) => o.cluster === c).length,
  maxKeysPerCluster: 1,
};
const req = (over: Partial<FleetRequest>): FleetRequest => ({
  commonName: agentCommonName('c1'),
  method: 'POST',
  path: '/v1/fleet/pull-messages',
  publicKey: 'K1',
  ...over,
});

describe('decide (Flower gateway policy)', () => {
  const cases: [string, Partial<FleetRequest>, string][] = [
    ['a bound key over its own cluster', {}, 'allow'],
    [
      'a new key of an admitted cluster with room',
      { commonName: agentCommonName('c2'), publicKey: 'K2' },
      'register',
    ],
    ['not an agent certificate', { commonName: 'system:admin' }, 'NotAnAgent'],
    ['an unselected cluster', { commonName: agentCommonName('c3') }, 'ClusterNotAdmitted'],
    ['the Control API', { path: '/v1/control/start-run' }, 'PathNotAllowed'],
    ['the Runtime API', { path: '/v1/runtime/pull-messages' }, 'PathNotAllowed'],
    ['an unknown Fleet operation', { path: '/v1/fleet/everything' }, 'PathNotAllowed'],
    ['a path escaping the prefix', { path: '/v1/fleet/../control/start-run' }, 'PathNotAllowed'],
    ['GET on a Fleet path', { method: 'GET' }, 'PathNotAllowed'],
    ['no node key', { publicKey: undefined }, 'MissingNodeKey'],
    ['another cluster’s key', { commonName: agentCommonName('c2') }, 'KeyOfAnotherCluster'],
    ['a second key when the cluster has no room', { publicKey: 'K9' }, 'TooManyKeys'],
  ];
  it.each(cases)('%s', (_name, over, want) => {
    const d = decide(req(over), view);
    const got = d.allow ? (d.register ? 'register' : 'allow') : d.refusal;
    expect(got).toBe(want);
  });
});
