/**
 * An aggregation rule turns the round's counted (and possibly clipped) deltas into one delta.
 * The strategy around it adds screening, DP noise and the server step; see strategy.ts.
 */
import type { ClientOutcome, ClientUpdate, RoundContext } from './types.js';

/** What `fold` learnt about one counted update. */
export interface Counted {
  readonly update: ClientUpdate;
  /** Factor on the delta (clipping), 1 when unclipped. */
  readonly scale: number;
  readonly norm?: number;
}

export interface Rule {
  /** Model-sized buffers the rule holds (README table). */
  readonly memoryModels: number;
  /** True when the rule can fold updates as they arrive (a weighted mean). */
  readonly streaming: boolean;
  /** Streaming rules only: fold one update with the given weight. */
  fold(item: Counted, weight: number, ctx: RoundContext): Promise<void>;
  /** The round's delta into `out`; outcome per cluster for the ones the rule left out or weighed. */
  combine(
    items: readonly Counted[],
    ctx: RoundContext,
    out: Float32Array,
  ): Promise<Record<string, ClientOutcome>>;
  reset(): void;
}
