/**
 * Test doubles for strategy tests: an in-memory ClientUpdate that counts its reads, and a round
 * driver that runs screen → fold → aggregate the way the aggregator core does.
 */
import type { AggregateResult, ClientUpdate, RoundContext, Screening, Strategy } from './types.js';

export interface MemoryUpdate extends ClientUpdate {
  readonly values: Float32Array;
  /** Largest `out.length` asked for: proves block-wise access. */
  readonly maxRead: () => number;
}

export function memoryUpdate(cluster: string, examples: number, values: ArrayLike<number>): MemoryUpdate {
  const v = Float32Array.from(values);
  let max = 0;
  return {
    cluster,
    examples,
    values: v,
    maxRead: () => max,
    read: (offset, out) => {
      max = Math.max(max, out.length);
      out.set(v.subarray(offset, offset + out.length));
      return Promise.resolve();
    },
  };
}

export function context(global: ArrayLike<number>, blockElements = 3, round = 1): RoundContext {
  return { round, global: Float32Array.from(global), blockElements };
}

export interface RoundRun {
  readonly model: Float32Array;
  readonly result: AggregateResult;
  readonly screenings: Record<string, Screening>;
}

/** One round as the aggregator core runs it: refused updates are not folded nor aggregated. */
export async function runRound(
  s: Strategy,
  ctx: RoundContext,
  updates: readonly ClientUpdate[],
): Promise<RoundRun> {
  s.reset();
  const counted: ClientUpdate[] = [];
  const screenings: Record<string, Screening> = {};
  for (const u of updates) {
    const sc = await s.screen(u, ctx);
    screenings[u.cluster] = sc;
    if (!sc.accept) continue;
    await s.fold(u, sc, ctx);
    counted.push(u);
  }
  const model = new Float32Array(ctx.global.length);
  const result = await s.aggregate(counted, ctx, model);
  return { model, result, screenings };
}

/** Deterministic pseudo-random numbers in [-1, 1) for property tests. */
export function lcg(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 31 - 1;
  };
}
