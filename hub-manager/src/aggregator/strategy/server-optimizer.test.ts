import { describe, expect, it } from '@jest/globals';
import { createStrategy } from './index.js';
import { context, lcg, memoryUpdate, runRound } from './test-updates.js';
import type { RoundContext } from './types.js';

/** Reddi et al. 2021 Algorithm 2 in float64, written out independently of server-optimizer.ts. */
function reference(
  kind: string,
  p: { eta: number; beta1: number; beta2: number; tau: number },
  x0: number[],
  means: number[][],
) {
  let x = [...x0];
  let m = x0.map(() => 0);
  let v = x0.map(() => p.tau ** 2);
  for (const mean of means) {
    const d = mean.map((y, i) => y - (x[i] as number));
    m = m.map((mi, i) => p.beta1 * mi + (1 - p.beta1) * (d[i] as number));
    v = v.map((vi, i) => {
      const d2 = (d[i] as number) ** 2;
      if (kind === 'FedAdagrad') return vi + d2;
      if (kind === 'FedAdam') return p.beta2 * vi + (1 - p.beta2) * d2;
      return vi - (1 - p.beta2) * d2 * Math.sign(vi - d2);
    });
    x = x.map((xi, i) => xi + (p.eta * (m[i] as number)) / (Math.sqrt(v[i] as number) + p.tau));
  }
  return x;
}

const p = { eta: 0.05, beta1: 0.8, beta2: 0.95, tau: 0.01 };
const len = 11;

function roundUpdates(round: number) {
  const r = lcg(100 + round);
  return [1, 2, 3].map((k) =>
    memoryUpdate(
      `c${k}`,
      k * 10,
      Array.from({ length: len }, () => r()),
    ),
  );
}

describe.each(['FedAdam', 'FedYogi', 'FedAdagrad'])('%s', (name) => {
  it('follows Reddi et al. Algorithm 2 over three rounds (float64 reference)', async () => {
    const s = createStrategy({ name, parameters: p }, len);
    let ctx: RoundContext = context(
      Array.from({ length: len }, (_, i) => i / 10),
      4,
    );
    const x0 = [...ctx.global];
    const means: number[][] = [];
    for (let round = 1; round <= 3; round++) {
      const ups = roundUpdates(round);
      const total = ups.reduce((a, u) => a + u.examples, 0);
      means.push(
        [...ctx.global].map(
          (_, i) => ups.reduce((a, u) => a + (u.values[i] as number) * u.examples, 0) / total,
        ),
      );
      const { model } = await runRound(s, ctx, ups);
      ctx = { ...ctx, round: round + 1, global: model };
    }
    const want = reference(name, p, x0, means);
    ctx.global.forEach((v, i) => expect(v).toBeCloseTo(want[i] as number, 4));
  });

  it('resumes from a checkpoint bit for bit (and refuses one of another strategy or size)', async () => {
    const run = async (stopAfter: number | undefined) => {
      let s = createStrategy({ name, parameters: p }, len);
      let ctx: RoundContext = context(
        Array.from({ length: len }, () => 0.5),
        4,
      );
      for (let round = 1; round <= 4; round++) {
        ctx = { ...ctx, round, global: (await runRound(s, ctx, roundUpdates(round))).model };
        if (round === stopAfter) {
          const saved = JSON.parse(JSON.stringify(s.checkpoint().json)) as unknown;
          const tensors = Object.fromEntries(
            Object.entries(s.checkpoint().tensors).map(([k, t]) => [k, Float32Array.from(t)]),
          );
          s = createStrategy({ name, parameters: p }, len);
          s.restore({ json: saved, tensors });
        }
      }
      return ctx.global;
    };
    const straight = await run(undefined);
    const resumed = await run(2);
    expect([...resumed]).toEqual([...straight]);
    const ck = createStrategy({ name, parameters: p }, len).checkpoint();
    expect(() => createStrategy({ name: 'FedAvg' }, len).restore(ck)).toThrow('not FedAvg');
    expect(() => createStrategy({ name, parameters: p }, len + 1).restore(ck)).toThrow('optimizer moments');
  });
});

describe('FedAvgM (server momentum)', () => {
  it('m ← β·m + Δ, x ← x + η·m over three rounds (float64 reference), and resumes bit for bit', async () => {
    const params = { serverLearningRate: 1.5, serverMomentum: 0.7 };
    const s = createStrategy({ name: 'FedAvgM', parameters: params }, len);
    expect(s.memoryModels).toBe(2);
    let ctx: RoundContext = context(
      Array.from({ length: len }, (_, i) => -i / 10),
      4,
    );
    let x = [...ctx.global];
    let m = x.map(() => 0);
    for (let round = 1; round <= 3; round++) {
      const ups = roundUpdates(round);
      const total = ups.reduce((a, u) => a + u.examples, 0);
      const mean = x.map((_, i) => ups.reduce((a, u) => a + (u.values[i] as number) * u.examples, 0) / total);
      m = m.map((mi, i) => 0.7 * mi + ((mean[i] as number) - (x[i] as number)));
      x = x.map((xi, i) => xi + 1.5 * (m[i] as number));
      ctx = { ...ctx, round: round + 1, global: (await runRound(s, ctx, ups)).model };
      ctx.global.forEach((v, i) => expect(v).toBeCloseTo(x[i] as number, 4));
    }
    const ck = s.checkpoint();
    expect(Object.keys(ck.tensors)).toEqual(['m']);
    const r = createStrategy({ name: 'FedAvgM', parameters: params }, len);
    r.restore({ json: JSON.parse(JSON.stringify(ck.json)) as unknown, tensors: ck.tensors });
    const a = await runRound(s, ctx, roundUpdates(4));
    const b = await runRound(r, ctx, roundUpdates(4));
    expect([...b.model]).toEqual([...a.model]);
  });
});
