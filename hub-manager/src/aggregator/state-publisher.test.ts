import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { KubeClient } from '@ocm-fl/common/kube/client.js';
import { silentLogger } from '@ocm-fl/common/logger.js';
import { startApiServer, type ApiServer } from '@ocm-fl/e2e/apiserver/index.js';
import { createHarness, makeTensors, MIXED_SPEC } from './test-harness.js';
import { startAggregator } from './main.js';
import { PUBLISHED_ROUNDS, publishedState, STATE_KEY, StatePublisher } from './state-publisher.js';
import type { JobState, RoundRecord } from './state-store.js';

let api: ApiServer;
let client: KubeClient;
beforeAll(async () => {
  api = await startApiServer({ logger: silentLogger });
  client = KubeClient.fromKubeConfig(api.kubeConfig());
});
afterAll(async () => {
  await api.close();
});

interface ConfigMap {
  apiVersion: 'v1';
  kind: 'ConfigMap';
  metadata: { name: string; namespace: string };
  data?: Record<string, string>;
}

async function publishedOf(name: string): Promise<JobState | undefined> {
  const cm = await client.get<ConfigMap>('v1', 'ConfigMap', name, 'default');
  const raw = cm?.data?.[STATE_KEY];
  return raw ? (JSON.parse(raw) as JobState) : undefined;
}

async function until<T>(what: string, f: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('job state published to a ConfigMap', () => {
  it('publishes every state change, waits for a ConfigMap created late, and ends with the final state', async () => {
    const h = createHarness();
    h.writeModel('initial.safetensors', makeTensors(MIXED_SPEC, 0));
    const name = 'job-1-state';
    const agg = await startAggregator(
      h.config({ rounds: 1, admittedClusters: ['c1'], stateConfigMap: { namespace: 'default', name } }),
      { logger: silentLogger, kube: client },
    );
    try {
      // The ConfigMap does not exist yet (the aggregator never creates it): nothing lands...
      await new Promise((r) => setTimeout(r, 300));
      expect(await publishedOf(name)).toBeUndefined();
      // ...until the controller has created it; then the pending state arrives by retry.
      await client.create<ConfigMap>({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name, namespace: 'default' },
      });
      const first = await until('the running state', () => publishedOf(name), 15_000);
      expect(first).toMatchObject({ phase: 'running', completedRounds: 0 });

      const c1 = h.client(agg.port, 'c1');
      await c1.uploadUpdate(1, h.writeModel('u.safetensors', makeTensors(MIXED_SPEC, 1)), 4, { loss: 0.5 });
      c1.close();
      const final = await agg.whenDone();
      await agg.close(); // flushes
      const published = await publishedOf(name);
      expect(published).toEqual(JSON.parse(JSON.stringify(final)));
      expect(published).toMatchObject({ phase: 'completed', completedRounds: 1 });
    } finally {
      await agg.close().catch(() => undefined);
    }
  }, 30_000);

  it('coalesces: states queued during a write collapse into one, and the newest always lands', async () => {
    const written: number[] = [];
    let release: () => void = () => undefined;
    // TEST DOUBLE of the API call: the first write blocks until released.
    const patch = (p: unknown): Promise<void> => {
      written.push(
        (JSON.parse((p as { data: Record<string, string> }).data[STATE_KEY]!) as JobState).completedRounds,
      );
      return written.length === 1 ? new Promise<void>((r) => (release = r)) : Promise.resolve();
    };
    const pub = new StatePublisher(patch, { namespace: 'default', name: 'x' }, silentLogger, 10);
    const state = (n: number): JobState => ({ completedRounds: n, history: [] }) as unknown as JobState;
    pub.publish(state(1));
    for (let n = 2; n <= 50; n++) pub.publish(state(n));
    release();
    expect(await pub.flush(5_000)).toBe(true);
    expect(written).toEqual([1, 50]);
    pub.publish(state(51)); // after going idle, a new state starts a new write
    expect(await pub.flush(5_000)).toBe(true);
    expect(written).toEqual([1, 50, 51]);
  });

  it('keeps the newest rounds when the history would not fit a ConfigMap', () => {
    const record = (round: number): RoundRecord =>
      ({ round, outcome: 'aggregated', participants: ['c1'], sha256: 'x' }) as unknown as RoundRecord;
    const many = {
      history: Array.from({ length: PUBLISHED_ROUNDS + 5 }, (_, i) => record(i + 1)),
    } as unknown as JobState;
    const out = publishedState(many);
    expect(out.history).toHaveLength(PUBLISHED_ROUNDS);
    expect(out.history[0]?.round).toBe(6);
    expect(out.history.at(-1)?.round).toBe(PUBLISHED_ROUNDS + 5);
    const few = { history: [record(1)] } as unknown as JobState;
    expect(publishedState(few)).toBe(few);
  });
});
