/**
 * The robust rules need every client's value of an element at once. They read the counted
 * updates one block at a time into an N × block matrix (row = client, clipped update), so memory
 * is N · blockElements floats whatever the model size.
 */
import { blockSize } from './blocks.js';
import { clipped, type Counted } from './rule.js';
import type { RoundContext } from './types.js';

/** Calls `visit(offset, rows)` per block; rows[k] is the clipped update of items[k] (reused). */
export async function forEachBlockOfAll(
  items: readonly Counted[],
  ctx: RoundContext,
  visit: (offset: number, rows: readonly Float32Array[]) => void,
): Promise<void> {
  const n = ctx.global.length;
  const b = Math.min(n, blockSize(ctx));
  const raw = new Float32Array(b);
  const rows = items.map(() => new Float32Array(b));
  for (let off = 0; off < n; off += b) {
    const len = Math.min(b, n - off);
    const views = rows.map((r) => r.subarray(0, len));
    for (let k = 0; k < items.length; k++) {
      const it = items[k] as Counted;
      const chunk = raw.subarray(0, len);
      await it.update.read(off, chunk);
      const row = views[k] as Float32Array;
      const g = ctx.global;
      const s = it.scale;
      for (let i = 0; i < len; i++) row[i] = clipped(chunk[i] as number, g[off + i] as number, s);
    }
    visit(off, views);
  }
}

/** In-place ascending sort of a small array (insertion sort: N is the number of clients). */
export function sortSmall(a: Float64Array): void {
  if (a.length > 32) {
    a.sort();
    return;
  }
  for (let i = 1; i < a.length; i++) {
    const x = a[i] as number;
    let j = i - 1;
    while (j >= 0 && (a[j] as number) > x) {
      a[j + 1] = a[j] as number;
      j--;
    }
    a[j + 1] = x;
  }
}
