/**
 * Coordinate-wise order statistics of the clipped updates (Yin et al. 2018, "Byzantine-Robust
 * Distributed Learning: Towards Optimal Statistical Rates"): the median, and the β-trimmed mean
 * that drops the floor(β·N) smallest and largest values of each coordinate and averages the
 * rest. Both are unweighted: a weight would let one client buy influence with a large example
 * count. Memory: N × blockElements floats, no model-sized buffer.
 */
import { forEachBlockOfAll, sortSmall } from './block-matrix.js';
import type { Counted, Rule } from './rule.js';
import type { ClientOutcome, RoundContext } from './types.js';

export class CoordinateTrimmedMean implements Rule {
  readonly memoryModels = 0;
  readonly streaming = false;

  /** beta = fraction cut from each end; `median` takes the middle value(s) instead. */
  constructor(private readonly mode: { median: true } | { median: false; beta: number }) {}

  fold(): Promise<void> {
    return Promise.resolve();
  }

  async combine(
    items: readonly Counted[],
    ctx: RoundContext,
    out: Float32Array,
  ): Promise<Record<string, ClientOutcome>> {
    const n = items.length;
    const cut = this.mode.median ? 0 : Math.floor(this.mode.beta * n);
    const col = new Float64Array(n);
    const median = this.mode.median;
    await forEachBlockOfAll(items, ctx, (off, rows) => {
      const len = (rows[0] as Float32Array).length;
      for (let i = 0; i < len; i++) {
        for (let k = 0; k < n; k++) col[k] = (rows[k] as Float32Array)[i] as number;
        sortSmall(col);
        out[off + i] = median ? middle(col) : trimmedMean(col, cut);
      }
    });
    const clients: Record<string, ClientOutcome> = {};
    for (const it of items) clients[it.update.cluster] = { included: true };
    return clients;
  }

  reset(): void {}
}

function middle(sorted: Float64Array): number {
  const n = sorted.length;
  const h = n >> 1;
  return n % 2 === 1 ? (sorted[h] as number) : ((sorted[h - 1] as number) + (sorted[h] as number)) / 2;
}

function trimmedMean(sorted: Float64Array, cut: number): number {
  let s = 0;
  for (let k = cut; k < sorted.length - cut; k++) s += sorted[k] as number;
  return s / (sorted.length - 2 * cut);
}
