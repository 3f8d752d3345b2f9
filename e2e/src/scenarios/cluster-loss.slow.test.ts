/**
 * Issue 18 item 3 on the embedded control plane: a managed cluster that stops entirely is seen
 * as gone through the hub's cluster lease controller (ManagedCluster and addon Available=Unknown),
 * and `onClientLoss: Replace` swaps in a newly available cluster that then trains in the rounds
 * that follow, while the job runs to Completed. Real hub-manager, agents, aggregator and MNIST
 * trainer (fl-environment.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  FL_KIND,
  type FederatedLearning,
  type FederatedLearningStatus,
} from '@ocm-fl/common/api/federated-learning.js';
import { findCondition } from '@ocm-fl/common/api/meta.js';
import { ADDON_API_VERSION, type ManagedClusterAddOn } from '@ocm-fl/common/api/ocm.js';
import { ADDON_NAME, FL_API_VERSION } from '@ocm-fl/common/names.js';
import { DATA_CLAIM, sampleFederatedLearning } from '../demo/sample.js';
import { waitFor } from '../standins/testing/wait.js';
import { startFlEnvironment, type FlEnvironment } from './fl-environment.js';

const NS = 'fl-replace';
let env: FlEnvironment;

const clusterSpec = (
  name: string,
): { name: string; labels: Record<string, string>; claims: Record<string, string> } => ({
  name,
  labels: { 'cluster.open-cluster-management.io/clusterset': 'default' },
  claims: { [DATA_CLAIM]: `/data/private/${name}` },
});

async function status(): Promise<FederatedLearningStatus | undefined> {
  const fl = await env.fleet.hubClient.get<FederatedLearning>(
    FL_API_VERSION,
    FL_KIND,
    'federated-learning-sample',
    NS,
  );
  return fl?.status;
}

async function waitStatus(
  what: string,
  ok: (s: FederatedLearningStatus) => boolean,
  timeoutMs: number,
): Promise<FederatedLearningStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await status();
    if (s && ok(s)) return s;
    if (s?.phase === 'Failed' || Date.now() > deadline) {
      const brief = {
        phase: s?.phase,
        message: s?.message,
        clients: s?.clients,
        rounds: s?.rounds?.map((r) => [r.round, r.participants]),
      };
      throw new Error(
        `${s?.phase === 'Failed' ? 'failed' : 'timed out'} waiting for ${what}: ${JSON.stringify(brief)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

beforeAll(async () => {
  env = await startFlEnvironment({
    clusters: ['cluster1', 'cluster2', 'cluster3', 'cluster4'].map(clusterSpec),
    clusterLeaseSeconds: 1, // the hub sees a stopped cluster as gone after 5 s
  });
  await env.enable(['cluster1', 'cluster2', 'cluster3'], 90_000);
}, 150_000);

afterAll(async () => {
  await env?.stop();
});

describe('a managed cluster lost mid-job (onClientLoss: Replace)', () => {
  it('turns Unknown on the hub, is marked Lost, and a newly available cluster replaces it until Completed', async () => {
    await env.fleet.hubClient.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    const fl = sampleFederatedLearning({
      namespace: NS,
      rounds: 4,
      minAvailableClients: 3,
      // Generous: rounds after the loss wait for the replacement (3 updates per round needed).
      roundTimeoutSeconds: 60,
      parameters: { epochs: 1, maxExamples: 300 },
    });
    fl.spec!.failurePolicy = { onClientLoss: 'Replace', maxRoundRetries: 5 };
    fl.spec!.minClientsPerRound = 3;
    await env.fleet.hubClient.create(fl);
    await waitStatus('a first round done', (s) => (s.rounds?.length ?? 0) >= 1, 120_000);

    await env.fleet.removeCluster('cluster3');
    await waitFor(
      'cluster3 addon Unknown on the hub',
      async () => {
        const a = await env.fleet.hubClient.get<ManagedClusterAddOn>(
          ADDON_API_VERSION,
          'ManagedClusterAddOn',
          ADDON_NAME,
          'cluster3',
        );
        return (
          findCondition(a?.status?.conditions, 'Available')?.reason === 'ManagedClusterLeaseUpdateStopped'
        );
      },
      30_000,
    );
    const lost = await waitStatus(
      'cluster3 Lost',
      (s) => s.clients?.find((c) => c.cluster === 'cluster3')?.state === 'Lost',
      30_000,
    );
    expect(lost.clients?.find((c) => c.cluster === 'cluster3')?.lastError).toBe(
      'federated-learning addon not available',
    );
    const roundsWhenLost = lost.rounds?.length ?? 0;
    expect(roundsWhenLost).toBeLessThan(4);

    await env.enable(['cluster4'], 90_000);
    const done = await waitStatus('Completed', (s) => s.phase === 'Completed', 240_000);
    expect(done.rounds?.map((r) => r.round)).toEqual([1, 2, 3, 4]);
    expect(done.rounds?.at(-1)?.participants).toEqual(['cluster1', 'cluster2', 'cluster4']);
    expect(done.rounds?.at(-1)?.participants).not.toContain('cluster3');
    expect(done.clients?.find((c) => c.cluster === 'cluster4')?.lastRound).toBe(4);
    expect(done.clients?.find((c) => c.cluster === 'cluster3')?.state).toBe('Lost');
    expect(done.model?.digest).toMatch(/^[0-9a-f]{64}$/);
  }, 420_000);
});
