/**
 * Krum and Multi-Krum (Blanchard et al. 2017, "Machine Learning with Adversaries: Byzantine
 * Tolerant Gradient Descent"; Multi-Krum in El Mhamdi et al. 2018). With N updates of which at
 * most f are Byzantine, each update's score is the sum of squared distances to its N − f − 2
 * nearest others; the m lowest-scoring updates are averaged (unweighted; m = 1 is Krum).
 *
 * Pairwise squared distances are accumulated block by block from the spilled files, so memory is
 * N² float64 numbers plus N × blockElements floats; the average of the selected m is a second
 * pass over their files.
 */
import { forEachBlockOfAll } from './block-matrix.js';
import type { Counted, Rule } from './rule.js';
import type { ClientOutcome, RoundContext } from './types.js';

export class MultiKrum implements Rule {
  readonly memoryModels = 0;
  readonly streaming = false;

  /** m undefined: N − f (Multi-Krum's usual choice). */
  constructor(
    private readonly f: number,
    private readonly m: number | undefined,
  ) {}

  fold(): Promise<void> {
    return Promise.resolve();
  }

  async combine(
    items: readonly Counted[],
    ctx: RoundContext,
    out: Float32Array,
  ): Promise<Record<string, ClientOutcome>> {
    const n = items.length;
    const dist = await pairwiseSquaredDistances(items, ctx);
    const scores = krumScores(dist, n, this.f);
    const m = Math.max(1, Math.min(n, this.m ?? n - this.f));
    const order = [...scores.keys()].sort((a, b) => (scores[a] as number) - (scores[b] as number) || a - b);
    const chosen = order.slice(0, m);
    await forEachBlockOfAll(
      chosen.map((k) => items[k] as Counted),
      ctx,
      (off, rows) => {
        const len = (rows[0] as Float32Array).length;
        for (let i = 0; i < len; i++) {
          let s = 0;
          for (const r of rows) s += r[i] as number;
          out[off + i] = s / rows.length;
        }
      },
    );
    const clients: Record<string, ClientOutcome> = {};
    const picked = new Set(chosen);
    items.forEach((it, k) => {
      const score = (scores[k] as number).toPrecision(6);
      clients[it.update.cluster] = picked.has(k)
        ? { included: true, weight: 1 / m }
        : { included: false, reason: `Krum score ${score} not among the ${m} lowest of ${n}` };
    });
    return clients;
  }

  reset(): void {}
}

/** d[i·n + j] = ||x_i − x_j||² (float64), accumulated one block at a time. */
export async function pairwiseSquaredDistances(
  items: readonly Counted[],
  ctx: RoundContext,
): Promise<Float64Array> {
  const n = items.length;
  const d = new Float64Array(n * n);
  await forEachBlockOfAll(items, ctx, (_off, rows) => {
    for (let a = 0; a < n; a++) {
      const ra = rows[a] as Float32Array;
      for (let b = a + 1; b < n; b++) {
        const rb = rows[b] as Float32Array;
        let s = 0;
        for (let i = 0; i < ra.length; i++) {
          const x = (ra[i] as number) - (rb[i] as number);
          s += x * x;
        }
        d[a * n + b] = (d[a * n + b] as number) + s;
      }
    }
  });
  for (let a = 0; a < n; a++) for (let b = 0; b < a; b++) d[a * n + b] = d[b * n + a] as number;
  return d;
}

/**
 * Score of each update: sum of its N − f − 2 smallest squared distances to the others (at least
 * 1 neighbour when N ≤ f + 2, where Krum's guarantee does not hold anyway).
 */
export function krumScores(dist: Float64Array, n: number, f: number): number[] {
  const k = Math.max(1, Math.min(n - 1, n - f - 2));
  const scores: number[] = [];
  for (let a = 0; a < n; a++) {
    const others: number[] = [];
    for (let b = 0; b < n; b++) if (b !== a) others.push(dist[a * n + b] as number);
    others.sort((x, y) => x - y);
    scores.push(others.slice(0, k).reduce((s, x) => s + x, 0));
  }
  return scores;
}
