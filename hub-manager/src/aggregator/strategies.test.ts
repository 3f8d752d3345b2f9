/**
 * Strategies end to end: a real aggregator, real mTLS clients (test-harness.ts), real files.
 * The expected models are computed here independently, in float64, from the stored updates.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it, expect, afterEach } from '@jest/globals';
import { decodeSafetensors, type Tensor } from '@ocm-fl/common/model/safetensors.js';
import { silentLogger } from '@ocm-fl/common/logger.js';
import { createHarness, makeTensors, MIXED_SPEC, statusOf, type Harness } from './test-harness.js';
import { startAggregator, type Aggregator, type AggregatorConfig, type JobState } from './main.js';

let cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function waitFor<T>(get: () => T, ok: (v: T) => boolean, ms = 20_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = get();
    if (ok(v)) return v;
    if (Date.now() > until) throw new Error(`condition not met: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The global model plus `scale` · (a deterministic direction of size ~1) per cluster. */
function updateOf(
  h: Harness,
  name: string,
  seed: number,
  scale: number,
): { file: string; tensors: Tensor[] } {
  const g = makeTensors(MIXED_SPEC, 0);
  const d = makeTensors(MIXED_SPEC, seed);
  const tensors = g.map((t, k) => {
    const values = new Float32Array(t.values.length);
    for (let i = 0; i < values.length; i++)
      values[i] = (t.values[i] as number) + scale * 0.1 * (d[k]!.values[i] as number);
    return { ...t, values };
  });
  const file = h.writeModel(name, tensors);
  return { file, tensors: decodeSafetensors(readFileSync(file)).tensors };
}

async function start(h: Harness, over: Partial<AggregatorConfig>): Promise<Aggregator> {
  const agg = await startAggregator(h.config(over), { logger: silentLogger });
  cleanup.push(() => agg.close(100));
  return agg;
}

function freshHarness(): Harness {
  const h = createHarness();
  h.writeModel('initial.safetensors', makeTensors(MIXED_SPEC, 0));
  return h;
}

const f32Names = MIXED_SPEC.filter(([, d]) => d === 'F32').map(([n]) => n);

function modelOf(agg: Aggregator, round: number): Tensor[] {
  const file = path.join(
    agg.storageDir,
    'checkpoints',
    `round-${String(round).padStart(5, '0')}.safetensors`,
  );
  return decodeSafetensors(readFileSync(file)).tensors;
}

function expectClose(got: Tensor[], want: (name: string, i: number) => number, tol = 1e-5): void {
  for (const t of got) {
    if (!f32Names.includes(t.name)) continue;
    for (let i = 0; i < t.values.length; i++)
      expect(Math.abs((t.values[i] as number) - want(t.name, i))).toBeLessThanOrEqual(tol);
  }
}

const valueOf = (ts: Tensor[], name: string, i: number): number =>
  ts.find((t) => t.name === name)!.values[i] as number;

describe('FedAvg with a norm bound', () => {
  it('refuses the outsized update with its reason and averages the others (reject mode)', async () => {
    const h = freshHarness();
    const agg = await start(h, {
      admittedClusters: ['c1', 'c2', 'c3'],
      minClients: 2,
      rounds: 1,
      strategy: { name: 'FedAvg', parameters: { normBound: 5 } },
    });
    const [c1, c2, c3] = ['c1', 'c2', 'c3'].map((c) => h.client(agg.port, c, { retries: 0 }));
    cleanup.push(() => [c1, c2, c3].forEach((c) => c!.close()));
    const u1 = updateOf(h, 'u1.safetensors', 1, 1);
    const u2 = updateOf(h, 'u2.safetensors', 2, 1);
    const bad = updateOf(h, 'bad.safetensors', 3, 100); // scale ×100: delta norm ≈ 100
    await c1!.uploadUpdate(1, u1.file, 10, {});
    expect(await statusOf(c3!.uploadUpdate(1, bad.file, 10, {}))).toBe('INVALID_ARGUMENT');
    await c2!.uploadUpdate(1, u2.file, 30, {});
    const s = await waitFor(
      () => agg.state(),
      (st: JobState) => st.phase === 'completed',
    );
    const rec = s.history[0]!;
    expect(rec.participants).toEqual(['c1', 'c2']);
    expect(rec.strategy).toBe('FedAvg');
    expect(rec.clients?.c3).toMatchObject({ included: false, reason: expect.stringMatching(/normBound 5/) });
    expect(rec.clients?.c1).toMatchObject({ included: true, weight: 0.25, clipped: false });
    expect(s.clients.c3).toMatchObject({ state: 'rejected', message: expect.stringMatching(/normBound/) });
    expectClose(
      modelOf(agg, 1),
      (n, i) => (valueOf(u1.tensors, n, i) * 10 + valueOf(u2.tensors, n, i) * 30) / 40,
    );
  }, 60_000);

  it('clips the outsized update to the bound instead (clip mode) and says so', async () => {
    const h = freshHarness();
    const agg = await start(h, {
      admittedClusters: ['c1', 'c2'],
      minClients: 2,
      rounds: 1,
      strategy: { name: 'FedAvg', parameters: { normBound: 0.5, normBoundMode: 'clip' } },
    });
    const [c1, c2] = ['c1', 'c2'].map((c) => h.client(agg.port, c));
    cleanup.push(() => [c1, c2].forEach((c) => c!.close()));
    const small = updateOf(h, 'small.safetensors', 1, 0.01);
    const big = updateOf(h, 'big.safetensors', 2, 100);
    await c1!.uploadUpdate(1, small.file, 10, {});
    await c2!.uploadUpdate(1, big.file, 10, {});
    const s = await waitFor(
      () => agg.state(),
      (st: JobState) => st.phase === 'completed',
    );
    const rec = s.history[0]!;
    expect(rec.clients?.c2).toMatchObject({ included: true, clipped: true });
    expect(rec.clients?.c2?.norm).toBeGreaterThan(0.5);
    expect(rec.clients?.c1).toMatchObject({ included: true, clipped: false });
    // The clipped delta has norm 0.5: the model moved by at most (0.5 + ‖small delta‖) / 2 in L2.
    const g = makeTensors(MIXED_SPEC, 0);
    let sq = 0;
    for (const t of modelOf(agg, 1))
      t.values.forEach(
        (v, i) => (sq += ((v as number) - (g.find((x) => x.name === t.name)!.values[i] as number)) ** 2),
      );
    expect(Math.sqrt(sq)).toBeLessThan(0.5);
  }, 60_000);
});

describe('FedMedian', () => {
  it('takes the coordinate-wise median, so one hostile client moves nothing', async () => {
    const h = freshHarness();
    const agg = await start(h, {
      admittedClusters: ['c1', 'c2', 'c3'],
      minClients: 3,
      rounds: 1,
      strategy: { name: 'FedMedian' },
    });
    const cs = ['c1', 'c2', 'c3'].map((c) => h.client(agg.port, c));
    cleanup.push(() => cs.forEach((c) => c.close()));
    const us = [
      updateOf(h, 'a.safetensors', 1, 1),
      updateOf(h, 'b.safetensors', 2, 1),
      updateOf(h, 'c.safetensors', 3, -1000),
    ];
    for (const [k, u] of us.entries()) await cs[k]!.uploadUpdate(1, u.file, 10 * (k + 1), {});
    const s = await waitFor(
      () => agg.state(),
      (st: JobState) => st.phase === 'completed',
    );
    expect(s.history[0]!.strategy).toBe('FedMedian');
    expectClose(modelOf(agg, 1), (n, i) => {
      const xs = us.map((u) => valueOf(u.tensors, n, i)).sort((a, b) => a - b);
      return xs[1]!;
    });
  }, 60_000);
});

describe('strategy config and server state', () => {
  it('sends FedProx mu to trainers with the task', async () => {
    const h = freshHarness();
    const agg = await start(h, { strategy: { name: 'FedProx', parameters: { proximalMu: 0.05 } } });
    const c = h.client(agg.port, 'c1');
    cleanup.push(() => c.close());
    expect((await c.getTask()).strategyConfig).toEqual({ proximalMu: '0.05' });
  }, 30_000);

  it('refuses to start with a bad strategy, naming the field', async () => {
    const h = freshHarness();
    await expect(
      startAggregator(h.config({ strategy: { name: 'FedTrimmedAvg', parameters: { beta: 0.7 } } }), {
        logger: silentLogger,
      }),
    ).rejects.toThrow(/spec\.strategy\.parameters\.beta/);
  });

  it('resumes FedAdam with its optimizer moments: a restart between rounds gives the same model', async () => {
    const strategy = { name: 'FedAdam', parameters: { eta: 0.05 } };
    const over = { admittedClusters: ['c1'], rounds: 2, strategy };
    const run = async (h: Harness, restart: boolean): Promise<string> => {
      let agg = await startAggregator(h.config(over), { logger: silentLogger });
      for (const round of [1, 2]) {
        const c = h.client(agg.port, 'c1');
        await c.getTask({ wait: { afterRound: round - 1, seconds: 10 } }); // round open
        await c.uploadUpdate(round, updateOf(h, `r${round}.safetensors`, round, 1).file, 10, {});
        c.close();
        await waitFor(
          () => agg.state(),
          (st: JobState) => st.completedRounds === round,
        );
        if (restart && round === 1) {
          await agg.close(100);
          agg = await startAggregator(h.config(over), { logger: silentLogger });
        }
      }
      const sha = agg.state().modelSha256;
      await agg.close(100);
      return sha;
    };
    const straight = await run(freshHarness(), false);
    const resumed = await run(freshHarness(), true);
    expect(resumed).toBe(straight);
    // Without the moments the second step differs (the test can fail).
    const h = freshHarness();
    let agg = await startAggregator(h.config(over), { logger: silentLogger });
    const c = h.client(agg.port, 'c1');
    await c.uploadUpdate(1, updateOf(h, 'r1.safetensors', 1, 1).file, 10, {});
    c.close();
    await waitFor(
      () => agg.state(),
      (st: JobState) => st.completedRounds === 1,
    );
    await agg.close(100);
    const { rm } = await import('node:fs/promises');
    await rm(path.join(h.dir, 'storage', 'strategy'), { recursive: true, force: true });
    agg = await startAggregator(h.config(over), { logger: silentLogger });
    const c2 = h.client(agg.port, 'c1');
    await c2.uploadUpdate(2, updateOf(h, 'r2.safetensors', 2, 1).file, 10, {});
    c2.close();
    const s = await waitFor(
      () => agg.state(),
      (st: JobState) => st.completedRounds === 2,
    );
    await agg.close(100);
    expect(s.modelSha256).not.toBe(straight);
  }, 120_000);

  it('reports privacy spent every round with central DP', async () => {
    const h = freshHarness();
    const agg = await start(h, {
      admittedClusters: ['c1', 'c2'],
      minClients: 2,
      rounds: 2,
      strategy: { name: 'FedAvg', parameters: { dpNoiseMultiplier: 1, dpClipNorm: 1, dpSeed: 7 } },
    });
    const cs = ['c1', 'c2'].map((c) => h.client(agg.port, c));
    cleanup.push(() => cs.forEach((c) => c.close()));
    for (const round of [1, 2]) {
      for (const [k, c] of cs.entries()) {
        await c.getTask({ wait: { afterRound: round - 1, seconds: 10 } }); // round open
        await c.uploadUpdate(round, updateOf(h, `u${round}${k}.safetensors`, k + round, 1).file, 10, {});
      }
      await waitFor(
        () => agg.state(),
        (st: JobState) => st.completedRounds === round,
      );
    }
    const s = agg.state();
    const e1 = s.history[0]!.privacy!.epsilon;
    const e2 = s.history[1]!.privacy!.epsilon;
    expect(e1).toBeGreaterThan(0);
    expect(e2).toBeGreaterThan(e1);
    expect(s.privacy).toMatchObject({ epsilon: e2, delta: 1e-5, rounds: 2 });
  }, 60_000);
});
