/** Pure byte-range arithmetic for transfers split into parallel ranged streams. */

/** Bytes [begin, end). */
export interface ByteRange {
  readonly begin: number;
  readonly end: number;
}

/** The parts of [0, size) not covered by `held` (any order, may overlap). */
export function missingRanges(size: number, held: readonly ByteRange[]): ByteRange[] {
  const sorted = [...held].sort((a, b) => a.begin - b.begin);
  const out: ByteRange[] = [];
  let at = 0;
  for (const r of sorted) {
    if (r.begin > at) out.push({ begin: at, end: Math.min(r.begin, size) });
    at = Math.max(at, r.end);
    if (at >= size) break;
  }
  if (at < size) out.push({ begin: at, end: size });
  return out.filter((r) => r.end > r.begin);
}

/**
 * Split `ranges` into at most `streams` pieces of similar size by halving the largest piece
 * until there are enough; cut points fall on multiples of `align` when the piece allows it.
 */
export function planRanges(ranges: readonly ByteRange[], streams: number, align: number): ByteRange[] {
  const pieces = ranges.filter((r) => r.end > r.begin).map((r) => ({ ...r }));
  while (pieces.length < streams) {
    let big = 0;
    for (let i = 1; i < pieces.length; i++) {
      const p = pieces[i] as ByteRange;
      const b = pieces[big] as ByteRange;
      if (p.end - p.begin > b.end - b.begin) big = i;
    }
    const p = pieces[big];
    if (!p || p.end - p.begin < 2 * align) break;
    // Cut so the first part gets its share of the streams still to be added.
    const parts = Math.min(streams - pieces.length + 1, Math.floor((p.end - p.begin) / align));
    let cut = p.begin + Math.floor((p.end - p.begin) / parts / align) * align;
    if (cut <= p.begin || cut >= p.end) cut = p.begin + Math.floor((p.end - p.begin) / 2);
    pieces.splice(big, 1, { begin: p.begin, end: cut }, { begin: cut, end: p.end });
  }
  return pieces.sort((a, b) => a.begin - b.begin);
}

/** Progress of one range of a ranged download: bytes [begin, next) are on disk. */
export interface RangeProgress {
  readonly begin: number;
  readonly end: number;
  next: number;
}
