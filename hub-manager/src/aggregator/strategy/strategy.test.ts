import { describe, expect, it } from '@jest/globals';
import { createStrategy, StrategyConfigError, STRATEGY_NAMES, strategyConfigForTask } from './index.js';
import { STRATEGIES } from '@ocm-fl/common/api/federated-learning.js';
import { context, lcg, memoryUpdate, runRound, type MemoryUpdate } from './test-updates.js';

const spec = (name: string, parameters: Record<string, unknown> = {}) => ({ name, parameters });

describe('createStrategy validation', () => {
  it.each([
    [spec('FedTrimmedAvg', { beta: 0.5 }), 'spec.strategy.parameters.beta: must be in [0, 0.5), got 0.5'],
    [spec('FedTrimmedAvg', { beta: 'x' }), 'spec.strategy.parameters.beta: must be a finite number'],
    [spec('Krum', { f: 1.5 }), 'spec.strategy.parameters.f: must be an integer'],
    [spec('MultiKrum', { m: 0 }), 'spec.strategy.parameters.m: must be in [1, inf)'],
    [spec('FedProx', { proximalMu: -1 }), 'spec.strategy.parameters.proximalMu: must be in [0, inf)'],
    [spec('FedAdam', { beta1: 1 }), 'spec.strategy.parameters.beta1: must be in [0, 1)'],
    [
      spec('FedAvg', { normBoundMode: 'drop' }),
      'spec.strategy.parameters.normBoundMode: must be one of reject, clip',
    ],
    [spec('FedAvg', { normBound: 0 }), 'spec.strategy.parameters.normBound: must be in (0, inf)'],
    [
      spec('FedAvg', { proximalMU: 0.1 }),
      'spec.strategy.parameters.proximalMU: unknown parameter for FedAvg',
    ],
    [
      spec('FedMedian', { dpNoiseMultiplier: 1, dpClipNorm: 1 }),
      'spec.strategy.parameters.dpNoiseMultiplier: central DP needs a mean-based strategy',
    ],
    [
      spec('FedAvg', { dpNoiseMultiplier: 1 }),
      'spec.strategy.parameters.dpClipNorm: required with dpNoiseMultiplier',
    ],
    [
      spec('FedAvg', { dpNoiseMultiplier: 2, dpClipNorm: 1, dpAdaptiveClip: true, dpCountNoiseStd: 1 }),
      'spec.strategy.parameters.dpCountNoiseStd: must exceed',
    ],
    [spec('FedSGD'), 'spec.strategy.name: unknown strategy "FedSGD"'],
  ])('%j → %s', (s, message) => {
    const run = () => createStrategy(s, 4);
    expect(run).toThrow(StrategyConfigError);
    expect(run).toThrow(message);
  });

  it('accepts numeric strings (rendered configs) and every known name with defaults', () => {
    expect(createStrategy(spec('FedProx', { proximalMu: '0.1' }), 4).clientConfig(1)).toEqual({
      proximalMu: 0.1,
    });
    expect(createStrategy(spec('FedProx'), 4).clientConfig(1)).toEqual({ proximalMu: 0.01 });
    for (const name of STRATEGY_NAMES) expect(createStrategy(spec(name), 4).name).toBe(name);
    expect(createStrategy(spec('FedAvg'), 4).clientConfig(1)).toEqual({});
  });

  it('FedProx client config becomes the GetTask strategy_config strings', () => {
    const s = createStrategy(spec('FedProx', { proximalMu: 0.05 }), 4);
    expect(strategyConfigForTask(s.clientConfig(3))).toEqual({ proximalMu: '0.05' });
    expect(strategyConfigForTask(createStrategy(spec('Krum'), 4).clientConfig(3))).toEqual({});
  });

  it('every strategy the CRD admits exists here, and the other way round', () => {
    expect([...STRATEGIES].sort()).toEqual([...STRATEGY_NAMES].sort());
  });

  it('documents its memory bound in models', () => {
    expect(createStrategy(spec('FedAvg'), 4).memoryModels).toBe(1);
    expect(createStrategy(spec('FedAdam'), 4).memoryModels).toBe(3);
    expect(createStrategy(spec('FedMedian'), 4).memoryModels).toBe(0);
  });
});

describe('hand-checked rounds', () => {
  it('FedAvg weights by examples: (1·A + 3·B) / 4', async () => {
    const g = context([0, 0, 0, 0]);
    const run = await runRound(createStrategy(spec('FedAvg'), 4), g, [
      memoryUpdate('a', 1, [1, 2, 3, 4]),
      memoryUpdate('b', 3, [5, 6, 7, 8]),
    ]);
    expect([...run.model]).toEqual([4, 5, 6, 7]);
    expect(run.result.clients).toEqual({
      a: { included: true, weight: 0.25, norm: Math.sqrt(30), clipped: false },
      b: { included: true, weight: 0.75, norm: Math.sqrt(174), clipped: false },
    });
  });

  const five = (): MemoryUpdate[] => [
    memoryUpdate('c1', 10, [1, 10, 100]),
    memoryUpdate('c2', 10, [2, 20, 250]),
    memoryUpdate('c3', 10, [3, 30, -300]),
    memoryUpdate('c4', 10, [4, 40, 700]),
    memoryUpdate('c5', 10, [1000, -5, 0]),
  ];

  it('FedMedian takes the coordinate-wise middle value (and the mean of the two middles for even N)', async () => {
    const odd = await runRound(createStrategy(spec('FedMedian'), 3), context([0, 0, 0]), five());
    expect([...odd.model]).toEqual([3, 20, 100]);
    const even = await runRound(createStrategy(spec('FedMedian'), 3), context([0, 0, 0]), five().slice(0, 4));
    expect([...even.model]).toEqual([2.5, 25, 175]);
  });

  it('FedTrimmedAvg(0.2) drops one value at each end of every coordinate among five', async () => {
    const r = await runRound(
      createStrategy(spec('FedTrimmedAvg', { beta: 0.2 }), 3),
      context([0, 0, 0]),
      five(),
    );
    expect(r.model[0]).toBeCloseTo(3, 6);
    expect(r.model[1]).toBeCloseTo(20, 6);
    expect(r.model[2]).toBeCloseTo(350 / 3, 4);
  });

  // Squared distances: a–b 1, a–c 4, a–d 2, b–c 5, b–d 1, c–d 2, e far. With f = 1 each score sums
  // the 2 nearest: a 1+2 = 3, b 1+1 = 2, c 2+4 = 6, d 1+2 = 3, e huge.
  const krumSet = (): MemoryUpdate[] => [
    memoryUpdate('a', 1, [0, 0]),
    memoryUpdate('b', 1, [1, 0]),
    memoryUpdate('c', 1, [0, 2]),
    memoryUpdate('d', 1, [1, 1]),
    memoryUpdate('e', 1, [100, 100]),
  ];

  it('Krum picks the lowest score; Multi-Krum averages the m lowest (ties by arrival order)', async () => {
    const k = await runRound(createStrategy(spec('Krum', { f: 1 }), 2), context([0, 0], 1), krumSet());
    expect([...k.model]).toEqual([1, 0]);
    expect(k.result.clients.b?.included).toBe(true);
    expect(k.result.clients.e).toMatchObject({
      included: false,
      reason: expect.stringContaining('Krum score'),
    });
    const m2 = await runRound(
      createStrategy(spec('MultiKrum', { f: 1, m: 2 }), 2),
      context([0, 0], 1),
      krumSet(),
    );
    expect([...m2.model]).toEqual([0.5, 0]);
    const m3 = await runRound(
      createStrategy(spec('MultiKrum', { f: 1, m: 3 }), 2),
      context([0, 0], 1),
      krumSet(),
    );
    expect(m3.model[0]).toBeCloseTo(2 / 3, 6);
    expect(m3.model[1]).toBeCloseTo(1 / 3, 6);
    // Default m = N − f = 4: everything but e.
    const def = await runRound(createStrategy(spec('MultiKrum', { f: 1 }), 2), context([0, 0], 1), krumSet());
    expect([...def.model]).toEqual([0.5, 0.75]);
  });
});

describe('screen: NaN/Inf and the norm bound', () => {
  it('refuses a NaN or Inf anywhere, naming the element', async () => {
    const s = createStrategy(spec('FedAvg'), 5);
    const ctx = context([0, 0, 0, 0, 0], 2);
    const nan = await s.screen(memoryUpdate('x', 1, [0, 0, 0, NaN, 0]), ctx);
    expect(nan).toEqual({ accept: false, reason: 'element 3 is not finite (NaN or Inf)' });
    const inf = await s.screen(memoryUpdate('x', 1, [-Infinity, 0, 0, 0, 0]), ctx);
    expect(inf).toEqual({ accept: false, reason: 'element 0 is not finite (NaN or Inf)' });
    const bad = await s.screen(memoryUpdate('x', 0, [0, 0, 0, 0, 0]), ctx);
    expect(bad.accept).toBe(false);
  });

  it('reject mode drops an update whose delta norm exceeds the bound; clip mode scales it to the bound', async () => {
    const g = context([1, 1]);
    const ups = () => [memoryUpdate('ok', 1, [2, 1]), memoryUpdate('big', 1, [1 + 30, 1 + 40])];
    const rej = await runRound(createStrategy(spec('FedAvg', { normBound: 10 }), 2), g, ups());
    expect(rej.screenings.big).toEqual({
      accept: false,
      reason: 'delta L2 norm 50.00 exceeds normBound 10.00',
      norm: 50,
    });
    expect([...rej.model]).toEqual([2, 1]);
    const clip = await runRound(
      createStrategy(spec('FedAvg', { normBound: 10, normBoundMode: 'clip' }), 2),
      g,
      ups(),
    );
    expect(clip.screenings.big).toMatchObject({ accept: true, scale: 0.2, norm: 50 });
    // big clipped to delta (6, 8); mean of deltas (1, 0) and (6, 8) = (3.5, 4) on top of (1, 1).
    expect([...clip.model]).toEqual([4.5, 5]);
    expect(clip.result.clients.big).toMatchObject({ included: true, clipped: true, norm: 50 });
  });
});

/** Independent float64 references over whole arrays. */
function refMean(g: Float32Array, us: readonly MemoryUpdate[]): number[] {
  const total = us.reduce((s, u) => s + u.examples, 0);
  return [...g].map((_, i) => us.reduce((s, u) => s + (u.values[i] as number) * u.examples, 0) / total);
}
function refSortedColumn(us: readonly MemoryUpdate[], i: number): number[] {
  return us.map((u) => u.values[i] as number).sort((a, b) => a - b);
}

function randomUpdates(n: number, len: number, seed: number): MemoryUpdate[] {
  const r = lcg(seed);
  return Array.from({ length: n }, (_, k) =>
    memoryUpdate(
      `c${k}`,
      1 + Math.floor((r() + 1) * 50),
      Array.from({ length: len }, () => r()),
    ),
  );
}

describe('properties', () => {
  const len = 37;
  const g = context(
    Array.from({ length: len }, (_, i) => i / 100),
    5,
  );
  const ups = randomUpdates(7, len, 42);

  it('FedAvg matches a float64 weighted mean and reads at most one block at a time', async () => {
    const r = await runRound(createStrategy(spec('FedAvg'), len), g, ups);
    const want = refMean(g.global, ups);
    r.model.forEach((v, i) => expect(v).toBeCloseTo(want[i] as number, 5));
    for (const u of ups) expect(u.maxRead()).toBeLessThanOrEqual(5);
  });

  it('median and trimmed mean match a sort of each column', async () => {
    const med = await runRound(createStrategy(spec('FedMedian'), len), g, ups);
    const trim = await runRound(createStrategy(spec('FedTrimmedAvg', { beta: 0.3 }), len), g, ups);
    for (let i = 0; i < len; i++) {
      const col = refSortedColumn(ups, i);
      expect(med.model[i]).toBeCloseTo(col[3] as number, 6);
      const kept = col.slice(2, 5); // floor(0.3 · 7) = 2 cut at each end
      expect(trim.model[i]).toBeCloseTo(kept.reduce((a, b) => a + b, 0) / 3, 6);
    }
  });

  it.each(STRATEGY_NAMES.map((n) => [n]))(
    '%s: permutation invariant and independent of the block size',
    async (name) => {
      const a = await runRound(createStrategy(spec(name), len), g, ups);
      const b = await runRound(
        createStrategy(spec(name), len),
        { ...g, blockElements: 1000 },
        [...ups].reverse(),
      );
      const c = await runRound(createStrategy(spec(name), len), { ...g, blockElements: 1 }, [
        ups[3]!,
        ...ups.slice(0, 3),
        ...ups.slice(4),
      ]);
      a.model.forEach((v, i) => {
        expect(b.model[i]).toBeCloseTo(v, 5);
        expect(c.model[i]).toBeCloseTo(v, 5);
      });
    },
  );

  it.each(['FedAvg', 'FedProx', 'FedMedian', 'FedTrimmedAvg', 'Krum', 'MultiKrum'].map((n) => [n]))(
    '%s: one client comes back bit for bit',
    async (name) => {
      const one = ups[2]!;
      const r = await runRound(createStrategy(spec(name), len), g, [one]);
      expect([...r.model]).toEqual([...one.values]);
    },
  );

  it('one outlier (×100) moves FedAvg far but median, trimmed mean and Krum stay near the honest mean', async () => {
    const honest = randomUpdates(6, len, 7).map((u) =>
      memoryUpdate(
        u.cluster,
        10,
        u.values.map((v) => 0.5 + v * 0.01),
      ),
    );
    const evil = memoryUpdate(
      'evil',
      10,
      honest[0]!.values.map((v) => v * 100),
    );
    const honestMean = refMean(g.global, honest);
    const dist = (m: Float32Array) =>
      Math.sqrt(m.reduce((s, v, i) => s + (v - (honestMean[i] as number)) ** 2, 0));
    const avg = await runRound(createStrategy(spec('FedAvg'), len), g, [...honest, evil]);
    expect(dist(avg.model)).toBeGreaterThan(10);
    for (const s of [
      spec('FedMedian'),
      spec('FedTrimmedAvg', { beta: 0.2 }),
      spec('Krum', { f: 1 }),
      spec('MultiKrum', { f: 1 }),
    ]) {
      const r = await runRound(createStrategy(s, len), g, [...honest, evil]);
      expect(dist(r.model)).toBeLessThan(0.2);
    }
  });

  it('concurrent folds give the sequential result; a fold that fails part-way blocks aggregate until reset', async () => {
    const seq = await runRound(createStrategy(spec('FedAvg'), len), g, ups);
    const s = createStrategy(spec('FedAvg'), len);
    await Promise.all(ups.map((u) => s.fold(u, { accept: true }, g)));
    const out = new Float32Array(len);
    await s.aggregate(ups, g, out);
    expect([...out]).toEqual([...seq.model]);

    const failing: MemoryUpdate = {
      ...ups[1]!,
      read: (off) => Promise.reject(new Error(off > 0 ? 'disk error' : 'x')),
    };
    await s.fold(ups[0]!, { accept: true }, g).catch(() => undefined);
    s.reset();
    await s.fold(ups[0]!, { accept: true }, g);
    await expect(s.fold(failing, { accept: true }, g)).rejects.toThrow();
    await expect(s.aggregate([ups[0]!], g, out)).rejects.toThrow(
      "the round's mean is incomplete: folding c1 failed",
    );
    s.reset();
    await s.fold(ups[0]!, { accept: true }, g);
    await s.aggregate([ups[0]!], g, out);
    expect([...out]).toEqual([...ups[0]!.values]);
  });

  it('fold and aggregate refuse misuse instead of silently miscounting', async () => {
    const s = createStrategy(spec('FedAvg'), len);
    const u = ups[0]!;
    await expect(s.fold(u, { accept: false, reason: 'x' }, g)).rejects.toThrow('refused by screen');
    await s.fold(u, { accept: true }, g);
    await expect(s.fold(u, { accept: true }, g)).rejects.toThrow('already counted');
    await expect(s.aggregate([ups[1]!], g, new Float32Array(len))).rejects.toThrow('never folded');
    await expect(s.aggregate([], g, new Float32Array(len))).rejects.toThrow('no updates');
  });
});
