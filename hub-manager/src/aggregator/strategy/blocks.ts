/**
 * Block-wise walks over one update: the strategies never hold a whole update, only
 * `blockElements` of it at a time (plus whatever model-sized state the rule documents).
 */
import type { ClientUpdate, RoundContext } from './types.js';

/** Calls `visit(offset, block)` for consecutive blocks of `update`; `block` is reused. */
export async function forEachBlock(
  update: ClientUpdate,
  ctx: RoundContext,
  visit: (offset: number, block: Float32Array) => void,
): Promise<void> {
  const n = ctx.global.length;
  const buf = new Float32Array(Math.min(n, blockSize(ctx)));
  for (let off = 0; off < n; off += buf.length) {
    const block = buf.subarray(0, Math.min(buf.length, n - off));
    await update.read(off, block);
    visit(off, block);
  }
}

export function blockSize(ctx: RoundContext): number {
  const b = ctx.blockElements;
  if (!Number.isSafeInteger(b) || b < 1)
    throw new RangeError(`blockElements must be a positive integer, got ${b}`);
  return b;
}

export interface DeltaStats {
  /** L2 norm of update − global (NaN when a value is not finite). */
  readonly norm: number;
  /** First element that is NaN or ±Inf, or -1. */
  readonly firstNonFinite: number;
}

/** L2 norm of the delta and the first non-finite element, in one pass, float64 sums. */
export async function deltaStats(update: ClientUpdate, ctx: RoundContext): Promise<DeltaStats> {
  const g = ctx.global;
  let sum = 0;
  let bad = -1;
  await forEachBlock(update, ctx, (off, block) => {
    if (bad >= 0) return;
    let s = 0;
    for (let i = 0; i < block.length; i++) {
      const d = (block[i] as number) - (g[off + i] as number);
      s += d * d;
    }
    if (Number.isFinite(s)) {
      sum += s;
      return;
    }
    for (let i = 0; i < block.length; i++) {
      const v = block[i] as number;
      if (v - v !== 0) {
        bad = off + i;
        return;
      }
    }
    // Every value finite but the squares overflowed float64: an absurd but finite update.
    sum = Infinity;
  });
  return { norm: bad >= 0 ? NaN : Math.sqrt(sum), firstNonFinite: bad };
}
