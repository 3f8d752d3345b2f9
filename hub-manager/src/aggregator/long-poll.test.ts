import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { makeTensors, MIXED_SPEC, type Harness, startHarnessAggregator } from './test-harness.js';
import type { Aggregator } from './main.js';

/** Settle state of a promise without awaiting it: 'pending' or its value. */
async function peek<T>(p: Promise<T>): Promise<T | 'pending'> {
  return Promise.race([p, new Promise<'pending'>((r) => setTimeout(() => r('pending'), 50))]);
}

describe('GetTask long poll', () => {
  let h: Harness;
  let agg: Aggregator;
  beforeAll(async () => {
    ({ h, agg } = await startHarnessAggregator({ admittedClusters: ['c1', 'c2'], minClients: 2, rounds: 2 }));
  });
  afterAll(async () => {
    await agg.close();
  });

  it('answers at once when there is work, holds until the next round opens, then until the job ends', async () => {
    const c1 = h.client(agg.port, 'c1');
    const c2 = h.client(agg.port, 'c2');
    try {
      // Round 1 is open and c1 has not submitted: nothing to wait for.
      let t0 = Date.now();
      expect(await c1.getTask({ wait: { afterRound: 0, seconds: 20 } })).toMatchObject({ round: 1 });
      expect(Date.now() - t0).toBeLessThan(2_000);

      // c1 done with round 1: its wait is held while c2 has not uploaded...
      await c1.uploadUpdate(1, h.writeModel('u1.safetensors', makeTensors(MIXED_SPEC, 1)), 1, {});
      t0 = Date.now();
      const held = c1.getTask({ wait: { afterRound: 1, seconds: 20 } });
      await new Promise((r) => setTimeout(r, 700));
      expect(await peek(held)).toBe('pending');
      // ...and answered with round 2 as soon as c2's update closes round 1.
      await c2.uploadUpdate(1, h.writeModel('u2.safetensors', makeTensors(MIXED_SPEC, 2)), 1, {});
      const next = await held;
      expect(next).toMatchObject({ round: 2, submitted: false, finished: false });
      expect(Date.now() - t0).toBeLessThan(10_000);

      // Nothing changes: the wait ends at its time with the same task.
      await c1.uploadUpdate(2, h.writeModel('u3.safetensors', makeTensors(MIXED_SPEC, 3)), 1, {});
      t0 = Date.now();
      expect(await c1.getTask({ wait: { afterRound: 2, seconds: 1 } })).toMatchObject({
        round: 2,
        submitted: true,
      });
      expect(Date.now() - t0).toBeGreaterThanOrEqual(900);

      // The last round closing ends the job: a held wait hears it at once.
      const last = c1.getTask({ wait: { afterRound: 2, seconds: 20 } });
      await c2.uploadUpdate(2, h.writeModel('u4.safetensors', makeTensors(MIXED_SPEC, 4)), 1, {});
      t0 = Date.now();
      expect(await last).toMatchObject({ finished: true, phase: 'completed' });
      expect(Date.now() - t0).toBeLessThan(5_000);
    } finally {
      c1.close();
      c2.close();
    }
  }, 30_000);
});
