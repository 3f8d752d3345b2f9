/**
 * An aggregation rule turns the round's counted updates into one model. Each update counts as
 * its clipped form x_i = g + s_i·(u_i − g) (exactly u_i when s_i = 1, so one unclipped client
 * comes back bit for bit). The strategy around it adds screening, DP noise and the server step;
 * see composed.ts.
 */
import type { ClientOutcome, ClientUpdate, RoundContext } from './types.js';

/** What `fold` learnt about one counted update. */
export interface Counted {
  readonly update: ClientUpdate;
  /** Factor on the delta (clipping), 1 when unclipped. */
  readonly scale: number;
  readonly norm?: number;
}

/** The clipped update: x = g + s·(u − g), or u itself when s = 1. */
export function clipped(u: number, g: number, s: number): number {
  return s === 1 ? u : g + s * (u - g);
}

export interface Rule {
  /** Model-sized buffers the rule holds (README table). */
  readonly memoryModels: number;
  /** True when the rule can fold updates as they arrive (a weighted mean). */
  readonly streaming: boolean;
  /** Streaming rules only: fold one update with the given weight. */
  fold(item: Counted, weight: number, ctx: RoundContext): Promise<void>;
  /** The aggregated model into `out`; outcome per cluster (left out, or its weight). */
  combine(
    items: readonly Counted[],
    ctx: RoundContext,
    out: Float32Array,
  ): Promise<Record<string, ClientOutcome>>;
  reset(): void;
}
