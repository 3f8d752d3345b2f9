/**
 * Weighted mean of the (clipped) updates x_i (rule.ts), folded as each update arrives as a
 * running mean: mean ← mean + (x_i − mean) · w_i / Σ_{j≤i} w_j,
 * so a single update is exact, values stay in range whatever the weights, and memory is one
 * model-sized accumulator whatever the number of clients (McMahan et al. 2017, FedAvg).
 */
import { forEachBlock } from './blocks.js';
import { clipped, type Counted, type Rule } from './rule.js';
import type { ClientOutcome, RoundContext } from './types.js';

export class WeightedMean implements Rule {
  readonly memoryModels = 1;
  readonly streaming = true;
  private readonly mean: Float32Array;
  private total = 0;
  private readonly weights = new Map<string, number>();
  /** Set when a fold failed part-way: the mean holds part of an update and must be rebuilt. */
  private broken: string | undefined;

  constructor(elements: number) {
    this.mean = new Float32Array(elements);
  }

  async fold(item: Counted, weight: number, ctx: RoundContext): Promise<void> {
    if (!(weight > 0)) throw new RangeError(`weight of ${item.update.cluster} must be > 0, got ${weight}`);
    if (this.weights.has(item.update.cluster))
      throw new Error(`${item.update.cluster} was already folded this round`);
    this.checkWhole();
    const w = weight / (this.total + weight);
    const { mean } = this;
    const g = ctx.global;
    const s = item.scale;
    try {
      await forEachBlock(item.update, ctx, (off, block) => {
        for (let i = 0; i < block.length; i++) {
          const x = mean[off + i] as number;
          const c = clipped(block[i] as number, g[off + i] as number, s);
          mean[off + i] = x + (c - x) * w;
        }
      });
    } catch (e) {
      this.broken = `folding ${item.update.cluster} failed part-way (${e instanceof Error ? e.message : String(e)})`;
      throw e;
    }
    this.total += weight;
    this.weights.set(item.update.cluster, weight);
  }

  async combine(
    items: readonly Counted[],
    _ctx: RoundContext,
    out: Float32Array,
  ): Promise<Record<string, ClientOutcome>> {
    this.checkWhole();
    const clients: Record<string, ClientOutcome> = {};
    for (const it of items) {
      const w = this.weights.get(it.update.cluster);
      if (w === undefined) throw new Error(`update of ${it.update.cluster} was never folded`);
      clients[it.update.cluster] = { included: true, weight: w / this.total };
    }
    if (items.length !== this.weights.size)
      throw new Error(`${this.weights.size} updates folded but ${items.length} passed to aggregate`);
    out.set(this.mean);
    return Promise.resolve(clients);
  }

  private checkWhole(): void {
    if (this.broken)
      throw new Error(
        `the round's mean is incomplete: ${this.broken}; reset() and fold the round's updates again`,
      );
  }

  reset(): void {
    this.broken = undefined;
    this.mean.fill(0);
    this.total = 0;
    this.weights.clear();
  }
}
