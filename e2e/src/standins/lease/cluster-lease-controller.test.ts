/**
 * The hub cluster lease controller on a real tier-1 fleet: a cluster that stops entirely turns
 * Available=Unknown on the hub with its addons; one whose klusterlet renews again comes back;
 * a cluster that keeps renewing is never touched.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { findCondition } from '@ocm-fl/common/api/meta.js';
import {
  ADDON_API_VERSION,
  CLUSTER_API_VERSION,
  type ManagedCluster,
  type ManagedClusterAddOn,
} from '@ocm-fl/common/api/ocm.js';
import { startFleet, type Fleet } from '../../fleet/fleet.js';
import { waitFor } from '../testing/wait.js';
import { CLUSTER_AVAILABLE } from './cluster-lease.js';
import { ClusterLeaseRenewer } from './cluster-lease-renewer.js';

const ADDON = 'federated-learning';
const NS = 'open-cluster-management-agent-addon';
let fleet: Fleet;

const clusterAvailable = async (c: string): Promise<string | undefined> => {
  const mc = await fleet.hubClient.get<ManagedCluster>(CLUSTER_API_VERSION, 'ManagedCluster', c);
  const cond = findCondition(mc?.status?.conditions, CLUSTER_AVAILABLE);
  return cond && `${cond.status}/${cond.reason}`;
};
const addonAvailable = async (c: string): Promise<string | undefined> => {
  const a = await fleet.hubClient.get<ManagedClusterAddOn>(
    ADDON_API_VERSION,
    'ManagedClusterAddOn',
    ADDON,
    c,
  );
  const cond = findCondition(a?.status?.conditions, 'Available');
  return cond && `${cond.status}/${cond.reason}`;
};

/** What a running agent does on its cluster: keep its addon Lease fresh. */
async function renewAgentLease(c: string): Promise<void> {
  const spoke = fleet.cluster(c).client;
  await spoke.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  await spoke.apply({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: ADDON, namespace: NS },
    spec: { holderIdentity: 'agent', renewTime: new Date().toISOString() },
  });
}

beforeAll(async () => {
  fleet = await startFleet({
    clusters: [{ name: 'c1' }, { name: 'c2' }, { name: 'c3' }],
    clusterLeaseSeconds: 1, // hub grace 5 s
    leasePeriodMs: 200,
    leaseGraceMs: 60_000,
  });
  for (const c of ['c1', 'c2', 'c3']) {
    await fleet.hubClient.create<ManagedClusterAddOn>({
      apiVersion: ADDON_API_VERSION,
      kind: 'ManagedClusterAddOn',
      metadata: { name: ADDON, namespace: c },
      spec: { installNamespace: NS },
    });
    await renewAgentLease(c);
  }
  for (const c of ['c1', 'c2', 'c3'])
    await waitFor(
      `addon on ${c} Available`,
      async () => (await addonAvailable(c))?.startsWith('True/'),
      20_000,
    );
}, 60_000);

afterAll(async () => {
  await fleet?.stop();
});

describe('hub cluster lease controller (tier 1)', () => {
  it('a cluster that stops entirely turns Unknown on the hub, and so does its addon', async () => {
    await fleet.removeCluster('c2');
    await waitFor(
      'c2 Unknown',
      async () => (await clusterAvailable('c2')) === 'Unknown/ManagedClusterLeaseUpdateStopped',
      20_000,
    );
    await waitFor(
      'c2 addon Unknown',
      async () => (await addonAvailable('c2')) === 'Unknown/ManagedClusterLeaseUpdateStopped',
      20_000,
    );
    const addon = await fleet.hubClient.get<ManagedClusterAddOn>(
      ADDON_API_VERSION,
      'ManagedClusterAddOn',
      ADDON,
      'c2',
    );
    expect(findCondition(addon?.status?.conditions, 'Available')?.message).toBe(
      'Registration agent stopped updating its lease.',
    );
    // c1 kept renewing all along: untouched.
    expect(await clusterAvailable('c1')).toBe('True/ManagedClusterAvailable');
    expect(await addonAvailable('c1')).toMatch(/^True\//);
  }, 40_000);

  it('a klusterlet that stops renewing and comes back (a cut link) is Available again', async () => {
    const c3 = fleet.cluster('c3');
    await c3.clusterLease.stop();
    await waitFor('c3 Unknown', async () => (await clusterAvailable('c3'))?.startsWith('Unknown/'), 20_000);
    // The cluster's own agents kept running: once the klusterlet renews again, the cluster is
    // back and the addon lease controller restores the addon's own verdict.
    const renewer = new ClusterLeaseRenewer({ clusterName: 'c3', hub: c3.hubAsKlusterlet });
    await renewer.start();
    try {
      await renewAgentLease('c3');
      await waitFor(
        'c3 Available',
        async () => (await clusterAvailable('c3')) === 'True/ManagedClusterAvailable',
        20_000,
      );
      await waitFor(
        'c3 addon Available',
        async () => (await addonAvailable('c3'))?.startsWith('True/'),
        20_000,
      );
    } finally {
      await renewer.stop();
    }
  }, 40_000);
});
